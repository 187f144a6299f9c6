package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/galaxy-orchestrator/galaxy/local"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
)

// Config is galaxyd's configuration: an HCL file (-config), then flags on top.
// Secrets may also come from the environment (GALAXY_LOBBY_TOKEN, GALAXY_ADMIN_TOKEN),
// which wins over the file so a file can be shared without them.
//
// LoadConfig decodes the file once, by the hcl tags, straight into the types that use
// the values: durations are orchestrator.Duration, decoded from text ("30s"), and the
// local and nomad blocks are the drivers' own Config structs. A bad value is an error
// with its position in the file; nothing is parsed again later.
type Config struct {
	// Listen is the API's address (default 127.0.0.1:8080).
	Listen string `hcl:"listen,optional"`
	// DataDir holds the bbolt file and, with the local driver, the engines' state.
	DataDir string `hcl:"data_dir,optional"`
	// Driver is "local" (engines as child processes) or "nomad".
	Driver   string `hcl:"driver,optional"`
	LogLevel string `hcl:"log_level,optional"`
	LogJSON  bool   `hcl:"log_json,optional"`

	LobbyToken string `hcl:"lobby_token,optional"`
	AdminToken string `hcl:"admin_token,optional"`

	TLS       *TLSConfig      `hcl:"tls,block"`
	Lobby     *LobbyConfig    `hcl:"lobby,block"`
	Ops       OpsConfig       `hcl:"operations,block"`
	Reconcile ReconcileConfig `hcl:"reconcile,block"`
	Drain     DrainConfig     `hcl:"drain,block"`
	Archive   ArchiveConfig   `hcl:"archive,block"`
	Idle      IdleConfig      `hcl:"idle,block"`
	// Local is the `local { ... }` block, decoded straight into the local driver's
	// configuration: see local.Config for each key, its unit and default. Run fills
	// what the file does not say (data dir, logger, callbacks); engine_dirs defaults to
	// the directory of galaxyd's binary, and of -engine-command with -dev.
	Local local.Config `hcl:"local,block"`
	// Nomad is the `nomad { ... }` block (see NomadConfig).
	Nomad *NomadConfig `hcl:"nomad,block"`

	// ranges locate every key and block decoded from the file ("idle.after"), so that
	// checks made after decoding point at the culprit too.
	ranges map[string]hcl.Range
}

// ArchiveConfig says where games' snapshots live off their nodes (DESIGN §10).
type ArchiveConfig struct {
	// URL is file:///abs/dir (default: file://<data_dir>/archive), s3://bucket?region=…
	// (any S3-compatible store; credentials from the AWS environment), gs://bucket or
	// azblob://container; "off" disables the archive (and with it restores, transfer,
	// drain, rollback, export and sleep).
	URL string `hcl:"url,optional"`
	// Timeout bounds one snapshot and its write (default 30s).
	Timeout orchestrator.Duration `hcl:"timeout,optional"`
	// Retention: every snapshot is kept for KeepAll (default: forever), and of older
	// ones every KeepEvery-th turn (default 10).
	Retention RetentionConfig `hcl:"retention,block"`
}

// RetentionConfig is the archive's retention.
type RetentionConfig struct {
	KeepAll   orchestrator.Duration `hcl:"keep_all,optional"`
	KeepEvery int                   `hcl:"keep_every,optional"`
}

// retention is r for the service, with its default.
func (r RetentionConfig) retention() orchestrator.Retention {
	keepEvery := r.KeepEvery
	if keepEvery <= 0 {
		keepEvery = 10
	}
	return orchestrator.Retention{KeepAll: r.KeepAll.Std(), KeepEvery: keepEvery}
}

// DefaultIdleAfter is idle.after on Nomad: the simulated day (README "Engines that
// sleep") ran 6% of 1,000 games' engines with 5m against 14% with 15m, for a few more
// wakes of ~60 ms each.
const DefaultIdleAfter = 5 * time.Minute

// IdleConfig puts engines to sleep between turns (DESIGN §11).
type IdleConfig struct {
	// After is how long an engine may serve no call before it sleeps ("0": never;
	// default, when nil, DefaultIdleAfter on Nomad and never on the local driver).
	After *orchestrator.Duration `hcl:"after,optional"`
	// WakeAhead: the scheduler wakes an engine this long before its turn (default 2m),
	// and no engine sleeps with a turn due within it.
	WakeAhead orchestrator.Duration `hcl:"wake_ahead,optional"`
	// WakeTimeout bounds how long a player's call waits for a wake (default 30s; then 503).
	WakeTimeout orchestrator.Duration `hcl:"wake_timeout,optional"`
	// ReleaseVolume also gives a sleeping game's volume back to the cluster.
	ReleaseVolume bool `hcl:"release_volume,optional"`
}

// idle is i for the service (zero durations take the service's defaults).
func (i IdleConfig) idle() orchestrator.Idle {
	var after time.Duration
	if i.After != nil {
		after = i.After.Std()
	}
	return orchestrator.Idle{After: after, WakeAhead: i.WakeAhead.Std(), WakeTimeout: i.WakeTimeout.Std(), ReleaseVolume: i.ReleaseVolume}
}

// DrainConfig tunes how games leave drained and lost nodes (Nomad only).
type DrainConfig struct {
	// MaxParallel bounds the transfers under way at once (default 4).
	MaxParallel int `hcl:"max_parallel,optional"`
	// NodeLostAfter is how long a node may be down before its games are restored
	// elsewhere from the archive (default 5m).
	NodeLostAfter orchestrator.Duration `hcl:"node_lost_after,optional"`
}

// ReconcileConfig tunes the reconciler.
type ReconcileConfig struct {
	// Interval between passes (default 30s).
	Interval orchestrator.Duration `hcl:"interval,optional"`
	// RemoveOrphans removes engines that belong to no game, with their state.
	RemoveOrphans bool `hcl:"remove_orphans,optional"`
}

// TLSConfig enables HTTPS for the API.
type TLSConfig struct {
	CertFile string `hcl:"cert_file"`
	KeyFile  string `hcl:"key_file"`
}

// LobbyConfig is where lobby notifications go.
type LobbyConfig struct {
	WebhookURL    string `hcl:"webhook_url,optional"`
	WebhookSecret string `hcl:"webhook_secret,optional"`
}

// OpsConfig sizes the worker pool and bounds engine calls. Zero values take the
// service's defaults (see orchestrator.Config).
type OpsConfig struct {
	Workers int `hcl:"workers,optional"`
	// MaxWorkers bounds the workers added while operations wait (default 10000): the
	// turns of a rush falling due together are called at once.
	MaxWorkers    int                   `hcl:"max_workers,optional"`
	QueueSize     int                   `hcl:"queue_size,optional"`
	EngineTimeout orchestrator.Duration `hcl:"engine_timeout,optional"`
	// PlayerTimeout bounds one player call to an engine (default 5s): a player gets a
	// coded answer fast instead of waiting on a hung engine.
	PlayerTimeout orchestrator.Duration `hcl:"player_timeout,optional"`
	StartTimeout  orchestrator.Duration `hcl:"start_timeout,optional"`
	// TurnAttempts and TurnBackoff bound the retries of a failing turn within its slot
	// (default 4 attempts, 2s doubled between them).
	TurnAttempts int                   `hcl:"turn_attempts,optional"`
	TurnBackoff  orchestrator.Duration `hcl:"turn_backoff,optional"`
}

// service is the part of the orchestrator's configuration that the file sets: the
// operations' limits, the archive's timeout and retention, and when engines sleep.
// Run adds the dependencies.
func (c *Config) service() orchestrator.Config {
	return orchestrator.Config{
		Workers:        c.Ops.Workers,
		MaxWorkers:     c.Ops.MaxWorkers,
		QueueSize:      c.Ops.QueueSize,
		EngineTimeout:  c.Ops.EngineTimeout.Std(),
		PlayerTimeout:  c.Ops.PlayerTimeout.Std(),
		StartTimeout:   c.Ops.StartTimeout.Std(),
		TurnAttempts:   c.Ops.TurnAttempts,
		TurnBackoff:    c.Ops.TurnBackoff.Std(),
		ArchiveTimeout: c.Archive.Timeout.Std(),
		Retention:      c.Archive.Retention.retention(),
		Idle:           c.Idle.idle(),
	}
}

// LoadConfig reads an HCL file (JSON syntax if its name ends in .json) and decodes it
// once. Unknown keys, values of the wrong type and bad durations are errors that
// name the key and its position ("galaxyd.hcl:3,12-17: ... idle.after: invalid
// duration"), every one of them, one a line.
func LoadConfig(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	src = escapeNomadRefs(src)
	var file *hcl.File
	var diags hcl.Diagnostics
	if filepath.Ext(path) == ".json" {
		file, diags = hcljson.Parse(src, path)
	} else {
		file, diags = hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("config: %w", diagsError(diags))
	}
	c := &Config{ranges: map[string]hcl.Range{}}
	if diags := decodeBody(file.Body, nil, "", c, c.ranges); diags.HasErrors() {
		return nil, fmt.Errorf("config: %w", diagsError(diags))
	}
	if c.Nomad != nil {
		c.Nomad.ranges = c.ranges
	}
	return c, nil
}

// nomadRef matches a Nomad runtime reference such as ${node.class} or ${attr.os.name}
// that is not already escaped as $${...}.
var nomadRef = regexp.MustCompile(`(^|[^$])\$\{((?:node|attr|meta|NOMAD_)[^}]*)\}`)

// escapeNomadRefs lets operators write constraints as in a job file
// (attribute = "${node.class}"): to HCL that is an interpolation of an unknown
// variable, so such references are passed through literally for Nomad to resolve.
func escapeNomadRefs(src []byte) []byte {
	return nomadRef.ReplaceAll(src, []byte("$1$$$${$2}"))
}

// applyDefaults fills what neither the file nor the flags set.
func (c *Config) applyDefaults(dev bool) {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:8080"
	}
	if c.DataDir == "" && dev {
		c.DataDir = ".galaxy"
	}
	if c.Driver == "" {
		c.Driver = "local"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	if c.Idle.After == nil && c.Driver == "nomad" {
		// A Nomad allocation per idle game is what sleep saves; a local engine is one
		// small process on a machine someone is watching, so there it stays awake.
		after := orchestrator.Duration(DefaultIdleAfter)
		c.Idle.After = &after
	}
	if v := os.Getenv("GALAXY_LOBBY_TOKEN"); v != "" {
		c.LobbyToken = v
	}
	if v := os.Getenv("GALAXY_ADMIN_TOKEN"); v != "" {
		c.AdminToken = v
	}
}

// MinTokenLength is the shortest API token accepted outside -dev: a bearer token is a
// password that never expires, and 32 characters (`openssl rand -hex 16`) is the least
// that no one guesses.
const MinTokenLength = 32

// checkFile looks at the config file's permissions: world-writable is refused outside
// -dev (anyone could point galaxyd at their own engine), and a file that holds secrets
// readable by group or others draws a warning, returned for the log.
func (c *Config) checkFile(path string, dev bool) (warnings []string, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	mode := fi.Mode().Perm()
	if mode&0o002 != 0 {
		if !dev {
			return nil, fmt.Errorf("config %s is world-writable (mode %04o): anyone on this machine could change it; chmod 0600 it", path, mode)
		}
		warnings = append(warnings, fmt.Sprintf("config %s is world-writable (mode %04o); chmod 0600 it", path, mode))
	}
	secrets := c.LobbyToken != "" || c.AdminToken != "" || c.Lobby != nil && c.Lobby.WebhookSecret != ""
	if secrets && mode&0o044 != 0 {
		warnings = append(warnings, fmt.Sprintf("config %s holds tokens and is readable by group or others (mode %04o); chmod 0600 it, or pass the tokens in GALAXY_LOBBY_TOKEN and GALAXY_ADMIN_TOKEN", path, mode))
	}
	return warnings, nil
}

// Validate refuses configurations that would run insecurely or not at all.
func (c *Config) Validate(dev bool) error {
	if c.DataDir == "" {
		return fmt.Errorf("data_dir is required (or run with -dev)")
	}
	switch c.Driver {
	case "local":
	case "nomad":
		if c.Nomad == nil {
			c.Nomad = &NomadConfig{}
		}
		if _, err := c.Nomad.driverConfig(); err != nil {
			return err
		}
	default:
		return fmt.Errorf("driver must be \"local\" or \"nomad\", not %q", c.Driver)
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("listen %q: %v", c.Listen, err)
	}
	if dev {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("-dev binds to loopback only; listen %q is not a loopback address", c.Listen)
		}
	} else if c.LobbyToken == "" || c.AdminToken == "" {
		return fmt.Errorf("lobby_token and admin_token are required (config file, or GALAXY_LOBBY_TOKEN and GALAXY_ADMIN_TOKEN); only -dev may run without them")
	}
	if (c.LobbyToken == "") != (c.AdminToken == "") {
		return fmt.Errorf("set both lobby_token and admin_token, or neither (in -dev only)")
	}
	if c.LobbyToken != "" && c.LobbyToken == c.AdminToken {
		return fmt.Errorf("lobby_token and admin_token must differ")
	}
	if !dev {
		for name, tok := range map[string]string{"lobby_token": c.LobbyToken, "admin_token": c.AdminToken} {
			if len(tok) < MinTokenLength {
				return fmt.Errorf("%s must be at least %d characters (e.g. `openssl rand -hex 32`)", name, MinTokenLength)
			}
		}
	}
	if c.Lobby != nil && c.Lobby.WebhookURL != "" {
		u, err := url.Parse(c.Lobby.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return positioned(c.ranges, "lobby.webhook_url", "lobby.webhook_url must be an http(s) URL")
		}
	}
	return nil
}
