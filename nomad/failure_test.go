package nomad_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

// script writes an executable shell script and returns its path.
func script(tb testing.TB, body string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "engine.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return p
}

// MustErrCode asserts err's code and that its message names every one of want.
func MustErrCode(tb testing.TB, err error, code string, want ...string) {
	tb.Helper()
	if got := orchestrator.ErrorCode(err); got != code {
		tb.Fatalf("code: got %q, want %q (%v)", got, code, err)
	}
	for _, w := range want {
		if got := orchestrator.ErrorMessage(err); !strings.Contains(got, w) {
			tb.Errorf("message: got %q, want it to name %q", got, w)
		}
	}
}

// MustJob reads the game's job behind the driver's back.
func MustJob(tb testing.TB, srv *nomadtest.Server, spec orchestrator.EngineSpec) *api.Job {
	tb.Helper()
	job, _, err := MustNomadClient(tb, srv).Jobs().Info(orchestrator.JobName(spec.GameID), nil)
	if err != nil {
		tb.Fatal(err)
	}
	return job
}

// MustVolumes counts the game's dynamic volumes.
func MustVolumes(tb testing.TB, srv *nomadtest.Server, spec orchestrator.EngineSpec) int {
	tb.Helper()
	vols, _, err := MustNomadClient(tb, srv).HostVolumes().List(nil, &api.QueryOptions{Prefix: orchestrator.JobName(spec.GameID)})
	if err != nil {
		tb.Fatal(err)
	}
	return len(vols)
}

// The point 3: a start that runs out of time names the step and the cause,
// coded, instead of "internal error".
func TestDriver_StartTimeout(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	cfg.StartTimeout = orchestrator.Duration(2 * time.Second)
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	// Runs, never listens: the health check never passes.
	srv.SetEngine(spec.Version.ImageRef, script(t, "exec sleep 60"))

	_, err := d.Start(ctx(t), spec)
	MustErrCode(t, err, orchestrator.EUNAVAILABLE, "pass its health check", "start_timeout (2s) passed")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want it to unwrap to context.DeadlineExceeded", err)
	}
	// The point 7: the job of the failed start is stopped, its volume kept.
	if job := MustJob(t, srv, spec); !*job.Stop {
		t.Errorf("job after a failed start: got Stop=false, want it stopped")
	}
	if got, want := MustVolumes(t, srv, spec), 1; got != want {
		t.Errorf("volumes after a failed start: got %d, want %d (kept)", got, want)
	}
}

// The points 6 and 7: a missing image is named by its first failing event,
// not by the restart policy's "Exceeded allowed attempts", and the failed start
// stops its job.
func TestDriver_StartImagePull(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	spec := newSpec("0.1.2")
	srv.SetEngine(spec.Version.ImageRef, "")

	_, err := d.Start(ctx(t), spec)
	MustErrCode(t, err, orchestrator.EUNAVAILABLE, "Failed to pull `galaxy-engine:0.1.2`", "is failed")
	if msg := orchestrator.ErrorMessage(err); strings.Index(msg, "Failed to pull") > strings.Index(msg, "Exceeded allowed attempts") && strings.Contains(msg, "Exceeded") {
		t.Errorf("message %q: want the pull failure before the restart policy's words", msg)
	}
	if job := MustJob(t, srv, spec); !*job.Stop {
		t.Errorf("job after a failed start: got Stop=false, want it stopped so it does not keep rescheduling")
	}
	if got, want := MustVolumes(t, srv, spec), 1; got != want {
		t.Errorf("volumes after a failed start: got %d, want %d (kept)", got, want)
	}
	// A later start with a good image works on the same volume.
	srv.SetEngine(spec.Version.ImageRef, engineBinary)
	MustStart(t, d, spec)
}

// The point 5: a start of a registered job whose replacement allocation is
// queued (a drain left no eligible node) reports the placement failure at once.
func TestDriver_StartQueuedAfterDrain(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)
	MustInit(t, inst.Endpoint, spec.GameID)
	if err := srv.Drain("fake-1"); err != nil {
		t.Fatal(err)
	}
	_, err := d.Start(ctx(t), spec)
	MustErrCode(t, err, orchestrator.EUNAVAILABLE, "cannot place job", "no eligible node")
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v: want the placement failure, not a timeout", err)
	}
	if job := MustJob(t, srv, spec); !*job.Stop {
		t.Errorf("job after a failed start: got Stop=false, want it stopped")
	}
	// Capacity back: a start places it again, on the same volume and state.
	if err := srv.Undrain("fake-1"); err != nil {
		t.Fatal(err)
	}
	again := MustStart(t, d, spec)
	if gameID, _ := engineState(t, again.Endpoint); gameID != spec.GameID {
		t.Errorf("state after the drain: got game %s, want %s", gameID, spec.GameID)
	}
}

// Task 2.1: a patch whose engine does not come up brings the previous version back
// on the same state, and says so.
func TestDriver_FailedPatchReverts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		broken func(srv *nomadtest.Server, ref string)
		want   string
	}{
		{"ExitsAtOnce", func(srv *nomadtest.Server, ref string) {
			srv.SetEngine(ref, script(t, "echo corrupt state >&2; exit 1"))
		}, "Exit Code: 1"},
		{"ImageMissing", func(srv *nomadtest.Server, ref string) { srv.SetEngine(ref, "") }, "Failed to pull"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := MustServer(t, nomadtest.Options{})
			var seen []*orchestrator.Instance
			obs := make(chan *orchestrator.Instance, 16)
			cfg := testConfig(srv)
			cfg.OnChange = func(in *orchestrator.Instance) { obs <- in }
			d := MustOpen(t, cfg)
			spec := newSpec("0.1.0")
			first := MustStart(t, d, spec)
			MustInit(t, first.Endpoint, spec.GameID)
			if st, b := call(t, "POST", first.Endpoint+"/api/v1/admin/turn", map[string]int{"turn": 1}); st != http.StatusOK {
				t.Fatalf("turn: got %d: %s", st, b)
			}

			patch := spec
			patch.Version = orchestrator.EngineVersion{Version: "0.1.1", ImageRef: "galaxy-engine:0.1.1"}
			tc.broken(srv, patch.Version.ImageRef)
			_, err := d.Start(ctx(t), patch)
			MustErrCode(t, err, orchestrator.EUNAVAILABLE, "engine 0.1.1", "did not come up", tc.want, "the previous engine 0.1.0 runs again")

			job := MustJob(t, srv, spec)
			if got, want := job.Meta[jobspec.MetaEngineVersion], "0.1.0"; got != want || *job.Stop {
				t.Errorf("job after the revert: version %q stopped %v, want %q running", got, *job.Stop, want)
			}
			ep, err := d.Endpoint(ctx(t), spec.GameID)
			if err != nil {
				t.Fatal(err)
			}
			if gameID, turn := engineState(t, ep); gameID != spec.GameID || turn != 1 {
				t.Errorf("state after the revert: got game %s turn %d, want game %s turn 1", gameID, turn, spec.GameID)
			}
			// The service hears of the previous engine's new allocation.
			select {
			case in := <-obs:
				seen = append(seen, in)
			case <-time.After(10 * time.Second):
			}
			if len(seen) != 1 || !seen[0].Running || seen[0].Endpoint != ep || seen[0].Version != "0.1.0" || seen[0].AllocID == first.AllocID {
				t.Errorf("observer after the revert: got %+v, want the 0.1.0 engine at %s on a new allocation", seen, ep)
			}
			// Starting the version that runs now is a no-op.
			again := MustStart(t, d, spec)
			if again.Endpoint != ep {
				t.Errorf("start of the reverted version: got %s, want %s", again.Endpoint, ep)
			}
		})
	}
}

// A replacement whose previous engine was not running (stopped game, new version)
// has nothing to bring back: its job is stopped like any failed start's.
func TestDriver_FailedStartAfterStop(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	spec := newSpec("0.1.0")
	MustStart(t, d, spec)
	if err := d.Stop(ctx(t), spec.GameID); err != nil {
		t.Fatal(err)
	}
	patch := spec
	patch.Version = orchestrator.EngineVersion{Version: "0.1.1", ImageRef: "galaxy-engine:0.1.1"}
	srv.SetEngine(patch.Version.ImageRef, "")
	_, err := d.Start(ctx(t), patch)
	MustErrCode(t, err, orchestrator.EUNAVAILABLE, "Failed to pull", "stopped, its volume kept")
	if job := MustJob(t, srv, spec); !*job.Stop {
		t.Errorf("job: got Stop=false, want it stopped")
	}
}

func TestDriver_CheckVersion(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	for _, tc := range []struct {
		name   string
		driver string
		v      orchestrator.EngineVersion
		field  string
	}{
		{"OKDocker", jobspec.DriverDocker, orchestrator.EngineVersion{Version: "1.0.0", ImageRef: "registry/galaxy-engine:1.0.0"}, ""},
		{"OKRawExec", jobspec.DriverRawExec, orchestrator.EngineVersion{Version: "1.0.0", Command: "/usr/local/bin/galaxy-engine"}, ""},
		{"ErrNoImage", jobspec.DriverDocker, orchestrator.EngineVersion{Version: "1.0.0", Command: "/usr/local/bin/galaxy-engine"}, "imageRef"},
		{"ErrBadImage", jobspec.DriverDocker, orchestrator.EngineVersion{Version: "1.0.0", ImageRef: "galaxy engine"}, "imageRef"},
		{"ErrNoCommand", jobspec.DriverExec, orchestrator.EngineVersion{Version: "1.0.0", ImageRef: "galaxy-engine:1.0.0"}, "command"},
		{"ErrRelativeCommand", jobspec.DriverRawExec, orchestrator.EngineVersion{Version: "1.0.0", Command: "bin/galaxy-engine"}, "command"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(srv)
			cfg.Driver = tc.driver
			d := MustOpen(t, cfg)
			err := d.CheckVersion(tc.v)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var oe *orchestrator.Error
			if !errors.As(err, &oe) || oe.Code != orchestrator.EINVALID || oe.Field != tc.field {
				t.Fatalf("got %v, want EINVALID naming %q", err, tc.field)
			}
			// Start refuses the same, before anything reaches Nomad.
			before := srv.Counts()["PUT /v1/volume/host/create"]
			if _, err := d.Start(ctx(t), orchestrator.EngineSpec{GameID: newSpec("1.0.0").GameID, Version: tc.v}); orchestrator.ErrorCode(err) != orchestrator.EINVALID {
				t.Errorf("start: got %v, want EINVALID", err)
			}
			if srv.Counts()["PUT /v1/volume/host/create"] != before {
				t.Errorf("start of an unusable version created a volume")
			}
		})
	}
}

func TestDriver_OnCallError(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	type failure struct{ backend, call, err string }
	got := make(chan failure, 100)
	cfg := testConfig(srv)
	cfg.OnCallError = func(backend, call string, err error) { got <- failure{backend, call, err.Error()} }
	d := MustOpen(t, cfg)
	srv.Fail(2, http.StatusInternalServerError)
	MustStart(t, d, newSpec("0.1.0"))
	for i := range 2 {
		select {
		case f := <-got:
			if f.backend != "nomad" || f.call == "" || !strings.Contains(f.err, "No cluster leader") || strings.Contains(f.err, "nomad-secret-token") {
				t.Errorf("failure %d: got %+v, want a nomad call naming Nomad's answer, no token", i, f)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("failure %d: OnCallError not called", i)
		}
	}
	// A job that does not exist (404) is an answer, not a failure.
	if err := d.Stop(ctx(t), newSpec("0.1.0").GameID); err != nil {
		t.Fatal(err)
	}
	select {
	case f := <-got:
		t.Errorf("OnCallError for a normal answer: %+v", f)
	default:
	}
}
