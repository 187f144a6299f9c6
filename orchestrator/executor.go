package orchestrator

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Executor runs operations for the worker pool: start, restart and patch (and the
// reconciler's ensure), stop and remove (and halt), refresh; turns it hands to the
// TurnEngine. Every operation is re-runnable.
type Executor struct {
	*deps
	turns *TurnEngine
}

// run executes one operation for the worker pool. Every operation is re-runnable: a
// crash at any point leaves it queued or running in the store, and the next boot runs
// it again from the start, which converges on the same result.
func (s *Executor) run(ctx context.Context, op *Operation) {
	lg := s.log(op.GameID).With("operation_id", op.ID, "op", op.Op)
	now := s.now()
	var err error
	if op.Op == OpTurn || op.Op == OpForceNextTurn {
		// A turn is already recorded as in progress on the runtime; its operation row
		// goes from queued to its end in one write, and everything it reads before the
		// engine call is one read, which counts when thousands fall due together.
		err = s.turns.execTurn(ctx, op, now)
	} else {
		err = s.runMarked(ctx, op, now)
	}
	if errors.Is(err, errNothingRan) {
		return
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

// errNothingRan says run has nothing to log: the operation had already ended (a
// replay), or could not be marked running and stays queued for the next boot.
var errNothingRan = errors.New("operation already done")

// runMarked marks a lifecycle operation running, then runs it.
func (s *Executor) runMarked(ctx context.Context, op *Operation, now time.Time) error {
	if err := s.Store.Update(ctx, func(tx Tx) error {
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
		return tx.PutOperation(cur)
	}); err != nil {
		if ctx.Err() == nil {
			s.log(op.GameID).Error("cannot mark operation running", "operation_id", op.ID, "op", op.Op, "error", err)
		}
		return errNothingRan
	}
	if op.Done() {
		return errNothingRan
	}
	var err error
	switch op.Op {
	case OpStart, OpRestart, OpPatch, OpWake:
		err = s.execStart(ctx, op)
		s.waker.ended(op.GameID)
	case OpSleep:
		err = s.execSleep(ctx, op)
	case OpStop, OpRemove:
		err = s.execStop(ctx, op)
	case OpRefresh:
		err = s.execRefresh(ctx, op)
	case OpArchive:
		err = s.execArchive(ctx, op)
	case OpRollback:
		err = s.execRollback(ctx, op)
	case OpTransfer:
		err = s.execTransfer(ctx, op)
	default:
		err = s.finish(ctx, op, Errorf(EINTERNAL, "unknown operation %q", op.Op), nil)
	}
	return err
}

// execStart runs start, restart and patch (and the reconciler's ensure): the driver
// brings the engine up, then the game is initialised once, or its state is checked to
// be ours. A patch of a game without an engine (the table leads it nowhere) only
// records the version.
func (s *Executor) execStart(ctx context.Context, op *Operation) error {
	act := actionOf(op)
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
		if Transitions(act, op.FromStatus).Succeeded == Keep {
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
			return s.failStart(ctx, op, g, r, token, err)
		}
	}
	inst, err := s.startDriver(ctx, g, version, token)
	if err != nil {
		return s.failStart(ctx, op, g, r, token, err)
	}
	client := s.Engines(inst.Endpoint, token)
	st, err := s.initOrVerify(ctx, client, g, r)
	if err != nil {
		return s.failStart(ctx, op, g, r, token, err)
	}
	op.Details.ImageRef, op.Details.JobVersion, op.Details.Turn = inst.ImageRef, inst.JobVersion, st.Turn
	op.Details.Endpoint, op.Details.AllocID, op.Details.NodeID = inst.Endpoint, inst.AllocID, inst.NodeID
	// A game archives from its first state on: a node lost before turn 1 loses nothing.
	archivedTurn := -1
	var archiveErr error
	if s.Archive != nil && !r.archived(st.Turn) {
		if archivedTurn, archiveErr = s.archiveSnapshot(ctx, g, r, client); archiveErr != nil {
			archivedTurn = -1
			s.warnNotArchived(g.ID, "started, but its state is not archived", archiveErr)
		}
	}

	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		// What ran is a fact whatever a later operation wants of the game; the status
		// is the table's, and only while this operation still owns it.
		if err := s.applyVersion(tx, g, r, version); err != nil {
			return err
		}
		now := s.now()
		if archivedTurn >= 0 {
			if err := archived(tx, r, archivedTurn); err != nil {
				return err
			}
		}
		noSnapshots(r, archiveErr)
		applyInstance(r, inst)
		r.Initialized, r.LastError, r.StartedAt, r.LastObservedAt = true, "", &now, &now
		if st.Turn > r.CurrentTurn {
			r.CurrentTurn = st.Turn
		}
		if len(st.Players) > 0 {
			r.Players = st.Players
			if err := tx.PutTurnFigures(g.ID, st.Turn, st.Players); err != nil {
				return err
			}
		}
		settled := settle(act, op.FromStatus, r, true, false)
		switch {
		case !settled:
		case st.Finished:
			r.Status = StatusFinished
		case r.Status == StatusRunning && r.PendingTurn > 0:
			r.Status = StatusGenerationInProgress
		}
		// A turn that fell due while its engine woke (a wake slower than wake_ahead)
		// keeps its passed deadline: it runs now, not at the next slot.
		dueWhileWaking := act == ActWake && r.Status == StatusRunning && !r.Paused && r.NextTurnAt != nil && !r.NextTurnAt.After(now)
		if !dueWhileWaking {
			if err := s.turns.plan(g, r, now, false); err != nil {
				return err
			}
		}
		next = r
		if !settled || act == ActWake {
			return nil // a wake is no news for the lobby
		}
		return s.addEvent(tx, EventGameStarted, r, nil)
	})
	if err == nil {
		s.activity.touch(g.ID, s.Clock.Now()) // a fresh engine gets Idle.After before it sleeps
		if act != ActWake && act != ActEnsure {
			s.putRecord(ctx, g.ID) // started, restarted or patched: the record changed
		}
	}
	if err == nil && next != nil {
		s.turns.reschedule(next)
	}
	return err
}

func (s *Executor) applyVersion(tx Tx, g *Game, r *Runtime, version string) error {
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
	r.EngineHealth = HealthPassing
}

// failStart records a failed start, restart or patch. Where the table keeps the game
// as it was while its old engine runs on (a patch or restart of a running game), it
// looks whether that engine answers — a restart first brings it back with a plain start
// of the version it ran — and the game is start_failed only when none does.
func (s *Executor) failStart(ctx context.Context, op *Operation, g *Game, r *Runtime, token string, cause error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	act := actionOf(op)
	s.log(op.GameID).Warn("start failed", "op", op.Op, "error", cause)
	down := true
	if t := Transitions(act, op.FromStatus); t.Failed == Keep && t.Down != Keep {
		if op.Op == OpRestart {
			if _, err := s.startDriver(ctx, g, r.EngineVersion, token); err != nil {
				s.log(op.GameID).Warn("the engine did not come back after a failed restart", "error", err)
			}
		}
		down = !s.answers(ctx, g.ID, token)
	}
	var next *Runtime
	err := s.finish(ctx, op, cause, func(tx Tx, g *Game, r *Runtime) error {
		r.LastError = fmt.Sprintf("%s failed: %s", op.Op, ErrorMessage(cause))
		if !settle(act, op.FromStatus, r, false, down) {
			return nil
		}
		next = r
		if act == ActWake {
			// Still asleep; reported like a failed start, tried again shortly.
			return s.addEvent(tx, EventStartFailed, r, map[string]string{"error": ErrorMessage(cause), "op": string(op.Op)})
		}
		if r.Status != StatusStartFailed {
			return nil // the old engine runs on: a failed operation, a healthy game
		}
		r.EngineHealth, r.EngineEndpoint = HealthUnknown, ""
		if err := s.turns.plan(g, r, s.now(), false); err != nil {
			return err
		}
		return s.addEvent(tx, EventStartFailed, r, map[string]string{"error": ErrorMessage(cause)})
	})
	if err == nil && next != nil {
		s.turns.reschedule(next)
		if act == ActWake && next.Status == StatusAsleep {
			s.turns.sched.Set(next.GameID, s.Clock.Now().Add(wakeRetry))
		}
	}
	return err
}

// wakeRetry is how soon a wake that failed is tried again.
const wakeRetry = 30 * time.Second

// execStop runs stop and remove (and the reconciler's halt). That the engine stopped
// is a fact whatever a later operation wants; the status is the table's. A failed stop
// leaves the game stopping with the reason in lastError.
func (s *Executor) execStop(ctx context.Context, op *Operation) error {
	act := actionOf(op)
	// A stopped game's state is in the archive: it may start again on another node.
	archivedTurn := -1
	if op.Op == OpStop && s.Archive != nil {
		archivedTurn = s.finalSnapshot(ctx, op.GameID)
	}
	var err error
	if op.Op == OpRemove {
		err = s.Driver.Remove(ctx, op.GameID)
		if err == nil && s.Archive != nil && act != ActHalt {
			if derr := s.Archive.Delete(ctx, op.GameID); derr != nil {
				s.log(op.GameID).Warn("removed, but its archived snapshots could not be deleted", "error", derr)
			}
		}
	} else {
		err = s.Driver.Stop(ctx, op.GameID)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return s.finish(ctx, op, err, func(tx Tx, g *Game, r *Runtime) error {
			r.LastError = fmt.Sprintf("%s failed: %s", op.Op, ErrorMessage(err))
			settle(act, op.FromStatus, r, false, false)
			return nil
		})
	}
	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		now := s.now()
		if archivedTurn >= 0 {
			if err := archived(tx, r, archivedTurn); err != nil {
				return err
			}
		}
		r.EngineEndpoint, r.EngineHealth, r.StoppedAt, r.AllocID = "", "", &now, ""
		r.PendingTurn = 0 // a turn queued ahead of this operation already ran or failed
		settled := settle(act, op.FromStatus, r, true, false)
		if err := s.turns.plan(g, r, now, false); err != nil {
			return err
		}
		next = r
		switch {
		case !settled || act == ActHalt:
			return nil
		case op.Op == OpRemove:
			return s.addEvent(tx, EventGameRemoved, r, nil)
		}
		return s.addEvent(tx, EventGameStopped, r, nil)
	})
	if err == nil && next != nil {
		s.turns.reschedule(next)
		if op.Op == OpStop {
			s.putRecord(ctx, op.GameID)
		}
	}
	return err
}

// finalSnapshot archives the snapshot of a running engine before it stops; -1 when
// there is none (no engine answers, or the archive failed: logged, the stop goes on).
func (s *Executor) finalSnapshot(ctx context.Context, id uuid.UUID) int {
	g, r, token, err := s.loadWithSecret(ctx, id)
	if err != nil || !s.answers(ctx, id, token) {
		return -1
	}
	ep, err := s.Discovery.Endpoint(ctx, id)
	if err != nil {
		return -1
	}
	turn, err := s.archiveSnapshot(ctx, g, r, s.Engines(ep, token))
	if err != nil {
		s.log(id).Warn("stopping without a final snapshot in the archive", "error", err)
		return -1
	}
	return turn
}

// execArchive is the reconciler's catch-up: the engine's snapshot, archived now.
func (s *Executor) execArchive(ctx context.Context, op *Operation) error {
	g, r, token, err := s.loadWithSecret(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	if s.Archive == nil {
		return s.finish(ctx, op, Errorf(EUNAVAILABLE, "no archive is configured"), nil)
	}
	c, err := s.engineFor(ctx, g, r, token)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	turn, err := s.archiveSnapshot(ctx, g, r, c)
	if err != nil {
		return s.finish(ctx, op, err, func(tx Tx, g *Game, r *Runtime) error {
			noSnapshots(r, err)
			return nil
		})
	}
	op.Details.Turn = turn
	return s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error { return archived(tx, r, turn) })
}

// execRefresh records where the engine runs now, as the reconciler found it.
func (s *Executor) execRefresh(ctx context.Context, op *Operation) error {
	return s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		now := s.now()
		d := op.Details
		if d.Endpoint != "" {
			r.EngineEndpoint = d.Endpoint
		}
		if d.AllocID != "" {
			r.AllocID = d.AllocID
		}
		if d.NodeID != "" {
			r.NodeID = d.NodeID
		}
		r.LastObservedAt = &now
		return nil
	})
}
