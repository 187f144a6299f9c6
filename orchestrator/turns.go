package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// TurnEngine drives turns: it owns the scheduler (one heap, one timer for every
// game's deadline), closes the turns that fall due, generates them through the engines
// and records their results.
type TurnEngine struct {
	*deps
	q     *queue
	sched *Scheduler
}

// enqueue closes the open turn and queues its generation: the runtime records
// "turn N in progress" (status generation_in_progress, PendingTurn N) in the same
// transaction as the operation row, so a crash after this point replays exactly {turn: N}.
func (s *TurnEngine) enqueue(ctx context.Context, id uuid.UUID, act Action, src Source) (*Operation, error) {
	kind := OpTurn
	if act == ActForceNextTurn {
		kind = OpForceNextTurn
	}
	return s.q.request(ctx, id, act, kind, src, OpDetails{}, func(_ Tx, _ *Game, r *Runtime) error {
		r.PendingTurn = r.CurrentTurn + 1
		return nil
	})
}

// due is the scheduler's callback for deadlines that passed, in batches: the turns of
// every game in the batch are closed and queued in one transaction. A deadline that
// moved, or a game the table does not let turn (stopped, failed, a turn already on its
// way), passes: the change that caused it also set or dropped the deadline.
func (s *TurnEngine) due(ctx context.Context, batch []Deadline) {
	ids := make([]uuid.UUID, 0, len(batch))
	for _, d := range batch {
		ids = append(ids, d.GameID)
	}
	// Turns are owed, not asked for: the queue's limit, which protects galaxyd from its
	// callers, does not refuse them.
	tickets := make([]Ticket, len(ids))
	for i := range ids {
		tickets[i] = s.q.pool.Admit()
	}
	var ops []*Operation
	// The batch's turns close before the results of the turns before them are recorded:
	// their engine calls are what must be on time.
	err := s.Store.Update(WithPriority(ctx), func(tx Tx) error {
		ops = ops[:0]
		now := s.now()
		for _, id := range ids {
			r, err := tx.Runtime(id)
			if ErrorCode(err) == ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			from := r.Status
			if r.Status == StatusAsleep && r.NextTurnAt != nil && !s.deadline(r).After(now) && !r.Paused {
				// Its turn comes within WakeAhead: wake the engine first.
				if accept(ActWake, r) == nil {
					op := newOperation(id, OpWake, SourceScheduler, OpDetails{}, from, now)
					if err := tx.PutOperation(op); err != nil {
						return err
					}
					ops = append(ops, op)
					r.UpdatedAt = now
					if err := tx.PutRuntime(r); err != nil {
						return err
					}
				}
				continue
			}
			if r.NextTurnAt == nil || r.NextTurnAt.After(now) || r.PendingTurn > 0 || accept(ActTurn, r) != nil {
				continue
			}
			r.PendingTurn = r.CurrentTurn + 1
			op := newOperation(id, OpTurn, SourceScheduler, OpDetails{Turn: r.PendingTurn}, from, now)
			if err := tx.PutOperation(op); err != nil {
				return err
			}
			ops = append(ops, op)
			r.UpdatedAt = now
			if err := tx.PutRuntime(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, t := range tickets {
			s.q.pool.Release(t)
		}
		if ctx.Err() == nil {
			s.Logger.Error("cannot queue scheduled turns; retrying", "games", len(ids), "error", err)
			for _, id := range ids {
				s.sched.Set(id, s.Clock.Now().Add(10*time.Second))
			}
		}
		return
	}
	for i, op := range ops {
		s.q.pool.Submit(tickets[i], op)
	}
	for _, t := range tickets[len(ops):] {
		s.q.pool.Release(t)
	}
}

// plan sets r.NextTurnAt for the state r is in: no deadline while paused or not
// running; otherwise the deadline already on the grid while it is still ahead (a
// forced turn keeps it), or the first slot after now — always so with moveOn, which a
// scheduled turn uses to move to its next slot (slots missed while down run once).
func (s *TurnEngine) plan(g *Game, r *Runtime, now time.Time, moveOn bool) error {
	if r.Paused || (r.Status != StatusRunning && r.Status != StatusGenerationInProgress && r.Status != StatusAsleep) {
		r.NextTurnAt = nil
		return nil
	}
	if !moveOn && r.NextTurnAt != nil && r.NextTurnAt.After(now) {
		return nil
	}
	return s.nextSlot(g, r, now)
}

// nextSlot sets r.NextTurnAt to the first slot of g's schedule after now.
func (s *TurnEngine) nextSlot(g *Game, r *Runtime, now time.Time) error {
	cs, err := g.Schedule.Compile()
	if err != nil {
		return err
	}
	next := cs.Next(now)
	if next.IsZero() {
		r.NextTurnAt = nil
		return nil
	}
	next = next.UTC()
	r.NextTurnAt = &next
	return nil
}

// reschedule mirrors r's deadline into the scheduler after a commit.
func (s *TurnEngine) reschedule(r *Runtime) {
	if r.Scheduled() && r.PendingTurn == 0 {
		s.sched.Set(r.GameID, s.deadline(r))
	} else {
		s.sched.Remove(r.GameID)
	}
}

// deadline is when the scheduler acts for a scheduled game: at its turn, or — asleep —
// Idle.WakeAhead before it, to wake the engine in time.
func (s *TurnEngine) deadline(r *Runtime) time.Time {
	if r.Status == StatusAsleep {
		return r.NextTurnAt.Add(-s.Idle.WakeAhead)
	}
	return *r.NextTurnAt
}

// execTurn generates turn op.Details.Turn, retrying transport failures and engine
// 5xx a bounded number of times with backoff. While it waits for a retry the
// operation shows running, its attempts and the time of the next one, and a call that
// found no engine answering marks the engine critical at once.
func (s *TurnEngine) execTurn(ctx context.Context, op *Operation, now time.Time) error {
	act := actionOf(op)
	var g *Game
	var r *Runtime
	var token string
	err := s.Store.View(ctx, func(tx Tx) error {
		cur, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		if cur.Done() {
			*op = *cur
			return nil
		}
		cur.Status, cur.StartedAt = OpRunning, &now
		cur.Attempts++
		*op = *cur
		if g, r, err = gameAndRuntime(tx, op.GameID); err != nil {
			return err
		}
		token, err = tx.GameSecret(op.GameID)
		return err
	})
	switch {
	case err == nil && op.Done():
		return errNothingRan
	case ErrorCode(err) == ENOTFOUND && op.Status == OpRunning:
		return s.finish(ctx, op, err, nil)
	case err != nil:
		if ctx.Err() == nil {
			s.log(op.GameID).Error("cannot read the turn's game", "operation_id", op.ID, "error", err)
		}
		return errNothingRan
	}
	n := op.Details.Turn
	if n == 0 {
		n = r.PendingTurn
		op.Details.Turn = n
	}
	if n == 0 || r.CurrentTurn >= n {
		// Already generated (a replay after a crash that happened after the commit).
		return s.finish(ctx, op, nil, nil)
	}
	if r.PendingTurn != n {
		return s.finish(ctx, op, Errorf(ECONFLICT, "turn %d is no longer pending (status %s)", n, r.Status), nil)
	}

	var st *engine.State
	var c EngineClient
	backoff := s.TurnBackoff
	began := s.Clock.Now()
	for attempt := 1; ; attempt++ {
		op.Attempts = max(op.Attempts, attempt)
		st, c, err = s.turnOnce(ctx, g, r, token, n)
		if err == nil || ctx.Err() != nil || attempt >= s.TurnAttempts || !retryable(err) {
			break
		}
		s.log(g.ID).Warn("turn failed; retrying", "turn", n, "attempt", attempt, "error", err)
		if err := s.turnRetrying(ctx, op, n, err, backoff); err != nil {
			return err
		}
		t := s.Clock.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
		backoff *= 2
	}
	s.Metrics.turnDone(s.Clock.Now().Sub(began))
	if err == nil && st.GameID != g.ID {
		err = Errorf(ECONFLICT, "the engine's state belongs to game %s, not %s", st.GameID, g.ID)
	}
	if err != nil {
		return s.failTurn(ctx, op, n, err)
	}
	// The new turn's snapshot goes to the archive before the turn is recorded, so the
	// two land in one commit; an archive that fails only leaves the game lagging.
	archivedTurn := -1
	var archiveErr error
	if s.Archive != nil {
		if archivedTurn, archiveErr = s.archiveSnapshot(ctx, g, r, c); archiveErr != nil {
			archivedTurn = -1
			s.warnNotArchived(g.ID, fmt.Sprintf("turn %d generated but not archived", n), archiveErr)
		}
	}

	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		now := s.now()
		r.CurrentTurn, r.PendingTurn, r.Players, r.LastError, r.LastObservedAt = st.Turn, 0, st.Players, "", &now
		if err := tx.PutTurnFigures(g.ID, st.Turn, st.Players); err != nil {
			return err
		}
		if archivedTurn >= 0 {
			if err := archived(tx, r, archivedTurn); err != nil {
				return err
			}
		}
		noSnapshots(r, archiveErr)
		r.EngineHealth = HealthPassing
		settled := settle(act, op.FromStatus, r, true, false)
		if st.Finished {
			if settled {
				r.Status = StatusFinished
			}
			r.NextTurnAt, r.FinishedAt = nil, &now
			next = r
			if err := s.addEvent(tx, EventTurnGenerated, r, nil); err != nil {
				return err
			}
			return s.addEvent(tx, EventGameFinished, r, nil)
		}
		// A scheduled turn moves to the next slot after now; a forced turn keeps the
		// deadline that was already on the grid.
		if err := s.plan(g, r, now, op.Op == OpTurn); err != nil {
			return err
		}
		next = r
		return s.addEvent(tx, EventTurnGenerated, r, nil)
	})
	if err == nil && next != nil {
		s.reschedule(next)
	}
	return err
}

// turnRetrying records that attempt op.Attempts of turn n failed with cause and the
// next one follows after wait: the operation is running with its attempts and retry
// time, the runtime says why, and an engine that did not answer is critical.
func (s *TurnEngine) turnRetrying(ctx context.Context, op *Operation, n int, cause error, wait time.Duration) error {
	coded := engineError(cause)
	unreachable := isUnreachable(coded)
	err := s.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		retry := s.now().Add(wait)
		cur.Status, cur.StartedAt, cur.Attempts, cur.RetryAt = OpRunning, op.StartedAt, op.Attempts, &retry
		cur.ErrorCode, cur.ErrorMessage = ErrorCode(coded), ErrorMessage(coded)
		if err := tx.PutOperation(cur); err != nil {
			return err
		}
		r, err := tx.Runtime(op.GameID)
		if err != nil {
			return err
		}
		r.LastError = fmt.Sprintf("turn %d, attempt %d: %s", n, op.Attempts, ErrorMessage(coded))
		if unreachable {
			r.EngineHealth = HealthCritical
		}
		r.UpdatedAt = s.now()
		return tx.PutRuntime(r)
	})
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// isUnreachable reports whether a coded engine error means no engine answered.
func isUnreachable(err error) bool {
	c := ErrorCode(err)
	return c == EENGINEUNREACHABLE || c == EUNAVAILABLE
}

func (s *TurnEngine) turnOnce(ctx context.Context, g *Game, r *Runtime, token string, n int) (*engine.State, EngineClient, error) {
	c, err := s.engineFor(ctx, g, r, token)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	st, err := c.Turn(ctx, n)
	return st, c, err
}

// retryable reports whether a turn error may pass by itself: no answer, an engine
// 5xx, or a driver that cannot serve right now. A 4xx will not change on retry.
func retryable(err error) bool {
	var ee *engine.Error
	if errors.As(err, &ee) {
		return ee.StatusCode >= 500 || ee.StatusCode == 429
	}
	code := ErrorCode(err)
	return code == EUNAVAILABLE || code == EENGINEUNREACHABLE || code == EINTERNAL
}

func (s *TurnEngine) failTurn(ctx context.Context, op *Operation, n int, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	act := actionOf(op)
	coded := engineError(cause)
	down := isUnreachable(coded)
	s.log(op.GameID).Error("turn failed; game left for an operator", "turn", n, "error", cause)
	return s.finish(ctx, op, coded, func(tx Tx, g *Game, r *Runtime) error {
		r.PendingTurn = 0
		r.LastError = fmt.Sprintf("turn %d: %s", n, ErrorMessage(coded))
		if down {
			r.EngineHealth = HealthCritical
		}
		settle(act, op.FromStatus, r, false, down)
		if err := s.plan(g, r, s.now(), false); err != nil {
			return err
		}
		return s.addEvent(tx, EventGameFailed, r, map[string]any{"turn": n, "status": r.Status, "error": ErrorMessage(coded)})
	})
}
