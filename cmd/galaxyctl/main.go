// Command galaxyctl is the operator CLI of the Galaxy orchestrator: it drives galaxyd's
// HTTP API (games, operations, engine versions, players' orders and reports) through
// the API's Go client, http.Client, in the manner of the nomad and consul CLIs.
//
// Like NOMAD_ADDR/NOMAD_TOKEN, GALAXY_ADDR (default http://127.0.0.1:8080) and
// GALAXY_TOKEN configure the server and the bearer token; the -addr and -token flags
// override them. The token is sent only in the Authorization header and never printed.
//
// Every command answers -h with its usage, flags and defaults. Commands that print a
// value take -json (the value as JSON) and -t (a Go template over it).
//
// Exit codes, as nomad's: 0 success, 1 an error (the API's, the network's, a failed
// operation, or a usage error).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/template"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
)

// DefaultAddr is the API address when neither -addr nor GALAXY_ADDR is set.
const DefaultAddr = "http://127.0.0.1:8080"

// stdin is where "-" reads from; tests replace it.
var stdin io.Reader = os.Stdin

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// root is the command table; help, dispatch and completion read it.
func root() *command {
	return (&command{
		help: `galaxyctl drives galaxyd, the Galaxy orchestrator, over its HTTP API.

Environment:
  GALAXY_ADDR   galaxyd's address (default ` + DefaultAddr + `); -addr overrides it
  GALAXY_TOKEN  the API token (lobby or admin); -token overrides it`,
		subs: []*command{
			gameCommand(), opCommand(), engineCommand(), nodeCommand(), ordersCommand(), reportCommand(),
			reconcileCommand(), backupCommand(), versionCommand(), completionCommand(),
		},
	}).link()
}

// renamed maps old spellings to the commands that replaced them; they still work,
// with a note.
var renamed = map[string][]string{
	"version add":  {"engine", "add"},
	"version list": {"engine", "list"},
	"version rm":   {"engine", "rm"},
}

// run is the whole CLI: it parses args, calls the API and writes to stdout and stderr,
// returning the exit code. env looks up environment variables; ctx ends a command that
// follows or waits (Ctrl-C).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, env func(string) string) int {
	c := &cli{stdout: stdout, stderr: stderr, env: env}
	if len(args) > 0 && (args[0] == "-version" || args[0] == "--version" || args[0] == "-v") {
		args = append([]string{"version"}, args[1:]...)
	}
	if len(args) >= 2 {
		if to, ok := renamed[args[0]+" "+args[1]]; ok {
			fmt.Fprintf(stderr, "Note: \"galaxyctl %s %s\" is now \"galaxyctl %s\".\n", args[0], args[1], strings.Join(to, " "))
			args = append(append([]string{}, to...), args[2:]...)
		}
	}
	err := c.dispatch(ctx, root(), args)
	var ue *usageError
	var help *errHelp
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &help):
		writeHelp(stdout, help.cmd)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "Error: %s\n\n", ue.msg)
		writeHelp(stderr, ue.cmd)
		return exitError
	}
	fmt.Fprintf(stderr, "Error: %s\n", describe(err))
	return exitError
}

// describe renders an error for people: an API error as "<code>: <message> (field f)"
// with one line per detail.
func describe(err error) string {
	var e *orchestrator.Error
	if !errors.As(err, &e) {
		return err.Error()
	}
	var b strings.Builder
	if prefix, _, ok := strings.Cut(err.Error(), e.Error()); ok && prefix != "" {
		b.WriteString(prefix) // context added on the way, e.g. "report: "
	}
	b.WriteString(e.Error())
	for _, d := range e.Details {
		fmt.Fprintf(&b, "\n  [%d]", d.Index)
		if d.Field != "" {
			fmt.Fprintf(&b, " %s:", d.Field)
		}
		fmt.Fprintf(&b, " %s", d.Message)
	}
	return b.String()
}

// cli carries what every command needs.
type cli struct {
	stdout, stderr io.Writer
	env            func(string) string
}

// invocation is one run of a leaf command: its common flags, set by parsing.
type invocation struct {
	*cli
	cmd         *command
	addr, token string
	json        bool
	tmpl        string
}

// client builds the API client from the flags and the environment.
func (in *invocation) client() (*ghttp.Client, error) {
	addr := firstOf(in.addr, in.env("GALAXY_ADDR"), DefaultAddr)
	cl, err := ghttp.NewClient(addr)
	if err != nil {
		return nil, &usageError{msg: orchestrator.ErrorMessage(err), cmd: in.cmd}
	}
	cl.Token = firstOf(in.token, in.env("GALAXY_TOKEN"))
	return cl, nil
}

// human reports whether the output is for people (neither -json nor -t).
func (in *invocation) human() bool { return !in.json && in.tmpl == "" }

// output prints v as indented JSON with -json, through the template with -t, and
// otherwise with table, the command's view for people.
func (in *invocation) output(v any, table func() error) error {
	switch {
	case in.json:
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(in.stdout, "%s\n", b)
		return err
	case in.tmpl != "":
		return in.execTemplate(v)
	}
	return table()
}

// execTemplate runs -t over v; a template that does not parse is a usage error.
func (in *invocation) execTemplate(v any) error {
	t, err := template.New("t").Funcs(template.FuncMap{"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	}}).Parse(in.tmpl)
	if err != nil {
		return &usageError{msg: fmt.Sprintf("-t: %v", err), cmd: in.cmd}
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		return fmt.Errorf("-t: %w", err)
	}
	out := b.String()
	if !strings.HasSuffix(out, "\n") {
		out += "\n"
	}
	_, err = io.WriteString(in.stdout, out)
	return err
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
