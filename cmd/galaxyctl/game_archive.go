package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// archiveCommands are the game subcommands of the archive: they need a galaxyd with
// an archive configured (unavailable otherwise).
func archiveCommands() []*command {
	return []*command{
		{name: "rollback", args: "<gameId>", synopsis: "Go back to an archived turn (admin)", setup: gameRollback,
			help: `Queues a rollback of the game to an archived turn: the engine restores that
turn's snapshot and the game goes on from there on a new history line. -line
restores from an older line, which undoes a rollback. ` + waitHelp},
		{name: "transfer", args: "<gameId>", synopsis: "Move a game's engine to another node (admin)", setup: gameTransfer,
			help: `Queues a move of the game's engine to another node through the archive: the old
engine stops, the new one starts from the last archived snapshot. ` + waitHelp},
		{name: "export", args: "<gameId> <file|->", synopsis: "Write a game and its archived snapshots to a tar file (admin)", setup: gameExport,
			help: "Writes one tar file with the game's record and every archived snapshot (\"-\":\nstdout), for \"game import\" on another galaxyd. The file appears only once complete."},
		{name: "import", args: "<file|->", synopsis: "Recreate a game from an exported tar file (admin)", setup: gameImport,
			help: "Recreates a game exported by another galaxyd, with the same ID, stopped: its first\nstart restores it from the imported snapshots."},
	}
}

// waitHelp is the part of the help of the commands that queue an operation about -wait.
const waitHelp = `With -wait, follows the operation until it ends,
showing each change of the operation (status, attempts, the next retry, errors)
and of the game, and exits 1 if it failed.`

func gameRollback(fs *flag.FlagSet, in *invocation) action {
	var turn, line optInt
	fs.Var(&turn, "turn", "The archived `turn` to go back to (required).")
	fs.Var(&line, "line", "The history `line` to restore from. Default: the game's current line.")
	of := addOpFlags(fs)
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		if !turn.set {
			return &usageError{msg: "game rollback needs -turn: the archived turn to go back to", cmd: in.cmd}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		var l *int
		if line.set {
			l = &line.n
		}
		op, err := cl.Rollback(ctx, id, turn.n, l, orchestrator.SourceAdmin)
		if err != nil {
			return err
		}
		return in.finishOp(ctx, cl, of, op)
	}
}

func gameTransfer(fs *flag.FlagSet, in *invocation) action {
	node := fs.String("node", "", "The `node` to move to. Default: any other node.")
	of := addOpFlags(fs)
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		op, err := cl.Transfer(ctx, id, *node, orchestrator.SourceAdmin)
		if err != nil {
			return err
		}
		return in.finishOp(ctx, cl, of, op)
	}
}

func gameExport(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		n, err := in.writeFile(pos[1], func(w io.Writer) error { return cl.Export(ctx, id, w) })
		if err != nil || pos[1] == "-" {
			return err
		}
		return in.output(map[string]any{"game": id, "file": pos[1], "bytes": n}, func() error {
			_, err := fmt.Fprintf(in.stdout, "Game %s exported to %s (%d bytes).\n", id, pos[1], n)
			return err
		})
	}
}

func gameImport(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		r := stdin
		if pos[0] != "-" {
			f, err := os.Open(pos[0])
			if err != nil {
				return err
			}
			defer f.Close()
			r = f
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		v, err := cl.Import(ctx, r)
		if err != nil {
			return err
		}
		return in.output(v, func() error {
			fmt.Fprintf(in.stdout, "Game %s imported, %s.\n\n", v.ID, runtimeOf(v).Status)
			return printGame(in.stdout, v)
		})
	}
}

// writeFile writes what write produces to name ("-": stdout): into a temporary file
// next to it, renamed into place only once write succeeded, so that a file of that
// name is always complete. It returns the bytes written.
func (in *invocation) writeFile(name string, write func(io.Writer) error) (int64, error) {
	if name == "-" {
		cw := &countWriter{w: in.stdout}
		return cw.n, write(cw)
	}
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".partial-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	cw := &countWriter{w: f}
	err = write(cw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return cw.n, fmt.Errorf("%s not written: %w", name, err)
	}
	return cw.n, os.Rename(f.Name(), name)
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}
