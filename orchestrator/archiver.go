package orchestrator

import (
	"context"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// The orchestrator's side of the archive (DESIGN §10): after every generated turn, and
// on stop, the engine's snapshot goes to the archive (an archive that is down never
// stops a turn: the game then lags, and the reconciler catches it up); players'
// accepted orders are journalled until a snapshot after their turn is archived; and a
// start that finds no state for a game that was initialised restores the latest
// snapshot, submits the journalled orders again and regenerates any turn the snapshot
// lacks — the engine is deterministic — so no acknowledged turn or order is lost with
// the engine's node.

// archiveSnapshot takes the engine's snapshot (with every race's report, so past reports
// can be served without the engine) and stores it on the game's line. It returns the
// turn archived.
func (s *deps) archiveSnapshot(ctx context.Context, g *Game, r *Runtime, c EngineClient) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.ArchiveTimeout)
	defer cancel()
	doc, etag, err := c.Snapshot(ctx, true)
	if engine.IsNotSupported(err) {
		// Not a failure of the archive: the engine has no snapshots to give. The
		// engine's error stays in the chain, for noSnapshots.
		return 0, fmt.Errorf("%w: %w", Errorf(EUNAVAILABLE, "the game's engine cannot be archived: it speaks an older engine contract, without snapshots"), err)
	} else if err != nil {
		s.Metrics.archiveError()
		return 0, engineError(err)
	}
	snap, err := engine.ParseSnapshot(doc)
	if err != nil || snap.GameID != g.ID {
		s.Metrics.archiveError()
		return 0, Errorf(EENGINE, "the engine's snapshot is unreadable or of another game")
	}
	if _, err := s.Archive.PutSnapshot(ctx, g.ID, r.ArchiveLine, snap.Turn, doc, etag); ErrorCode(err) == ECONFLICT {
		// This turn's snapshot is archived already, taken before orders came in: those
		// are in the journal, which stays until the next turn's snapshot.
		return snap.Turn, nil
	} else if err != nil {
		s.Metrics.archiveError()
		return 0, err
	}
	if snap.Turn%10 == 0 && s.Retention.KeepAll > 0 {
		if _, err := s.Archive.Prune(ctx, g.ID, s.Retention, s.now()); err != nil {
			s.log(g.ID).Warn("cannot prune archived snapshots", "error", err)
		}
	}
	return snap.Turn, nil
}

// noSnapshots records on r that archiving failed because its engine has no snapshots
// to give (an older contract); archived clears it.
func noSnapshots(r *Runtime, archiveErr error) {
	if engine.IsNotSupported(archiveErr) {
		r.SnapshotsUnsupported = true
	}
}

// warnNotArchived logs why a state that should be in the archive is not.
func (s *deps) warnNotArchived(id uuid.UUID, what string, err error) {
	if engine.IsNotSupported(err) {
		s.log(id).Warn(what+"; its engine has no snapshots (older engine contract): archive features are unavailable for this game", "error", err)
		return
	}
	s.log(id).Warn(what+"; the reconciler will catch up", "error", err)
}

// archived records in tx that the snapshot of turn is in the archive: the journal of
// the turns before it is no longer needed.
func archived(tx Tx, r *Runtime, turn int) error {
	r.SnapshotsUnsupported = false
	if r.ArchivedTurn != nil && *r.ArchivedTurn > turn {
		return nil
	}
	r.ArchivedTurn = &turn
	_, err := tx.DeleteJournal(r.GameID, turn)
	return err
}

// journal records a race's accepted orders for the open turn, for a restore.
func (s *deps) journal(ctx context.Context, gameID, actor uuid.UUID, turn int, in OrdersInput) error {
	if s.Archive == nil {
		return nil
	}
	return s.Store.Update(ctx, func(tx Tx) error {
		return tx.PutJournal(gameID, &JournalEntry{Turn: turn, Actor: actor, Orders: in.Orders, Final: in.Final, At: s.now()})
	})
}

// restore brings an engine that has no state (or an older one) back to the game's
// current turn from the archive: the latest snapshot of the game's line, then, turn by
// turn up to the current one, the journalled orders submitted again and the next turn
// generated again. Errors: ECONFLICT when there is nothing to restore from.
func (s *deps) restore(ctx context.Context, c EngineClient, g *Game, r *Runtime, replace bool) (*engine.State, error) {
	if s.Archive == nil {
		return nil, Errorf(ECONFLICT, "the engine has no state for game %s, which was initialised, and there is no archive to restore it from", g.ID)
	}
	infos, err := s.Archive.Snapshots(ctx, g.ID)
	if err != nil {
		return nil, err
	}
	var best *SnapshotInfo
	for _, in := range infos {
		if in.Line == r.ArchiveLine && in.Turn <= r.CurrentTurn && (best == nil || in.Turn > best.Turn) {
			best = in
		}
	}
	if best == nil {
		return nil, Errorf(ECONFLICT, "the engine has no state for game %s at turn %d, and the archive holds no snapshot of it to restore", g.ID, r.CurrentTurn)
	}
	doc, _, err := s.Archive.Snapshot(ctx, g.ID, best.Line, best.Turn)
	if err != nil {
		return nil, err
	}
	st, err := c.Restore(ctx, doc, replace)
	if err != nil {
		return nil, engineError(err)
	}
	var entries []*JournalEntry
	if err := s.Store.View(ctx, func(tx Tx) (err error) {
		entries, err = tx.Journal(g.ID, best.Turn)
		return err
	}); err != nil {
		return nil, err
	}
	replayed, regenerated := 0, 0
	for t := best.Turn; ; t++ {
		for _, e := range entries {
			if e.Turn != t {
				continue
			}
			if _, err := c.SubmitOrders(ctx, engine.OrdersRequest{Actor: e.Actor, Turn: t, Orders: e.Orders, Final: e.Final}); err != nil {
				return nil, fmt.Errorf("restore: orders of turn %d: %w", t, engineError(err))
			}
			replayed++
		}
		if t >= r.CurrentTurn {
			break
		}
		if st, err = c.Turn(ctx, t+1); err != nil {
			return nil, fmt.Errorf("restore: generate turn %d again: %w", t+1, engineError(err))
		}
		regenerated++
	}
	s.log(g.ID).Info("engine state restored from the archive", "turn", best.Turn, "line", best.Line, "orders_replayed", replayed, "turns_regenerated", regenerated)
	return st, nil
}
