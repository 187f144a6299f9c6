//go:build integration

package nomad_test

import (
	"fmt"
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
	"github.com/hashicorp/nomad/api"
)

// integration is the setup of the suites against real agents (make test-nomad):
// NOMAD_ADDR (and NOMAD_TOKEN...) must point at a cluster whose client runs raw_exec
// (or GALAXY_TEST_NOMAD_DRIVER=exec or =docker) and has the mkdir host volume
// plugin. Discovery is Consul when CONSUL_HTTP_ADDR is set, Nomad-native otherwise.
// The engine binary is built into GALAXY_TEST_ENGINE_DIR (default a temp dir; with
// exec it must be inside the client's chroot_env, e.g. /opt/galaxy) and must be
// readable there by the client. With docker the engine image is built from the
// repository's Dockerfile on this machine, whose Docker daemon the client must use.
type integration struct {
	cfg    nomad.Config
	bin    string // the engine binary (exec, raw_exec)
	broken string // a command that exits at once (exec, raw_exec)
	image  string // the engine image's repository (docker), tagged per version
	nc     *api.Client
}

func setupIntegration(t *testing.T) *integration {
	t.Helper()
	if os.Getenv("NOMAD_ADDR") == "" {
		t.Skip("NOMAD_ADDR is not set: no Nomad cluster to run the integration suite against")
	}
	it := &integration{}
	dir := os.Getenv("GALAXY_TEST_ENGINE_DIR")
	if dir == "" {
		dir = t.TempDir()
		os.Chmod(dir, 0o755)
	}
	it.bin = filepath.Join(dir, "galaxy-engine")
	build := exec.Command("go", "build", "-o", it.bin, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build engine: %v: %s", err, out)
	}
	it.broken = filepath.Join(dir, "galaxy-engine-broken")
	if err := os.WriteFile(it.broken, []byte("#!/bin/sh\necho 'cannot load state.json: corrupt' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := nomad.Config{StartTimeout: orchestrator.Duration(3 * time.Minute), StopTimeout: orchestrator.Duration(time.Minute)}
	cfg.Driver = jobspec.DriverRawExec
	if d := os.Getenv("GALAXY_TEST_NOMAD_DRIVER"); d != "" {
		cfg.Driver = d
	}
	if cfg.Driver == jobspec.DriverDocker {
		it.image = "galaxy-engine-it"
		it.buildImage(t, "0.1.0", "0.1.1")
	}
	cfg.Discovery = jobspec.DiscoveryNomad
	if os.Getenv("CONSUL_HTTP_ADDR") != "" {
		cfg.Discovery = jobspec.DiscoveryConsul
	}
	cfg.Stack = "integration-test"
	// A broken engine fails its allocation after one restart 1 s later, not two
	// 15 s apart: the suite waits for that.
	cfg.Restart = &jobspec.RestartPolicy{Attempts: 1, Interval: orchestrator.Duration(30 * time.Minute), Delay: orchestrator.Duration(time.Second), Mode: "fail"}
	cfg.CheckInterval = orchestrator.Duration(time.Second)
	it.cfg = cfg
	nc, err := api.NewClient(api.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	it.nc = nc
	t.Logf("driver %s, discovery %s, engine %s", cfg.Driver, cfg.Discovery, it.bin)
	return it
}

// buildImage builds the FROM-scratch engine image (the Dockerfile) tagged for each
// version.
func (it *integration) buildImage(t *testing.T, versions ...string) {
	t.Helper()
	if out, err := exec.Command("docker", "info").CombinedOutput(); err != nil {
		t.Fatalf("GALAXY_TEST_NOMAD_DRIVER=docker but no Docker daemon: %v: %s", err, firstLine(out))
	}
	ctxDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ctxDir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(it.bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "bin", "galaxy-engine"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Dockerfile", ".dockerignore"} {
		b, err := os.ReadFile(filepath.Join("..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ctxDir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"build", "-q"}
	for _, v := range versions {
		args = append(args, "-t", it.image+":"+v)
		t.Cleanup(func() { exec.Command("docker", "rmi", "-f", it.image+":"+v).Run() })
	}
	mustDocker(t, append(args, ctxDir)...)
}

// version is an engine version that runs on the configured task driver.
func (it *integration) version(v string) orchestrator.EngineVersion {
	if it.cfg.Driver == jobspec.DriverDocker {
		return orchestrator.EngineVersion{Version: v, ImageRef: it.image + ":" + v, Enabled: true}
	}
	return orchestrator.EngineVersion{Version: v, Command: it.bin, Enabled: true}
}

// brokenVersion passes CheckVersion but does not come up: an image that is not
// there, or a command that exits at once.
func (it *integration) brokenVersion(v string) orchestrator.EngineVersion {
	if it.cfg.Driver == jobspec.DriverDocker {
		return orchestrator.EngineVersion{Version: v, ImageRef: it.image + ":" + v + "-missing", Enabled: true}
	}
	return orchestrator.EngineVersion{Version: v, Command: it.broken, Enabled: true}
}

// TestIntegration runs the driver's scenarios against real agents.
func TestIntegration(t *testing.T) {
	it := setupIntegration(t)
	cfg := it.cfg
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	spec.Version = it.version("0.1.0")
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
		patched.Version = it.version("0.1.1")
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
	// The point 1: the volume goes only once the engine has stopped. The
	// engine is given a shutdown delay, as Nomad's client is slower than the API:
	// a volume deleted as soon as the job's allocations vanish from its listing is
	// deleted under it.
	t.Run("RemoveWithALiveEngine", func(t *testing.T) {
		slow := cfg
		slow.ShutdownDelay = orchestrator.Duration(2 * time.Second)
		ds := MustOpen(t, slow)
		s := newSpec("0.1.0")
		s.Version = it.version("0.1.0")
		t.Cleanup(func() { ds.Remove(ctx(t), s.GameID) })
		live := MustStart(t, ds, s)
		vols, _, err := it.nc.HostVolumes().List(nil, &api.QueryOptions{Prefix: orchestrator.JobName(s.GameID)})
		if err != nil || len(vols) != 1 {
			t.Fatalf("volumes: %v %v", vols, err)
		}
		// Watch the engine and its volume while Remove runs: the volume must never
		// go while the engine still answers.
		done := make(chan struct{})
		bad := make(chan string, 1)
		go func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				_, _, verr := it.nc.HostVolumes().Get(vols[0].ID, nil)
				resp, herr := http.Get(live.Endpoint + "/healthz")
				if herr == nil {
					resp.Body.Close()
				}
				if verr != nil && herr == nil {
					bad <- fmt.Sprintf("volume gone (%v) while the engine at %s still answers", verr, live.Endpoint)
					return
				}
				time.Sleep(5 * time.Millisecond) // a polling interval
			}
		}()
		err = ds.Remove(ctx(t), s.GameID)
		close(done)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case msg := <-bad:
			t.Error(msg)
		default:
		}
		if _, _, err := it.nc.HostVolumes().Get(vols[0].ID, nil); err == nil {
			t.Errorf("volume %s still there after remove", vols[0].ID)
		}
		if err := ds.Remove(ctx(t), s.GameID); err != nil {
			t.Fatalf("second remove: %v", err)
		}
	})
	// The points 6 and 7: the first failing event names the cause, and the
	// failed start's job is stopped.
	t.Run("ErrEngineDoesNotRun", func(t *testing.T) {
		s := newSpec("0.1.2")
		s.Version = it.brokenVersion("0.1.2")
		t.Cleanup(func() { d.Remove(ctx(t), s.GameID) })
		_, err := d.Start(ctx(t), s)
		want := "Exit Code: 1"
		if cfg.Driver == jobspec.DriverDocker {
			want = "Failed to pull `" + s.Version.ImageRef + "`"
		}
		MustErrCode(t, err, orchestrator.EUNAVAILABLE, want, "stopped, its volume kept")
		job, _, err := it.nc.Jobs().Info(orchestrator.JobName(s.GameID), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !*job.Stop {
			t.Errorf("job after the failed start: Stop=false, want it stopped")
		}
	})
	// The point 5: a registered job whose replacement is queued after a
	// drain fails its start at once, naming the placement failure.
	t.Run("ErrUnplaceableAfterRegistration", func(t *testing.T) {
		s := newSpec("0.1.0")
		s.Version = it.version("0.1.0")
		t.Cleanup(func() { d.Remove(ctx(t), s.GameID) })
		inst := MustStart(t, d, s)
		nodeID := inst.NodeID
		if _, err := it.nc.Nodes().UpdateDrain(nodeID, &api.DrainSpec{Deadline: 30 * time.Second, IgnoreSystemJobs: true}, false, nil); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := it.nc.Nodes().UpdateDrainOpts(nodeID, &api.DrainOptions{MarkEligible: true}, nil); err != nil {
				t.Errorf("undrain node %s: %v", nodeID, err)
			}
		})
		eventually(t, time.Minute, func() error {
			a, _, err := it.nc.Allocations().Info(inst.AllocID, nil)
			if err == nil && (a.ClientStatus == api.AllocClientStatusRunning || a.ClientStatus == api.AllocClientStatusPending) {
				err = fmt.Errorf("allocation %s still %s", short(a.ID), a.ClientStatus)
			}
			return err
		})
		t0 := time.Now()
		_, err := d.Start(ctx(t), s)
		t.Logf("failed in %s: %v", time.Since(t0), err)
		MustErrCode(t, err, orchestrator.EUNAVAILABLE, "cannot place job")
	})
	t.Run("ErrPlacement", func(t *testing.T) {
		bad := cfg
		bad.Constraints = []jobspec.Constraint{{Attribute: "${node.class}", Value: "galaxy-no-such-class"}}
		d2 := MustOpen(t, bad)
		s := newSpec("0.1.0")
		s.Version = it.version("0.1.0")
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

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
