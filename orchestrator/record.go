package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// finish records the outcome of op together with the state change apply makes, in one
// transaction. A store that cannot write (ESTORAGE: a full disk) does not lose the
// outcome: finish tries again with backoff until the commit goes through (or galaxyd
// shuts down, and the operation resumes at boot), and a success recorded late says so
// in the game's lastError.
func (s *deps) finish(ctx context.Context, op *Operation, opErr error, apply func(tx Tx, g *Game, r *Runtime) error) error {
	if opErr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	defer s.pokeOutbox()
	var failedSince time.Time
	var failure error
	for backoff := time.Second; ; backoff = min(2*backoff, 30*time.Second) {
		err := s.Store.Update(ctx, func(tx Tx) error { return s.record(tx, op, opErr, apply, failedSince, failure) })
		if ErrorCode(err) != ESTORAGE {
			return err
		}
		if failedSince.IsZero() {
			failedSince, failure = s.now(), err
			s.log(op.GameID).Error("cannot record the end of an operation; retrying until the store can write", "operation_id", op.ID, "op", op.Op, "error", err)
		}
		t := s.Clock.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// record is finish's transaction. late, when set, is since when the store refused it.
func (s *deps) record(tx Tx, op *Operation, opErr error, apply func(tx Tx, g *Game, r *Runtime) error, late time.Time, failure error) error {
	cur, err := tx.Operation(op.ID)
	if err != nil {
		return err
	}
	now := s.now()
	cur.FinishedAt = &now
	cur.Status, cur.ErrorCode, cur.ErrorMessage, cur.ErrorDetails, cur.RetryAt = OpSucceeded, "", "", nil, nil
	if opErr != nil {
		cur.Status, cur.ErrorCode, cur.ErrorMessage = OpFailed, ErrorCode(opErr), ErrorMessage(opErr)
		var e *Error
		if errors.As(opErr, &e) {
			cur.ErrorDetails = e.Details
		}
	}
	cur.Details = op.Details
	if cur.StartedAt == nil {
		cur.StartedAt = op.StartedAt
	}
	cur.Attempts = max(cur.Attempts, op.Attempts)
	if apply != nil {
		g, r, err := gameAndRuntime(tx, op.GameID)
		if ErrorCode(err) == ENOTFOUND {
			// An orphan's removal: there is no game to update.
			*op = *cur
			return tx.PutOperation(cur)
		} else if err != nil {
			return err
		}
		if err := apply(tx, g, r); err != nil {
			return err
		}
		if !late.IsZero() && opErr == nil {
			what := string(op.Op)
			if op.Details.Turn > 0 {
				what = fmt.Sprintf("%s %d", op.Op, op.Details.Turn)
			}
			r.LastError = fmt.Sprintf("%s succeeded at %s but could not be recorded until %s: %s", what,
				late.Format(time.RFC3339), now.Format(time.RFC3339), ErrorMessage(failure))
		}
		r.UpdatedAt = now
		if err := tx.PutRuntime(r); err != nil {
			return err
		}
	}
	*op = *cur
	return tx.PutOperation(cur)
}
