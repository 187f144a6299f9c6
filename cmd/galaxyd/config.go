package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/hashicorp/hcl/v2/hclsimple"
)

// Config is galaxyd's configuration: an HCL file (-config), then flags on top.
// Secrets may also come from the environment (GALAXY_LOBBY_TOKEN, GALAXY_ADMIN_TOKEN),
// which wins over the file so a file can be shared without them.
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

	TLS       *TLSConfig       `hcl:"tls,block"`
	Lobby     *LobbyConfig     `hcl:"lobby,block"`
	Ops       *OpsConfig       `hcl:"operations,block"`
	Local     *LocalConfig     `hcl:"local,block"`
	Reconcile *ReconcileConfig `hcl:"reconcile,block"`
	Nomad     *NomadConfig     `hcl:"nomad,block"`
	Drain     *DrainConfig     `hcl:"drain,block"`
	Archive   *ArchiveConfig   `hcl:"archive,block"`
	Idle      *IdleConfig      `hcl:"idle,block"`
}

// ArchiveConfig says where games' snapshots live off their nodes (DESIGN §10).
type ArchiveConfig struct {
	// URL is file:///abs/dir (default: file://<data_dir>/archive), s3://bucket?region=…
	// (any S3-compatible store; credentials from the AWS environment), gs://bucket or
	// azblob://container; "off" disables the archive (and with it restores, transfer,
	// drain, rollback, export and sleep).
	URL string `hcl:"url,optional"`
	// Timeout bounds one snapshot and its write (default 30s).
	Timeout string `hcl:"timeout,optional"`
	// Retention: every snapshot is kept for KeepAll (default: forever), and of older
	// ones every KeepEvery-th turn (default 10).
	Retention *RetentionConfig `hcl:"retention,block"`
}

// RetentionConfig is the archive's retention.
type RetentionConfig struct {
	KeepAll   string `hcl:"keep_all,optional"`
	KeepEvery int    `hcl:"keep_every,optional"`
}

// IdleConfig puts engines to sleep between turns (DESIGN §11).
type IdleConfig struct {
	// After is how long an engine may serve no call before it sleeps ("0": never;
	// default 15m on Nomad, never on the local driver).
	After string `hcl:"after,optional"`
	// WakeAhead: the scheduler wakes an engine this long before its turn (default 2m),
	// and no engine sleeps with a turn due within it.
	WakeAhead string `hcl:"wake_ahead,optional"`
	// WakeTimeout bounds how long a player's call waits for a wake (default 30s; then 503).
	WakeTimeout string `hcl:"wake_timeout,optional"`
	// ReleaseVolume also gives a sleeping game's volume back to the cluster.
	ReleaseVolume bool `hcl:"release_volume,optional"`
}

// DrainConfig tunes how games leave drained and lost nodes (Nomad only).
type DrainConfig struct {
	// MaxParallel bounds the transfers under way at once (default 4).
	MaxParallel int `hcl:"max_parallel,optional"`
	// NodeLostAfter is how long a node may be down before its games are restored
	// elsewhere from the archive (default 5m).
	NodeLostAfter string `hcl:"node_lost_after,optional"`
}

// ReconcileConfig tunes the reconciler.
type ReconcileConfig struct {
	// Interval between passes (default 30s).
	Interval string `hcl:"interval,optional"`
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

// OpsConfig sizes the worker pool and bounds engine calls.
type OpsConfig struct {
	Workers int `hcl:"workers,optional"`
	// MaxWorkers bounds the workers added while operations wait (default 10000): the
	// turns of a rush falling due together are called at once.
	MaxWorkers    int    `hcl:"max_workers,optional"`
	QueueSize     int    `hcl:"queue_size,optional"`
	EngineTimeout string `hcl:"engine_timeout,optional"`
	// PlayerTimeout bounds one player call to an engine (default 5s): a player gets a
	// coded answer fast instead of waiting on a hung engine.
	PlayerTimeout string `hcl:"player_timeout,optional"`
	StartTimeout  string `hcl:"start_timeout,optional"`
	// TurnAttempts and TurnBackoff bound the retries of a failing turn within its slot
	// (default 4 attempts, 2s doubled between them).
	TurnAttempts int    `hcl:"turn_attempts,optional"`
	TurnBackoff  string `hcl:"turn_backoff,optional"`
}

// LocalConfig tunes the local driver.
type LocalConfig struct {
	HealthTimeout string `hcl:"health_timeout,optional"`
	StopGrace     string `hcl:"stop_grace,optional"`
	// EngineDirs are the only directories engine commands may live in (default: the
	// directory of galaxyd's binary, and of -engine-command with -dev).
	EngineDirs []string `hcl:"engine_dirs,optional"`
}

// LoadConfig reads an HCL file.
func LoadConfig(path string) (*Config, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c Config
	// hclsimple picks the syntax by extension; a file without one is read as HCL.
	name := path
	if ext := filepath.Ext(name); ext != ".json" && ext != ".hcl" {
		name += ".hcl"
	}
	if err := hclsimple.Decode(name, escapeNomadRefs(src), nil, &c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &c, nil
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
	if c.Ops == nil {
		c.Ops = &OpsConfig{}
	}
	if c.Local == nil {
		c.Local = &LocalConfig{}
	}
	if c.Reconcile == nil {
		c.Reconcile = &ReconcileConfig{}
	}
	if c.Drain == nil {
		c.Drain = &DrainConfig{}
	}
	if c.Archive == nil {
		c.Archive = &ArchiveConfig{}
	}
	if c.Archive.Retention == nil {
		c.Archive.Retention = &RetentionConfig{}
	}
	if c.Idle == nil {
		c.Idle = &IdleConfig{}
	}
	if c.Idle.After == "" && c.Driver == "nomad" {
		// A Nomad allocation per idle game is what sleep saves; a local engine is one
		// small process on a machine someone is watching, so there it stays awake.
		c.Idle.After = "15m"
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
			return fmt.Errorf("lobby.webhook_url must be an http(s) URL")
		}
	}
	for name, v := range map[string]string{
		"operations.engine_timeout": c.Ops.EngineTimeout, "operations.start_timeout": c.Ops.StartTimeout,
		"operations.player_timeout": c.Ops.PlayerTimeout,
		"operations.turn_backoff":   c.Ops.TurnBackoff,
		"local.health_timeout":      c.Local.HealthTimeout, "local.stop_grace": c.Local.StopGrace,
		"reconcile.interval": c.Reconcile.Interval, "drain.node_lost_after": c.Drain.NodeLostAfter,
		"archive.timeout": c.Archive.Timeout, "archive.retention.keep_all": c.Archive.Retention.KeepAll,
		"idle.after": c.Idle.After, "idle.wake_ahead": c.Idle.WakeAhead, "idle.wake_timeout": c.Idle.WakeTimeout,
	} {
		if _, err := parseDuration(v); err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	return nil
}

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q", s)
	}
	return d, nil
}
