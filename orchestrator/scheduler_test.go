package orchestrator_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

type dueLog struct {
	mu  sync.Mutex
	ids []uuid.UUID
	at  []time.Time
}

func (l *dueLog) add(id uuid.UUID, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ids, l.at = append(l.ids, id), append(l.at, at)
}

func (l *dueLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.ids)
}

func MustOpenScheduler(tb testing.TB, clock *clocktest.FakeClock, log *dueLog) *orchestrator.Scheduler {
	tb.Helper()
	s := orchestrator.NewScheduler(16)
	s.Clock = clock
	s.Dispatchers = 1
	s.Due = func(_ context.Context, due []orchestrator.Deadline) {
		for _, d := range due {
			log.add(d.GameID, d.At)
		}
	}
	s.Open()
	tb.Cleanup(s.Close)
	return s
}

func TestScheduler(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	t.Run("OK", func(t *testing.T) {
		clock := clocktest.NewFakeClock(t0)
		var log dueLog
		s := MustOpenScheduler(t, clock, &log)
		a, b, c := uuid.New(), uuid.New(), uuid.New()
		s.Set(a, t0.Add(3*time.Second))
		s.Set(b, t0.Add(1*time.Second))
		s.Set(c, t0.Add(2*time.Second))
		if got, want := s.Len(), 3; got != want {
			t.Fatalf("Len()=%d, want %d", got, want)
		}
		clocktest.WaitFor(t, "timer armed", func() bool { return clock.Armed() > 0 })
		clock.Advance(2 * time.Second)
		clocktest.WaitFor(t, "two fired", func() bool { return log.len() == 2 })
		log.mu.Lock()
		if log.ids[0] != b || log.ids[1] != c {
			t.Fatalf("fired %v, want [b c] in deadline order", log.ids)
		}
		log.mu.Unlock()
		if got, want := s.Len(), 1; got != want {
			t.Fatalf("Len()=%d after firing, want %d", got, want)
		}
		clocktest.WaitFor(t, "timer re-armed", func() bool { return clock.Armed() > 0 })
		clock.Advance(time.Second)
		clocktest.WaitFor(t, "third fired", func() bool { return log.len() == 3 })
	})

	t.Run("MoveAndRemove", func(t *testing.T) {
		clock := clocktest.NewFakeClock(t0)
		var log dueLog
		s := MustOpenScheduler(t, clock, &log)
		a, b := uuid.New(), uuid.New()
		s.Set(a, t0.Add(time.Second))
		s.Set(b, t0.Add(2*time.Second))
		s.Set(a, t0.Add(5*time.Second)) // moved behind b
		s.Remove(b)
		if got := s.Len(); got != 1 {
			t.Fatalf("Len()=%d after moving a and removing b, want 1", got)
		}
		clocktest.WaitFor(t, "timer armed", func() bool { return clock.Armed() > 0 })
		clock.Advance(4 * time.Second)
		clocktest.WaitFor(t, "timer re-armed", func() bool { return clock.Armed() > 0 })
		if got := log.len(); got != 0 {
			t.Fatalf("%d fired before the moved deadline, want 0", got)
		}
		clock.Advance(time.Second)
		clocktest.WaitFor(t, "a fired", func() bool { return log.len() == 1 })
		log.mu.Lock()
		defer log.mu.Unlock()
		if log.ids[0] != a || !log.at[0].Equal(t0.Add(5*time.Second)) {
			t.Fatalf("fired %v at %v, want a at its moved deadline %v", log.ids, log.at, t0.Add(5*time.Second))
		}
	})

	t.Run("EarlierDeadlineWakesLoop", func(t *testing.T) {
		clock := clocktest.NewFakeClock(t0)
		var log dueLog
		s := MustOpenScheduler(t, clock, &log)
		s.Set(uuid.New(), t0.Add(time.Hour))
		clocktest.WaitFor(t, "timer armed", func() bool { return clock.Armed() == 1 })
		s.Set(uuid.New(), t0.Add(time.Second))
		// The loop re-arms for the earlier deadline: the hour timer is stopped.
		clocktest.WaitFor(t, "re-armed for the earlier deadline", func() bool { return clock.Armed() == 1 && s.Len() == 2 })
		clock.Advance(time.Second)
		clocktest.WaitFor(t, "early one fired", func() bool { return log.len() == 1 })
	})
}
