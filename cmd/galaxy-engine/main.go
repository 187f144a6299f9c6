// Command galaxy-engine is the reference Galaxy game engine: one game, kept in
// $GAME_STATE_PATH/state.json, served over the HTTP contract of engine/openapi.yaml.
//
// Environment:
//
//	GAME_STATE_PATH            directory of state.json (required, must be writable)
//	GALAXY_ENGINE_ADDR         listen address, e.g. 0.0.0.0:8080 or :0 (wins over the next)
//	NOMAD_PORT_http            when GALAXY_ENGINE_ADDR is unset: listen on 127.0.0.1:<port>
//	GALAXY_ENGINE_ADMIN_TOKEN  when set, required as a Bearer token on every route but /healthz
//
// Flags:
//
//	-settings-schema           print the JSON Schema of admin/init's settings and exit
//	-version                   print the version, commit and build date and exit
//
// Exit codes: 0 after a clean shutdown (SIGTERM, SIGINT), 1 when the engine cannot
// run (corrupt state.json, address in use), 2 for a configuration error (or a bad flag).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/galaxy-orchestrator/galaxy/engine/server"
	"github.com/galaxy-orchestrator/galaxy/internal/buildinfo"
)

// Exit codes.
const (
	exitOK     = 0
	exitFail   = 1
	exitConfig = 2
)

// shutdownTimeout bounds the wait for requests in flight (a turn being written) at
// shutdown; it must stay below the orchestrator's kill timeout.
const shutdownTimeout = 20 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// Config is the engine's configuration, read from the environment.
type Config struct {
	StatePath  string // GAME_STATE_PATH
	Addr       string // resolved listen address
	AdminToken string // GALAXY_ENGINE_ADMIN_TOKEN; never logged
}

// ParseConfig reads the configuration through getenv. The listen address is
// GALAXY_ENGINE_ADDR, else 127.0.0.1:$NOMAD_PORT_http, else 127.0.0.1:8080: loopback
// unless told otherwise, because the admin routes change the game. In a container,
// set GALAXY_ENGINE_ADDR=0.0.0.0:<port>, as loopback there is unreachable from outside.
func ParseConfig(getenv func(string) string) (Config, error) {
	c := Config{StatePath: getenv("GAME_STATE_PATH"), AdminToken: getenv("GALAXY_ENGINE_ADMIN_TOKEN")}
	if c.StatePath == "" {
		return c, errors.New("GAME_STATE_PATH is required: the directory that holds state.json")
	}
	switch {
	case getenv("GALAXY_ENGINE_ADDR") != "":
		c.Addr = getenv("GALAXY_ENGINE_ADDR")
	case getenv("NOMAD_PORT_http") != "":
		c.Addr = net.JoinHostPort("127.0.0.1", getenv("NOMAD_PORT_http"))
	default:
		c.Addr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return c, fmt.Errorf("listen address %q: %v", c.Addr, err)
	}
	return c, nil
}

// run starts the engine and serves until ctx is done, then shuts down gracefully:
// requests in flight — a turn being written — finish first. With -settings-schema it
// prints game.SettingsSchema to stdout instead. It returns the exit code.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("galaxy-engine", flag.ContinueOnError)
	fs.SetOutput(stderr)
	printSchema := fs.Bool("settings-schema", false, "print the JSON Schema (draft 2020-12) of admin/init's settings and exit")
	showVersion := fs.Bool("version", false, "print the version, commit and build date and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitConfig
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "galaxy-engine takes no arguments (got %q); it is configured by its environment\n", fs.Args())
		return exitConfig
	}
	if *showVersion {
		fmt.Fprint(stdout, buildinfo.Get().String("galaxy-engine"))
		return exitOK
	}
	if *printSchema {
		if _, err := stdout.Write(game.SettingsSchema); err != nil {
			return exitFail
		}
		return exitOK
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, err := ParseConfig(getenv)
	if err != nil {
		logger.Error("configuration: " + err.Error())
		return exitConfig
	}
	store, err := server.NewStore(cfg.StatePath)
	if err != nil {
		logger.Error("configuration: GAME_STATE_PATH: " + err.Error())
		return exitConfig
	}
	srv, err := server.New(store, cfg.AdminToken, logger)
	if err != nil {
		logger.Error("refusing to start; state.json left untouched for an operator", "err", err)
		return exitFail
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		logger.Error("cannot listen", "addr", cfg.Addr, "err", err)
		return exitFail
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("listening", "addr", ln.Addr().String(), "state", store.Path(), "auth", cfg.AdminToken != "")
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		logger.Error("server stopped", "err", err)
		return exitFail
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		logger.Error("shutdown", "err", err)
		return exitFail
	}
	logger.Info("stopped")
	return exitOK
}
