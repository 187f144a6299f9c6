package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func TestParseFlags(t *testing.T) {
	parse := func(t *testing.T, env map[string]string, args ...string) (*Main, error) {
		t.Helper()
		for _, k := range []string{"GALAXY_LOBBY_TOKEN", "GALAXY_ADMIN_TOKEN"} {
			t.Setenv(k, env[k])
		}
		m := NewMain()
		return m, m.ParseFlags(context.Background(), args)
	}
	writeConfig := func(t *testing.T, text string) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), "galaxyd.hcl")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("OK/DevDefaults", func(t *testing.T) {
		m, err := parse(t, nil, "-dev")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Config.Listen, "127.0.0.1:8080"; got != want {
			t.Fatalf("listen %q, want %q", got, want)
		}
		if got, want := m.Config.DataDir, ".galaxy"; got != want {
			t.Fatalf("data dir %q, want %q", got, want)
		}
		if got, want := m.Config.Driver, "local"; got != want {
			t.Fatalf("driver %q, want %q", got, want)
		}
	})

	t.Run("OK/FlagsWinOverFile", func(t *testing.T) {
		cfg := writeConfig(t, `
listen      = "127.0.0.1:9000"
data_dir    = "/var/lib/galaxyd"
lobby_token = "lobby-from-file-0123456789abcdef0123"
admin_token = "admin-from-file-0123456789abcdef0123"
`)
		m, err := parse(t, map[string]string{"GALAXY_ADMIN_TOKEN": "admin-from-env-0123456789abcdef0123"}, "-config", cfg, "-listen", "127.0.0.1:9100")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Config.Listen, "127.0.0.1:9100"; got != want {
			t.Fatalf("listen %q, want the flag's %q", got, want)
		}
		if got, want := m.Config.DataDir, "/var/lib/galaxyd"; got != want {
			t.Fatalf("data dir %q, want the file's %q", got, want)
		}
		if got, want := m.Config.AdminToken, "admin-from-env-0123456789abcdef0123"; got != want {
			t.Fatalf("admin token %q, want the environment's", got)
		}
	})

	t.Run("OK/NomadBlock", func(t *testing.T) {
		cfg := writeConfig(t, `
driver      = "nomad"
data_dir    = "/tmp/galaxyd"
lobby_token = "lobby-0123456789abcdef0123456789abcdef"
admin_token = "admin-0123456789abcdef0123456789abcdef"
nomad {
  node_pool    = "engines"
  kill_timeout = "45s"
  constraint {
    attribute = "${node.class}"
    value     = "engine"
  }
}
`)
		m, err := parse(t, nil, "-config", cfg)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := m.Config.Nomad.driverConfig()
		if err != nil {
			t.Fatal(err)
		}
		if nc.NodePool != "engines" || nc.KillTimeout.String() != "45s" || len(nc.Constraints) != 1 || nc.Constraints[0].Value != "engine" || nc.Constraints[0].Attribute != "${node.class}" {
			t.Fatalf("nomad config %+v, want node pool, kill timeout and constraint from the file", nc.Config)
		}
	})

	for _, tc := range []struct {
		name, config, want string
		args               []string
		env                map[string]string
	}{
		{name: "ErrNoTokens", args: []string{"-data-dir", "/tmp/x"}, want: "lobby_token and admin_token are required"},
		{name: "ErrOneToken", args: []string{"-data-dir", "/tmp/x"}, env: map[string]string{"GALAXY_ADMIN_TOKEN": strings.Repeat("a", 32)}, want: "required"},
		{name: "ErrSameTokens", args: []string{"-data-dir", "/tmp/x"}, env: map[string]string{"GALAXY_ADMIN_TOKEN": "t", "GALAXY_LOBBY_TOKEN": "t"}, want: "must differ"},
		{name: "ErrDevNotLoopback", args: []string{"-dev", "-listen", "0.0.0.0:8080"}, want: "loopback"},
		{name: "ErrNoDataDir", env: map[string]string{"GALAXY_ADMIN_TOKEN": strings.Repeat("a", 32), "GALAXY_LOBBY_TOKEN": strings.Repeat("l", 32)}, want: "data_dir is required"},
		{name: "ErrShortToken", args: []string{"-data-dir", "/tmp/x"}, env: map[string]string{"GALAXY_ADMIN_TOKEN": "a", "GALAXY_LOBBY_TOKEN": strings.Repeat("l", 32)}, want: "admin_token must be at least 32 characters"},
		{name: "ErrDriver", args: []string{"-dev", "-driver", "kubernetes"}, want: "driver must be"},
		{name: "ErrDuration", config: "operations {\n  engine_timeout = \"soon\"\n}\n", args: []string{"-dev"}, want: "operations.engine_timeout"},
		{name: "ErrNomadDuration", config: "driver = \"nomad\"\nnomad {\n  kill_timeout = \"forever\"\n}\n", args: []string{"-dev"}, want: "nomad.kill_timeout"},
		{name: "ErrWebhookURL", config: "lobby {\n  webhook_url = \"ftp://lobby\"\n}\n", args: []string{"-dev"}, want: "webhook_url"},
		{name: "ErrUnknownKey", config: "lisen = \"x\"\n", args: []string{"-dev"}, want: "lisen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.config != "" {
				args = append([]string{"-config", writeConfig(t, tc.config)}, args...)
			}
			_, err := parse(t, tc.env, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestConfigHygiene: a world-writable config is refused outside -dev, one that holds
// tokens and is readable by others draws a warning, and a world-writable data
// directory is refused before anything is written into it.
func TestConfigHygiene(t *testing.T) {
	for _, k := range []string{"GALAXY_LOBBY_TOKEN", "GALAXY_ADMIN_TOKEN"} {
		t.Setenv(k, "")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "galaxyd.hcl")
	write := func(mode os.FileMode) {
		t.Helper()
		text := "data_dir = \"" + filepath.Join(dir, "data") + "\"\nlobby_token = \"" + strings.Repeat("l", 32) + "\"\nadmin_token = \"" + strings.Repeat("a", 32) + "\"\n"
		if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, mode); err != nil {
			t.Fatal(err)
		}
	}
	write(0o666)
	if err := NewMain().ParseFlags(context.Background(), []string{"-config", cfg}); err == nil || !strings.Contains(err.Error(), "world-writable") {
		t.Fatalf("a world-writable config: %v, want refused", err)
	}
	write(0o644)
	m := NewMain()
	if err := m.ParseFlags(context.Background(), []string{"-config", cfg}); err != nil {
		t.Fatal(err)
	}
	if len(m.warnings) != 1 || !strings.Contains(m.warnings[0], "readable by group or others") {
		t.Fatalf("warnings %q, want one about a readable file holding tokens", m.warnings)
	}
	write(0o600)
	if m := NewMain(); m.ParseFlags(context.Background(), []string{"-config", cfg}) != nil || len(m.warnings) != 0 {
		t.Fatalf("a 0600 config: warnings %q", m.warnings)
	}

	data := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(data, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(data, 0o777); err != nil {
		t.Fatal(err)
	}
	m = NewMain()
	if err := m.ParseFlags(context.Background(), []string{"-dev", "-data-dir", data, "-listen", "127.0.0.1:0", "-engine-command", engineBin}); err != nil {
		t.Fatal(err)
	}
	err := m.Run(context.Background())
	m.Close()
	if err == nil || !strings.Contains(err.Error(), "world-writable") {
		t.Fatalf("a world-writable data dir: %v, want refused", err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Fatalf("refused data dir holds %d entries, want nothing written", len(entries))
	}
}

// TestConfigDurations: the file's durations decode to what time.ParseDuration gave
// them before they became orchestrator.Duration (which is what the old parseDuration
// returned for every valid text), and they reach the service, the reconciler, the
// drainer and the local driver; an absent one is zero, which takes each one's default.
func TestConfigDurations(t *testing.T) {
	for _, k := range []string{"GALAXY_LOBBY_TOKEN", "GALAXY_ADMIN_TOKEN"} {
		t.Setenv(k, "")
	}
	load := func(t *testing.T, text string, args ...string) *Main {
		t.Helper()
		p := filepath.Join(t.TempDir(), "galaxyd.hcl")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		m := NewMain()
		if err := m.ParseFlags(context.Background(), append([]string{"-config", p, "-dev"}, args...)); err != nil {
			t.Fatal(err)
		}
		return m
	}
	parse := func(s string) time.Duration {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}

	t.Run("Every", func(t *testing.T) {
		m := load(t, `
operations {
  engine_timeout = "45s"
  player_timeout = "2500ms"
  start_timeout  = "7m"
  turn_backoff   = "1m30s"
}
local {
  health_timeout      = "20s"
  stop_grace          = "3s"
  restart_backoff_min = "250ms"
  restart_backoff_max = "1h"
}
reconcile {
  interval = "90s"
}
drain {
  node_lost_after = "6m"
}
archive {
  timeout = "40s"
  retention {
    keep_all   = "720h"
    keep_every = 5
  }
}
idle {
  after        = "1h2m3s"
  wake_ahead   = "3m"
  wake_timeout = "31s"
}
`)
		c := &m.Config
		sc := c.service()
		for _, tc := range []struct {
			key  string
			got  time.Duration
			text string
		}{
			{"operations.engine_timeout", sc.EngineTimeout, "45s"},
			{"operations.player_timeout", sc.PlayerTimeout, "2500ms"},
			{"operations.start_timeout", sc.StartTimeout, "7m"},
			{"operations.turn_backoff", sc.TurnBackoff, "1m30s"},
			{"local.health_timeout", c.Local.HealthTimeout.Std(), "20s"},
			{"local.stop_grace", c.Local.StopGrace.Std(), "3s"},
			{"local.restart_backoff_min", c.Local.RestartBackoffMin.Std(), "250ms"},
			{"local.restart_backoff_max", c.Local.RestartBackoffMax.Std(), "1h"},
			{"reconcile.interval", c.Reconcile.Interval.Std(), "90s"},
			{"drain.node_lost_after", c.Drain.NodeLostAfter.Std(), "6m"},
			{"archive.timeout", sc.ArchiveTimeout, "40s"},
			{"archive.retention.keep_all", sc.Retention.KeepAll, "720h"},
			{"idle.after", sc.Idle.After, "1h2m3s"},
			{"idle.wake_ahead", sc.Idle.WakeAhead, "3m"},
			{"idle.wake_timeout", sc.Idle.WakeTimeout, "31s"},
		} {
			if want := parse(tc.text); tc.got != want {
				t.Errorf("%s = %q: decoded %s, want %s", tc.key, tc.text, tc.got, want)
			}
		}
		if sc.Retention.KeepEvery != 5 {
			t.Errorf("archive.retention.keep_every: %d, want 5", sc.Retention.KeepEvery)
		}
	})

	t.Run("Defaults", func(t *testing.T) {
		sc := load(t, "").Config.service()
		if sc.EngineTimeout != 0 || sc.PlayerTimeout != 0 || sc.StartTimeout != 0 || sc.TurnBackoff != 0 || sc.ArchiveTimeout != 0 ||
			sc.Retention.KeepAll != 0 || sc.Idle != (orchestrator.Idle{}) {
			t.Errorf("no file: %+v, want zero durations (the service's defaults) and engines that never sleep on the local driver", sc)
		}
		if sc.Retention.KeepEvery != 10 {
			t.Errorf("keep_every %d, want the default 10", sc.Retention.KeepEvery)
		}
		if got := load(t, "driver = \"nomad\"\n").Config.service().Idle.After; got != 5*time.Minute {
			t.Errorf("idle.after on Nomad: %s, want the default 5m", got)
		}
		if got := load(t, "driver = \"nomad\"\nidle {\n  after = \"0\"\n}\n").Config.service().Idle.After; got != 0 {
			t.Errorf("idle.after = \"0\" on Nomad: %s, want 0 (never), not the default", got)
		}
	})

	t.Run("Run", func(t *testing.T) {
		dir := t.TempDir()
		cfg := filepath.Join(dir, "galaxyd.hcl")
		if err := os.WriteFile(cfg, []byte("reconcile {\n  interval = \"1m30s\"\n}\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := MustRunMain(t, filepath.Join(dir, "data"), "-config", cfg).Reconciler.Interval; got != 90*time.Second {
			t.Errorf("the reconciler's interval %s, want the file's 1m30s", got)
		}
	})
}

// TestConfigDurationErrors: a bad duration in any block is refused with the file's
// name, the value's position in it, the key and the value; in JSON too.
func TestConfigDurationErrors(t *testing.T) {
	for _, k := range []string{"GALAXY_LOBBY_TOKEN", "GALAXY_ADMIN_TOKEN"} {
		t.Setenv(k, "")
	}
	for _, tc := range []struct {
		key, text, bad string // bad is the value as written, quotes included
		json           bool
	}{
		{key: "operations.engine_timeout", text: "operations {\n  workers = 2\n  engine_timeout = \"5x\"\n}\n"},
		{key: "operations.player_timeout", text: "operations {\n  player_timeout = \"5x\"\n}\n"},
		{key: "operations.start_timeout", text: "operations {\n  start_timeout = \"5x\"\n}\n"},
		{key: "operations.turn_backoff", text: "operations {\n  turn_backoff = \"-2s\"\n}\n", bad: `"-2s"`},
		{key: "local.health_timeout", text: "local {\n  health_timeout = \"5x\"\n}\n"},
		{key: "local.stop_grace", text: "local {\n  stop_grace = \"5x\"\n}\n"},
		{key: "local.restart_backoff_max", text: "local {\n  restart_backoff_max = \"5x\"\n}\n"},
		{key: "reconcile.interval", text: "reconcile {\n  interval = \"5x\"\n}\n"},
		{key: "drain.node_lost_after", text: "drain {\n  node_lost_after = \"5x\"\n}\n"},
		{key: "archive.timeout", text: "archive {\n  timeout = \"5x\"\n}\n"},
		{key: "archive.retention.keep_all", text: "archive {\n  retention {\n    keep_all = \"5x\"\n  }\n}\n"},
		{key: "idle.after", text: "listen = \"127.0.0.1:0\"\n\nidle {\n  after = \"5x\"\n}\n"},
		{key: "idle.wake_ahead", text: "idle {\n  wake_ahead = \"5x\"\n}\n"},
		{key: "idle.wake_timeout", text: "idle {\n  wake_timeout = \"5x\"\n}\n"},
		{key: "nomad.kill_timeout", text: "nomad {\n  kill_timeout = \"5x\"\n}\n"},
		{key: "idle.after", text: "{\n  \"idle\": {\n    \"after\": \"5x\"\n  }\n}\n", json: true},
	} {
		name := tc.key
		if tc.json {
			name += "/JSON"
		}
		t.Run(name, func(t *testing.T) {
			bad := tc.bad
			if bad == "" {
				bad = `"5x"`
			}
			// The value's range, as HCL prints it: line,first column-column after it.
			i := strings.Index(tc.text, bad)
			line := strings.Count(tc.text[:i], "\n") + 1
			col := i - strings.LastIndex(tc.text[:i], "\n")
			pos := fmt.Sprintf(":%d,%d-%d: ", line, col, col+len(bad))

			p := filepath.Join(t.TempDir(), "galaxyd.hcl")
			if tc.json {
				p = strings.TrimSuffix(p, ".hcl") + ".json"
			}
			if err := os.WriteFile(p, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			err := NewMain().ParseFlags(context.Background(), []string{"-config", p, "-dev"})
			if err == nil {
				t.Fatalf("got no error, want one about %s", tc.key)
			}
			for _, want := range []string{p + pos, tc.key + ": invalid duration " + bad} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q: want it to contain %q", err, want)
				}
			}
		})
	}

	t.Run("Every", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "galaxyd.hcl")
		text := "idle {\n  after = \"5x\"\n}\nreconcile {\n  interval = \"soon\"\n}\n"
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		err := NewMain().ParseFlags(context.Background(), []string{"-config", p, "-dev"})
		if err == nil {
			t.Fatal("got no error, want two")
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 2 || !strings.Contains(lines[0], p+":2,11-15: ") || !strings.Contains(lines[1], p+":5,14-20: ") {
			t.Errorf("error %q: want both bad durations, each on its line with its position, in file order", err)
		}
	})
}

// TestConfigREADME: the configuration sample in README.md loads as written.
func TestConfigREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n## Configuration\n")
	if ok {
		_, rest, ok = strings.Cut(rest, "```hcl\n")
	}
	sample, _, ok2 := strings.Cut(rest, "```\n")
	if !ok || !ok2 {
		t.Fatal("README.md: no hcl sample under ## Configuration")
	}
	p := filepath.Join(t.TempDir(), "galaxyd.hcl")
	if err := os.WriteFile(p, []byte(sample), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil {
		t.Fatalf("README's sample: %v", err)
	}
	if c.Nomad == nil {
		t.Fatal("README's sample: no nomad block decoded")
	}
	if c.Idle.After == nil || c.Idle.After.Std() != 5*time.Minute || c.Local.StopGrace.Std() != 10*time.Second || c.Nomad.NodePool != "galaxy" {
		t.Errorf("README's sample decoded to idle.after %v, local.stop_grace %s, nomad.node_pool %q", c.Idle.After, c.Local.StopGrace, c.Nomad.NodePool)
	}
}
