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
	Workers       int    `hcl:"workers,optional"`
	QueueSize     int    `hcl:"queue_size,optional"`
	EngineTimeout string `hcl:"engine_timeout,optional"`
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
	if v := os.Getenv("GALAXY_LOBBY_TOKEN"); v != "" {
		c.LobbyToken = v
	}
	if v := os.Getenv("GALAXY_ADMIN_TOKEN"); v != "" {
		c.AdminToken = v
	}
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
	if c.Lobby != nil && c.Lobby.WebhookURL != "" {
		u, err := url.Parse(c.Lobby.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("lobby.webhook_url must be an http(s) URL")
		}
	}
	for name, v := range map[string]string{
		"operations.engine_timeout": c.Ops.EngineTimeout, "operations.start_timeout": c.Ops.StartTimeout,
		"operations.turn_backoff": c.Ops.TurnBackoff,
		"local.health_timeout":    c.Local.HealthTimeout, "local.stop_grace": c.Local.StopGrace,
		"reconcile.interval": c.Reconcile.Interval,
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
