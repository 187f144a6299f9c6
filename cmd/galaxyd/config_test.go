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
lobby_token = "lobby-from-file"
admin_token = "admin-from-file"
`)
		m, err := parse(t, map[string]string{"GALAXY_ADMIN_TOKEN": "admin-from-env"}, "-config", cfg, "-listen", "127.0.0.1:9100")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Config.Listen, "127.0.0.1:9100"; got != want {
			t.Fatalf("listen %q, want the flag's %q", got, want)
		}
		if got, want := m.Config.DataDir, "/var/lib/galaxyd"; got != want {
			t.Fatalf("data dir %q, want the file's %q", got, want)
		}
		if got, want := m.Config.AdminToken, "admin-from-env"; got != want {
			t.Fatalf("admin token %q, want the environment's", got)
		}
	})

	t.Run("OK/NomadBlock", func(t *testing.T) {
		cfg := writeConfig(t, `
driver      = "nomad"
data_dir    = "/tmp/galaxyd"
lobby_token = "l"
admin_token = "a"
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
		{name: "ErrOneToken", args: []string{"-data-dir", "/tmp/x"}, env: map[string]string{"GALAXY_ADMIN_TOKEN": "a"}, want: "required"},
		{name: "ErrSameTokens", args: []string{"-data-dir", "/tmp/x"}, env: map[string]string{"GALAXY_ADMIN_TOKEN": "t", "GALAXY_LOBBY_TOKEN": "t"}, want: "must differ"},
		{name: "ErrDevNotLoopback", args: []string{"-dev", "-listen", "0.0.0.0:8080"}, want: "loopback"},
		{name: "ErrNoDataDir", env: map[string]string{"GALAXY_ADMIN_TOKEN": "a", "GALAXY_LOBBY_TOKEN": "l"}, want: "data_dir is required"},
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
