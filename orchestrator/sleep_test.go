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
