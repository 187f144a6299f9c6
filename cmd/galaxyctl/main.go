// Command galaxyctl is the operator CLI of the Galaxy orchestrator: it drives galaxyd's
// HTTP API (games, operations, engine versions, players' orders and reports).
//
// Like NOMAD_ADDR/NOMAD_TOKEN, GALAXY_ADDR (default http://127.0.0.1:8080) and
// GALAXY_TOKEN configure the server and the bearer token; the -addr and -token flags
// override them. The token is sent only in the Authorization header and never printed.
//
// Exit codes: 0 success, 1 an error (the API's, the network's, or a failed operation),
// 2 a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// DefaultAddr is the API address when neither -addr nor GALAXY_ADDR is set.
const DefaultAddr = "http://127.0.0.1:8080"

// stdin is where "-" reads from; tests replace it.
var stdin io.Reader = os.Stdin

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

const usage = `Usage: galaxyctl <command> [flags] [args]

Games:
  game create [-version V] [-cron C] [-tz Z] [-player USER:RACE]... [-settings JSON]
              [-early-turn] [-idempotency-key K] [-demo]
  game list [-status S] [-limit N] [-after ID]
  game status <gameId>
  game start|stop|restart|force-turn|remove <gameId> [-wait] [-timeout D]
  game patch <gameId> <version> [-wait] [-timeout D]
  game pause|resume <gameId>
  game ops <gameId> [-limit N]
Operations:
  op status <operationId> [-wait] [-timeout D]
Engine versions:
  version add <version> [-command PATH] [-image REF] [-notes TEXT] [-disabled]
  version list
  version rm <version>
Reconciler:
  reconcile [run]        the last pass's report; "run" runs one now
Players (on behalf of a lobby user):
  orders submit <gameId> -user UUID [-turn N] [-final] <orders.json | ->
  report <gameId> -user UUID [-turn N]

Every command takes -addr URL, -token TOKEN (or GALAXY_ADDR, GALAXY_TOKEN) and -json
(print the API's JSON instead of a table).
`

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// run is the whole CLI: it parses args, calls the API and writes to stdout and stderr,
// returning the exit code. env looks up environment variables.
func run(args []string, stdout, stderr io.Writer, env func(string) string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := &cli{stdout: stdout, stderr: stderr, env: env}
	err := c.dispatch(ctx, args)
	var ue *usageError
	var ae *APIError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usage)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "Error: %s\n\n%s", ue.msg, usage)
		return exitUsage
	case errors.As(err, &ae):
		fmt.Fprintf(stderr, "Error: %s\n", ae.Error())
		return exitError
	default:
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return exitError
	}
}

// cli carries what every command needs.
type cli struct {
	stdout, stderr io.Writer
	env            func(string) string
}

func (c *cli) dispatch(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("a command is required")
	}
	noun, rest := args[0], args[1:]
	switch noun {
	case "-h", "-help", "--help", "help":
		return flag.ErrHelp
	case "game":
		return c.game(ctx, rest)
	case "op":
		return c.op(ctx, rest)
	case "version":
		return c.version(ctx, rest)
	case "orders":
		return c.orders(ctx, rest)
	case "report":
		return c.report(ctx, rest)
	case "reconcile":
		return c.reconcile(ctx, rest)
	}
	return usagef("unknown command %q", noun)
}

// common are the flags every command takes.
type common struct {
	addr, token string
	json        bool
}

// newFlags returns a flag set for one command with the common flags registered.
func (c *cli) newFlags(name string) (*flag.FlagSet, *common) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by run
	co := &common{}
	fs.StringVar(&co.addr, "addr", "", "API address (default $GALAXY_ADDR or "+DefaultAddr+")")
	fs.StringVar(&co.token, "token", "", "bearer token (default $GALAXY_TOKEN)")
	fs.BoolVar(&co.json, "json", false, "print the API's JSON")
	return fs, co
}

// parse parses flags and positional arguments in any order ("version add 1.2.3
// -command /x"), as the flag package alone stops at the first positional. After "--"
// everything is positional.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
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

// client builds the API client from flags and environment.
func (c *cli) client(co *common) (*Client, error) {
	addr := co.addr
	if addr == "" {
		addr = c.env("GALAXY_ADDR")
	}
	if addr == "" {
		addr = DefaultAddr
	}
	token := co.token
	if token == "" {
		token = c.env("GALAXY_TOKEN")
	}
	return NewClient(addr, token)
}

// wantArgs checks the number of positional arguments.
func wantArgs(cmd string, pos []string, names ...string) error {
	if len(pos) != len(names) {
		return usagef("%s needs %d argument(s): %s", cmd, len(names), strings.Join(names, " "))
	}
	return nil
}
