package orchestrator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Engines that sleep between turns (DESIGN §11): a Galaxy game makes a turn a day or a
// week, and its engine is idle more than 99% of its life. An engine idle for Idle.After
// with no turn due within Idle.WakeAhead is put to sleep — its state archived, the
// engine stopped (its volume released too with Idle.ReleaseVolume) — and wakes before
// its turn (the scheduler) or at a player's or admin's call, which waits for it.

// activity remembers when each game last served a player or admin call, in memory: a
// galaxyd that restarts gives every game a fresh Idle.After.
type activity struct {
	since time.Time // boot: games not seen since count from here
	last  sync.Map  // uuid.UUID → int64 unix nanoseconds
}

func (a *activity) touch(id uuid.UUID, now time.Time) { a.last.Store(id, now.UnixNano()) }

func (a *activity) lastSeen(id uuid.UUID) time.Time {
	if v, ok := a.last.Load(id); ok {
		return time.Unix(0, v.(int64))
	}
	return a.since
}

// execSleep archives the engine's state and stops it. A sleep whose snapshot cannot be
// archived does not happen: the engine runs on. The player calls that arrive while it
// runs wait for it and wake the game (Waker.sleeping), rather than finding the engine
// gone.
func (s *Executor) execSleep(ctx context.Context, op *Operation) error {
	act := actionOf(op)
	defer s.waker.sleeping(op.GameID)()
	g, r, err := s.load(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	if op.Source == SourceScheduler {
		// The idle pass decided from what it saw then; a call or a turn may have come
		// closer since the sleep was queued.
		if why := s.keepAwake(r); why != "" {
			return s.finish(ctx, op, Errorf(ECONFLICT, "not asleep: %s", why), nil)
		}
	}
	if s.Archive == nil {
		return s.finish(ctx, op, Errorf(EUNAVAILABLE, "no archive is configured: an engine cannot sleep without its state archived"), nil)
	}
	token, err := s.secret(ctx, g.ID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	turn := -1
	if ep, err := s.Discovery.Endpoint(ctx, g.ID); err == nil {
		if turn, err = s.archiveSnapshot(ctx, g, r, s.Engines(ep, token)); err != nil {
			return s.finish(ctx, op, Errorf(EUNAVAILABLE, "not asleep: the state could not be archived (%s)", ErrorMessage(err)), nil)
		}
	} else if !r.archived(r.CurrentTurn) {
		return s.finish(ctx, op, Errorf(ECONFLICT, "not asleep: the engine does not answer and turn %d is not archived", r.CurrentTurn), nil)
	}
	if s.Idle.ReleaseVolume {
		err = s.Driver.Remove(ctx, g.ID)
	} else {
		err = s.Driver.Stop(ctx, g.ID)
	}
	if err != nil {
		return s.finish(ctx, op, Errorf(EUNAVAILABLE, "not asleep: the engine could not be stopped (%s)", ErrorMessage(err)), nil)
	}
	op.Details.Turn = r.CurrentTurn
	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		if turn >= 0 {
			if err := archived(tx, r, turn); err != nil {
				return err
			}
		}
		now := s.now()
		r.EngineEndpoint, r.EngineHealth, r.AllocID, r.StoppedAt = "", "", "", &now
		if s.Idle.ReleaseVolume {
			r.NodeID, r.VolumeID = "", ""
		}
		settle(act, op.FromStatus, r, true, false)
		next = r
		return nil
	})
	if err == nil && next != nil {
		s.turns.reschedule(next)
	}
	return err
}

// keepAwake says why an engine that looked idle must stay up: a call served within
// Idle.After, or a turn due within Idle.WakeAhead; "" when it may sleep.
func (s *deps) keepAwake(r *Runtime) string {
	now := s.Clock.Now()
	if seen := s.activity.lastSeen(r.GameID); now.Sub(seen) < s.Idle.After {
		return fmt.Sprintf("the engine served a call %s ago (idle.after is %s)", now.Sub(seen).Round(time.Second), s.Idle.After)
	}
	if r.NextTurnAt != nil && !r.Paused && r.NextTurnAt.Sub(now) <= s.Idle.WakeAhead {
		return fmt.Sprintf("turn %d is due at %s, within idle.wake_ahead (%s)", r.CurrentTurn+1, r.NextTurnAt.UTC().Format(time.RFC3339), s.Idle.WakeAhead)
	}
	return ""
}

// Waker wakes sleeping games for the calls that need their engine, sharing one wake
// among every call that arrives while it runs, and holds back the calls that arrive
// while a game is being put to sleep.
type Waker struct {
	q      *queue
	mu     sync.Mutex
	calls  map[uuid.UUID]chan struct{} // closed when the game's wake (or start) ends
	asleep map[uuid.UUID]chan struct{} // closed when the game's sleep ends
}

// sleeping marks a sleep of the game under way until the returned func is called.
func (w *Waker) sleeping(id uuid.UUID) (done func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	w.asleep[id] = ch
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		if w.asleep[id] == ch {
			delete(w.asleep, id)
		}
		w.mu.Unlock()
		close(ch)
	}
}

// sleepUnderWay returns a channel closed when the game's sleep ends, or nil when none
// is under way.
func (w *Waker) sleepUnderWay(id uuid.UUID) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.asleep[id]
}

// wait returns once a wake of the game that ran its course has been signalled, or
// after wait, or when ctx ends; it queues the wake when none is under way.
func (w *Waker) wait(ctx context.Context, id uuid.UUID, src Source, wait time.Duration) error {
	w.mu.Lock()
	done, underWay := w.calls[id]
	if !underWay {
		done = make(chan struct{})
		w.calls[id] = done
	}
	w.mu.Unlock()
	if !underWay {
		if _, err := w.q.request(ctx, id, ActWake, OpWake, src, OpDetails{}, nil); err != nil && ErrorCode(err) != ECONFLICT {
			w.ended(id) // ECONFLICT: already waking, from the scheduler; wait for that
			return err
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

// ended signals the waiters of a game whose start or wake finished.
func (w *Waker) ended(id uuid.UUID) {
	w.mu.Lock()
	if done, ok := w.calls[id]; ok {
		close(done)
		delete(w.calls, id)
	}
	w.mu.Unlock()
}

// awake returns the game's runtime once its engine runs, waking it if it sleeps,
// within Idle.WakeTimeout. Errors: EUNAVAILABLE (still waking: retry), what the wake's
// request returns.
func (s *PlayerProxy) awake(ctx context.Context, g *Game, r *Runtime, src Source) (*Runtime, error) {
	deadline := s.Clock.Now().Add(s.Idle.WakeTimeout)
	if done := s.waker.sleepUnderWay(g.ID); done != nil {
		// Going to sleep: its engine is stopping. Wait for the sleep to end, then wake it.
		t := s.Clock.NewTimer(s.Idle.WakeTimeout)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C():
			return nil, Errorf(EUNAVAILABLE, "the game's engine is going to sleep; retry in a few seconds")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		var err error
		if _, r, err = s.load(ctx, g.ID); err != nil {
			return nil, err
		}
	}
	for r.Status == StatusAsleep {
		left := deadline.Sub(s.Clock.Now())
		if left <= 0 {
			return nil, Errorf(EUNAVAILABLE, "the game's engine is waking up; retry in a few seconds")
		}
		// Poll as well as wait: a wake that ended just before this call registered
		// signals no one.
		if err := s.waker.wait(ctx, g.ID, src, min(left, 250*time.Millisecond)); err != nil {
			return nil, err
		}
		var err error
		if _, r, err = s.load(ctx, g.ID); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Sleeper puts idle engines to sleep: every Interval it looks for running (or
// finished) games that served no call for Idle.After and have no turn due within
// Idle.WakeAhead, and queues their sleep.
type Sleeper struct {
	*deps
	q        *queue
	interval time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// open starts the loop; close stops it and waits.
func (s *Sleeper) open() {
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			t := s.Clock.NewTimer(s.interval)
			select {
			case <-s.ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
			if err := s.pass(s.ctx); err != nil && s.ctx.Err() == nil {
				s.Logger.Warn("cannot look for idle engines", "error", err)
			}
		}
	}()
}

func (s *Sleeper) close() {
	if s.cancel != nil {
		s.cancel()
		s.wg.Wait()
	}
}

// pass queues the sleep of every idle game.
func (s *Sleeper) pass(ctx context.Context) error {
	var idle []uuid.UUID
	if err := s.Store.View(ctx, func(tx Tx) error {
		pending, err := tx.PendingOperations()
		if err != nil {
			return err
		}
		busy := map[uuid.UUID]bool{}
		for _, op := range pending {
			busy[op.GameID] = true
		}
		return tx.Runtimes(func(r *Runtime) error {
			// An engine without snapshots cannot sleep: its state could not be archived.
			if !busy[r.GameID] && !r.SnapshotsUnsupported && Transitions(ActSleep, r.Status).Allowed() && s.keepAwake(r) == "" {
				idle = append(idle, r.GameID)
			}
			return nil
		})
	}); err != nil {
		return err
	}
	for _, id := range idle {
		if _, err := s.q.request(ctx, id, ActSleep, OpSleep, SourceScheduler, OpDetails{}, nil); err != nil {
			return fmt.Errorf("sleep game %s: %w", id, err)
		}
		s.log(id).Info("engine idle; putting it to sleep")
	}
	return nil
}
