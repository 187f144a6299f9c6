package main

import (
	"flag"
	"strings"
	"testing"
)

// allCommands lists every command of the table by its path.
func allCommands() []*command {
	var out []*command
	var walk func(c *command)
	walk = func(c *command) {
		out = append(out, c)
		for _, s := range c.subs {
			walk(s)
		}
	}
	walk(root())
	return out
}

func TestHelp(t *testing.T) {
	for _, cmd := range allCommands() {
		path := cmd.path()
		for _, h := range []string{"-h", "-help", "--help"} {
			t.Run(strings.ReplaceAll(path+" "+h, " ", "_"), func(t *testing.T) {
				args := append(strings.Fields(path), h)
				code, stdout, stderr := MustRun(t, nil, args...)
				MustCode(t, code, exitOK, stdout, stderr)
				if stderr != "" {
					t.Fatalf("stderr: got %q, want nothing", stderr)
				}
				usage := strings.TrimSpace("Usage: galaxyctl " + path)
				if cmd.parent == nil {
					usage = "Usage: galaxyctl [-version] [-help] <command>"
				}
				if !strings.HasPrefix(stdout, usage) {
					t.Fatalf("stdout does not start with %q:\n%s", usage, stdout)
				}
				if cmd.setup == nil {
					for _, s := range cmd.subs {
						if !strings.Contains(stdout, "\n    "+s.name+" ") {
							t.Errorf("the help of %q does not list %q:\n%s", path, s.name, stdout)
						}
					}
					return
				}
				fs, _ := cmd.flagSet(&invocation{})
				fs.VisitAll(func(f *flag.Flag) {
					if !strings.Contains(stdout, "\n  -"+f.Name) {
						t.Errorf("the help of %q lacks -%s:\n%s", path, f.Name, stdout)
					}
					if !isZeroDefault(f) && !strings.Contains(stdout, "Default: "+f.DefValue+".") {
						t.Errorf("the help of %q lacks the default of -%s (%s):\n%s", path, f.Name, f.DefValue, stdout)
					}
				})
			})
		}
	}
	t.Run("HelpCommand", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, nil, "help", "game", "status")
		MustCode(t, code, exitOK, stdout, stderr)
		if !strings.HasPrefix(stdout, "Usage: galaxyctl game status [options] <gameId>") {
			t.Fatalf("stdout: %q", stdout)
		}
	})
	t.Run("FlagsAfterArguments", func(t *testing.T) {
		code, stdout, stderr := MustRun(t, nil, "game", "status", gameID, "-h")
		MustCode(t, code, exitOK, stdout, stderr)
		if !strings.Contains(stdout, "Usage: galaxyctl game status") {
			t.Fatalf("stdout: %q", stdout)
		}
	})
	t.Run("Defaults", func(t *testing.T) {
		_, stdout, _ := MustRun(t, nil, "game", "start", "-h")
		for _, want := range []string{"-wait\n", "-timeout=<long>\n    How long -wait follows the operation. Default: 10m0s.", "-addr=<address>", "-json", "-t=<template>"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("game start -h lacks %q:\n%s", want, stdout)
			}
		}
		_, stdout, _ = MustRun(t, nil, "game", "list", "-h")
		for _, want := range []string{"-status=<status>", "-all\n", "-paused\n", "Default: 100.", "-after=<ID>"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("game list -h lacks %q:\n%s", want, stdout)
			}
		}
	})
}

// TestUsageErrors: a one-line error, then the usage of the command it was made at, on
// stderr; exit 1, as nomad's CLI.
func TestUsageErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		args        []string
		line, usage string
	}{
		"NoCommand":      {nil, "Error: a command is required", "Usage: galaxyctl [-version]"},
		"UnknownCommand": {[]string{"frobnicate"}, `Error: unknown command "frobnicate"`, "Usage: galaxyctl [-version]"},
		"Typo":           {[]string{"gmae"}, `Error: unknown command "gmae" (did you mean "game"?)`, "Usage: galaxyctl [-version]"},
		"NoSubcommand":   {[]string{"game"}, "Error: game needs a subcommand", "Usage: galaxyctl game <subcommand>"},
		"UnknownSub":     {[]string{"game", "explode"}, `Error: unknown game subcommand "explode"`, "Usage: galaxyctl game <subcommand>"},
		"SubTypo":        {[]string{"game", "stauts", gameID}, `Error: unknown game subcommand "stauts" (did you mean "status"?)`, "Usage: galaxyctl game <subcommand>"},
		"FlagBeforeSub":  {[]string{"game", "-json"}, `Error: galaxyctl game takes a subcommand before any flag, not "-json"`, "Usage: galaxyctl game <subcommand>"},
		"UnknownFlag":    {[]string{"game", "list", "-nope"}, "Error: game list: flag provided but not defined: -nope", "Usage: galaxyctl game list [options]"},
		"BadFlagValue":   {[]string{"game", "ops", gameID, "-limit", "x"}, `Error: game ops: invalid value "x" for flag -limit: parse error`, "Usage: galaxyctl game ops [options] <gameId>"},
		"MissingArg":     {[]string{"game", "status"}, "Error: game status needs 1 argument: <gameId>", "Usage: galaxyctl game status [options] <gameId>"},
		"ExtraArg":       {[]string{"game", "list", "x"}, `Error: game list: unexpected argument "x"`, "Usage: galaxyctl game list"},
		"BadID":          {[]string{"game", "status", "nope"}, `Error: game status: gameId must be a UUID, not "nope"`, "Usage: galaxyctl game status"},
		"JSONAndT":       {[]string{"game", "status", gameID, "-json", "-t", "{{.ID}}"}, "Error: game status: -json and -t exclude each other", "Usage: galaxyctl game status"},
		"BadTemplate":    {[]string{"version", "-t", "{{.Nope"}, "Error: -t: template: t:1: unclosed action", "Usage: galaxyctl version"},
		"BadPlayer":      {[]string{"game", "create", "-version", "1.2.3", "-cron", "* * * * *", "-player", "bob"}, `Error: -player "bob": want USER_UUID:RaceName`, "Usage: galaxyctl game create"},
		"CreateNoInput":  {[]string{"game", "create"}, "Error: game create needs -version, -cron and at least one -player (or -demo)", "Usage: galaxyctl game create"},
		"OrdersNoUser":   {[]string{"orders", "submit", gameID, "-"}, "Error: orders submit: -user must be the lobby user's UUID", "Usage: galaxyctl orders submit"},
		"EngineNoRun":    {[]string{"engine", "add", "1.2.3"}, "Error: engine add needs -command or -image", "Usage: galaxyctl engine add"},
		"BadAddr":        {[]string{"game", "list", "-addr", "ftp://x"}, `Error: invalid address "ftp://x": want http(s)://host:port`, "Usage: galaxyctl game list"},
		"BadStatus":      {[]string{"game", "list", "-status", "runing"}, `Error: -status "runing": want one of created, starting, running`, "Usage: galaxyctl game list"},
		"BadShell":       {[]string{"completion", "fish"}, `Error: completion: unknown shell "fish" (want bash or zsh)`, "Usage: galaxyctl completion"},
		"ReconcileWhat":  {[]string{"reconcile", "now"}, `Error: reconcile: unexpected argument "now" (want "run" or nothing)`, "Usage: galaxyctl reconcile"},
		"HelpUnknown":    {[]string{"help", "nope"}, `Error: no help for "nope": unknown command`, "Usage: galaxyctl [-version]"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := MustRun(t, nil, tc.args...)
			MustCode(t, code, exitError, stdout, stderr)
			first, rest, _ := strings.Cut(stderr, "\n")
			if !strings.HasPrefix(first, tc.line) {
				t.Fatalf("first line: got %q, want %q", first, tc.line)
			}
			if !strings.HasPrefix(rest, "\n"+tc.usage) {
				t.Fatalf("after the error: got %q, want a blank line and %q", rest, tc.usage)
			}
			if stdout != "" {
				t.Fatalf("stdout: got %q, want nothing", stdout)
			}
		})
	}
}
