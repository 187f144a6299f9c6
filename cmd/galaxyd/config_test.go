package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
