package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

func completionCommand() *command {
	return &command{
		name: "completion", args: "<bash|zsh>", synopsis: "Print a shell completion script", setup: completion, offline: true, raw: true,
		help: `Prints a completion script of galaxyctl's subcommands and flags for bash or zsh:

  source <(galaxyctl completion bash)     # in ~/.bashrc
  source <(galaxyctl completion zsh)      # in ~/.zshrc, after compinit`,
	}
}

func completion(fs *flag.FlagSet, in *invocation) action {
	return func(_ context.Context, pos []string) error {
		switch pos[0] {
		case "bash":
			return writeBashCompletion(in.stdout, root())
		case "zsh":
			return writeZshCompletion(in.stdout, root())
		}
		return &usageError{msg: fmt.Sprintf("completion: unknown shell %q (want bash or zsh)", pos[0]), cmd: in.cmd}
	}
}

// completionEntry is what completes after one command path: its subcommands, or its
// flags, each with a description.
type completionEntry struct {
	path  string // " game status" ("" for galaxyctl itself)
	words [][2]string
	leaf  bool
}

// completionEntries walks the command table.
func completionEntries(root *command) []completionEntry {
	var out []completionEntry
	var walk func(c *command)
	walk = func(c *command) {
		e := completionEntry{path: strings.TrimSpace(c.path()), leaf: c.setup != nil}
		if e.path != "" {
			e.path = " " + e.path
		}
		if e.leaf {
			fs, _ := c.flagSet(&invocation{})
			fs.VisitAll(func(f *flag.Flag) {
				_, usage := flag.UnquoteUsage(f)
				e.words = append(e.words, [2]string{"-" + f.Name, firstSentence(usage)})
			})
			sort.Slice(e.words, func(i, j int) bool { return e.words[i][0] < e.words[j][0] })
		}
		for _, s := range c.subs {
			e.words = append(e.words, [2]string{s.name, s.synopsis})
		}
		if c == root {
			e.words = append(e.words, [2]string{"-version", "Print galaxyctl's version"}, [2]string{"-help", "Show galaxyctl's usage"})
		}
		out = append(out, e)
		for _, s := range c.subs {
			walk(s)
		}
	}
	walk(root)
	return out
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i]
	}
	return strings.TrimSuffix(s, ".")
}

// casePattern is the case pattern of a command path after a word is added.
func pathPatterns(entries []completionEntry) string {
	var ps []string
	for _, e := range entries {
		if e.path != "" {
			ps = append(ps, `"`+e.path+`"`)
		}
	}
	return strings.Join(ps, "|")
}

func writeBashCompletion(w io.Writer, root *command) error {
	entries := completionEntries(root)
	var b strings.Builder
	b.WriteString(`# bash completion for galaxyctl; load it with: source <(galaxyctl completion bash)
_galaxyctl() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} path="" i w
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        case "$path $w" in
            ` + pathPatterns(entries) + `) path="$path $w" ;;
        esac
    done
    if [[ $prev == -status ]]; then
        COMPREPLY=($(compgen -W "` + strings.Join(runtimeStatuses, " ") + `" -- "$cur"))
        return
    fi
    local words=""
    case "$path" in
`)
	for _, e := range entries {
		names := make([]string, len(e.words))
		for i, wd := range e.words {
			names[i] = wd[0]
		}
		fmt.Fprintf(&b, "        %q) words=%q ;;\n", e.path, strings.Join(names, " "))
	}
	b.WriteString(`    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _galaxyctl galaxyctl
`)
	_, err := io.WriteString(w, b.String())
	return err
}

func writeZshCompletion(w io.Writer, root *command) error {
	entries := completionEntries(root)
	var b strings.Builder
	b.WriteString(`#compdef galaxyctl
# zsh completion for galaxyctl; load it with: source <(galaxyctl completion zsh)
compdef _galaxyctl galaxyctl

_galaxyctl() {
  local cmdpath="" w i
  for ((i = 2; i < CURRENT; i++)); do
    w=${words[i]}
    case "$cmdpath $w" in
      ` + pathPatterns(entries) + `) cmdpath="$cmdpath $w" ;;
    esac
  done
  if [[ ${words[CURRENT-1]} == -status ]]; then
    compadd -- ` + strings.Join(runtimeStatuses, " ") + `
    return
  fi
  local -a opts
  local leaf=0
  case "$cmdpath" in
`)
	for _, e := range entries {
		items := make([]string, len(e.words))
		for i, wd := range e.words {
			items[i] = zshQuote(wd[0] + ":" + wd[1])
		}
		leaf := 0
		if e.leaf {
			leaf = 1
		}
		fmt.Fprintf(&b, "    %q) leaf=%d; opts=(%s) ;;\n", e.path, leaf, strings.Join(items, " "))
	}
	b.WriteString(`  esac
  if (( leaf )) && [[ ${words[CURRENT]} != -* ]]; then
    _files
  else
    _describe -t commands 'galaxyctl' opts
  fi
}

# Run when autoloaded from fpath, not when sourced.
if [ "$funcstack[1]" = "_galaxyctl" ]; then
  _galaxyctl "$@"
fi
`)
	_, err := io.WriteString(w, b.String())
	return err
}

// zshQuote quotes s for zsh in single quotes.
func zshQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
