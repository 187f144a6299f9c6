package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad"
)

// loadNomadBlock writes text as a config file and decodes its nomad block.
func loadNomadBlock(t *testing.T, text string) (nomad.Config, string, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "galaxyd.hcl")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(p)
	if err != nil {
		return nomad.Config{}, p, err
	}
	if c.Nomad == nil {
		c.Nomad = &NomadConfig{}
	}
	nc, err := c.Nomad.driverConfig()
	return nc, p, err
}

func TestNomadConfig(t *testing.T) {
	t.Run("OKEveryKind", func(t *testing.T) {
		c, _, err := loadNomadBlock(t, `
nomad {
  address         = "https://nomad.example:4646"
  node_pool       = "engines"
  datacenters     = ["dc1", "dc2"]
  engine_uid      = 1000
  request_timeout = "45s"
  wait_time       = "30s"
  kill_timeout    = "1m30s"
  check_interval  = "500ms"
  max_retries     = -1
  tls {
    ca_cert = "/etc/nomad/ca.pem"
  }
  constraint {
    attribute = "${node.class}"
    value     = "engine"
  }
  constraint {
    operator = "distinct_hosts"
  }
  spread {
    attribute = "${node.datacenter}"
    weight    = 80
    target "dc1" {
      percent = 60
    }
  }
  restart {
    attempts = 4
    delay    = "10s"
  }
}
`)
		if err != nil {
			t.Fatal(err)
		}
		if c.Address != "https://nomad.example:4646" || c.NodePool != "engines" || len(c.Datacenters) != 2 || c.EngineUID == nil || *c.EngineUID != 1000 || c.EngineGID != nil {
			t.Errorf("plain keys: got %+v", c)
		}
		if c.RequestTimeout.Std() != 45*time.Second || c.WaitTime.Std() != 30*time.Second || c.KillTimeout.Std() != 90*time.Second || c.CheckInterval.Std() != 500*time.Millisecond {
			t.Errorf("durations: got request %s wait %s kill %s check %s", c.RequestTimeout, c.WaitTime, c.KillTimeout, c.CheckInterval)
		}
		if c.MaxRetries != -1 || c.TLS.CACert != "/etc/nomad/ca.pem" {
			t.Errorf("max_retries %d, tls %+v", c.MaxRetries, c.TLS)
		}
		if len(c.Constraints) != 2 || c.Constraints[0].Attribute != "${node.class}" || c.Constraints[1].Operator != "distinct_hosts" {
			t.Errorf("constraints: got %+v", c.Constraints)
		}
		if len(c.Spreads) != 1 || c.Spreads[0].Weight != 80 || len(c.Spreads[0].Targets) != 1 || c.Spreads[0].Targets[0].Value != "dc1" || c.Spreads[0].Targets[0].Percent != 60 {
			t.Errorf("spreads: got %+v", c.Spreads)
		}
		if c.Restart == nil || c.Restart.Attempts != 4 || c.Restart.Delay.Std() != 10*time.Second {
			t.Errorf("restart: got %+v", c.Restart)
		}
	})

	t.Run("OKNoBlock", func(t *testing.T) {
		if _, _, err := loadNomadBlock(t, "listen = \"127.0.0.1:8080\"\n"); err != nil {
			t.Fatal(err)
		}
	})

	for _, tc := range []struct {
		name, block string
		want        []string // in the error, besides the file name
	}{
		{"ErrDuration", "  kill_timeout = \"forever\"\n", []string{":3,18-27", "nomad.kill_timeout", `"forever"`}},
		{"ErrNegativeDuration", "  wait_time = \"-1s\"\n", []string{":3,15-20", "nomad.wait_time", "negative"}},
		{"ErrUnknownKey", "  node_pol = \"x\"\n", []string{":3,3-11", "node_pol"}},
		{"ErrType", "  cpu = \"lots\"\n", []string{":3,10-14", "nomad.cpu", "number"}},
		{"ErrOutOfRange", "  spread {\n    attribute = \"x\"\n    target \"a\" {\n      percent = 300\n    }\n  }\n", []string{":6,17-20", "nomad.spread[0].target[0].percent"}},
		{"ErrValidate", "  cpu = 100\n  driver = \"podman\"\n", []string{":4,3-20", "nomad.driver", "podman"}},
		{"ErrValidateInBlock", "  restart {\n    mode = \"sometimes\"\n  }\n", []string{":4,5-23", "nomad.restart.mode", "sometimes"}},
		{"ErrWaitTooLong", "  wait_time = \"10m\"\n", []string{":3,3-20", "nomad.wait_time", "at most 5m"}},
		{"ErrDuplicateBlock", "  tls {\n  }\n  tls {\n  }\n", []string{":5,3-6", "Duplicate tls block"}},
		{"ErrTemplateFile", "  template_file = \"/no/such/template.hcl\"\n", []string{":3,3-42", "nomad.template_file", "no such file"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, path, err := loadNomadBlock(t, "driver = \"nomad\"\nnomad {\n"+tc.block+"}\n")
			if err == nil {
				t.Fatalf("got no error, want one naming %q", tc.want)
			}
			for _, w := range append([]string{path + ":"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q: want it to contain %q", err, w)
				}
			}
		})
	}
}
