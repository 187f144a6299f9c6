package orchestrator

import (
	"context"
	"encoding/json"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// run executes one operation for the worker pool. Every operation is re-runnable: a
// crash at any point leaves it queued or running in the store, and the next boot runs
// it again from the start, which converges on the same result.
func (s *Service) run(ctx context.Context, op *Operation) {
	lg := s.log(op.GameID).With("operation_id", op.ID, "op", op.Op)
	now := s.now()
	// A turn is already recorded as in progress on the runtime; its operation row
	// goes from queued to its end in one write, which saves an fsync per turn when
	// thousands of games fall due together. Other operations are marked running first.
	markRunning := op.Op != OpTurn && op.Op != OpForceNextTurn
	mark := s.Store.Update
	if !markRunning {
		mark = s.Store.View
	}
	if err := mark(ctx, func(tx Tx) error {
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
		if !markRunning {
			return nil
		}
		return tx.PutOperation(cur)
	}); err != nil {
		if ctx.Err() == nil {
			lg.Error("cannot mark operation running", "error", err)
		}
		return
	}
	if op.Done() {
		return
	}

	var err error
	switch op.Op {
	case OpStart, OpRestart, OpPatch:
		err = s.execStart(ctx, op)
	case OpStop, OpRemove:
		err = s.execStop(ctx, op)
	case OpTurn, OpForceNextTurn:
		err = s.execTurn(ctx, op)
	default:
		err = s.finish(ctx, op, Errorf(EINTERNAL, "unknown operation %q", op.Op), nil)
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down: the operation stays running in the store and resumes at boot.
		lg.Info("operation interrupted by shutdown; it resumes at the next boot")
		return
	}
	if err != nil {
		lg.Error("operation not recorded", "error", err)
		return
	}
	s.Metrics.opDone(op, s.Clock.Now().Sub(now))
	lg.Info("operation finished", "status", op.Status, "error_code", op.ErrorCode)
}

// finish records the outcome of op together with the state change apply makes, in one
// transaction; apply runs only when opErr is nil... or always, when it handles failures.
func (s *Service) finish(ctx context.Context, op *Operation, opErr error, apply func(tx Tx, g *Game, r *Runtime) error) error {
	if opErr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	defer s.pokeOutbox()
	return s.Store.Update(ctx, func(tx Tx) error {
		cur, err := tx.Operation(op.ID)
		if err != nil {
			return err
		}
		now := s.now()
		cur.FinishedAt = &now
		cur.Status, cur.ErrorCode, cur.ErrorMessage = OpSucceeded, "", ""
		if opErr != nil {
			cur.Status, cur.ErrorCode, cur.ErrorMessage = OpFailed, ErrorCode(opErr), ErrorMessage(opErr)
		}
		cur.Details = op.Details
		if cur.StartedAt == nil {
			cur.StartedAt, cur.Attempts = op.StartedAt, op.Attempts
		}
		if apply != nil {
			g, r, err := gameAndRuntime(tx, op.GameID)
			if err != nil {
				return err
			}
			if err := apply(tx, g, r); err != nil {
				return err
			}
			r.UpdatedAt = now
			if err := tx.PutRuntime(r); err != nil {
				return err
			}
		}
		*op = *cur
		return tx.PutOperation(cur)
	})
}

// load reads a game and its runtime in a read-only transaction. Errors: ENOTFOUND.
func (s *Service) load(ctx context.Context, id uuid.UUID) (g *Game, r *Runtime, err error) {
	err = s.Store.View(ctx, func(tx Tx) error {
		g, r, err = gameAndRuntime(tx, id)
		return err
	})
	return g, r, err
}

// execStart runs start, restart and patch: the driver brings the engine up, then the
// game is initialised once, or its state is checked to be ours.
func (s *Service) execStart(ctx context.Context, op *Operation) error {
	g, r, err := s.load(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	if r.Status == StatusRemoved {
		return s.finish(ctx, op, Errorf(ECONFLICT, "game was removed"), nil)
	}
	version := r.EngineVersion
	if op.Op == OpPatch {
		version = op.Details.Version
		if !r.Active() && r.Status != StatusStarting {
			// A game that does not run only records its new version.
			return s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
				return s.applyVersion(tx, g, r, version)
			})
		}
	}
	op.Details.Version = version
	token, err := s.secret(ctx, g.ID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	if op.Op == OpRestart {
		if err := s.Driver.Stop(ctx, g.ID); err != nil {
			return s.failStart(ctx, op, err)
		}
	}
	inst, err := s.startDriver(ctx, g, version, token)
	if err != nil {
		return s.failStart(ctx, op, err)
	}
	client := s.Engines(inst.Endpoint, token)
	st, err := s.initOrVerify(ctx, client, g, r)
	if err != nil {
		return s.failStart(ctx, op, err)
	}
	op.Details.ImageRef, op.Details.JobVersion, op.Details.Turn = inst.ImageRef, inst.JobVersion, st.Turn

	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		if r.Status == StatusRemoved || r.Status == StatusStopping {
			return nil // a later stop or remove is queued; let it win
		}
		if err := s.applyVersion(tx, g, r, version); err != nil {
			return err
		}
		now := s.now()
		applyInstance(r, inst)
		r.Initialized, r.LastError, r.StartedAt, r.LastObservedAt = true, "", &now, &now
		if st.Turn > r.CurrentTurn {
			r.CurrentTurn = st.Turn
		}
		if len(st.Players) > 0 {
			r.Players = st.Players
		}
		switch {
		case st.Finished:
			r.Status, r.NextTurnAt = StatusFinished, nil
		case r.PendingTurn > 0:
			r.Status = StatusGenerationInProgress
		case op.Source == SourceReconciler && (r.Status == StatusGenerationFailed || r.Status == StatusEngineUnreachable):
			// The engine is back, but a failed turn stays for an operator to look at.
		default:
			r.Status = StatusRunning
			if r.NextTurnAt == nil || !r.NextTurnAt.After(now) {
				if err := s.nextSlot(g, r, now); err != nil {
					return err
				}
			}
		}
		next = r
		return s.addEvent(tx, EventGameStarted, r, nil)
	})
	if err == nil && next != nil {
		s.reschedule(next)
	}
	return err
}

// initOrVerify initialises a game that never was, and otherwise (or on 409) reads the
// engine's state and checks that it holds our game: a different gameId means the
// engine was given someone else's volume, which must fail loudly.
func (s *Service) initOrVerify(ctx context.Context, c EngineClient, g *Game, r *Runtime) (*engine.State, error) {
	ctx, cancel := context.WithTimeout(ctx, s.EngineTimeout)
	defer cancel()
	if err := c.Healthz(ctx); err != nil {
		return nil, engineError(err)
	}
	if !r.Initialized {
		req := engine.InitRequest{GameID: g.ID, Settings: g.Settings}
		for _, p := range g.Players {
			req.Races = append(req.Races, engine.Race{RaceName: p.RaceName, PlayerID: p.EnginePlayerID})
		}
		st, err := c.Init(ctx, req)
		if err == nil {
			return st, nil
		} else if !engine.IsStatus(err, 409) {
			return nil, engineError(err)
		}
	}
	st, err := c.State(ctx)
	if err != nil {
		return nil, engineError(err)
	}
	if st.GameID != g.ID {
		return nil, Errorf(ECONFLICT, "the engine's state belongs to game %s, not %s: wrong volume or state directory", st.GameID, g.ID)
	}
	if st.Turn < r.CurrentTurn {
		return nil, Errorf(ECONFLICT, "the engine's state is at turn %d but turn %d was generated: state was lost or rolled back", st.Turn, r.CurrentTurn)
	}
	return st, nil
}

func (s *Service) applyVersion(tx Tx, g *Game, r *Runtime, version string) error {
	if version == "" || version == r.EngineVersion && version == g.EngineVersion {
		return nil
	}
	v, err := tx.EngineVersion(version)
	if err != nil {
		return err
	}
	r.EngineVersion, r.ImageRef = version, v.ImageRef
	if g.EngineVersion != version {
		g.EngineVersion = version
		return tx.PutGame(g)
	}
	return nil
}

func applyInstance(r *Runtime, inst *Instance) {
	r.EngineEndpoint, r.JobID, r.JobVersion = inst.Endpoint, inst.JobID, inst.JobVersion
	r.AllocID, r.NodeID, r.VolumeID, r.Restarts = inst.AllocID, inst.NodeID, inst.VolumeID, inst.Restarts
	if inst.ImageRef != "" {
		r.ImageRef = inst.ImageRef
	}
	r.EngineHealth = "passing"
}

func (s *Service) failStart(ctx context.Context, op *Operation, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.log(op.GameID).Warn("start failed", "op", op.Op, "error", cause)
	return s.finish(ctx, op, cause, func(tx Tx, g *Game, r *Runtime) error {
		if r.Status == StatusRemoved || r.Status == StatusStopping {
			return nil
		}
		r.Status, r.LastError, r.EngineHealth = StatusStartFailed, ErrorMessage(cause), "unknown"
		return s.addEvent(tx, EventStartFailed, r, map[string]string{"error": ErrorMessage(cause)})
	})
}

// execStop runs stop and remove.
func (s *Service) execStop(ctx context.Context, op *Operation) error {
	var err error
	if op.Op == OpRemove {
		err = s.Driver.Remove(ctx, op.GameID)
	} else {
		err = s.Driver.Stop(ctx, op.GameID)
	}
	if err != nil {
		return s.finish(ctx, op, err, func(tx Tx, g *Game, r *Runtime) error {
			r.LastError = ErrorMessage(err)
			return nil
		})
	}
	s.sched.Remove(op.GameID)
	return s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		now := s.now()
		r.NextTurnAt, r.EngineEndpoint, r.EngineHealth, r.StoppedAt, r.AllocID = nil, "", "", &now, ""
		if r.PendingTurn > 0 {
			r.PendingTurn = 0 // the queued turn ahead of us already ran or failed
		}
		if op.Op == OpRemove {
			r.Status = StatusRemoved
			return s.addEvent(tx, EventGameRemoved, r, nil)
		}
		if r.Status == StatusStopping {
			r.Status = StatusStopped
		}
		return s.addEvent(tx, EventGameStopped, r, nil)
	})
}

// addEvent writes an outbox event in tx when the outbox is enabled.
func (s *Service) addEvent(tx Tx, typ string, r *Runtime, data any) error {
	if !s.Events {
		return nil
	}
	e := &Event{Type: typ, GameID: r.GameID, Turn: r.CurrentTurn, CreatedAt: s.now()}
	if data == nil && (typ == EventTurnGenerated || typ == EventGameFinished) {
		data = map[string]any{"players": r.Players}
	}
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		e.Data = b
	}
	return tx.AddEvent(e)
}
