package local

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// changes collects OnChange news.
type changes chan *orchestrator.Instance

func (c changes) OnChange(in *orchestrator.Instance) { c <- in }

// next returns the next news that ok accepts, failing after timeout.
func (c changes) next(tb testing.TB, timeout time.Duration, what string, ok func(*orchestrator.Instance) bool) *orchestrator.Instance {
	tb.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case in := <-c:
			if ok(in) {
				return in
			}
		case <-deadline:
			tb.Fatalf("no news of %s within %s", what, timeout)
			return nil
		}
	}
}

func down(in *orchestrator.Instance) bool { return !in.Running }
func up(in *orchestrator.Instance) bool   { return in.Running }

// crash asks the fake engine at endpoint to exit with status 3.
func crash(tb testing.TB, endpoint string) {
	tb.Helper()
	resp, err := http.Post(endpoint+"/crash", "text/plain", nil)
	if err == nil { // the engine usually dies before answering
		resp.Body.Close()
	}
}

func TestDriver_Restart(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		rec := make(changes, 10)
		d := MustOpenDriver(t, Config{OnChange: rec.OnChange})
		spec := newSpec(t)
		in := MustStart(t, d, spec)
		dir := d.stateDir(spec.GameID)
		if err := os.WriteFile(filepath.Join(dir, "state.json"), []byte(`{"turn":3}`), 0o600); err != nil {
			t.Fatal(err)
		}
		oldPID := enginePID(d, spec.GameID)
		crash(t, in.Endpoint)

		c := rec.next(t, 10*time.Second, "the crash", down)
		if c.GameID != spec.GameID || c.Restarts != 1 || !strings.Contains(c.Reason, "exit status 3") || c.Endpoint != "" {
			t.Fatalf("news of the crash %+v, want game %s not running, restart 1, the exit status as reason", c, spec.GameID)
		}
		// Task 2.2: the restarted engine's new endpoint is news too, once healthy.
		c = rec.next(t, 20*time.Second, "the restarted engine", up)
		if c.GameID != spec.GameID || c.Restarts != 1 || c.Endpoint == "" || c.Endpoint == in.Endpoint {
			t.Fatalf("news of the restart %+v, want game %s running on a new endpoint, restart 1", c, spec.GameID)
		}
		MustGet(t, c.Endpoint+"/healthz")
		if pid := enginePID(d, spec.GameID); pid == 0 || pid == oldPID {
			t.Fatalf("engine pid %d after the restart, want a new process (old %d)", pid, oldPID)
		}
		ep, err := d.Endpoint(context.Background(), spec.GameID)
		if err != nil {
			t.Fatal(err)
		} else if ep != c.Endpoint {
			t.Fatalf("endpoint %s, want the news' %s", ep, c.Endpoint)
		}
		MustGet(t, ep+"/healthz")
		insts, err := d.Instances(context.Background())
		if err != nil {
			t.Fatal(err)
		} else if len(insts) != 1 || !insts[0].Running || insts[0].Restarts != 1 || insts[0].Endpoint != ep {
			t.Fatalf("instances %+v, want one running at %s with 1 restart", insts, ep)
		}
		if got, want := starts(t, dir), 2; got != want {
			t.Fatalf("%d starts, want %d", got, want)
		}
		if got, want := MustReadFile(t, dir, "state.json"), `{"turn":3}`; got != want {
			t.Fatalf("state %q, want %q", got, want)
		}
		// Start with the same spec keeps the restarted engine and its count.
		if in, err := d.Start(context.Background(), spec); err != nil {
			t.Fatal(err)
		} else if in.Restarts != 1 || in.Endpoint != ep {
			t.Fatalf("start returned %+v, want the running engine", in)
		}
	})

	t.Run("StopDuringBackoff", func(t *testing.T) {
		rec := make(changes, 10)
		d := MustOpenDriver(t, Config{OnChange: rec.OnChange, RestartBackoffMin: orchestrator.Duration(time.Hour), RestartBackoffMax: orchestrator.Duration(time.Hour)})
		spec := newSpec(t)
		in := MustStart(t, d, spec)
		crash(t, in.Endpoint)
		rec.next(t, 10*time.Second, "the crash", down)

		_, err := d.Endpoint(context.Background(), spec.GameID)
		errCode(t, err, orchestrator.EUNAVAILABLE)
		if insts, err := d.Instances(context.Background()); err != nil {
			t.Fatal(err)
		} else if len(insts) != 1 || insts[0].Running || insts[0].Restarts != 1 {
			t.Fatalf("instances %+v, want one not running with 1 restart", insts)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.Stop(ctx, spec.GameID); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil { // every supervisor has returned after Close
			t.Fatal(err)
		}
		if got, want := starts(t, d.stateDir(spec.GameID)), 1; got != want {
			t.Fatalf("%d starts, want %d (the restart was cancelled)", got, want)
		}
	})

	t.Run("GivesUp", func(t *testing.T) {
		rec := make(changes, 10)
		d := MustOpenDriver(t, Config{OnChange: rec.OnChange, MaxRestarts: 2})
		spec := newSpec(t)
		in := MustStart(t, d, spec)
		dir := d.stateDir(spec.GameID)
		if err := os.WriteFile(filepath.Join(dir, crashOnStart), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		crash(t, in.Endpoint)
		for i := 1; i <= 2; i++ {
			if c := rec.next(t, 20*time.Second, "a crash", down); c.Restarts != i {
				t.Fatalf("news of a crash with %d restarts, want %d", c.Restarts, i)
			}
		}
		if c := rec.next(t, 20*time.Second, "giving up", down); !strings.Contains(c.Reason, "gave up after 2 restarts") {
			t.Fatalf("news of giving up: %+v", c)
		}
		waitFor(t, 20*time.Second, "the driver to give up", func() bool {
			d.mu.Lock()
			defer d.mu.Unlock()
			return d.engines[spec.GameID].stopped()
		})
		if got, want := starts(t, dir), 3; got != want {
			t.Fatalf("%d starts, want %d (first run and two restarts)", got, want)
		}
		if insts, err := d.Instances(context.Background()); err != nil {
			t.Fatal(err)
		} else if len(insts) != 1 || insts[0].Running {
			t.Fatalf("instances %+v, want one not running", insts)
		}
		if exists(filepath.Join(dir, pidfileName)) {
			t.Fatal("pidfile left after giving up")
		}

		// An explicit Start tries again.
		if err := os.Remove(filepath.Join(dir, crashOnStart)); err != nil {
			t.Fatal(err)
		}
		if in := MustStart(t, d, spec); in.Restarts != 0 {
			t.Fatalf("restarts %d after a fresh start, want 0", in.Restarts)
		}
	})
}

// TestDriver_portTaken covers the race between picking a free port and the engine
// binding it: an engine that exits because its port was taken is retried on another.
func TestDriver_portTaken(t *testing.T) {
	d := MustOpenDriver(t, Config{})
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	picks := 0
	d.freePort = func() (int, error) {
		if picks++; picks == 1 {
			return taken.Addr().(*net.TCPAddr).Port, nil
		}
		return freePort()
	}
	spec := newSpec(t)
	in := MustStart(t, d, spec)
	MustGet(t, in.Endpoint+"/healthz")
	if got, want := starts(t, d.stateDir(spec.GameID)), 2; got != want {
		t.Fatalf("%d starts, want %d (one on the taken port, one retry)", got, want)
	}
	if got, want := picks, 2; got != want {
		t.Fatalf("%d ports picked, want %d", got, want)
	}
}
