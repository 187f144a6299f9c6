package orchestrator

import (
	"context"
	"fmt"
)

// execRollback restores an archived turn's snapshot over the running engine. The game
// goes on in a new history line, which starts with that snapshot: nothing archived is
// ever overwritten, so the rollback can itself be undone (a rollback to the old line).
func (s *Executor) execRollback(ctx context.Context, op *Operation) error {
	act := actionOf(op)
	g, r, token, err := s.loadWithSecret(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	line, turn := r.ArchiveLine, op.Details.Turn
	if op.Details.Line != nil {
		line = *op.Details.Line
	}
	doc, _, err := s.Archive.Snapshot(ctx, g.ID, line, turn)
	if ErrorCode(err) == ENOTFOUND {
		return s.finish(ctx, op, &Error{Code: ENOTFOUND, Field: "turn", Message: fmt.Sprintf("the archive holds no snapshot of turn %d on line %d", turn, line)}, nil)
	} else if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	infos, err := s.Archive.Snapshots(ctx, g.ID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	newLine := 0
	for _, in := range infos {
		newLine = max(newLine, in.Line+1)
	}
	c, err := s.engineFor(ctx, g, r, token)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	st, err := c.Restore(ctx, doc, true)
	if err != nil {
		return s.finish(ctx, op, engineError(err), nil)
	}
	archivedOK := true
	if _, err := s.Archive.PutSnapshot(ctx, g.ID, newLine, turn, doc, ""); err != nil {
		archivedOK = false
		s.log(g.ID).Warn("rolled back, but the new line's first snapshot is not archived yet", "error", err)
	}
	op.Details.FromTurn, op.Details.Line = r.CurrentTurn, &newLine
	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		now := s.now()
		r.CurrentTurn, r.PendingTurn, r.Players, r.LastError, r.FinishedAt = st.Turn, 0, st.Players, "", nil
		r.ArchiveLine, r.ArchivedTurn = newLine, nil
		if archivedOK {
			r.ArchivedTurn = &turn
		}
		// Orders journalled for turns of the old line are void.
		if _, err := tx.DeleteJournal(g.ID, -1); err != nil {
			return err
		}
		if err := tx.PutTurnFigures(g.ID, st.Turn, st.Players); err != nil {
			return err
		}
		if settle(act, op.FromStatus, r, true, false) && st.Finished {
			r.Status = StatusFinished
		}
		if err := s.turns.plan(g, r, now, false); err != nil {
			return err
		}
		next = r
		return s.addEvent(tx, EventRolledBack, r, map[string]any{"fromTurn": op.Details.FromTurn, "toTurn": st.Turn, "line": newLine})
	})
	if err == nil && next != nil {
		s.turns.reschedule(next)
		s.putRecord(ctx, op.GameID) // a new line
	}
	return err
}

// execTransfer moves the engine to another node through the archive: the final
// snapshot is archived (when the engine still answers; a lost node's does not, and
// then the latest archived one and the journal are what moves), the old placement is
// released — its engine stopped and its volume deleted before anything starts
// elsewhere, so one game never has two writers — and a new engine placed on another
// node restores the game. The outage players see is measured on the operation.
func (s *Executor) execTransfer(ctx context.Context, op *Operation) error {
	act := actionOf(op)
	g, r, err := s.load(ctx, op.GameID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	token, err := s.secret(ctx, g.ID)
	if err != nil {
		return s.finish(ctx, op, err, nil)
	}
	from := r.NodeID
	began := s.Clock.Now()
	archivedTurn := -1
	if s.answers(ctx, g.ID, token) {
		ep, err := s.Discovery.Endpoint(ctx, g.ID)
		if err == nil {
			archivedTurn, err = s.archiveSnapshot(ctx, g, r, s.Engines(ep, token))
		}
		if err != nil {
			return s.finish(ctx, op, Errorf(EUNAVAILABLE, "not moved: the final snapshot could not be archived (%s); the engine runs on", ErrorMessage(err)), nil)
		}
		r.ArchivedTurn = &archivedTurn
	} else if r.ArchivedTurn == nil {
		return s.finish(ctx, op, Errorf(ECONFLICT, "not moved: the engine does not answer and the archive holds no snapshot of the game"), nil)
	}
	if err := s.Driver.Remove(ctx, g.ID); err != nil {
		return s.finish(ctx, op, Errorf(EUNAVAILABLE, "not moved: the old placement could not be released (%s)", ErrorMessage(err)), nil)
	}
	var avoid []string
	if from != "" && op.Details.NodeID == "" {
		avoid = []string{from}
	}
	op.Details.FromNode = from
	inst, err := s.startPlaced(ctx, g, r.EngineVersion, token, op.Details.NodeID, avoid)
	if err == nil {
		client := s.Engines(inst.Endpoint, token)
		if _, err = s.initOrVerify(ctx, client, g, r); err == nil {
			op.Details.OutageMS = s.Clock.Now().Sub(began).Milliseconds()
			op.Details.Endpoint, op.Details.AllocID, op.Details.NodeID = inst.Endpoint, inst.AllocID, inst.NodeID
		}
	}
	if err != nil {
		return s.finish(ctx, op, err, func(tx Tx, g *Game, r *Runtime) error {
			if archivedTurn >= 0 {
				if err := archived(tx, r, archivedTurn); err != nil {
					return err
				}
			}
			r.LastError = fmt.Sprintf("transfer failed: %s; the game's state is in the archive", ErrorMessage(err))
			r.EngineEndpoint, r.EngineHealth = "", HealthUnknown
			settle(act, op.FromStatus, r, false, true)
			return s.turns.plan(g, r, s.now(), false)
		})
	}
	var next *Runtime
	err = s.finish(ctx, op, nil, func(tx Tx, g *Game, r *Runtime) error {
		if archivedTurn >= 0 {
			if err := archived(tx, r, archivedTurn); err != nil {
				return err
			}
		}
		applyInstance(r, inst)
		now := s.now()
		r.LastError, r.LastObservedAt = "", &now
		settle(act, op.FromStatus, r, true, false)
		if err := s.turns.plan(g, r, now, false); err != nil {
			return err
		}
		next = r
		return s.addEvent(tx, EventTransferred, r, map[string]any{"fromNode": from, "toNode": inst.NodeID, "outageMs": op.Details.OutageMS})
	})
	if err == nil && next != nil {
		s.turns.reschedule(next)
	}
	return err
}
