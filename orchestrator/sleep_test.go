package orchestrator_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// MustOpenSleepy is an archived harness whose engines sleep after 10 minutes idle.
func MustOpenSleepy(tb testing.TB, release bool) (*harness, *memArchive) {
	tb.Helper()
	a := newMemArchive()
	h := MustOpenHarnessWith(tb, t0, func(c *orchestrator.Config) {
		c.Archive = a
		c.Idle = orchestrator.Idle{After: 10 * time.Minute, WakeAhead: 2 * time.Minute, WakeTimeout: 10 * time.Second, ReleaseVolume: release}
	})
	return h, a
}

// waitStatus advances the fake clock by step until the game reaches status.
func (h *harness) waitStatus(id uuid.UUID, status string, step time.Duration) {
	h.tb.Helper()
	clocktest.WaitFor(h.tb, "status "+status, func() bool {
		if h.runtime(id).Status == status {
			return true
		}
		h.clock.Advance(step)
		return false
	})
}

func (h *harness) opsOf(id uuid.UUID, kind orchestrator.Op) int {
	h.tb.Helper()
	ops, err := h.svc.Operations(context.Background(), id, 0)
	if err != nil {
		h.tb.Fatal(err)
	}
	n := 0
	for _, op := range ops {
		if op.Op == kind {
			n++
		}
	}
	return n
}

// An idle engine sleeps (its state archived, the engine stopped), the scheduler wakes
// it WakeAhead before its turn, and the turn runs on time.
func TestSleep_IdleThenWokenForItsTurn(t *testing.T) {
	h, a := MustOpenSleepy(t, false)
	g := h.MustCreate("0 * * * *") // turns at 13:00, 14:00…
	MustSucceed(t, h.MustWait(h.svc.Start(context.Background(), g.ID, orchestrator.SourceLobby)))
	// Idle from 12:00; at 12:10 it may sleep (13:00 is more than 2 min away).
	h.waitStatus(g.ID, orchestrator.StatusAsleep, time.Minute)
	if h.driver.runningVersion(g.ID) != "" {
		t.Fatal("asleep, but its engine runs")
	}
	r := h.runtime(g.ID)
	if r.ArchivedTurn == nil || *r.ArchivedTurn != 0 || r.NextTurnAt == nil || !r.NextTurnAt.Equal(t0.Add(time.Hour)) || len(a.turns(g.ID, 0)) == 0 {
		t.Fatalf("asleep: archived %v, next turn %v, want turn 0 archived and the turn still at 13:00", r.ArchivedTurn, r.NextTurnAt)
	}
	// Move to 12:58 (WakeAhead before the turn): the scheduler queues the wake.
	h.clock.Advance(t0.Add(time.Hour - 2*time.Minute).Sub(h.clock.Now()))
	clocktest.WaitFor(t, "the wake queued", func() bool { return h.opsOf(g.ID, orchestrator.OpWake) == 1 })
	ops, _ := h.svc.Operations(context.Background(), g.ID, 1)
	if wake := ops[0]; wake.Op != orchestrator.OpWake || wake.Source != orchestrator.SourceScheduler || !wake.CreatedAt.Equal(t0.Add(time.Hour-2*time.Minute)) {
		t.Fatalf("last operation %s from %s at %s, want the scheduler's wake at 12:58 (WakeAhead before 13:00)", wake.Op, wake.Source, wake.CreatedAt.Format(time.Kitchen))
	}
	clocktest.WaitFor(t, "awake", func() bool { return h.runtime(g.ID).Status == orchestrator.StatusRunning })
	clocktest.WaitFor(t, "turn 1 at 13:00", func() bool {
		if h.runtime(g.ID).CurrentTurn == 1 {
			return true
		}
		if h.clock.Now().Before(t0.Add(time.Hour)) {
			h.clock.Advance(30 * time.Second)
		}
		return false
	})
}

// A player's call wakes a sleeping engine and waits for it; calls that come together
// share one wake; a sleeping game's past reports come from the archive without waking it.
func TestSleep_PlayerCallsWake(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenSleepy(t, true) // volume released too: the wake restores
	id := h.mustStart()
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	MustSucceed(t, h.MustWait(h.svc.Sleep(ctx, id, orchestrator.SourceAdmin)))
	g, _ := h.svc.Game(ctx, id)
	one := 1
	out, err := h.svc.Report(ctx, id, g.Players[0].UserID, orchestrator.ReportQuery{Turn: &one})
	if err != nil || string(out) != `{"turn":1,"archived":true}` || h.runtime(id).Status != orchestrator.StatusAsleep {
		t.Fatalf("report of a sleeping game: %s %v (status %s), want the archived report, still asleep", out, err, h.runtime(id).Status)
	}
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := json.RawMessage(`{"type":"produce"}`)
			_, errs[i] = h.svc.SubmitOrders(ctx, id, g.Players[i%2].UserID, orchestrator.OrdersInput{Turn: &one, Orders: []json.RawMessage{o}})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("orders %d to a sleeping game: %v, want accepted after the wake", i, err)
		}
	}
	if n := h.opsOf(id, orchestrator.OpWake); n != 1 {
		t.Fatalf("%d wakes for 5 calls at once, want 1", n)
	}
	st, _ := h.driver.engine(id).State(ctx)
	if r := h.runtime(id); r.Status != orchestrator.StatusRunning || st == nil || st.Turn != 1 {
		t.Fatalf("after the wake: %s, engine %+v, want running at turn 1 (restored: the volume was released)", r.Status, st)
	}
}

// A player's call that arrives while the game is being put to sleep (its engine already
// stopping) waits for the sleep to end and wakes the game, instead of a 503.
func TestSleep_CallDuringASleepWaitsAndWakes(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenSleepy(t, false)
	id := h.mustStart()
	stopping, hold := make(chan struct{}), make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	defer release() // before the harness closes, which waits for the sleep
	h.driver.setStopFn(func(id uuid.UUID) error {
		h.driver.setStopFn(nil)
		h.driver.setRunning(id, false) // the engine is gone; the sleep is not recorded yet
		close(stopping)
		<-hold
		return nil
	})
	sleep, err := h.svc.Sleep(ctx, id, orchestrator.SourceAdmin)
	if err != nil {
		t.Fatal(err)
	}
	<-stopping
	g, _ := h.svc.Game(ctx, id)
	zero := 0
	waits := h.clock.Now().Add(10 * time.Second) // the call's bound: Idle.WakeTimeout
	res := make(chan error, 1)
	go func() {
		o := json.RawMessage(`{"type":"produce"}`)
		_, err := h.svc.SubmitOrders(ctx, id, g.Players[0].UserID, orchestrator.OrdersInput{Turn: &zero, Orders: []json.RawMessage{o}})
		res <- err
	}()
	clocktest.WaitFor(t, "the call to wait for the sleep", func() bool {
		select {
		case err := <-res:
			t.Fatalf("orders during a sleep answered %v before the sleep ended, want them to wait and wake the game", err)
		default:
		}
		return h.clock.ArmedAt(waits) > 0
	})
	release()
	if err := <-res; err != nil {
		t.Fatalf("orders during a sleep: %v, want accepted on the woken engine", err)
	}
	MustSucceed(t, h.MustWait(h.svc.Operation(ctx, sleep.ID)))
	if r := h.runtime(id); r.Status != orchestrator.StatusRunning || h.opsOf(id, orchestrator.OpWake) != 1 {
		t.Fatalf("after the call: %s with %d wakes, want running after one wake", r.Status, h.opsOf(id, orchestrator.OpWake))
	}
	if subs := h.driver.engine(id).submissions(); len(subs) != 1 {
		t.Fatalf("the engine got %d submissions, want the one", len(subs))
	}
}

// A wake that ends after its game's slot (slower than wake_ahead) runs the turn at
// once, instead of planning it for the next slot.
func TestSleep_WakeEndingAfterTheSlotRunsTheTurn(t *testing.T) {
	h, _ := MustOpenSleepy(t, false)
	g := h.MustCreate("0 * * * *") // turns at 13:00, 14:00…
	MustSucceed(t, h.MustWait(h.svc.Start(context.Background(), g.ID, orchestrator.SourceLobby)))
	h.waitStatus(g.ID, orchestrator.StatusAsleep, time.Minute)
	starting, release := h.holdNextStart(uuid.Nil)
	h.clock.Advance(t0.Add(time.Hour - 2*time.Minute).Sub(h.clock.Now())) // 12:58: the wake
	<-starting
	h.clock.Advance(3 * time.Minute) // 13:01: the slot passed while the engine woke
	release()
	clocktest.WaitFor(t, "turn 1 without waiting for 14:00", func() bool { return h.runtime(g.ID).CurrentTurn == 1 })
	if r := h.runtime(g.ID); r.NextTurnAt == nil || !r.NextTurnAt.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("after turn 1 the next turn is %v, want 14:00", r.NextTurnAt)
	}
}

// An idle sleep that runs after a call came (it was queued behind other work) does not
// happen: the engine stays up, and the operation says why.
func TestSleep_IdleSleepChecksAgainWhenItRuns(t *testing.T) {
	ctx := context.Background()
	a := newMemArchive()
	h := MustOpenHarnessWith(t, t0, func(c *orchestrator.Config) {
		c.Archive = a
		c.Idle = orchestrator.Idle{After: 10 * time.Minute, WakeAhead: 2 * time.Minute, WakeTimeout: 10 * time.Second}
		c.Workers, c.MaxWorkers = 1, 1 // one operation at a time: the sleep waits its turn
	})
	id := h.mustStart()
	other := h.MustCreate("0 0 1 1 *")
	started, release := h.holdNextStart(other.ID)
	if _, err := h.svc.Start(ctx, other.ID, orchestrator.SourceLobby); err != nil {
		t.Fatal(err)
	}
	<-started // the only worker is busy with the other game's start
	h.clock.Advance(11 * time.Minute)
	clocktest.WaitFor(t, "the idle sleep queued", func() bool { return h.opsOf(id, orchestrator.OpSleep) == 1 })
	g, _ := h.svc.Game(ctx, id)
	zero := 0
	if _, err := h.svc.Report(ctx, id, g.Players[0].UserID, orchestrator.ReportQuery{Turn: &zero}); err != nil {
		t.Fatal(err)
	}
	release()
	ops, _ := h.svc.Operations(ctx, id, 1)
	sleep := h.MustWait(h.svc.Operation(ctx, ops[0].ID))
	if sleep.Op != orchestrator.OpSleep || sleep.Status != orchestrator.OpFailed || sleep.ErrorCode != orchestrator.ECONFLICT {
		t.Fatalf("the idle sleep after a call: %s %s %s, want a sleep failed with conflict (not idle any more)", sleep.Op, sleep.Status, sleep.ErrorCode)
	}
	if h.runtime(id).Status != orchestrator.StatusRunning || h.driver.runningVersion(id) == "" {
		t.Fatalf("status %s, engine running %q: want the engine kept up", h.runtime(id).Status, h.driver.runningVersion(id))
	}
}

// A player's call to a sleeping game whose wake is slow waits at most WakeTimeout, then
// answers unavailable (503 with Retry-After at the API); the wake goes on, and a later
// call finds the engine up.
func TestSleep_CallWaitsAtMostWakeTimeout(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenSleepy(t, false)
	id := h.mustStart()
	MustSucceed(t, h.MustWait(h.svc.Sleep(ctx, id, orchestrator.SourceAdmin)))
	starting, release := h.holdNextStart(uuid.Nil)
	g, _ := h.svc.Game(ctx, id)
	zero := 0
	res := make(chan error, 1)
	go func() {
		_, err := h.svc.Command(ctx, id, g.Players[0].UserID, json.RawMessage(`{"type":"message","text":"hi"}`))
		res <- err
	}()
	<-starting
	h.clock.Advance(11 * time.Second) // past WakeTimeout (10 s)
	var err error
	clocktest.WaitFor(t, "the call to give up after WakeTimeout", func() bool {
		select {
		case err = <-res:
			return true
		default:
			return false
		}
	})
	if orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
		t.Fatalf("a call whose wake outlasts WakeTimeout: %v, want unavailable", err)
	}
	release()
	clocktest.WaitFor(t, "awake", func() bool { return h.runtime(id).Status == orchestrator.StatusRunning })
	if _, err := h.svc.Report(ctx, id, g.Players[0].UserID, orchestrator.ReportQuery{Turn: &zero}); err != nil {
		t.Fatalf("a call after the wake: %v", err)
	}
}
