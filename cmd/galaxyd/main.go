// Command galaxyd is the Galaxy orchestrator daemon: it runs one engine per game
// (local child processes with -dev, or Nomad jobs), drives turns on each game's
// schedule and serves the HTTP API the lobby and galaxyctl use.
package main

import (
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/galaxy-orchestrator/galaxy/archive"
	"github.com/galaxy-orchestrator/galaxy/engine"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/internal/buildinfo"
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
	store.RunVerifyChild() // galaxyd checks store files in a child of itself
	m := NewMain()
	if err := m.ParseFlags(context.Background(), os.Args[1:]); errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	} else if errors.Is(err, errVersion) {
		fmt.Print(buildinfo.Get().String("galaxyd"))
		return
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
	// Recover rebuilds an empty or lost store from the archive's game records
	// (-recover-from-state) instead of refusing to start over existing games.
	Recover bool
	// Stderr receives the logs (os.Stderr by default).
	Stderr *os.File
	// Clock is the time source of everything Run wires that reads time: the service
	// (schedules, turns, retries, sleep), the outbox, the reconciler, the drainer, the
	// driver, the archive's snapshot stamps, the webhook's timestamps and -dev's
	// engine registration; NewMain sets the system clock. Set it before Run: a
	// benchmark runs a whole galaxyd on a compressed clock this way. (The store, the
	// HTTP API's logs and backups' names still read the system clock.)
	Clock orchestrator.Clock
	// warnings found while parsing the configuration, logged once the logger exists.
	warnings []string

	Logger hclog.Logger
	Store  *store.Store
	// Driver runs the engines: the local driver or the Nomad driver.
	Driver     Driver
	Service    *orchestrator.Service
	Outbox     *orchestrator.Outbox
	Feed       *orchestrator.Feed
	Reconciler *orchestrator.Reconciler
	// Drainer follows a cluster driver's nodes (nil on the local driver).
	Drainer *orchestrator.Drainer
	// Archive keeps games' snapshots off their nodes (nil when off).
	Archive *archive.Archive
	HTTP    *ghttp.Server
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
	return &Main{Stderr: os.Stderr, Clock: orchestrator.SystemClock{}}
}

// errVersion is ParseFlags' answer to -version: print the build and exit.
var errVersion = errors.New("version requested")

// ParseFlags reads the config file named by -config and then applies the flags on top.
func (m *Main) ParseFlags(_ context.Context, args []string) error {
	fs := flag.NewFlagSet("galaxyd", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version, commit and build date and exit")
	fs.StringVar(&m.ConfigPath, "config", "", "HCL configuration file")
	fs.BoolVar(&m.Dev, "dev", false, "development mode: local driver, data in ./.galaxy, loopback only, tokens optional")
	listen := fs.String("listen", "", "API listen address (default 127.0.0.1:8080)")
	dataDir := fs.String("data-dir", "", "data directory (bbolt file and local engine state)")
	driver := fs.String("driver", "", `engine driver: "local" or "nomad"`)
	logLevel := fs.String("log-level", "", "trace, debug, info, warn or error")
	logJSON := fs.Bool("log-json", false, "log as JSON lines")
	fs.BoolVar(&m.Recover, "recover-from-state", false, "rebuild a lost or empty store from the archive's game records and the engines' state")
	fs.StringVar(&m.EngineCommand, "engine-command", "", "reference engine binary for -dev (default: galaxy-engine next to galaxyd)")
	if err := fs.Parse(args); err != nil {
		return err
	} else if *showVersion {
		return errVersion
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if m.ConfigPath != "" {
		c, err := LoadConfig(m.ConfigPath)
		if err != nil {
			return err
		}
		if m.warnings, err = c.checkFile(m.ConfigPath, m.Dev); err != nil {
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
	for _, w := range m.warnings {
		m.Logger.Warn(w)
	}
	if err := privateDataDir(c.DataDir); err != nil {
		return err
	}
	// The metrics exist before the store so that its first failed write is counted.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var metrics *orchestrator.Metrics
	dbPath := filepath.Join(c.DataDir, "galaxy.db")
	fresh, err := checkStoreFile(ctx, dbPath)
	if err != nil {
		return err
	}
	if c.Driver == "local" {
		ids, err := local.StoredGames(c.DataDir)
		if err != nil {
			return fmt.Errorf("list engine state: %w", err)
		}
		if fresh && len(ids) > 0 && !m.Recover {
			return refuseEmptyStore(dbPath, "the data directory", ids)
		}
	}
	st, err := store.Open(dbPath, store.WithOnError(func(err error) { metrics.StoreError(err) }))
	if err != nil {
		return err
	}
	m.Store = st

	metrics = orchestrator.NewMetrics(reg, st, func(ctx context.Context) (int, error) { return m.Outbox.Depth(ctx) })

	// The drivers report engines that changed by themselves to the service's monitor,
	// which exists only once the driver does.
	var svc *orchestrator.Service
	observe := func(in *orchestrator.Instance) {
		if svc != nil {
			svc.Observe(in)
		}
	}
	driverError := func(backend, call string, _ error) { metrics.DriverError(backend, call) }
	engineDirs, err := m.engineDirs(c)
	if err != nil {
		return err
	}
	switch c.Driver {
	case "nomad":
		ncfg, err := c.Nomad.driverConfig()
		if err != nil {
			return err
		}
		ncfg.OnChange, ncfg.OnCallError = observe, driverError
		d, err := nomad.NewDriver(ncfg, m.Logger)
		if err != nil {
			return err
		}
		d.Clock = m.Clock
		if err := d.Open(); err != nil {
			return err
		}
		m.Driver = d
	default:
		lcfg := c.Local
		lcfg.DataDir, lcfg.Logger, lcfg.EngineDirs = c.DataDir, m.Logger, engineDirs
		lcfg.OnChange, lcfg.OnCallError, lcfg.Now = observe, driverError, m.Clock.Now
		d := local.NewDriver(lcfg)
		if err := d.Open(); err != nil {
			return err
		}
		m.Driver = d
	}
	if c.Driver == "nomad" && !m.Recover {
		if err := m.refuseEmptyOverCluster(ctx, dbPath); err != nil {
			return err
		}
	}
	if m.Dev {
		if err := m.registerDevEngine(ctx, st); err != nil {
			return err
		}
	}
	// Every state change the lobby hears of is in the event log: delivered to the
	// lobby's webhook when there is one, streamed to consoles by the feed, pruned after.
	m.Outbox = &orchestrator.Outbox{Store: st, Logger: m.Logger.Named("outbox"), Clock: m.Clock, OnDelivery: metrics.Delivery}
	if c.Lobby != nil && c.Lobby.WebhookURL != "" {
		m.Outbox.Notifier = &webhook.Notifier{URL: c.Lobby.WebhookURL, Secret: c.Lobby.WebhookSecret, Now: m.Clock.Now}
	}
	m.Feed = orchestrator.NewFeed(st)
	arch, err := m.openArchive(ctx)
	if err != nil {
		return err
	}
	scfg := c.service()
	if arch == nil && scfg.Idle.After > 0 {
		m.Logger.Warn("engines do not sleep without an archive (archive.url = off)")
		scfg.Idle.After = 0
	}
	scfg.Store, scfg.Driver, scfg.Discovery = st, m.Driver, m.Driver
	scfg.Engines = func(ep, token string) orchestrator.EngineClient { return engine.NewClient(ep, token) }
	scfg.Logger, scfg.Clock = m.Logger.Named("orchestrator"), m.Clock
	scfg.Metrics, scfg.Outbox, scfg.Feed = metrics, m.Outbox, m.Feed
	scfg.Archive = archiveOrNil(arch)
	svc = orchestrator.NewService(scfg)
	if m.Recover {
		if err := m.recoverFromArchive(ctx, arch); err != nil {
			return err
		}
	}
	if err := svc.Open(); err != nil {
		return err
	}
	m.Service = svc
	m.Outbox.Open()

	m.Reconciler = orchestrator.NewReconciler(st, m.Driver, svc)
	m.Reconciler.Logger, m.Reconciler.Clock = m.Logger.Named("reconciler"), m.Clock
	m.Reconciler.RemoveOrphans = c.Reconcile.RemoveOrphans
	m.Reconciler.OnReport = metrics.Reconciled
	m.Reconciler.Archiving = arch != nil
	if c.Reconcile.Interval > 0 {
		m.Reconciler.Interval = c.Reconcile.Interval.Std()
	}
	if err := m.Reconciler.Open(); err != nil {
		return err
	}
	if nd, ok := m.Driver.(orchestrator.NodeDriver); ok {
		m.Drainer = orchestrator.NewDrainer(nd, st, svc)
		m.Drainer.Logger, m.Drainer.Clock = m.Logger.Named("drainer"), m.Clock
		if c.Drain.MaxParallel > 0 {
			m.Drainer.MaxParallel = c.Drain.MaxParallel
		}
		if c.Drain.NodeLostAfter > 0 {
			m.Drainer.NodeLostAfter = c.Drain.NodeLostAfter.Std()
		}
		if err := m.Drainer.Open(); err != nil {
			return err
		}
	}

	httpCfg := ghttp.Config{
		Addr:                 c.Listen,
		Logger:               m.Logger,
		LobbyToken:           c.LobbyToken,
		AdminToken:           c.AdminToken,
		LoopbackOnly:         m.Dev,
		GameService:          svc,
		PlayerService:        svc,
		EngineVersionService: svc,
		ViewService:          svc,
		ArchiveService:       svc,
		ReconcileService:     m.Reconciler,
		Metrics:              promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
		Backup:               st.Backup,
		EventFeed:            m.Feed,
		// Ready while the store reads and its last write went through: a full disk
		// takes galaxyd out of rotation, with the reason.
		Ready: func(ctx context.Context) error {
			if err := st.Healthy(); err != nil {
				return err
			}
			return st.View(ctx, func(orchestrator.Tx) error { return nil })
		},
	}
	if m.Drainer != nil {
		httpCfg.NodeService = m.Drainer
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

// engineDirs are where the local driver lets engine commands live: local.engine_dirs,
// or else the directory of galaxyd's own binary and, with -dev, that of -engine-command.
// An engine version's command elsewhere is refused at registration: a page that
// reached a token-less -dev galaxyd could otherwise name any program to run.
func (m *Main) engineDirs(c *Config) ([]string, error) {
	if len(c.Local.EngineDirs) > 0 {
		return c.Local.EngineDirs, nil
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	dirs := []string{filepath.Dir(self)}
	if m.EngineCommand != "" {
		if abs, err := filepath.Abs(m.EngineCommand); err == nil {
			dirs = append(dirs, filepath.Dir(abs))
		}
	}
	return dirs, nil
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
	schema := settingsSchema(ctx, cmd)
	if schema == nil {
		m.Logger.Warn("the reference engine publishes no settings schema; game settings are not checked at create", "command", cmd)
	}
	return st.Update(ctx, func(tx orchestrator.Tx) error {
		v, err := tx.EngineVersion(DevEngineVersion)
		if err != nil && orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
			return err
		}
		now := m.Clock.Now().UTC()
		if v == nil {
			v = &orchestrator.EngineVersion{Version: DevEngineVersion, Enabled: true, Notes: "reference engine (registered by -dev)", CreatedAt: now}
		} else if v.Command == cmd && bytes.Equal(v.SettingsSchema, schema) {
			return nil
		}
		v.Command, v.SettingsSchema, v.UpdatedAt = cmd, schema, now
		m.Logger.Info("registered the reference engine", "version", DevEngineVersion, "command", cmd)
		return tx.PutEngineVersion(v)
	})
}

// settingsSchema asks an engine binary for the JSON Schema of its settings
// (`-settings-schema`); nil when it has none to give.
func settingsSchema(ctx context.Context, cmd string) json.RawMessage {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cmd, "-settings-schema").Output()
	if err != nil || !json.Valid(out) {
		return nil
	}
	var compact bytes.Buffer
	if json.Compact(&compact, out) != nil {
		return nil
	}
	return compact.Bytes()
}

// Close shuts down in reverse order: the API stops taking requests, the service stops
// its workers (queued operations stay in the store), engines are stopped, the store is
// closed last.
func (m *Main) Close() error {
	var errs []error
	if m.HTTP != nil {
		errs = append(errs, m.HTTP.Close())
	}
	if m.Drainer != nil {
		m.Drainer.Close()
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
	if m.Archive != nil {
		errs = append(errs, m.Archive.Close())
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	return errors.Join(errs...)
}
