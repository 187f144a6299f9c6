// Command galaxyd is the Galaxy orchestrator daemon: it runs one engine per game
// (local child processes with -dev, or Nomad jobs), drives turns on each game's
// schedule and serves the HTTP API the lobby and galaxyctl use.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
	_ "time/tzdata" // time zones must resolve even on hosts without /usr/share/zoneinfo

	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/local"
	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/galaxy-orchestrator/galaxy/webhook"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DevEngineVersion is the version under which -dev registers the reference engine
// found next to the galaxyd binary.
const DevEngineVersion = "0.1.0"

func main() {
	m := NewMain()
	if err := m.ParseFlags(context.Background(), os.Args[1:]); errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "galaxyd:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		m.Close()
		fmt.Fprintln(os.Stderr, "galaxyd:", err)
		os.Exit(1)
	}
	<-ctx.Done()
	m.Logger.Info("shutting down; queued operations stay durable and resume at the next start")
	if err := m.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "galaxyd:", err)
		os.Exit(1)
	}
}

// Main is the daemon, wired: end-to-end tests build one with NewMain, set fields, and
// call Run on ":0" and a temp data dir.
type Main struct {
	Config     Config
	ConfigPath string
	Dev        bool
	// EngineCommand is the reference engine binary -dev registers; by default the
	// galaxy-engine next to the galaxyd executable.
	EngineCommand string
	// Stderr receives the logs (os.Stderr by default).
	Stderr *os.File

	Logger hclog.Logger
	Store  *store.Store
	// Driver runs the engines: the local driver or the Nomad driver.
	Driver     Driver
	Service    *orchestrator.Service
	Outbox     *orchestrator.Outbox
	Reconciler *orchestrator.Reconciler
	HTTP       *ghttp.Server
}

// Driver is what galaxyd needs of an engine driver: it runs engines, finds them, and
// is closed at shutdown.
type Driver interface {
	orchestrator.Driver
	orchestrator.Discovery
	Close() error
}

// NewMain returns a Main with defaults; ParseFlags and field assignments come next.
func NewMain() *Main {
	return &Main{Stderr: os.Stderr}
}

// ParseFlags reads the config file named by -config and then applies the flags on top.
func (m *Main) ParseFlags(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("galaxyd", flag.ContinueOnError)
	fs.StringVar(&m.ConfigPath, "config", "", "HCL configuration file")
	fs.BoolVar(&m.Dev, "dev", false, "development mode: local driver, data in ./.galaxy, loopback only, tokens optional")
	listen := fs.String("listen", "", "API listen address (default 127.0.0.1:8080)")
	dataDir := fs.String("data-dir", "", "data directory (bbolt file and local engine state)")
	driver := fs.String("driver", "", `engine driver: "local" or "nomad"`)
	logLevel := fs.String("log-level", "", "trace, debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "log as JSON lines")
	fs.StringVar(&m.EngineCommand, "engine-command", "", "reference engine binary for -dev (default: galaxy-engine next to galaxyd)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if m.ConfigPath != "" {
		c, err := LoadConfig(m.ConfigPath)
		if err != nil {
			return err
		}
		m.Config = *c
	}
	// Flags are merged last: they win over the file.
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			m.Config.Listen = *listen
		case "data-dir":
			m.Config.DataDir = *dataDir
		case "driver":
			m.Config.Driver = *driver
		case "log-level":
			m.Config.LogLevel = *logLevel
		case "log-json":
			m.Config.LogJSON = *logJSON
		}
	})
	m.Config.applyDefaults(m.Dev)
	return m.Config.Validate(m.Dev)
}

// Run opens the store, the driver, the service and the API, and returns once the API
// is serving. Close undoes it.
func (m *Main) Run(ctx context.Context) error {
	c := &m.Config
	if m.Logger == nil {
		m.Logger = hclog.New(&hclog.LoggerOptions{
			Name:       "galaxyd",
			Level:      hclog.LevelFromString(c.LogLevel),
			JSONFormat: c.LogJSON,
			Output:     m.Stderr,
		})
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(filepath.Join(c.DataDir, "galaxy.db"))
	if err != nil {
		return err
	}
	m.Store = st

	healthTimeout, _ := parseDuration(c.Local.HealthTimeout)
	stopGrace, _ := parseDuration(c.Local.StopGrace)
	engineTimeout, _ := parseDuration(c.Ops.EngineTimeout)
	startTimeout, _ := parseDuration(c.Ops.StartTimeout)
	turnBackoff, _ := parseDuration(c.Ops.TurnBackoff)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := orchestrator.NewMetrics(reg, st, 10*time.Second)
	reconcileInterval, _ := parseDuration(c.Reconcile.Interval)

	svc := &orchestrator.Service{
		Metrics:       metrics,
		Store:         st,
		Engines:       func(ep, token string) orchestrator.EngineClient { return engine.NewClient(ep, token) },
		Logger:        m.Logger.Named("orchestrator"),
		Workers:       c.Ops.Workers,
		QueueSize:     c.Ops.QueueSize,
		EngineTimeout: engineTimeout,
		StartTimeout:  startTimeout,
		TurnAttempts:  c.Ops.TurnAttempts,
		TurnBackoff:   turnBackoff,
		Events:        c.Lobby != nil && c.Lobby.WebhookURL != "",
	}
	switch c.Driver {
	case "nomad":
		ncfg, err := c.Nomad.driverConfig()
		if err != nil {
			return err
		}
		d, err := nomad.NewDriver(ncfg, m.Logger)
		if err != nil {
			return err
		}
		if err := d.Open(); err != nil {
			return err
		}
		m.Driver = d
	default:
		d := local.NewDriver(local.Config{
			DataDir:       c.DataDir,
			Logger:        m.Logger,
			HealthTimeout: orchestrator.Duration(healthTimeout),
			StopGrace:     orchestrator.Duration(stopGrace),
			OnChange: func(in *orchestrator.Instance) {
				svc.RecordRestart(in.GameID, in.Restarts)
			},
		})
		if err := d.Open(); err != nil {
			return err
		}
		m.Driver = d
	}
	svc.Driver, svc.Discovery = m.Driver, m.Driver

	if m.Dev {
		if err := m.registerDevEngine(ctx, st); err != nil {
			return err
		}
	}
	if svc.Events {
		m.Outbox = &orchestrator.Outbox{
			Store:      st,
			Notifier:   &webhook.Notifier{URL: c.Lobby.WebhookURL, Secret: c.Lobby.WebhookSecret},
			Logger:     m.Logger.Named("outbox"),
			OnDelivery: metrics.Delivery,
		}
		svc.Outbox = m.Outbox
	}
	if err := svc.Open(); err != nil {
		return err
	}
	m.Service = svc
	if m.Outbox != nil {
		m.Outbox.Open()
	}

	m.Reconciler = &orchestrator.Reconciler{
		Service:       svc,
		Logger:        m.Logger.Named("reconciler"),
		Interval:      reconcileInterval,
		RemoveOrphans: c.Reconcile.RemoveOrphans,
		OnReport:      metrics.Reconciled,
	}
	m.Reconciler.Open()

	httpCfg := ghttp.Config{
		Addr:                 c.Listen,
		Logger:               m.Logger,
		LobbyToken:           c.LobbyToken,
		AdminToken:           c.AdminToken,
		GameService:          svc,
		PlayerService:        svc,
		EngineVersionService: svc,
		ReconcileService:     m.Reconciler,
		Metrics:              promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Ready: func(ctx context.Context) error {
			return st.View(ctx, func(orchestrator.Tx) error { return nil })
		},
	}
	if c.TLS != nil {
		httpCfg.TLSCertFile, httpCfg.TLSKeyFile = c.TLS.CertFile, c.TLS.KeyFile
	}
	m.HTTP = ghttp.NewServer(httpCfg)
	if err := m.HTTP.Open(); err != nil {
		return err
	}
	if c.LobbyToken == "" {
		m.Logger.Warn("running WITHOUT API tokens: anyone who can reach " + m.HTTP.URL() + " controls every game; this is only allowed with -dev on loopback")
	}
	m.Logger.Info("galaxyd ready", "url", m.HTTP.URL(), "driver", c.Driver, "data_dir", c.DataDir, "dev", m.Dev)
	return nil
}

// registerDevEngine makes the reference engine available as DevEngineVersion.
func (m *Main) registerDevEngine(ctx context.Context, st orchestrator.Store) error {
	cmd := m.EngineCommand
	if cmd == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		cmd = filepath.Join(filepath.Dir(self), "galaxy-engine")
	}
	cmd, err := exec.LookPath(cmd)
	if err != nil {
		return fmt.Errorf("-dev needs the reference engine next to galaxyd (run `make build`): %w", err)
	}
	if cmd, err = filepath.Abs(cmd); err != nil {
		return err
	}
	return st.Update(ctx, func(tx orchestrator.Tx) error {
		v, err := tx.EngineVersion(DevEngineVersion)
		if err != nil && orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
			return err
		}
		now := time.Now().UTC()
		if v == nil {
			v = &orchestrator.EngineVersion{Version: DevEngineVersion, Enabled: true, Notes: "reference engine (registered by -dev)", CreatedAt: now}
		} else if v.Command == cmd {
			return nil
		}
		v.Command, v.UpdatedAt = cmd, now
		m.Logger.Info("registered the reference engine", "version", DevEngineVersion, "command", cmd)
		return tx.PutEngineVersion(v)
	})
}

// Close shuts down in reverse order: the API stops taking requests, the service stops
// its workers (queued operations stay in the store), engines are stopped, the store is
// closed last.
func (m *Main) Close() error {
	var errs []error
	if m.HTTP != nil {
		errs = append(errs, m.HTTP.Close())
	}
	if m.Reconciler != nil {
		m.Reconciler.Close()
	}
	if m.Outbox != nil {
		m.Outbox.Close()
	}
	if m.Service != nil {
		errs = append(errs, m.Service.Close())
	}
	if m.Driver != nil {
		errs = append(errs, m.Driver.Close())
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}
