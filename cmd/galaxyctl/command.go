package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// command is one galaxyctl command: a group of subcommands ("game") or a leaf that
// runs ("game status"). Help, usage errors and shell completion are all read from
// this one table (root).
type command struct {
	name     string // the word on the command line
	args     string // positional arguments, for the usage line: "<gameId>"
	synopsis string // one line, in the lists of commands
	help     string // the paragraphs after the usage line
	subs     []*command
	// setup registers the command's own flags on fs and returns what runs it with the
	// positional arguments; nil for a group.
	setup func(fs *flag.FlagSet, in *invocation) action
	// offline commands take no -addr or -token (version, completion); raw ones print
	// no value, so they take no -json or -t either (completion).
	offline, raw bool
	parent       *command
}

// action runs a leaf command with its positional arguments.
type action func(ctx context.Context, pos []string) error

// path is the command's words after "galaxyctl": "game status".
func (c *command) path() string {
	if c.parent == nil {
		return ""
	}
	if p := c.parent.path(); p != "" {
		return p + " " + c.name
	}
	return c.name
}

// sub returns the subcommand named name, or nil.
func (c *command) sub(name string) *command {
	for _, s := range c.subs {
		if s.name == name {
			return s
		}
	}
	return nil
}

// link sets every command's parent below c.
func (c *command) link() *command {
	for _, s := range c.subs {
		s.parent = c
		s.link()
	}
	return c
}

// Common flag names, shown apart in help ("General Options").
var generalFlags = map[string]bool{"addr": true, "token": true}

// flagSet returns the command's flag set with the common flags and its own, bound to
// in, and its action (nil for a group).
func (c *command) flagSet(in *invocation) (*flag.FlagSet, action) {
	fs := flag.NewFlagSet(c.path(), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by run
	if !c.offline {
		fs.StringVar(&in.addr, "addr", "", "The `address` of galaxyd, http(s)://host:port. Default: $GALAXY_ADDR or "+DefaultAddr+".")
		fs.StringVar(&in.token, "token", "", "The API `token` (lobby or admin), sent as a bearer token only. Default: $GALAXY_TOKEN.")
	}
	if !c.raw && c.setup != nil {
		fs.BoolVar(&in.json, "json", false, "Print the answer as JSON instead of a table.")
		fs.StringVar(&in.tmpl, "t", "", "Format the answer with a Go `template` (text/template; {{json .}} prints JSON).")
	}
	var run action
	if c.setup != nil {
		run = c.setup(fs, in)
	}
	return fs, run
}

// usageError is a mistake on the command line: run prints it with the usage of cmd,
// the command it was made at.
type usageError struct {
	msg string
	cmd *command
}

func (e *usageError) Error() string { return e.msg }

// errHelp asks run to print cmd's help on stdout.
type errHelp struct{ cmd *command }

func (e *errHelp) Error() string { return "help requested" }

// dispatch walks args down the command table and runs the leaf it names.
func (c *cli) dispatch(ctx context.Context, root *command, args []string) error {
	cmd := root
	for cmd.setup == nil {
		if len(args) == 0 {
			if cmd == root {
				return &usageError{msg: "a command is required", cmd: cmd}
			}
			return &usageError{msg: cmd.path() + " needs a subcommand", cmd: cmd}
		}
		word := args[0]
		switch word {
		case "-h", "-help", "--help", "help":
			if cmd == root && word == "help" {
				return c.helpFor(root, args[1:])
			}
			return &errHelp{cmd: cmd}
		}
		next := cmd.sub(word)
		if next == nil {
			what := "command"
			if cmd != root {
				what = cmd.path() + " subcommand"
			}
			msg := fmt.Sprintf("unknown %s %q", what, word)
			if strings.HasPrefix(word, "-") {
				msg = fmt.Sprintf("%s takes a subcommand before any flag, not %q", strings.TrimSpace("galaxyctl "+cmd.path()), word)
			} else if near := nearest(word, cmd.subs); near != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", near)
			}
			return &usageError{msg: msg, cmd: cmd}
		}
		cmd, args = next, args[1:]
	}
	in := &invocation{cli: c, cmd: cmd}
	fs, run := cmd.flagSet(in)
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return &errHelp{cmd: cmd}
	} else if err != nil {
		return &usageError{msg: fmt.Sprintf("%s: %v", cmd.path(), err), cmd: cmd}
	}
	if in.json && in.tmpl != "" {
		return &usageError{msg: cmd.path() + ": -json and -t exclude each other", cmd: cmd}
	}
	if err := wantArgs(cmd, pos); err != nil {
		return err
	}
	return run(ctx, pos)
}

// helpFor answers "galaxyctl help game status".
func (c *cli) helpFor(root *command, words []string) error {
	cmd := root
	for _, w := range words {
		next := cmd.sub(w)
		if next == nil {
			return &usageError{msg: fmt.Sprintf("no help for %q: unknown command", strings.Join(words, " ")), cmd: cmd}
		}
		cmd = next
	}
	return &errHelp{cmd: cmd}
}

// parseInterleaved parses flags and positional arguments in any order ("engine add
// 1.2.3 -command /x"); the flag package alone stops at the first positional. After
// "--" everything is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// wantArgs checks the positional arguments against the command's usage line: each
// "<name>" is required, "[name]" optional, a trailing "..." takes any number more.
func wantArgs(cmd *command, pos []string) error {
	var required, optional int
	variadic := strings.HasSuffix(cmd.args, "...")
	for _, a := range strings.Fields(strings.TrimSuffix(cmd.args, "...")) {
		if strings.HasPrefix(a, "[") {
			optional++
		} else {
			required++
		}
	}
	switch {
	case len(pos) < required:
		return &usageError{msg: fmt.Sprintf("%s needs %s", cmd.path(), plural(required, "argument")+": "+cmd.args), cmd: cmd}
	case !variadic && len(pos) > required+optional:
		return &usageError{msg: fmt.Sprintf("%s: unexpected argument %q", cmd.path(), pos[required+optional]), cmd: cmd}
	}
	return nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// nearest returns the listed subcommand closest to word, if one is close enough to be
// a typo of it.
func nearest(word string, cmds []*command) string {
	best, bestD := "", 3
	for _, c := range cmds {
		if d := distance(word, c.name); d < bestD || strings.HasPrefix(c.name, word) && best == "" {
			best, bestD = c.name, min(d, bestD)
		}
	}
	return best
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// writeHelp writes cmd's help in nomad's layout: the usage line, the description,
// then the subcommands, or the flags with their defaults.
func writeHelp(w io.Writer, cmd *command) {
	name := strings.TrimSpace("galaxyctl " + cmd.path())
	if cmd.setup == nil {
		title := "Subcommands:"
		if cmd.parent == nil {
			fmt.Fprintf(w, "Usage: galaxyctl [-version] [-help] <command> [args]\n\n")
			title = "Commands:"
		} else {
			fmt.Fprintf(w, "Usage: %s <subcommand> [options] [args]\n\n", name)
		}
		if cmd.help != "" {
			fmt.Fprintf(w, "%s\n\n", indent(cmd.help))
		}
		fmt.Fprintln(w, title)
		width := 0
		for _, s := range cmd.subs {
			width = max(width, len(s.name))
		}
		for _, s := range cmd.subs {
			fmt.Fprintf(w, "    %-*s  %s\n", width, s.name, s.synopsis)
		}
		if cmd.parent == nil {
			fmt.Fprintf(w, "\nRun \"galaxyctl <command> -h\" for a command's subcommands or options.\n")
		} else {
			fmt.Fprintf(w, "\nRun \"%s <subcommand> -h\" for a subcommand's options.\n", name)
		}
		return
	}
	fmt.Fprintf(w, "Usage: %s\n\n", strings.TrimSpace(name+" [options] "+cmd.args))
	if cmd.help != "" {
		fmt.Fprintf(w, "%s\n", indent(cmd.help))
	}
	fs, _ := cmd.flagSet(&invocation{})
	var general, own []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if generalFlags[f.Name] {
			general = append(general, f)
		} else {
			own = append(own, f)
		}
	})
	if len(general) > 0 {
		fmt.Fprintln(w, "\nGeneral Options:")
		writeFlags(w, general)
	}
	if len(own) > 0 {
		title := cmd.name
		if title != "" {
			title = strings.ToUpper(title[:1]) + title[1:]
		}
		fmt.Fprintf(w, "\n%s Options:\n", title)
		writeFlags(w, own)
	}
}

// writeFlags lists flags as nomad does: "-name=<value>" then the usage, indented, with
// the default when it is not the zero value.
func writeFlags(w io.Writer, flags []*flag.Flag) {
	sort.Slice(flags, func(i, j int) bool { return flagOrder(flags[i]) < flagOrder(flags[j]) })
	for _, f := range flags {
		placeholder, usage := flag.UnquoteUsage(f)
		fmt.Fprintf(w, "\n  -%s", f.Name)
		if placeholder != "" {
			fmt.Fprintf(w, "=<%s>", placeholder)
		}
		fmt.Fprintf(w, "\n    %s", usage)
		if !isZeroDefault(f) {
			fmt.Fprintf(w, " Default: %s.", f.DefValue)
		}
		fmt.Fprintln(w)
	}
}

// flagOrder keeps -json and -t last, as in nomad's help, and the rest by name.
func flagOrder(f *flag.Flag) string {
	switch f.Name {
	case "json":
		return "~1"
	case "t":
		return "~2"
	}
	return f.Name
}

func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "[]", "0s":
		return true
	}
	return false
}

// indent indents every line of text by two spaces.
func indent(text string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "  " + l
		}
	}
	return strings.Join(lines, "\n")
}
