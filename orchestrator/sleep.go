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
// archived does not happen: the engine runs on.
func (s *Executor) execSleep(ctx context.Context, op *Operation) error {
	act := actionOf(op)
	g, r, err := s.load(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
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

// Waker wakes sleeping games for the calls that need their engine, sharing one wake
// among every call that arrives while it runs.
type Waker struct {
	q     *queue
	mu    sync.Mutex
	calls map[uuid.UUID]chan struct{} // closed when the game's wake (or start) ends
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
	now := s.Clock.Now()
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
			switch {
			case busy[r.GameID] || !Transitions(ActSleep, r.Status).Allowed():
			case now.Sub(s.activity.lastSeen(r.GameID)) < s.Idle.After:
			case r.NextTurnAt != nil && r.NextTurnAt.Sub(now) <= s.Idle.WakeAhead && !r.Paused:
			default:
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
