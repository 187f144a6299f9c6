package orchestrator_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestService_Start(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		h := MustOpenHarness(t)
		g := h.MustCreate("0 * * * *")
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
		r := h.runtime(g.ID)
		if r.Status != orchestrator.StatusRunning || !r.Initialized {
			t.Fatalf("status %q initialized %v, want running, true", r.Status, r.Initialized)
		}
		if got, want := *r.NextTurnAt, t0.Add(time.Hour); !got.Equal(want) {
			t.Fatalf("nextTurnAt %v, want %v", got, want)
		}
		e := h.driver.engine(g.ID)
		if e.gameID != g.ID {
			t.Fatalf("engine gameId %s, want the game's id %s", e.gameID, g.ID)
		}
	})

	t.Run("RestartNeverReinits", func(t *testing.T) {
		h := MustOpenHarness(t)
		g := h.MustCreate("0 * * * *")
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
		MustSucceed(t, h.MustWait(h.svc.Restart(ctx, g.ID, orchestrator.SourceAdmin)))
		MustSucceed(t, h.MustWait(h.svc.Stop(ctx, g.ID, orchestrator.SourceAdmin)))
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceAdmin)))
		if inits, _ := h.driver.engine(g.ID).calls(); inits != 1 {
			t.Fatalf("init called %d times, want 1", inits)
		}
	})

	t.Run("ErrWrongGameOnVolume", func(t *testing.T) {
		h := MustOpenHarness(t)
		g := h.MustCreate("0 * * * *")
		e := h.driver.engine(g.ID)
		e.inited, e.gameID = true, uuid.New() // someone else's state
		op := h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby))
		if op.Status != orchestrator.OpFailed || op.ErrorCode != orchestrator.ECONFLICT {
			t.Fatalf("op %s %s, want failed conflict", op.Status, op.ErrorCode)
		}
		if r := h.runtime(g.ID); r.Status != orchestrator.StatusStartFailed {
			t.Fatalf("status %q, want start_failed", r.Status)
		}
	})

	t.Run("ErrPlacement", func(t *testing.T) {
		h := MustOpenHarness(t)
		g := h.MustCreate("0 * * * *")
		h.driver.StartFn = func(orchestrator.EngineSpec) error {
			return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no node has volume galaxy-state")
		}
		op := h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby))
		if op.Status != orchestrator.OpFailed || op.ErrorMessage != "no node has volume galaxy-state" {
			t.Fatalf("op %s %q, want failed with the driver's reason", op.Status, op.ErrorMessage)
		}
	})

	t.Run("ErrConflict", func(t *testing.T) {
		h := MustOpenHarness(t)
		g := h.MustCreate("0 * * * *")
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
		if _, err := h.svc.Start(ctx, g.ID, orchestrator.SourceLobby); orchestrator.ErrorCode(err) != orchestrator.ECONFLICT {
			t.Fatalf("second start: %v, want conflict", err)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		h := MustOpenHarness(t)
		if _, err := h.svc.Start(ctx, uuid.New(), orchestrator.SourceLobby); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
			t.Fatalf("start of unknown game: %v, want not_found", err)
		}
	})
}

func TestService_Turns(t *testing.T) {
	ctx := context.Background()
	started := func(h *harness, cron string) uuid.UUID {
		g := h.MustCreate(cron)
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
		return g.ID
	}
	waitTurn := func(h *harness, id uuid.UUID, n int) {
		t.Helper()
		clocktest.WaitFor(t, fmt.Sprintf("turn %d", n), func() bool {
			r := h.runtime(id)
			return r.CurrentTurn == n && r.Status == orchestrator.StatusRunning
		})
	}

	t.Run("Scheduled", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		for i := 1; i <= 3; i++ {
			clocktest.WaitFor(t, "timer armed", func() bool { return h.clock.Armed() > 0 })
			h.clock.Advance(time.Hour)
			waitTurn(h, id, i)
		}
		if r := h.runtime(id); !r.NextTurnAt.Equal(t0.Add(4 * time.Hour)) {
			t.Fatalf("nextTurnAt %v, want %v", r.NextTurnAt, t0.Add(4*time.Hour))
		}
		if _, turns := h.driver.engine(id).calls(); fmt.Sprint(turns) != "[1 2 3]" {
			t.Fatalf("engine turn calls %v, want [1 2 3]", turns)
		}
	})

	t.Run("ForceKeepsGrid", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
		r := h.runtime(id)
		if r.CurrentTurn != 1 || !r.NextTurnAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("turn %d next %v, want turn 1 and the deadline kept at %v", r.CurrentTurn, r.NextTurnAt, t0.Add(time.Hour))
		}
		h.clock.Advance(time.Hour)
		waitTurn(h, id, 2)
	})

	t.Run("PausedSkipsSlot", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		v, err := h.svc.Pause(ctx, id, orchestrator.SourceLobby)
		if err != nil {
			t.Fatal(err)
		}
		// A paused game shows no next turn: none will fire.
		if v.Runtime.NextTurnAt != nil || h.runtime(id).NextTurnAt != nil {
			t.Fatalf("paused game shows next turn %v", v.Runtime.NextTurnAt)
		}
		h.clock.Advance(time.Hour)
		v, err = h.svc.Resume(ctx, id, orchestrator.SourceLobby)
		if err != nil {
			t.Fatal(err)
		}
		if r := h.runtime(id); r.CurrentTurn != 0 || !r.NextTurnAt.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("after resume: turn %d next %v, want turn 0 and the next slot %v", r.CurrentTurn, r.NextTurnAt, t0.Add(2*time.Hour))
		}
		h.clock.Advance(time.Hour)
		waitTurn(h, id, 1)
	})

	t.Run("CrashReplaysSameTurn", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		// The engine generates turn 1, then galaxyd dies before the answer is recorded.
		e := h.driver.engine(id)
		e.setTurnErr(func(ctx context.Context, n int) error {
			e.mu.Lock()
			e.turn = n
			e.mu.Unlock()
			<-ctx.Done() // the daemon goes down while waiting for the answer
			return ctx.Err()
		})
		op, err := h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)
		if err != nil {
			t.Fatal(err)
		}
		clocktest.WaitFor(t, "turn call", func() bool { _, turns := e.calls(); return len(turns) == 1 })
		h.close()
		if cur := h.mustOp(op.ID); cur.Done() {
			t.Fatalf("after the crash the op is %s, want it still pending", cur.Status)
		}
		e.setTurnErr(nil)
		h.open()
		got := h.MustWait(op, nil)
		MustSucceed(t, got)
		r := h.runtime(id)
		if r.CurrentTurn != 1 || r.PendingTurn != 0 {
			t.Fatalf("after replay: turn %d pending %d, want 1, 0", r.CurrentTurn, r.PendingTurn)
		}
		if _, turns := e.calls(); fmt.Sprint(turns) != "[1 1]" {
			t.Fatalf("engine turn calls %v, want [1 1]: the call and its replay", turns)
		}
	})

	t.Run("CrashReplaysTurnBeforeQueuedStop", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		e := h.driver.engine(id)
		e.setTurnErr(func(ctx context.Context, n int) error {
			e.mu.Lock()
			e.turn = n
			e.mu.Unlock()
			<-ctx.Done()
			return ctx.Err()
		})
		turn, err := h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)
		if err != nil {
			t.Fatal(err)
		}
		clocktest.WaitFor(t, "turn call", func() bool { _, turns := e.calls(); return len(turns) == 1 })
		stop, err := h.svc.Stop(ctx, id, orchestrator.SourceLobby) // queued behind the turn
		if err != nil {
			t.Fatal(err)
		}
		h.close()
		h.driver.Stop(ctx, id) // the engine went down with galaxyd
		e.setTurnErr(nil)
		h.open()
		MustSucceed(t, h.MustWait(turn, nil))
		MustSucceed(t, h.MustWait(stop, nil))
		if r := h.runtime(id); r.Status != orchestrator.StatusStopped || r.CurrentTurn != 1 || r.PendingTurn != 0 {
			t.Fatalf("runtime %s turn %d pending %d, want stopped at turn 1", r.Status, r.CurrentTurn, r.PendingTurn)
		}
	})

	t.Run("MissedSlotsRunOnce", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		h.close()
		h.clock.Advance(10*time.Hour + 30*time.Minute) // ten slots pass while down
		h.open()
		waitTurn(h, id, 1)
		if r := h.runtime(id); !r.NextTurnAt.Equal(t0.Add(11 * time.Hour)) {
			t.Fatalf("nextTurnAt %v, want the next slot after now %v", r.NextTurnAt, t0.Add(11*time.Hour))
		}
		if _, turns := h.driver.engine(id).calls(); len(turns) != 1 {
			t.Fatalf("engine turn calls %v, want exactly one", turns)
		}
	})

	t.Run("ErrEngineFails", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		h.driver.engine(id).setTurnErr(func(context.Context, int) error {
			return &engine.Error{StatusCode: 500, Code: "internal", Message: "disk full"}
		})
		op := h.MustWait(h.retried(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
		if op.Status != orchestrator.OpFailed || op.ErrorCode != orchestrator.EENGINE {
			t.Fatalf("op %s %s, want failed engine_error", op.Status, op.ErrorCode)
		}
		r := h.runtime(id)
		if r.Status != orchestrator.StatusGenerationFailed || r.PendingTurn != 0 || r.CurrentTurn != 0 {
			t.Fatalf("runtime %s pending %d turn %d, want generation_failed, 0, 0", r.Status, r.PendingTurn, r.CurrentTurn)
		}
		if _, turns := h.driver.engine(id).calls(); len(turns) != 2 {
			t.Fatalf("%d attempts, want TurnAttempts=2", len(turns))
		}
	})

	t.Run("ErrEngineUnreachable", func(t *testing.T) {
		h := MustOpenHarness(t)
		id := started(h, "0 * * * *")
		h.driver.engine(id).setTurnErr(func(context.Context, int) error { return fmt.Errorf("dial: %w", engine.ErrUnreachable) })
		op := h.MustWait(h.retried(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
		if op.ErrorCode != orchestrator.EENGINEUNREACHABLE {
			t.Fatalf("op error %s, want engine_unreachable", op.ErrorCode)
		}
		if r := h.runtime(id); r.Status != orchestrator.StatusEngineUnreachable {
			t.Fatalf("status %s, want engine_unreachable", r.Status)
		}
	})
}

func TestService_Orders(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	g := h.MustCreate("0 * * * *")
	user := g.Players[0].UserID
	turn := func(n int) orchestrator.OrdersInput { return orchestrator.OrdersInput{Turn: &n} }
	if _, err := h.svc.SubmitOrders(ctx, g.ID, user, turn(0)); orchestrator.ErrorCode(err) != orchestrator.EGAMENOTRUNNING {
		t.Fatalf("orders before start: %v, want game_not_running", err)
	}
	MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
	if _, err := h.svc.SubmitOrders(ctx, g.ID, user, turn(0)); err != nil {
		t.Fatalf("orders while running: %v", err)
	}
	if _, err := h.svc.SubmitOrders(ctx, g.ID, user, orchestrator.OrdersInput{}); orchestrator.ErrorCode(err) != orchestrator.EINVALID || !strings.Contains(err.Error(), "field turn") {
		t.Fatalf("orders without a turn: %v, want invalid naming the field turn", err)
	}
	var e *orchestrator.Error
	if _, err := h.svc.SubmitOrders(ctx, g.ID, user, turn(1)); !errors.As(err, &e) || e.Code != orchestrator.ECONFLICT || e.Field != "turn" || !strings.Contains(e.Message, "open turn is 0") {
		t.Fatalf("orders for a future turn: %v, want conflict naming the open turn", err)
	}
	if _, err := h.svc.SubmitOrders(ctx, g.ID, uuid.New(), turn(0)); orchestrator.ErrorCode(err) != orchestrator.EFORBIDDEN {
		t.Fatalf("orders from a stranger: %v, want forbidden", err)
	}
	if _, err := h.svc.SubmitOrders(ctx, uuid.New(), user, turn(0)); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Fatalf("orders for an unknown game: %v, want not_found", err)
	}
	if _, err := h.svc.Pause(ctx, g.ID, orchestrator.SourceLobby); err != nil {
		t.Fatal(err)
	}
	if _, err := h.svc.SubmitOrders(ctx, g.ID, user, turn(0)); orchestrator.ErrorCode(err) != orchestrator.EGAMEPAUSED {
		t.Fatalf("orders while paused: %v, want game_paused", err)
	}
}

func TestService_Patch(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	g := h.MustCreate("0 * * * *")
	for _, v := range []string{"1.0.1", "1.1.0", "0.9.0"} {
		if _, err := h.svc.CreateEngineVersion(ctx, &orchestrator.EngineVersion{Version: v, Command: "/bin/engine", Enabled: true}); err != nil {
			t.Fatal(err)
		}
	}
	MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
	for _, tc := range []struct{ version, code string }{
		{"1.1.0", orchestrator.ECONFLICT}, {"0.9.0", orchestrator.ECONFLICT}, {"1.0.0", orchestrator.ECONFLICT},
		{"1.0.7", orchestrator.ENOTFOUND}, {"one", orchestrator.EINVALID},
	} {
		if _, err := h.svc.Patch(ctx, g.ID, tc.version, orchestrator.SourceAdmin); orchestrator.ErrorCode(err) != tc.code {
			t.Fatalf("patch to %s: %v, want %s", tc.version, err, tc.code)
		}
	}
	MustSucceed(t, h.MustWait(h.svc.Patch(ctx, g.ID, "1.0.1", orchestrator.SourceAdmin)))
	if r := h.runtime(g.ID); r.EngineVersion != "1.0.1" || r.Status != orchestrator.StatusRunning {
		t.Fatalf("after patch: %s %s, want 1.0.1 running", r.EngineVersion, r.Status)
	}
}

func TestService_Overloaded(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	block := make(chan struct{})
	defer close(block)
	h.driver.StartFn = func(orchestrator.EngineSpec) error { <-block; return nil }
	var err error
	for i := 0; i < 17 && err == nil; i++ { // QueueSize 16
		_, err = h.svc.Start(ctx, h.MustCreate("0 * * * *").ID, orchestrator.SourceLobby)
	}
	if orchestrator.ErrorCode(err) != orchestrator.EOVERLOADED {
		t.Fatalf("17th start: %v, want overloaded", err)
	}
}

func TestService_CreateGame(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	h.MustCreate("0 * * * *") // registers 1.0.0
	in := orchestrator.GameInput{EngineVersion: "1.0.0", Schedule: orchestrator.Schedule{Cron: "@every 1m"},
		Players: []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Gamma"}}}

	t.Run("Idempotent", func(t *testing.T) {
		a, created, err := h.svc.CreateGame(ctx, in, "key-1")
		if err != nil || !created {
			t.Fatalf("first create: %v created=%v", err, created)
		}
		b, created, err := h.svc.CreateGame(ctx, in, "key-1")
		if err != nil || created || b.ID != a.ID {
			t.Fatalf("replay: %v created=%v id=%s, want the first game %s", err, created, b.ID, a.ID)
		}
		other := in
		other.EarlyTurn = true
		if _, _, err := h.svc.CreateGame(ctx, other, "key-1"); orchestrator.ErrorCode(err) != orchestrator.ECONFLICT {
			t.Fatalf("same key, other body: %v, want conflict", err)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for field, mutate := range map[string]func(*orchestrator.GameInput){
			"engineVersion":     func(g *orchestrator.GameInput) { g.EngineVersion = "v1" },
			"schedule.cron":     func(g *orchestrator.GameInput) { g.Schedule.Cron = "nope" },
			"schedule.timezone": func(g *orchestrator.GameInput) { g.Schedule.Timezone = "Nowhere/City" },
			"players":           func(g *orchestrator.GameInput) { g.Players = nil },
			"players[0].userId": func(g *orchestrator.GameInput) { g.Players = []orchestrator.PlayerInput{{RaceName: "X"}} },
			"players[1].raceName": func(g *orchestrator.GameInput) {
				g.Players = append(g.Players, orchestrator.PlayerInput{UserID: uuid.New(), RaceName: "gamma"})
			},
			"players[0].raceName": func(g *orchestrator.GameInput) {
				g.Players = []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "has space"}}
			},
		} {
			g := in
			g.Players = append([]orchestrator.PlayerInput(nil), in.Players...)
			mutate(&g)
			_, _, err := h.svc.CreateGame(ctx, g, "")
			var e *orchestrator.Error
			if !errors.As(err, &e) || e.Code != orchestrator.EINVALID || e.Field != field {
				t.Fatalf("%s: got %v, want invalid naming %s", field, err, field)
			}
		}
	})

	t.Run("ErrUnknownVersion", func(t *testing.T) {
		g := in
		g.EngineVersion = "9.9.9"
		_, _, err := h.svc.CreateGame(ctx, g, "")
		var e *orchestrator.Error
		if !errors.As(err, &e) || e.Code != orchestrator.ENOTFOUND || e.Field != "engineVersion" {
			t.Fatalf("got %v, want not_found on engineVersion", err)
		}
	})
}

func TestService_EarlyTurn(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	in := orchestrator.GameInput{EngineVersion: "1.0.0", Schedule: orchestrator.Schedule{Cron: "0 0 1 1 *"}, EarlyTurn: true,
		Players: []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Alpha"}, {UserID: uuid.New(), RaceName: "Beta"}}}
	h.MustCreate("0 * * * *") // registers 1.0.0
	g, _, err := h.svc.CreateGame(ctx, in, "")
	if err != nil {
		t.Fatal(err)
	}
	MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
	zero := 0
	res, err := h.svc.SubmitOrders(ctx, g.ID, g.Players[0].UserID, orchestrator.OrdersInput{Turn: &zero, Final: true})
	if err != nil || res.AllFinal {
		t.Fatalf("first final orders: %+v %v, want accepted and not all final", res, err)
	}
	if r := h.runtime(g.ID); r.PendingTurn != 0 {
		t.Fatalf("turn %d started with one race final of two", r.PendingTurn)
	}
	if res, err = h.svc.SubmitOrders(ctx, g.ID, g.Players[1].UserID, orchestrator.OrdersInput{Turn: &zero, Final: true}); err != nil || !res.AllFinal {
		t.Fatalf("second final orders: %+v %v, want all final", res, err)
	}
	clocktest.WaitFor(t, "early turn", func() bool { return h.runtime(g.ID).CurrentTurn == 1 })
	ops, err := h.svc.Operations(ctx, g.ID, 1)
	if err != nil || ops[0].Op != orchestrator.OpTurn || ops[0].Details.Turn != 1 {
		t.Fatalf("last operation %+v (%v), want the early turn 1", ops[0], err)
	}
}

// TestService_TimeZones runs games in two zones across Berlin's spring-forward
// (2026-03-29, CET → CEST) with an injected clock: 18:00 local stays 18:00 local.
func TestService_TimeZones(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarnessAt(t, time.Date(2026, 3, 28, 12, 0, 0, 0, time.UTC))
	h.MustCreate("0 * * * *") // registers 1.0.0
	create := func(tz string) uuid.UUID {
		v, _, err := h.svc.CreateGame(ctx, orchestrator.GameInput{EngineVersion: "1.0.0",
			Schedule: orchestrator.Schedule{Cron: "0 18 * * *", Timezone: tz},
			Players:  []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Alpha"}}}, "")
		if err != nil {
			t.Fatal(err)
		}
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, v.ID, orchestrator.SourceLobby)))
		return v.ID
	}
	berlin, tokyo := create("Europe/Berlin"), create("Asia/Tokyo")
	for _, step := range []struct {
		at            time.Time
		berlin, tokyo int
	}{
		{time.Date(2026, 3, 28, 17, 0, 0, 0, time.UTC), 1, 0}, // 18:00 CET
		{time.Date(2026, 3, 29, 9, 0, 0, 0, time.UTC), 1, 1},  // 18:00 JST
		{time.Date(2026, 3, 29, 16, 0, 0, 0, time.UTC), 2, 1}, // 18:00 CEST, an hour earlier in UTC
		{time.Date(2026, 3, 30, 9, 0, 0, 0, time.UTC), 2, 2},
	} {
		// Stop just before the instant: once the scheduler sleeps again, nothing new
		// may have fired.
		prevB, prevK := h.runtime(berlin).CurrentTurn, h.runtime(tokyo).CurrentTurn
		h.clock.Advance(step.at.Add(-time.Second).Sub(h.clock.Now()))
		clocktest.WaitFor(t, "timer armed", func() bool { return h.clock.Armed() > 0 })
		if b, k := h.runtime(berlin).CurrentTurn, h.runtime(tokyo).CurrentTurn; b != prevB || k != prevK {
			t.Fatalf("a second before %v: turns %d/%d, want still %d/%d", step.at, b, k, prevB, prevK)
		}
		h.clock.Advance(time.Second)
		clocktest.WaitFor(t, fmt.Sprintf("turns at %v", step.at), func() bool {
			return h.runtime(berlin).CurrentTurn == step.berlin && h.runtime(tokyo).CurrentTurn == step.tokyo &&
				h.runtime(berlin).PendingTurn == 0 && h.runtime(tokyo).PendingTurn == 0
		})
	}
	if got, want := *h.runtime(berlin).NextTurnAt, time.Date(2026, 3, 30, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("Berlin's next turn at %v, want %v", got, want)
	}
}

// TestService_DueOverloaded: more games fall due at once than the queue holds. Turns
// are owed, so the limit does not refuse them — all are queued in their slot — while
// callers are refused until the queue has room again.
func TestService_DueOverloaded(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t) // QueueSize 16
	release := make(chan struct{})
	var ids []uuid.UUID
	for i := 0; i < 20; i++ {
		g := h.MustCreate("0 * * * *")
		MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
		h.driver.engine(g.ID).setTurnErr(func(ctx context.Context, _ int) error {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return nil
		})
		ids = append(ids, g.ID)
	}
	clocktest.WaitFor(t, "timer armed", func() bool { return h.clock.Armed() > 0 })
	h.clock.Advance(time.Hour)
	clocktest.WaitFor(t, "every turn queued", func() bool { return h.svc.Pending() == 20 })
	if _, err := h.svc.Stop(ctx, ids[0], orchestrator.SourceLobby); orchestrator.ErrorCode(err) != orchestrator.EOVERLOADED {
		t.Fatalf("a request while the queue is over its limit: %v, want overloaded", err)
	}
	close(release)
	clocktest.WaitFor(t, "every game at turn 1", func() bool {
		for _, id := range ids {
			if r := h.runtime(id); r.CurrentTurn < 1 {
				return false
			}
		}
		return true
	})
}

// A filtered list looks at no more than MaxListScan games per call, says where to go
// on, and pages through every match; unfiltered pages end at their limit.
func TestService_Games(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	n := orchestrator.MaxListScan + 50
	var paused []uuid.UUID
	for chunk := 0; chunk < n; chunk += 5000 {
		if err := h.store.Update(ctx, func(tx orchestrator.Tx) error {
			for i := chunk; i < min(chunk+5000, n); i++ {
				id := uuid.New()
				g := &orchestrator.Game{ID: id, EngineVersion: "1.0.0", Schedule: orchestrator.Schedule{Cron: "0 0 * * *", Timezone: "UTC"}}
				r := &orchestrator.Runtime{GameID: id, Status: orchestrator.StatusStopped, NodeID: "node-a"}
				if i%4000 == 0 {
					r.Paused, r.NodeID = true, "node-b"
					paused = append(paused, id)
				}
				if err := tx.PutGame(g); err != nil {
					return err
				}
				if err := tx.PutRuntime(r); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	slices.SortFunc(paused, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })

	yes := true
	var got []uuid.UUID
	calls := 0
	for f := (orchestrator.GameFilter{Paused: &yes, Node: "node-b", Limit: 100}); ; calls++ {
		page, err := h.svc.Games(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.Games {
			if !g.Runtime.Paused || g.Runtime.NodeID != "node-b" || g.Game == nil {
				t.Fatalf("page holds %+v", g.Runtime)
			}
			got = append(got, g.ID)
		}
		if page.Next == uuid.Nil {
			break
		}
		f.After = page.Next
	}
	if !slices.Equal(got, paused) {
		t.Fatalf("paused games: got %d, want %d", len(got), len(paused))
	}
	if calls != 1 {
		t.Fatalf("%d games took %d calls past the first, want 1 (MaxListScan %d each)", n, calls, orchestrator.MaxListScan)
	}

	page, err := h.svc.Games(ctx, orchestrator.GameFilter{Limit: 7})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Games) != 7 || page.Next != page.Games[6].ID {
		t.Fatalf("unfiltered page: %d games, next %v", len(page.Games), page.Next)
	}
}
