// Command galaxy-load measures one galaxyd at scale, with the real binaries, and prints
// the README's tables ("One galaxyd for 100,000 games"):
//
//	galaxy-load scale  [-games 100000]  create games; galaxyd's RSS and Go heap per game;
//	                                    GET /games (filters, pages) and /metrics latency;
//	                                    the boot with that many games
//	galaxy-load proxy  [-rps 500]       a player call through galaxyd and straight to an
//	                                    engine, side by side, state on tmpfs
//
// galaxyd and galaxy-engine are taken from next to galaxy-load (make build puts all of
// them in bin/) unless -galaxyd and -engine say otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is what every scenario shares.
type config struct {
	Galaxyd, Engine string
	Dir             string // work directory (a temporary one when empty)
	Games           int
	Concurrency     int
	RPS             int
	Duration        time.Duration
	Requests        int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("galaxy-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	self, _ := os.Executable()
	bin := filepath.Dir(self)
	var c config
	fs.StringVar(&c.Galaxyd, "galaxyd", filepath.Join(bin, "galaxyd"), "galaxyd `binary`")
	fs.StringVar(&c.Engine, "engine", filepath.Join(bin, "galaxy-engine"), "galaxy-engine `binary`")
	fs.StringVar(&c.Dir, "dir", "", "work `directory` (default: a new temporary one; proxy: under /dev/shm)")
	fs.IntVar(&c.Games, "games", 100_000, "scale: games to create")
	fs.IntVar(&c.Concurrency, "concurrency", 64, "scale: creates in flight")
	fs.IntVar(&c.Requests, "requests", 300, "scale: requests per API figure")
	fs.IntVar(&c.RPS, "rps", 500, "proxy: requests per second, each path")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "proxy: how long")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: galaxy-load [flags] scale|proxy")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	var err error
	switch fs.Arg(0) {
	case "scale":
		err = scale(ctx, c, stdout)
	case "proxy":
		err = proxy(ctx, c, stdout)
	default:
		fs.Usage()
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "galaxy-load:", err)
		return 1
	}
	return 0
}

// workDir returns c.Dir, or a new temporary directory under parent ("" for the
// system's) and a function that removes it.
func workDir(c config, parent string) (string, func(), error) {
	if c.Dir != "" {
		return c.Dir, func() {}, os.MkdirAll(c.Dir, 0o700)
	}
	dir, err := os.MkdirTemp(parent, "galaxy-load-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
