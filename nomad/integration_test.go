//go:build integration

package nomad_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// TestIntegration runs the driver's scenarios against real agents (make test-nomad):
// NOMAD_ADDR (and NOMAD_TOKEN...) must point at a cluster whose client runs raw_exec
// (or exec: GALAXY_TEST_NOMAD_DRIVER=exec) and has the mkdir host volume plugin.
// Discovery is Consul when CONSUL_HTTP_ADDR is set, Nomad-native otherwise. The engine
// binary is built into GALAXY_TEST_ENGINE_DIR (default a temp dir; with exec it must
// be inside the client's chroot_env, e.g. /opt/galaxy) and must be readable there by
// the client.
func TestIntegration(t *testing.T) {
	if os.Getenv("NOMAD_ADDR") == "" {
		t.Skip("NOMAD_ADDR is not set: no Nomad cluster to run the integration suite against")
	}
	dir := os.Getenv("GALAXY_TEST_ENGINE_DIR")
	if dir == "" {
		dir = t.TempDir()
		os.Chmod(dir, 0o755)
	}
	bin := filepath.Join(dir, "galaxy-engine")
	build := exec.Command("go", "build", "-o", bin, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build engine: %v: %s", err, out)
	}
	cfg := nomad.Config{StartTimeout: orchestrator.Duration(2 * time.Minute), StopTimeout: orchestrator.Duration(time.Minute)}
	cfg.Driver = jobspec.DriverRawExec
	if d := os.Getenv("GALAXY_TEST_NOMAD_DRIVER"); d != "" {
		cfg.Driver = d
	}
	cfg.Command = bin
	cfg.Discovery = jobspec.DiscoveryNomad
	if os.Getenv("CONSUL_HTTP_ADDR") != "" {
		cfg.Discovery = jobspec.DiscoveryConsul
	}
	cfg.Stack = "integration-test"
	t.Logf("driver %s, discovery %s, engine %s", cfg.Driver, cfg.Discovery, bin)
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	t.Cleanup(func() { d.Remove(ctx(t), spec.GameID) })

	t.Run("Start", func(t *testing.T) {
		t0 := time.Now()
		inst := MustStart(t, d, spec)
		t.Logf("started in %s: %+v", time.Since(t0), inst)
		if st, _ := call(t, "GET", inst.Endpoint+"/healthz", nil); st != http.StatusOK {
			t.Fatalf("healthz: got %d, want 200", st)
		}
		MustInit(t, inst.Endpoint, spec.GameID)
		again := MustStart(t, d, spec)
		if again.AllocID != inst.AllocID {
			t.Errorf("idempotent start: got alloc %s, want %s", again.AllocID, inst.AllocID)
		}
	})
	t.Run("Patch", func(t *testing.T) {
		before := MustStart(t, d, spec)
		patched := spec
		patched.Version.Version = "0.1.1"
		after := MustStart(t, d, patched)
		if after.JobVersion <= before.JobVersion {
			t.Errorf("job version: got %d, want more than %d", after.JobVersion, before.JobVersion)
		}
		if gameID, _ := engineState(t, after.Endpoint); gameID != spec.GameID {
			t.Errorf("state after patch: got game %s, want %s", gameID, spec.GameID)
		}
		spec = patched
	})
	t.Run("StopKeepsVolume", func(t *testing.T) {
		before := MustStart(t, d, spec)
		if err := d.Stop(ctx(t), spec.GameID); err != nil {
			t.Fatal(err)
		}
		after := MustStart(t, d, spec)
		if after.VolumeID != before.VolumeID {
			t.Errorf("volume: got %s, want %s", after.VolumeID, before.VolumeID)
		}
		if gameID, _ := engineState(t, after.Endpoint); gameID != spec.GameID {
			t.Errorf("state after stop/start: got game %s, want %s", gameID, spec.GameID)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		if err := d.Remove(ctx(t), spec.GameID); err != nil {
			t.Fatal(err)
		}
		if err := d.Remove(ctx(t), spec.GameID); err != nil {
			t.Fatalf("second remove: %v", err)
		}
	})
	t.Run("ErrPlacement", func(t *testing.T) {
		bad := cfg
		bad.Constraints = []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy-no-such-class"}}
		d2 := MustOpen(t, bad)
		s := newSpec("0.1.0")
		t.Cleanup(func() { d2.Remove(ctx(t), s.GameID) })
		_, err := d2.Start(ctx(t), s)
		if got, want := orchestrator.ErrorCode(err), orchestrator.EUNAVAILABLE; got != want {
			t.Fatalf("code: got %q, want %q (%v)", got, want, err)
		}
		if !strings.Contains(err.Error(), "galaxy-no-such-class") {
			t.Errorf("error: got %v, want it to name the constraint", err)
		}
	})
}
