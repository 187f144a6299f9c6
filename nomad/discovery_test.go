package nomad_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/go-hclog"
)

// logBuffer collects a driver's log lines, safely across goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// count is the number of lines containing s.
func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// MustOpenLogged opens a driver whose info logs go to the returned buffer.
func MustOpenLogged(tb testing.TB, cfg nomad.Config) (*nomad.Driver, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	d, err := nomad.NewDriver(cfg, hclog.New(&hclog.LoggerOptions{Level: hclog.Info, Output: logs}))
	if err != nil {
		tb.Fatal(err)
	}
	if err := d.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d, logs
}

// observer collects a driver's OnChange news.
type observer chan *orchestrator.Instance

func (o observer) observe(in *orchestrator.Instance) { o <- in }

// next returns the next news of the game that matches ok, failing after within.
func (o observer) next(tb testing.TB, within time.Duration, what string, ok func(*orchestrator.Instance) bool) *orchestrator.Instance {
	tb.Helper()
	deadline := time.After(within)
	for {
		select {
		case in := <-o:
			if ok(in) {
				return in
			}
		case <-deadline:
			tb.Fatalf("no news of %s within %s", what, within)
			return nil
		}
	}
}

// The point 2: Consul comes back from an outage with a lower index (a
// snapshot restore, a rebuilt cluster). The watch must not keep blocking with its
// old index for its whole wait time: it starts over and sees the engine's new
// endpoint at once.
func TestDiscovery_ConsulRestored(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{MaxWait: 2 * time.Minute})
	cfg := testConfig(srv)
	cfg.WaitTime = orchestrator.Duration(time.Minute) // the new default, and the cap of the watch
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)

	const health = "consul GET /v1/health/service/:name"
	srv.SetConsulDown(true)
	if _, err := srv.Reschedule(inst.JobID); err != nil {
		t.Fatal(err)
	}
	// The watch has seen the outage once it asks again.
	asked := srv.Counts()[health]
	eventually(t, 10*time.Second, func() error {
		if srv.Counts()[health] <= asked {
			return errors.New("the watch has not asked Consul again")
		}
		return nil
	})
	srv.RestoreConsul(5)
	srv.SetConsulDown(false)
	// "At once" is well within the watch's wait of a minute, which a watch kept on
	// its old index would sit out: 30 s leave a busy machine time to bring the
	// rescheduled engine up and still tell the two apart.
	eventually(t, 30*time.Second, func() error {
		ep, err := d.Endpoint(ctx(t), spec.GameID)
		if err != nil {
			return err
		}
		if ep == inst.Endpoint {
			return errors.New("endpoint still the old allocation's (the watch waits on its old index)")
		}
		return nil
	})
}

// A blocking wait longer than the cap is refused.
func TestConfig_WaitTimeCap(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{})
	cfg := testConfig(srv)
	cfg.WaitTime = orchestrator.Duration(10 * time.Minute)
	if _, err := nomad.NewDriver(cfg, nil); !strings.Contains(fmt.Sprint(err), "wait_time") {
		t.Errorf("wait_time 10m: got %v, want it refused", err)
	}
}

// The points 8 and 11, and Task 2.2: a reschedule the watch sees is told to
// the observer at once (not running, then the new endpoint with its allocation and
// node), logged once as a change; an index that changes alone (a Consul restore)
// is no change.
func TestDiscovery_Observer(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*jobspec.Config)
	}{
		{"OKConsul", func(*jobspec.Config) {}},
		{"OKNomadNative", func(c *jobspec.Config) { c.Discovery = jobspec.DiscoveryNomad }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := MustServer(t, nomadtest.Options{})
			obs := make(observer, 64)
			cfg := testConfig(srv)
			cfg.OnChange = obs.observe
			cfg.CheckRefreshInterval = orchestrator.Duration(20 * time.Millisecond)
			tc.mod(&cfg.Config)
			d, logs := MustOpenLogged(t, cfg)
			spec := newSpec("0.1.0")
			inst := MustStart(t, d, spec)
			select {
			case in := <-obs:
				t.Fatalf("news of the engine Start brought up: %+v (Start's own news)", in)
			default:
			}

			if cfg.Discovery == jobspec.DiscoveryConsul {
				// A restore lowers every index and changes nothing else; the watch has
				// seen it once it knows a game started after it.
				srv.RestoreConsul(srv.ConsulIndex() - 1)
				srv.SetConsulDown(true)
				srv.SetConsulDown(false)
				MustStart(t, d, newSpec("0.1.0"))
				if got := logs.count("engine endpoint changed"); got != 0 {
					t.Errorf("\"engine endpoint changed\" logged %d times for a restore that moved nothing:\n%s", got, logs.b.String())
				}
			}
			next, err := srv.Reschedule(inst.JobID)
			if err != nil {
				t.Fatal(err)
			}
			in := obs.next(t, 10*time.Second, "the moved engine", func(in *orchestrator.Instance) bool {
				return in.GameID == spec.GameID && in.Running
			})
			// The node is Nomad's, whatever the discovery (Consul's registrations name
			// Consul's own node IDs).
			if in.AllocID != next || in.NodeID != inst.NodeID || in.Endpoint == "" || in.Endpoint == inst.Endpoint || in.JobID != inst.JobID {
				t.Errorf("news: got %+v, want allocation %s, its node %s and its new endpoint", in, next, inst.NodeID)
			}
			if st, _ := call(t, "GET", in.Endpoint+"/healthz", nil); st != 200 {
				t.Errorf("healthz at the new endpoint: %d", st)
			}
			if got, want := logs.count("engine endpoint changed"), 1; got != want {
				t.Errorf("\"engine endpoint changed\" logged %d times, want %d:\n%s", got, want, logs.b.String())
			}

			// Stop is asked for: its engine going is no news.
			if err := d.Stop(ctx(t), spec.GameID); err != nil {
				t.Fatal(err)
			}
			eventually(t, 10*time.Second, func() error {
				if _, err := d.Endpoint(ctx(t), spec.GameID); err == nil {
					return errors.New("still an endpoint after stop")
				}
				return nil
			})
			select {
			case in := <-obs:
				if in.Running {
					t.Errorf("news after Stop: %+v", in)
				}
			default:
			}
		})
	}
}

// The watch reports an engine that stops passing (crashed, restarting in place) as
// not running, with a reason.
func TestDiscovery_ObserverCrash(t *testing.T) {
	srv := MustServer(t, nomadtest.Options{RestartDelay: 500 * time.Millisecond})
	obs := make(observer, 64)
	cfg := testConfig(srv)
	cfg.OnChange = obs.observe
	d := MustOpen(t, cfg)
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)
	if err := srv.Kill(inst.AllocID); err != nil {
		t.Fatal(err)
	}
	down := obs.next(t, 10*time.Second, "the crash", func(in *orchestrator.Instance) bool { return in.GameID == spec.GameID })
	if down.Running || down.Reason == "" || down.AllocID != inst.AllocID {
		t.Errorf("news of the crash: got %+v, want not running with a reason", down)
	}
	up := obs.next(t, 10*time.Second, "the restarted engine", func(in *orchestrator.Instance) bool { return in.GameID == spec.GameID && in.Running })
	if up.AllocID != inst.AllocID || up.Endpoint != inst.Endpoint {
		t.Errorf("news of the restart in place: got %+v, want allocation %s at %s", up, inst.AllocID, inst.Endpoint)
	}
}
