// Command galaxy-crash is the crash harness of galaxyd: it runs the real daemon on
// loopback with the real reference engine, drives games and concurrent API writes,
// kills the daemon with SIGKILL at random moments and restarts it on the same data
// directory, and at the end checks what DESIGN §6 and §8 promise:
//
//   - every acknowledged game and operation survived, and every operation ended
//     (failed ones with an error code);
//   - no turn was doubled or skipped: the engine's state.json turn equals the
//     runtime's currentTurn, every turn has its snapshot and its succeeded operation,
//     and no game ran more turns than its schedule and forced turns allow;
//   - no engine process outlives a graceful shutdown, and no two engines ever run on
//     one game's state directory;
//   - the bbolt file passes bbolt's own consistency check.
//
// It exits 1 on any violation, 2 when it could not run at all.
//
//	go build -o /tmp/g/ ./cmd/galaxyd ./cmd/galaxy-engine ./cmd/galaxy-crash
//	/tmp/g/galaxy-crash -galaxyd /tmp/g/galaxyd -engine /tmp/g/galaxy-engine -kills 200
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Config is what one run of the harness does.
type Config struct {
	// Galaxyd and Engine are the binaries under test. Engine is copied to a path
	// unique to the run, so that its processes can be told apart in /proc.
	Galaxyd, Engine string
	// Kills is how many times galaxyd is killed with SIGKILL and restarted.
	Kills int
	// MinDelay and MaxDelay bound the random time galaxyd runs before each kill.
	MinDelay, MaxDelay time.Duration
	// Games is how many games the writers create.
	Games int
	// Writers is the number of goroutines firing API writes.
	Writers int
	// Every is the games' turn interval ("@every <Every>"); at least 1s.
	Every time.Duration
	// Timeout bounds the whole run, checks included.
	Timeout time.Duration
	// Workers is galaxyd's operations.workers.
	Workers int
	// WorkDir holds the data directory, the engine copy and galaxyd.log; a fresh
	// temporary directory when empty (kept when the run finds a violation).
	WorkDir string
	// Seed seeds the random delays and actions (0: from the clock).
	Seed int64
	// Log receives progress lines; nil discards them.
	Log io.Writer
}

// DefaultConfig returns the configuration of the flags' defaults.
func DefaultConfig() Config {
	return Config{
		Kills:    50,
		MinDelay: 100 * time.Millisecond,
		MaxDelay: 1500 * time.Millisecond,
		Games:    8,
		Writers:  3,
		Every:    2 * time.Second,
		Timeout:  5 * time.Minute,
		Workers:  4,
	}
}

func main() {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("galaxy-crash", flag.ContinueOnError)
	fs.StringVar(&cfg.Galaxyd, "galaxyd", "", "galaxyd binary (required)")
	fs.StringVar(&cfg.Engine, "engine", "", "galaxy-engine binary (required)")
	fs.IntVar(&cfg.Kills, "kills", cfg.Kills, "number of kill -9 and restart cycles")
	fs.DurationVar(&cfg.MinDelay, "min-delay", cfg.MinDelay, "shortest run of galaxyd before a kill")
	fs.DurationVar(&cfg.MaxDelay, "max-delay", cfg.MaxDelay, "longest run of galaxyd before a kill")
	fs.IntVar(&cfg.Games, "games", cfg.Games, "number of games to create")
	fs.IntVar(&cfg.Writers, "writers", cfg.Writers, "concurrent API writers")
	fs.DurationVar(&cfg.Every, "every", cfg.Every, "turn interval of the games (@every)")
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "bound on the whole run")
	fs.IntVar(&cfg.Workers, "workers", cfg.Workers, "galaxyd operation workers")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "work directory (default: a new temporary directory)")
	fs.Int64Var(&cfg.Seed, "seed", 0, "random seed (default: from the clock)")
	quiet := fs.Bool("q", false, "no progress lines, only the summary")
	if err := fs.Parse(os.Args[1:]); err != nil {
		os.Exit(2)
	}
	if cfg.Galaxyd == "" || cfg.Engine == "" {
		fmt.Fprintln(os.Stderr, "galaxy-crash: -galaxyd and -engine are required")
		os.Exit(2)
	}
	if !*quiet {
		cfg.Log = os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, cfg)
	if res != nil {
		res.Summary(os.Stdout)
	}
	switch {
	case err != nil:
		fmt.Fprintln(os.Stderr, "galaxy-crash:", err)
		os.Exit(2)
	case len(res.Violations) > 0:
		os.Exit(1)
	}
}
