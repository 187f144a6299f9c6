package orchestrator

import (
	"context"
	"errors"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// enqueueTurn closes the open turn and queues its generation: the runtime records
// "turn N in progress" (status generation_in_progress, PendingTurn N) in the same
// transaction as the operation row, so a crash after this point replays exactly {turn: N}.
func (s *Service) enqueueTurn(ctx context.Context, id uuid.UUID, kind Op, src Source) (*Operation, error) {
	var n int
	return s.enqueueTx(ctx, id, kind, src, OpDetails{}, func(tx Tx, g *Game, r *Runtime) error {
		if err := turnAllowed(id, r, kind); err != nil {
			return err
		}
		n = r.CurrentTurn + 1
		r.Status, r.PendingTurn = StatusGenerationInProgress, n
		return nil
	}, func(op *Operation) { op.Details.Turn = n })
}

func turnAllowed(id uuid.UUID, r *Runtime, kind Op) error {
	switch {
	case r.Paused:
		return Errorf(EGAMEPAUSED, "game %s is paused; resume it first", id)
	case r.PendingTurn > 0:
		return Errorf(ECONFLICT, "turn %d of game %s is already being generated", r.PendingTurn, id)
	case r.Status == StatusRunning:
		return nil
	case kind == OpForceNextTurn && (r.Status == StatusGenerationFailed || r.Status == StatusEngineUnreachable):
		return nil // an operator retrying a failed turn
	}
	return conflict(id, r, "generate a turn of")
}

// due is the scheduler's callback for deadlines that passed, in batches: the turns of
// every game in the batch are closed and queued in one transaction. A paused game lets
// its slot pass and moves to the next one on the grid.
func (s *Service) due(ctx context.Context, ids []uuid.UUID) {
	stale := func(r *Runtime) bool {
		// The deadline moved, or a turn is already on its way: nothing to do here, the
		// change that caused it also re-sets the deadline.
		return r.NextTurnAt == nil || r.NextTurnAt.After(s.now()) || !r.Scheduled() || r.PendingTurn > 0
	}
	var tickets []Ticket
	reserved := ids[:0]
	for _, id := range ids {
		t, err := s.pool.Reserve()
		if err != nil {
			// Keep the slot: try again shortly instead of dropping a turn.
			s.sched.Set(id, s.Clock.Now().Add(time.Second))
			continue
		}
		tickets, reserved = append(tickets, t), append(reserved, id)
	}
	ids = reserved
	var ops []*Operation
	var paused []uuid.UUID
	err := s.Store.Update(ctx, func(tx Tx) error {
		ops, paused = ops[:0], paused[:0]
		now := s.now()
		for _, id := range ids {
			g, err := tx.Game(id)
			if ErrorCode(err) == ENOTFOUND {
				continue
			} else if err != nil {
				return err
			}
			r, err := tx.Runtime(id)
			if err != nil {
				return err
			}
			switch {
			case stale(r):
				continue
			case r.Paused:
				paused = append(paused, id)
				if err := s.nextSlot(g, r, now); err != nil {
					return err
				}
			default:
				r.Status, r.PendingTurn = StatusGenerationInProgress, r.CurrentTurn+1
				op := &Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: OpTurn, Source: SourceScheduler,
					Status: OpQueued, Details: OpDetails{Turn: r.PendingTurn}, CreatedAt: now}
				if err := tx.PutOperation(op); err != nil {
					return err
				}
				ops = append(ops, op)
			}
			r.UpdatedAt = now
			if err := tx.PutRuntime(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		for _, t := range tickets {
			s.pool.Release(t)
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
		s.pool.Submit(tickets[i], op)
	}
	for _, t := range tickets[len(ops):] {
		s.pool.Release(t)
	}
	if len(paused) > 0 {
		s.skipped(ctx, paused)
	}
}

// skipped mirrors the moved deadlines of paused games into the scheduler.
func (s *Service) skipped(ctx context.Context, ids []uuid.UUID) {
	_ = s.Store.View(ctx, func(tx Tx) error {
		for _, id := range ids {
			if r, err := tx.Runtime(id); err == nil {
				s.reschedule(r)
			}
		}
		return nil
	})
}

// nextSlot sets r.NextTurnAt to the first slot of g's schedule after now.
func (s *Service) nextSlot(g *Game, r *Runtime, now time.Time) error {
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
func (s *Service) reschedule(r *Runtime) {
	if r.Scheduled() && r.PendingTurn == 0 {
		s.sched.Set(r.GameID, *r.NextTurnAt)
	} else {
		s.sched.Remove(r.GameID)
	}
}

// execTurn generates turn op.Details.Turn, retrying transport failures and engine
// 5xx a bounded number of times with backoff.
func (s *Service) execTurn(ctx context.Context, op *Operation) error {
	g, r, err := s.load(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
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
	backoff := s.TurnBackoff
	began := s.Clock.Now()
	for attempt := 1; ; attempt++ {
		st, err = s.turnOnce(ctx, g, r, n)
		if err == nil || ctx.Err() != nil || attempt >= s.TurnAttempts || !retryable(err) {
			break
		}
		s.log(g.ID).Warn("turn failed; retrying", "turn", n, "attempt", attempt, "error", err)
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

	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		now := s.now()
		r.CurrentTurn, r.PendingTurn, r.Players, r.LastError, r.LastObservedAt = st.Turn, 0, st.Players, "", &now
		if st.Finished {
			r.Status, r.NextTurnAt, r.FinishedAt = StatusFinished, nil, &now
			next = r
			if err := s.addEvent(tx, EventTurnGenerated, r, nil); err != nil {
				return err
			}
			return s.addEvent(tx, EventGameFinished, r, nil)
		}
		if r.Status == StatusGenerationInProgress || r.Status == StatusGenerationFailed || r.Status == StatusEngineUnreachable {
			r.Status = StatusRunning
		}
		// A scheduled turn moves to the next slot after now (slots missed while down run
		// once); a forced turn keeps the deadline that was already on the grid.
		if op.Op == OpTurn || r.NextTurnAt == nil || !r.NextTurnAt.After(now) {
			if err := s.nextSlot(g, r, now); err != nil {
				return err
			}
		}
		next = r
		return s.addEvent(tx, EventTurnGenerated, r, nil)
	})
	if err == nil && next != nil {
		s.reschedule(next)
	}
	return err
}

func (s *Service) turnOnce(ctx context.Context, g *Game, r *Runtime, n int) (*engine.State, error) {
	c, err := s.engineFor(ctx, g, r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	return c.Turn(ctx, n)
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

func (s *Service) failTurn(ctx context.Context, op *Operation, n int, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	coded := engineError(cause)
	status := StatusGenerationFailed
	if c := ErrorCode(coded); c == EENGINEUNREACHABLE || c == EUNAVAILABLE {
		status = StatusEngineUnreachable
	}
	s.log(op.GameID).Error("turn failed; game left for an operator", "turn", n, "status", status, "error", cause)
	return s.finish(ctx, op, coded, func(tx Tx, g *Game, r *Runtime) error {
		r.PendingTurn = 0
		if r.Status == StatusGenerationInProgress {
			r.Status = status
		}
		r.LastError = ErrorMessage(coded)
		return s.addEvent(tx, EventGameFailed, r, map[string]any{"turn": n, "status": status, "error": ErrorMessage(coded)})
	})
}
