package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

// engineBin and galaxydBin are the real binaries, built once for the package's tests.
var engineBin, galaxydBin string

func TestMain(m *testing.M) {
	store.RunVerifyChild() // galaxyd checks store files in a child: this test binary here
	dir, err := os.MkdirTemp("", "galaxyd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	engineBin = filepath.Join(dir, "galaxy-engine")
	if out, err := exec.Command("go", "build", "-o", engineBin, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build galaxy-engine: %v\n%s", err, out)
		os.Exit(1)
	}
	galaxydBin = filepath.Join(dir, "galaxyd")
	if out, err := exec.Command("go", "build", "-o", galaxydBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build galaxyd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// MustRunMain starts galaxyd in-process in -dev mode on a free port with its data in
// dataDir, as a test would run the binary.
func MustRunMain(tb testing.TB, dataDir string, extra ...string) *Main {
	tb.Helper()
	return mustRun(tb, NewMain(), dataDir, extra...)
}

// mustRun is MustRunMain for a Main whose fields the test has set.
func mustRun(tb testing.TB, m *Main, dataDir string, extra ...string) *Main {
	tb.Helper()
	args := append([]string{"-dev", "-listen", "127.0.0.1:0", "-data-dir", dataDir, "-engine-command", engineBin, "-log-level", "warn"}, extra...)
	if err := m.ParseFlags(context.Background(), args); err != nil {
		tb.Fatal(err)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// api is a tiny client of the HTTP API for tests.
type api struct {
	tb   testing.TB
	base string
}

func (a api) do(method, path string, user uuid.UUID, body any) (int, []byte) {
	a.tb.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, r)
	if err != nil {
		a.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if user != uuid.Nil {
		req.Header.Set("X-Galaxy-User", user.String())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// must calls do and fails unless the status is want; it decodes the answer into v.
func (a api) must(want int, method, path string, user uuid.UUID, body, v any) {
	a.tb.Helper()
	got, out := a.do(method, path, user, body)
	if got != want {
		a.tb.Fatalf("%s %s: status %d, want %d: %s", method, path, got, want, out)
	}
	if v != nil {
		if err := json.Unmarshal(out, v); err != nil {
			a.tb.Fatalf("%s %s: decode %s: %v", method, path, out, err)
		}
	}
}

func (a api) game(id uuid.UUID) *orchestrator.GameView {
	a.tb.Helper()
	var v orchestrator.GameView
	a.must(200, "GET", "/api/v1/games/"+id.String(), uuid.Nil, nil, &v)
	return &v
}

// waitOp polls an operation until it is terminal and fails unless it succeeded.
func (a api) waitOp(op *orchestrator.Operation) *orchestrator.Operation {
	a.tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var cur orchestrator.Operation
		a.must(200, "GET", "/api/v1/operations/"+op.ID.String(), uuid.Nil, nil, &cur)
		if cur.Done() {
			if cur.Status != orchestrator.OpSucceeded {
				a.tb.Fatalf("operation %s %s: %s %s: %s", cur.Op, cur.ID, cur.Status, cur.ErrorCode, cur.ErrorMessage)
			}
			return &cur
		}
		if time.Now().After(deadline) {
			a.tb.Fatalf("operation %s %s still %s", cur.Op, cur.ID, cur.Status)
		}
		time.Sleep(20 * time.Millisecond) // poll interval
	}
}

func (a api) action(id uuid.UUID, action string, body any) *orchestrator.Operation {
	a.tb.Helper()
	var op orchestrator.Operation
	a.must(202, "POST", "/api/v1/games/"+id.String()+"/"+action, uuid.Nil, body, &op)
	return a.waitOp(&op)
}

// engineState reads the engine's own state through its admin API.
func engineState(tb testing.TB, m *Main, id uuid.UUID) *engine.State {
	tb.Helper()
	ep, err := m.Driver.Endpoint(context.Background(), id)
	if err != nil {
		tb.Fatal(err)
	}
	var token string
	if err := m.Store.View(context.Background(), func(tx orchestrator.Tx) (err error) {
		token, err = tx.GameSecret(id)
		return err
	}); err != nil {
		tb.Fatal(err)
	}
	st, err := engine.NewClient(ep, token).State(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// TestLifecycle drives one game through its whole life, once per driver: the local
// driver, and the Nomad driver against the in-repo fake Nomad + Consul (whose
// allocations run the same real engine binary).
func TestLifecycle(t *testing.T) {
	t.Run("Local", func(t *testing.T) {
		m := MustRunMain(t, t.TempDir())
		testLifecycle(t, m, func(id uuid.UUID) {
			if _, err := os.Stat(filepath.Join(m.Config.DataDir, "games", id.String())); !os.IsNotExist(err) {
				t.Fatalf("state dir still there after remove: %v", err)
			}
		})
	})
	t.Run("Nomad", func(t *testing.T) {
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBin, Logf: func(string, ...any) {}})
		dir := t.TempDir()
		cfg := filepath.Join(dir, "galaxyd.hcl")
		hcl := fmt.Sprintf("driver = \"nomad\"\nnomad {\n  address = \"%s\"\n  driver = \"raw_exec\"\n  consul_address = \"%s\"\n  rate_limit = 1000\n  rate_burst = 1000\n}\n", srv.NomadAddr(), srv.ConsulAddr())
		if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
			t.Fatal(err)
		}
		m := MustRunMain(t, dir, "-config", cfg)
		testLifecycle(t, m, func(id uuid.UUID) {
			insts, err := m.Driver.Instances(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range insts {
				if in.GameID == id {
					t.Fatalf("job of game %s still listed after remove: %+v", id, in)
				}
			}
		})
	})
}

// testLifecycle is the shared suite: create → start → force-next-turn ×3 → pause →
// orders refused → resume → orders accepted → stop → start → same game at turn 3 →
// patch → remove. removed checks what the driver left behind.
func testLifecycle(t *testing.T, m *Main, removed func(uuid.UUID)) {
	a := api{tb: t, base: m.HTTP.URL()}

	// A second version of the same engine, to patch to.
	a.must(201, "POST", "/api/v1/engine-versions", uuid.Nil, map[string]any{"version": "0.1.1", "command": engineBin, "enabled": true}, nil)

	alice, bob := uuid.New(), uuid.New()
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": "0 0 1 1 *", "timezone": "Europe/Berlin"},
		"players":       []map[string]any{{"userId": alice, "raceName": "Aliens"}, {"userId": bob, "raceName": "Borgs"}},
		"settings":      map[string]any{"seed": 42},
	}, &g)
	id := g.ID
	if got, want := g.Runtime.Status, orchestrator.StatusCreated; got != want {
		t.Fatalf("status %q, want %q", got, want)
	}

	a.action(id, "start", nil)
	if got, want := a.game(id).Runtime.Status, orchestrator.StatusRunning; got != want {
		t.Fatalf("after start: status %q, want %q", got, want)
	}
	if st := engineState(t, m, id); st.GameID != id || st.Turn != 0 {
		t.Fatalf("engine state gameId=%s turn=%d, want %s turn 0", st.GameID, st.Turn, id)
	}

	for i := 1; i <= 3; i++ {
		op := a.action(id, "force-next-turn", nil)
		if got, want := op.Details.Turn, i; got != want {
			t.Fatalf("forced turn op: turn %d, want %d", got, want)
		}
	}
	if got, want := a.game(id).Runtime.CurrentTurn, 3; got != want {
		t.Fatalf("currentTurn %d, want %d", got, want)
	}

	a.must(200, "POST", "/api/v1/games/"+id.String()+"/pause", uuid.Nil, nil, nil)
	code, body := a.do("POST", "/api/v1/games/"+id.String()+"/orders", alice, map[string]any{"turn": 3, "orders": []any{}})
	if code != 409 || !bytes.Contains(body, []byte(orchestrator.EGAMEPAUSED)) {
		t.Fatalf("orders while paused: %d %s, want 409 %s", code, body, orchestrator.EGAMEPAUSED)
	}
	a.must(200, "POST", "/api/v1/games/"+id.String()+"/resume", uuid.Nil, nil, nil)
	a.must(200, "POST", "/api/v1/games/"+id.String()+"/orders", alice, map[string]any{"turn": 3, "orders": []any{}}, nil)
	if code, _ := a.do("POST", "/api/v1/games/"+id.String()+"/orders", uuid.New(), map[string]any{"turn": 3, "orders": []any{}}); code != 403 {
		t.Fatalf("orders from a stranger: %d, want 403", code)
	}

	a.action(id, "stop", nil)
	if got, want := a.game(id).Runtime.Status, orchestrator.StatusStopped; got != want {
		t.Fatalf("after stop: status %q, want %q", got, want)
	}
	a.action(id, "start", nil)
	v := a.game(id)
	if v.Runtime.Status != orchestrator.StatusRunning || v.Runtime.CurrentTurn != 3 {
		t.Fatalf("after restart: status %q turn %d, want running at turn 3", v.Runtime.Status, v.Runtime.CurrentTurn)
	}
	if st := engineState(t, m, id); st.GameID != id || st.Turn != 3 {
		t.Fatalf("engine state after stop/start: gameId=%s turn=%d, want %s turn 3", st.GameID, st.Turn, id)
	}

	a.action(id, "patch", map[string]string{"version": "0.1.1"})
	v = a.game(id)
	if v.EngineVersion != "0.1.1" || v.Runtime.EngineVersion != "0.1.1" || v.Runtime.CurrentTurn != 3 {
		t.Fatalf("after patch: game %s runtime %s turn %d, want 0.1.1 at turn 3", v.EngineVersion, v.Runtime.EngineVersion, v.Runtime.CurrentTurn)
	}
	a.action(id, "force-next-turn", nil)

	var op orchestrator.Operation
	a.must(202, "DELETE", "/api/v1/games/"+id.String(), uuid.Nil, nil, &op)
	a.waitOp(&op)
	if got, want := a.game(id).Runtime.Status, orchestrator.StatusRemoved; got != want {
		t.Fatalf("after remove: status %q, want %q", got, want)
	}
	removed(id)
	var list struct{ Operations []*orchestrator.Operation }
	a.must(200, "GET", "/api/v1/games/"+id.String()+"/operations", uuid.Nil, nil, &list)
	if got, want := len(list.Operations), 11; got != want {
		t.Fatalf("%d operations logged, want %d", got, want)
	}
}

// shiftedClock is the system clock ten years ahead: its timers are real, its Now is not.
type shiftedClock struct{ orchestrator.SystemClock }

func (shiftedClock) Now() time.Time { return time.Now().Add(10 * 365 * 24 * time.Hour) }

// TestMainClock: Main.Clock reaches what Run wires: -dev's engine registration, the
// service (a game's creation time), the outbox and the reconciler.
func TestMainClock(t *testing.T) {
	m := NewMain()
	m.Clock = shiftedClock{}
	mustRun(t, m, t.TempDir())
	a := api{tb: t, base: m.HTTP.URL()}
	var v orchestrator.EngineVersion
	a.must(200, "GET", "/api/v1/engine-versions/"+DevEngineVersion, uuid.Nil, nil, &v)
	var g orchestrator.GameView
	a.must(201, "POST", "/api/v1/games", uuid.Nil, map[string]any{
		"engineVersion": DevEngineVersion,
		"schedule":      map[string]string{"cron": "0 0 1 1 *", "timezone": "UTC"},
		"players":       []map[string]any{{"userId": uuid.New(), "raceName": "Aliens"}},
	}, &g)
	future := time.Now().Add(9 * 365 * 24 * time.Hour)
	if v.CreatedAt.Before(future) || g.CreatedAt.Before(future) {
		t.Errorf("engine version created %s, game created %s: want both on Main.Clock, ten years ahead", v.CreatedAt, g.CreatedAt)
	}
	if m.Outbox.Clock != m.Clock || m.Reconciler.Clock != m.Clock {
		t.Errorf("outbox clock %T, reconciler clock %T: want Main.Clock", m.Outbox.Clock, m.Reconciler.Clock)
	}
}
