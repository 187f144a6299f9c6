package orchestrator

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// queue writes operations to the operation log and hands them to the worker pool: the
// one path by which the API, the scheduler's early turns and the reconciler's
// corrections queue work, so everything a game does is logged and serialised.
type queue struct {
	*deps
	pool *WorkerPool
}

// newOperation is the one constructor of operation rows: a queued operation of kind
// on game id, accepted from status from at now, with a fresh UUIDv7 (so IDs sort by
// creation time).
func newOperation(id uuid.UUID, kind Op, src Source, d OpDetails, from string, now time.Time) *Operation {
	return &Operation{ID: uuid.Must(uuid.NewV7()), GameID: id, Op: kind, Source: src, Status: OpQueued, Details: d, FromStatus: from, CreatedAt: now}
}

// request asks the transition table whether act may run on the game, and records the
// queued operation and the runtime's queued status in one transaction (check, when
// set, adds its own validation inside it), then hands the operation to the pool. The
// queue slot is reserved first, so a full queue refuses the request before anything
// is written.
func (s *queue) request(ctx context.Context, id uuid.UUID, act Action, kind Op, src Source, d OpDetails, check func(Tx, *Game, *Runtime) error) (*Operation, error) {
	ticket, err := s.pool.Reserve()
	if err != nil {
		return nil, err
	}
	if src == SourceLobby || src == SourceAdmin {
		s.activity.touch(id, s.Clock.Now()) // people use the game: it is not idle
	}
	var op *Operation
	// Someone waits for the answer: it goes before the results of earlier work.
	err = s.Store.Update(WithPriority(ctx), func(tx Tx) error {
		g, r, err := gameAndRuntime(tx, id)
		if err != nil {
			return err
		}
		from := r.Status
		if err := accept(act, r); err != nil {
			return err
		}
		if check != nil {
			if err := check(tx, g, r); err != nil {
				return err
			}
		}
		now := s.now()
		r.UpdatedAt = now
		op = newOperation(id, kind, src, d, from, now)
		if act == ActForceNextTurn || act == ActTurn {
			op.Details.Turn = r.PendingTurn
		}
		if err := tx.PutRuntime(r); err != nil {
			return err
		}
		return tx.PutOperation(op)
	})
	if err != nil {
		s.pool.Release(ticket)
		return nil, err
	}
	// The worker owns its own copy: the caller goes on to encode op for the client.
	work := *op
	s.pool.Submit(ticket, &work)
	s.log(id).Info("operation queued", "operation_id", op.ID, "op", kind, "source", src)
	return op, nil
}

// revive queues a start operation (source reconciler) for each game whose engine the
// driver does not run. Like resumed operations these bypass the queue limit: refusing
// them would leave running games without an engine.
func (s *queue) revive(ids []uuid.UUID) error {
	if len(ids) == 0 {
		return nil
	}
	insts, err := s.Driver.Instances(s.ctx)
	if err != nil {
		return err
	}
	running := make(map[uuid.UUID]bool, len(insts))
	for _, in := range insts {
		running[in.GameID] = in.Running
	}
	var ops []*Operation
	err = s.Store.Update(s.ctx, func(tx Tx) error {
		ops = ops[:0]
		for _, id := range ids {
			r, err := tx.Runtime(id)
			if err != nil {
				return err
			}
			from := r.Status
			if running[id] || accept(ActEnsure, r) != nil {
				continue
			}
			op := newOperation(id, OpStart, SourceReconciler, OpDetails{}, from, s.now())
			if err := tx.PutOperation(op); err != nil {
				return err
			}
			ops = append(ops, op)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, op := range ops {
		s.log(op.GameID).Info("bringing engine back", "operation_id", op.ID)
		s.pool.Resume(op)
	}
	return nil
}

// removeOrphan removes an engine, with its state, that no game claims: an operation
// from the reconciler on a game ID the store does not know. It has no status, hence
// no row in the transition table; it is logged and serialised like every operation.
func (s *queue) removeOrphan(ctx context.Context, id uuid.UUID) (*Operation, error) {
	ticket, err := s.pool.Reserve()
	if err != nil {
		return nil, err
	}
	op := newOperation(id, OpRemove, SourceReconciler, OpDetails{}, "", s.now())
	err = s.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Game(id); err == nil {
			return Errorf(ECONFLICT, "game %s exists: not an orphan", id)
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		return tx.PutOperation(op)
	})
	if err != nil {
		s.pool.Release(ticket)
		return nil, err
	}
	work := *op
	s.pool.Submit(ticket, &work)
	return op, nil
}
