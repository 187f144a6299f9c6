package orchestrator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// mustStart creates a game on a cron that never fires during a test and starts it.
func (h *harness) mustStart() uuid.UUID {
	h.tb.Helper()
	g := h.MustCreate("0 0 1 1 *")
	MustSucceed(h.tb, h.MustWait(h.svc.Start(context.Background(), g.ID, orchestrator.SourceLobby)))
	return g.ID
}

func (h *harness) mustVersion(v string) {
	h.tb.Helper()
	if _, err := h.svc.CreateEngineVersion(context.Background(), &orchestrator.EngineVersion{Version: v, Command: "/bin/engine-" + v, Enabled: true}); err != nil {
		h.tb.Fatal(err)
	}
}

// mustFail waits for op and fails unless it failed.
func (h *harness) mustFail(op *orchestrator.Operation, err error) *orchestrator.Operation {
	h.tb.Helper()
	cur := h.MustWait(op, err)
	if cur.Status != orchestrator.OpFailed {
		h.tb.Fatalf("operation %s: %s, want failed", cur.Op, cur.Status)
	}
	return cur
}

func (h *harness) reconcile() *orchestrator.ReconcileReport {
	h.tb.Helper()
	return h.reconcileWith(false)
}

// reconcileWith runs one reconciler pass; archiving tells it an archive is configured.
func (h *harness) reconcileWith(archiving bool) *orchestrator.ReconcileReport {
	h.tb.Helper()
	rc := orchestrator.NewReconciler(h.disk, h.driver, h.svc)
	rc.Clock, rc.Archiving = h.clock, archiving
	rep, err := rc.Reconcile(context.Background())
	if err != nil {
		h.tb.Fatal(err)
	}
	return rep
}

// waitIdle waits until the game has no operation queued or running.
func (h *harness) waitIdle() {
	h.tb.Helper()
	clocktest.WaitFor(h.tb, "operations done", func() bool { return h.svc.Pending() == 0 })
}

// A stop that fails leaves the game stopping with the reason; stop again, start and
// restart all lead out, and the reconciler retries the stop by itself.
func TestLifecycle_FailedStopRecovers(t *testing.T) {
	ctx := context.Background()
	broken := errors.New("nomad unreachable")
	for _, way := range []string{"stop", "start", "restart", "reconciler"} {
		t.Run(way, func(t *testing.T) {
			h := MustOpenHarness(t)
			id := h.mustStart()
			h.driver.setStopFn(func(uuid.UUID) error { return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%v", broken) })
			op := h.mustFail(h.svc.Stop(ctx, id, orchestrator.SourceLobby))
			r := h.runtime(id)
			if r.Status != orchestrator.StatusStopping || !strings.Contains(r.LastError, "nomad unreachable") || op.ErrorCode != orchestrator.EUNAVAILABLE {
				t.Fatalf("after a failed stop: status %s lastError %q op %s, want stopping with the reason", r.Status, r.LastError, op.ErrorCode)
			}
			h.driver.setStopFn(nil)
			want := orchestrator.StatusRunning
			switch way {
			case "stop":
				MustSucceed(t, h.MustWait(h.svc.Stop(ctx, id, orchestrator.SourceLobby)))
				want = orchestrator.StatusStopped
			case "start":
				MustSucceed(t, h.MustWait(h.svc.Start(ctx, id, orchestrator.SourceLobby)))
			case "restart":
				MustSucceed(t, h.MustWait(h.svc.Restart(ctx, id, orchestrator.SourceAdmin)))
			case "reconciler":
				if rep := h.reconcile(); len(rep.Stopped) != 1 {
					t.Fatalf("reconciler: %+v, want the stop tried again", rep)
				}
				h.waitIdle()
				want = orchestrator.StatusStopped
			}
			if r := h.runtime(id); r.Status != want {
				t.Fatalf("after %s: status %s, want %s", way, r.Status, want)
			}
		})
	}
}

// A patch whose new engine does not come up leaves the game on its old engine and
// version, running, turns going on; the reconciler leaves it alone; a later good
// patch moves it.
func TestLifecycle_FailedPatchKeepsOldEngine(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	id := h.mustStart()
	h.mustVersion("1.0.1")
	h.mustVersion("1.0.2")
	h.driver.setStartFn(func(spec orchestrator.EngineSpec) error {
		if spec.Version.Version == "1.0.1" {
			return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine 1.0.1 did not start: exec: no such file; the previous engine runs again")
		}
		return nil
	})
	op := h.mustFail(h.svc.Patch(ctx, id, "1.0.1", orchestrator.SourceAdmin))
	r := h.runtime(id)
	if r.Status != orchestrator.StatusRunning || r.EngineVersion != "1.0.0" || !strings.Contains(r.LastError, "1.0.1 did not start") {
		t.Fatalf("after a failed patch: status %s version %s lastError %q, want running on 1.0.0 with the reason", r.Status, r.EngineVersion, r.LastError)
	}
	if !strings.Contains(op.ErrorMessage, "did not start") {
		t.Fatalf("operation error %q, want the cause", op.ErrorMessage)
	}
	if v, _ := h.svc.Game(ctx, id); v.EngineVersion != "1.0.0" {
		t.Fatalf("game version %s, want 1.0.0", v.EngineVersion)
	}
	if rep := h.reconcile(); len(rep.Stopped)+len(rep.Restarted) != 0 {
		t.Fatalf("reconciler after a failed patch: %+v, want nothing done", rep)
	}
	if got := h.driver.runningVersion(id); got != "1.0.0" {
		t.Fatalf("engine runs %q, want the old 1.0.0", got)
	}
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	if r := h.runtime(id); r.CurrentTurn != 1 || r.Status != orchestrator.StatusRunning {
		t.Fatalf("turn after a failed patch: turn %d status %s", r.CurrentTurn, r.Status)
	}
	MustSucceed(t, h.MustWait(h.svc.Patch(ctx, id, "1.0.2", orchestrator.SourceAdmin)))
	r = h.runtime(id)
	if r.Status != orchestrator.StatusRunning || r.EngineVersion != "1.0.2" || r.LastError != "" || h.driver.runningVersion(id) != "1.0.2" {
		t.Fatalf("after a good patch: status %s version %s lastError %q", r.Status, r.EngineVersion, r.LastError)
	}
}

// A patch whose new engine fails while the old one is gone too leaves the game
// start_failed; a later successful patch starts it on the new version, with turns
// scheduled again.
func TestLifecycle_PatchAfterFailure(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	g := h.MustCreate("0 * * * *")
	h.mustVersion("1.0.1")
	h.driver.setStartFn(func(spec orchestrator.EngineSpec) error {
		if spec.Version.Version == "1.0.0" {
			return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "engine 1.0.0 did not start")
		}
		return nil
	})
	h.mustFail(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby))
	if r := h.runtime(g.ID); r.Status != orchestrator.StatusStartFailed || r.NextTurnAt != nil {
		t.Fatalf("after a failed start: %s next %v", r.Status, r.NextTurnAt)
	}
	op := h.MustWait(h.svc.Patch(ctx, g.ID, "1.0.1", orchestrator.SourceAdmin))
	MustSucceed(t, op)
	r := h.runtime(g.ID)
	if r.Status != orchestrator.StatusRunning || r.EngineVersion != "1.0.1" || r.NextTurnAt == nil || h.driver.runningVersion(g.ID) != "1.0.1" {
		t.Fatalf("after a good patch of a failed game: status %s version %s next %v engine %q, want running on 1.0.1 with a next turn", r.Status, r.EngineVersion, r.NextTurnAt, h.driver.runningVersion(g.ID))
	}
	if !r.Initialized {
		t.Fatal("game not initialised by the patch that started it")
	}
}

// An engine that runs and answers for a game whose start "failed" (it came up late)
// is adopted by the reconciler, never stopped.
func TestLifecycle_AdoptLateStart(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	g := h.MustCreate("0 * * * *")
	h.driver.setStartFn(func(orchestrator.EngineSpec) error {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "wait for a passing health check: context deadline exceeded")
	})
	h.mustFail(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby))
	h.driver.setStartFn(nil)
	h.driver.engine(g.ID)
	h.driver.setRunning(g.ID, true) // the allocation passed its check after all
	rep := h.reconcile()
	if len(rep.Stopped) != 0 || len(rep.Restarted) != 1 {
		t.Fatalf("reconciler: %+v, want the engine adopted, not stopped", rep)
	}
	h.waitIdle()
	if r := h.runtime(g.ID); r.Status != orchestrator.StatusRunning || h.driver.runningVersion(g.ID) == "" {
		t.Fatalf("after adoption: status %s, engine %q", r.Status, h.driver.runningVersion(g.ID))
	}
}

// A hung engine: the first turn call that times out marks it critical, the operation
// shows running with its attempt and retry time, player calls fail fast.
func TestLifecycle_HungEngine(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarnessWith(t, t0, func(s *orchestrator.Config) {
		s.EngineTimeout, s.PlayerTimeout = 50*time.Millisecond, 50*time.Millisecond
		s.TurnBackoff = time.Minute
	})
	id := h.mustStart()
	if r := h.runtime(id); r.EngineHealth != orchestrator.HealthPassing {
		t.Fatalf("health %q after start, want passing", r.EngineHealth)
	}
	h.driver.engine(id).setHung(true)
	op, err := h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)
	if err != nil {
		t.Fatal(err)
	}
	var cur *orchestrator.Operation
	clocktest.WaitFor(t, "turn retrying", func() bool {
		cur, _ = h.svc.Operation(ctx, op.ID)
		return cur.Status == orchestrator.OpRunning && cur.RetryAt != nil
	})
	if cur.Attempts != 1 || !cur.RetryAt.Equal(t0.Add(time.Minute)) || cur.ErrorCode != orchestrator.EENGINEUNREACHABLE {
		t.Fatalf("retrying turn: attempts %d retryAt %v code %s, want 1 attempt, retry in a minute, engine_unreachable", cur.Attempts, cur.RetryAt, cur.ErrorCode)
	}
	if r := h.runtime(id); r.EngineHealth != orchestrator.HealthCritical {
		t.Fatalf("health %q after a timed-out turn call, want critical", r.EngineHealth)
	}

	// Player calls to the hung engine fail after the player timeout, coded.
	g, _ := h.svc.Game(ctx, id)
	if _, err := h.svc.Report(ctx, id, g.Players[0].UserID, orchestrator.ReportQuery{}); orchestrator.ErrorCode(err) != orchestrator.EENGINEUNREACHABLE {
		t.Fatalf("report from a hung engine: %v, want engine_unreachable", err)
	}

	// The engine answers again: the retry generates the turn and the engine passes.
	h.driver.engine(id).setHung(false)
	clocktest.WaitFor(t, "backoff timer", func() bool { return h.clock.Armed() > 0 })
	h.clock.Advance(time.Minute)
	MustSucceed(t, h.MustWait(op, nil))
	if r := h.runtime(id); r.EngineHealth != orchestrator.HealthPassing || r.CurrentTurn != 1 {
		t.Fatalf("after the retry: health %q turn %d", r.EngineHealth, r.CurrentTurn)
	}
}

// The driver's news of a restarted engine reaches the runtime at once.
func TestLifecycle_ObserveRestart(t *testing.T) {
	h := MustOpenHarness(t)
	id := h.mustStart()
	h.svc.Observe(&orchestrator.Instance{GameID: id, Running: false, Restarts: 1, Reason: "exit status 2"})
	if r := h.runtime(id); r.EngineHealth != orchestrator.HealthCritical || r.Restarts != 1 || !strings.Contains(r.LastError, "exit status 2") {
		t.Fatalf("after a crash: health %q restarts %d lastError %q", r.EngineHealth, r.Restarts, r.LastError)
	}
	h.svc.Observe(&orchestrator.Instance{GameID: id, Running: true, Endpoint: "http://127.0.0.1:4242", Restarts: 1})
	if r := h.runtime(id); r.EngineEndpoint != "http://127.0.0.1:4242" || r.EngineHealth != orchestrator.HealthPassing {
		t.Fatalf("after the restart: endpoint %q health %q", r.EngineEndpoint, r.EngineHealth)
	}
}

// Player traffic never starts an engine: with the engine down, calls fail at once with
// EUNAVAILABLE and the driver is not asked.
func TestLifecycle_PlayerTrafficNeverStarts(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	id := h.mustStart()
	g, _ := h.svc.Game(ctx, id)
	user := g.Players[0].UserID
	h.driver.setRunning(id, false) // crashed; the driver's backoff owns its restart
	before := h.driver.startCalls()
	zero := 0
	for i := 0; i < 50; i++ {
		if _, err := h.svc.Report(ctx, id, user, orchestrator.ReportQuery{}); orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
			t.Fatalf("report with the engine down: %v, want unavailable", err)
		}
		if _, err := h.svc.SubmitOrders(ctx, id, user, orchestrator.OrdersInput{Turn: &zero}); orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
			t.Fatalf("orders with the engine down: %v, want unavailable", err)
		}
	}
	if got := h.driver.startCalls(); got != before {
		t.Fatalf("player calls started the engine %d times", got-before)
	}
}

// Reports and orders say what the game is doing: not running, finished, removed.
func TestLifecycle_PlayerCodes(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	id := h.mustStart()
	g, _ := h.svc.Game(ctx, id)
	user := g.Players[0].UserID
	zero, one := 0, 1
	if out, err := h.svc.Report(ctx, id, user, orchestrator.ReportQuery{Turn: &zero}); err != nil || string(out) != `{"turn":0}` {
		t.Fatalf("report of turn 0: %s %v", out, err)
	}
	if _, err := h.svc.Report(ctx, id, user, orchestrator.ReportQuery{Turn: &one}); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("report of a turn not generated: %v, want not_found", err)
	}
	MustSucceed(t, h.MustWait(h.svc.Stop(ctx, id, orchestrator.SourceLobby)))
	if _, err := h.svc.Report(ctx, id, user, orchestrator.ReportQuery{}); orchestrator.ErrorCode(err) != orchestrator.EGAMENOTRUNNING {
		t.Fatalf("report of a stopped game: %v, want game_not_running", err)
	}
	MustSucceed(t, h.MustWait(h.svc.Remove(ctx, id, orchestrator.SourceAdmin)))
	if _, err := h.svc.Report(ctx, id, user, orchestrator.ReportQuery{}); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("report of a removed game: %v, want not_found", err)
	}
	if _, err := h.svc.SubmitOrders(ctx, id, user, orchestrator.OrdersInput{Turn: &zero}); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("orders for a removed game: %v, want not_found", err)
	}
}

// A full disk: writes answer storage_unavailable, and a turn generated while the store
// could not record it is recorded once it can, with the delay in lastError — never lost.
func TestLifecycle_DiskFull(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	id := h.mustStart()
	h.disk.full.Store(true)
	if _, err := h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin); orchestrator.ErrorCode(err) != orchestrator.ESTORAGE {
		t.Fatalf("a request while the disk is full: %v, want storage_unavailable", err)
	}
	h.disk.full.Store(false)
	e := h.driver.engine(id)
	e.setTurnErr(func(context.Context, int) error {
		h.disk.full.Store(true) // the disk fills while the engine generates the turn
		return nil
	})
	op, err := h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)
	if err != nil {
		t.Fatal(err)
	}
	// Two timers: the scheduler's, and the backoff of the record that failed.
	clocktest.WaitFor(t, "the record retried", func() bool { return h.clock.Armed() >= 2 })
	e.setTurnErr(nil)
	h.disk.full.Store(false)
	h.clock.Advance(time.Second)
	MustSucceed(t, h.MustWait(op, nil))
	r := h.runtime(id)
	if r.CurrentTurn != 1 || !strings.Contains(r.LastError, "could not be recorded until") || !strings.Contains(r.LastError, "no space left on device") {
		t.Fatalf("after the disk freed: turn %d lastError %q, want turn 1 recorded late, saying so", r.CurrentTurn, r.LastError)
	}
	if _, turns := e.calls(); len(turns) != 1 {
		t.Fatalf("engine turn calls %v, want exactly one", turns)
	}
}
