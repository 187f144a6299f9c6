package orchestrator_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// notifierFunc adapts a function to orchestrator.Notifier.
type notifierFunc func(ctx context.Context, e *orchestrator.Event) error

func (f notifierFunc) Notify(ctx context.Context, e *orchestrator.Event) error { return f(ctx, e) }

func TestOutbox(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	g := h.MustCreate("0 * * * *")
	MustSucceed(t, h.MustWait(h.svc.Start(ctx, g.ID, orchestrator.SourceLobby)))
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, g.ID, orchestrator.SourceAdmin)))
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, g.ID, orchestrator.SourceAdmin)))

	var mu sync.Mutex
	var got []*orchestrator.Event
	fail := 3 // the lobby is down for the first three attempts
	ob := &orchestrator.Outbox{Store: h.store, Clock: h.clock, Interval: time.Minute, BackoffMin: time.Second, BackoffMax: 4 * time.Second,
		Notifier: notifierFunc(func(_ context.Context, e *orchestrator.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if fail > 0 {
				fail--
				return errors.New("503")
			}
			got = append(got, e)
			return nil
		})}
	ob.Open()
	defer ob.Close()
	for i := 0; i < 3; i++ { // three backoffs: 1 s, 2 s, 4 s
		clocktest.WaitFor(t, "backoff timer", func() bool { return h.clock.Armed() >= 2 })
		h.clock.Advance(4 * time.Second)
	}
	clocktest.WaitFor(t, "delivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 3
	})
	types := []string{got[0].Type, got[1].Type, got[2].Type}
	if want := []string{orchestrator.EventGameStarted, orchestrator.EventTurnGenerated, orchestrator.EventTurnGenerated}; types[0] != want[0] || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("delivered %v, want %v in order", types, want)
	}
	if got[1].Turn != 1 || got[2].Turn != 2 || got[1].ID == uuid.Nil || got[1].ID == got[2].ID {
		t.Fatalf("turn events %+v %+v: want turns 1 and 2 with distinct ids", got[1], got[2])
	}
	clocktest.WaitFor(t, "outbox drained", func() bool {
		n, err := ob.Depth(ctx)
		return err == nil && n == 0
	})
}
