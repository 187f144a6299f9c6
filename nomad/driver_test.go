package nomad_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

func TestDriver_Start(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	spec := newSpec("0.1.0")

	t.Run("OK", func(t *testing.T) {
		inst := MustStart(t, d, spec)
		if got, want := inst.JobID, "galaxy-game-"+spec.GameID.String(); got != want {
			t.Errorf("job id: got %q, want %q", got, want)
		}
		if !inst.Running || inst.AllocID == "" || inst.NodeID == "" || inst.VolumeID == "" || inst.Version != "0.1.0" {
			t.Errorf("instance incomplete: %+v", inst)
		}
		if got, want := inst.ImageRef, "galaxy-engine:0.1.0"; got != want {
			t.Errorf("image: got %q, want %q", got, want)
		}
		if st, _ := call(t, "GET", inst.Endpoint+"/healthz", nil); st != http.StatusOK {
			t.Errorf("healthz: got %d, want 200", st)
		}
		ep, err := d.Endpoint(ctx(t), spec.GameID)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ep, inst.Endpoint; got != want {
			t.Errorf("endpoint: got %q, want %q", got, want)
		}
		MustInit(t, inst.Endpoint, spec.GameID)
	})

	t.Run("OKIdempotent", func(t *testing.T) {
		before := srv.Counts()
		first := MustStart(t, d, spec)
		second := MustStart(t, d, spec)
		if got, want := second.AllocID, first.AllocID; got != want {
			t.Errorf("alloc: got %q, want %q (a second start must not replace the engine)", got, want)
		}
		if got, want := srv.Counts()["PUT /v1/jobs"], before["PUT /v1/jobs"]; got != want {
			t.Errorf("registrations: got %d, want %d (no re-register of the same version)", got, want)
		}
		if got, want := srv.Counts()["PUT /v1/volume/host/create"], before["PUT /v1/volume/host/create"]; got != want {
			t.Errorf("volume creates: got %d, want %d", got, want)
		}
	})

	t.Run("ErrNoImage", func(t *testing.T) {
		s := newSpec("0.1.0")
		s.Version.ImageRef = ""
		_, err := d.Start(ctx(t), s)
		if got, want := orchestrator.ErrorCode(err), orchestrator.EINVALID; got != want {
			t.Fatalf("code: got %q, want %q (%v)", got, want, err)
		}
	})
}

func TestDriver_Patch(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	spec := newSpec("0.1.0")
	first := MustStart(t, d, spec)
	MustInit(t, first.Endpoint, spec.GameID)
	if st, b := call(t, "POST", first.Endpoint+"/api/v1/admin/turn", map[string]int{"turn": 1}); st != http.StatusOK {
		t.Fatalf("turn: got %d: %s", st, b)
	}

	spec.Version = orchestrator.EngineVersion{Version: "0.1.1", ImageRef: "galaxy-engine:0.1.1"}
	second := MustStart(t, d, spec)
	if got, want := second.JobVersion, first.JobVersion+1; got != want {
		t.Errorf("job version: got %d, want %d", got, want)
	}
	if second.AllocID == first.AllocID {
		t.Errorf("alloc: got the old one %s, want a new allocation", first.AllocID)
	}
	if got, want := second.ImageRef, "galaxy-engine:0.1.1"; got != want {
		t.Errorf("image: got %q, want %q", got, want)
	}
	gameID, turn := engineState(t, second.Endpoint)
	if gameID != spec.GameID || turn != 1 {
		t.Errorf("state after patch: got game %s turn %d, want game %s turn 1", gameID, turn, spec.GameID)
	}
	if st, _ := call(t, "POST", second.Endpoint+"/api/v1/admin/init", initBody(spec.GameID)); st != http.StatusConflict {
		t.Errorf("re-init after patch: got %d, want 409", st)
	}
}

func TestDriver_Stop(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)
	MustInit(t, inst.Endpoint, spec.GameID)

	t.Run("OK", func(t *testing.T) {
		if err := d.Stop(ctx(t), spec.GameID); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10e9, func() error {
			if _, err := d.Endpoint(ctx(t), spec.GameID); orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
				return fmt.Errorf("endpoint after stop: got %v, want EUNAVAILABLE", err)
			}
			return nil
		})
	})
	t.Run("OKAgainIsNoop", func(t *testing.T) {
		before := srv.Counts()["DELETE /v1/job/:id"]
		if err := d.Stop(ctx(t), spec.GameID); err != nil {
			t.Fatal(err)
		}
		if got := srv.Counts()["DELETE /v1/job/:id"]; got != before {
			t.Errorf("deregisters: got %d, want %d (a stopped job is not stopped again)", got, before)
		}
	})
	t.Run("OKUnknownGame", func(t *testing.T) {
		if err := d.Stop(ctx(t), newSpec("0.1.0").GameID); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OKStartAgainKeepsState", func(t *testing.T) {
		again := MustStart(t, d, spec)
		if got, want := again.VolumeID, inst.VolumeID; got != want {
			t.Errorf("volume: got %q, want %q", got, want)
		}
		if gameID, _ := engineState(t, again.Endpoint); gameID != spec.GameID {
			t.Errorf("state after restart: got game %s, want %s", gameID, spec.GameID)
		}
	})
}

func TestDriver_Remove(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{FingerprintDelay: 300 * time.Millisecond})
	cfg := testConfig(srv)
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	MustStart(t, d, spec)
	nc := MustNomadClient(t, srv)

	t.Run("OK", func(t *testing.T) {
		if err := d.Remove(ctx(t), spec.GameID); err != nil {
			t.Fatal(err)
		}
		_, _, err := nc.Jobs().Info(orchestrator.JobName(spec.GameID), nil)
		if !strings.Contains(fmt.Sprint(err), "404") {
			t.Errorf("job after remove: got %v, want 404 job not found", err)
		}
		vols, _, err := nc.HostVolumes().List(nil, &api.QueryOptions{Prefix: orchestrator.JobName(spec.GameID)})
		if err != nil {
			t.Fatal(err)
		}
		if len(vols) != 0 {
			t.Errorf("volumes after remove: got %d, want 0", len(vols))
		}
	})
	t.Run("OKAgain", func(t *testing.T) {
		if err := d.Remove(ctx(t), spec.GameID); err != nil {
			t.Fatal(err)
		}
	})
	// Found on Nomad 2.0.5: a volume re-created under the name of one just deleted is
	// "ready" before its node fingerprints it; a job registered then cannot be placed.
	t.Run("OKStartAfterRemove", func(t *testing.T) {
		inst := MustStart(t, d, spec)
		if st, _ := call(t, "GET", inst.Endpoint+"/api/v1/admin/state", nil); st != http.StatusNotFound {
			t.Errorf("state after remove and start: got %d, want 404 (a new, empty volume)", st)
		}
	})
}

// MustNomadClient is a plain api client on the fake, to look behind the driver.
func MustNomadClient(tb testing.TB, srv *nomadtest.Server) *api.Client {
	tb.Helper()
	c, err := api.NewClient(&api.Config{Address: srv.NomadAddr()})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestDriver_PlacementFailure(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	for _, tc := range []struct {
		name   string
		mod    func(*jobspec.Config)
		want   string
		volume bool // fails at volume creation, before any job exists
	}{
		{"ErrConstraint", func(c *jobspec.Config) {
			c.SharedVolume = "galaxy-state"
			c.Constraints = []jobspec.Constraint{{Attribute: "${node.class}", Value: "nope"}}
		}, `constraint "${node.class} = nope" filtered 1 node`, false},
		{"ErrMissingVolume", func(c *jobspec.Config) { c.SharedVolume = "no-such-volume" }, `constraint "missing compatible host volumes" filtered 1 node`, false},
		{"ErrVolumeConstraint", func(c *jobspec.Config) {
			c.Constraints = []jobspec.Constraint{{Attribute: "${node.class}", Value: "nope"}}
		}, `(plugin "mkdir", node pool "default", constraints "${node.class} = nope"): 500 could not place volume`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(srv)
			tc.mod(&cfg.Config)
			d := MustOpen(t, cfg)
			spec := newSpec("0.1.0")
			srv.ResetCounts()
			_, err := d.Start(ctx(t), spec)
			if got, want := orchestrator.ErrorCode(err), orchestrator.EUNAVAILABLE; got != want {
				t.Fatalf("code: got %q, want %q (%v)", got, want, err)
			}
			if got := orchestrator.ErrorMessage(err); !strings.Contains(got, tc.want) {
				t.Errorf("message: got %q, want it to name %s", got, tc.want)
			}
			if tc.volume {
				// The point 9: Nomad's "could not place volume" is an answer,
				// not an outage: it is not retried.
				if got, want := srv.Counts()["PUT /v1/volume/host/create"], 1; got != want {
					t.Errorf("volume creates: got %d, want %d", got, want)
				}
				return
			}
			job, _, err := MustNomadClient(t, srv).Jobs().Info(orchestrator.JobName(spec.GameID), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !*job.Stop {
				t.Errorf("unplaceable new job: got Stop=false, want it stopped so it cannot start behind the orchestrator's back")
			}
		})
	}
}

func TestDriver_Retry(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	for _, tc := range []struct {
		name   string
		n      int
		status int
		code   string
	}{
		{"OK429", 3, http.StatusTooManyRequests, ""},
		{"OK500", 3, http.StatusInternalServerError, ""},
		{"ErrPersistent500", 1000, http.StatusInternalServerError, orchestrator.EUNAVAILABLE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.Fail(tc.n, tc.status)
			defer srv.Fail(0, 0)
			_, err := d.Start(ctx(t), newSpec("0.1.0"))
			if got, want := orchestrator.ErrorCode(err), tc.code; got != want {
				t.Fatalf("code: got %q, want %q (%v)", got, want, err)
			}
			if err != nil && (strings.Contains(err.Error(), "nomad-secret-token") || strings.Contains(err.Error(), "consul-secret-token")) {
				t.Errorf("error leaks a token: %v", err)
			}
		})
	}
}

func TestDriver_Reschedule(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	d := MustOpen(t, testConfig(srv))
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)
	MustInit(t, inst.Endpoint, spec.GameID)
	if _, err := srv.Reschedule(inst.JobID); err != nil {
		t.Fatal(err)
	}
	var ep string
	eventually(t, 10e9, func() (err error) {
		ep, err = d.Endpoint(ctx(t), spec.GameID)
		if err == nil && ep == inst.Endpoint {
			err = errors.New("endpoint still the old allocation's")
		}
		return err
	})
	if gameID, _ := engineState(t, ep); gameID != spec.GameID {
		t.Errorf("state after reschedule: got game %s, want %s", gameID, spec.GameID)
	}
}

func TestDriver_Discovery(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*jobspec.Config)
	}{
		{"OKNomadNative", func(c *jobspec.Config) { c.Discovery = jobspec.DiscoveryNomad }},
		{"OKRawExec", func(c *jobspec.Config) { c.Driver = jobspec.DriverRawExec }},
		{"OKExec", func(c *jobspec.Config) { c.Driver = jobspec.DriverExec }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := MustServer(t, nomadtest.Options{})
			cfg := testConfig(srv)
			tc.mod(&cfg.Config)
			d := MustOpen(t, cfg)
			spec := newSpec("0.1.0")
			inst := MustStart(t, d, spec)
			MustInit(t, inst.Endpoint, spec.GameID)
			if _, err := srv.Reschedule(inst.JobID); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10e9, func() error {
				ep, err := d.Endpoint(ctx(t), spec.GameID)
				if err == nil && ep == inst.Endpoint {
					return errors.New("endpoint still the old allocation's")
				} else if err != nil {
					return err
				}
				if gameID, _ := engineState(t, ep); gameID != spec.GameID {
					return fmt.Errorf("state after reschedule: got game %s, want %s", gameID, spec.GameID)
				}
				return nil
			})
		})
	}
}

func TestDriver_Instances(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	d := MustOpen(t, cfg)
	running, stopped := newSpec("0.1.0"), newSpec("0.1.0")
	MustStart(t, d, running)
	MustStart(t, d, stopped)
	if err := d.Stop(ctx(t), stopped.GameID); err != nil {
		t.Fatal(err)
	}
	other := cfg
	other.Stack = "other-stack"
	MustStart(t, MustOpen(t, other), newSpec("0.1.0"))

	insts, err := d.Instances(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, in := range insts {
		got[in.GameID.String()] = in.Running
		if in.Running && (in.Endpoint == "" || in.AllocID == "" || in.NodeID == "" || in.VolumeID == "") {
			t.Errorf("running instance %+v: want its endpoint, allocation, node and volume", in)
		}
		if !in.Running && in.Reason == "" {
			t.Errorf("instance %+v not running: want a reason", in)
		}
	}
	want := map[string]bool{running.GameID.String(): true, stopped.GameID.String(): false}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("instances: got %v, want %v (other stacks left out)", got, want)
	}
}

func TestDriver_SharedVolume(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	cfg.SharedVolume = "galaxy-state"
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	// Nomad mounts the shared volume but cannot create <mount>/<uuid> in it: the
	// engine creates its own directory.
	inst, err := d.Start(ctx(t), spec)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inst.VolumeID, "galaxy-state"; got != want {
		t.Errorf("volume: got %q, want %q", got, want)
	}
	MustInit(t, inst.Endpoint, spec.GameID)
}
