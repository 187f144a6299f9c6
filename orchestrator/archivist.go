package orchestrator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/uuid"
)

// GameRecord is what the archive keeps of a game beside its snapshots: everything
// another galaxyd needs to take the game over (export/import), or this one to rebuild
// its store. It holds no secret: a new engine token is minted where it is imported.
type GameRecord struct {
	Game    *Game          `json:"game"`
	Version *EngineVersion `json:"version,omitempty"`
	Runtime RecordRuntime  `json:"runtime"`
}

// RecordRuntime is the part of a Runtime a GameRecord carries.
type RecordRuntime struct {
	Status       string `json:"status"`
	Paused       bool   `json:"paused,omitempty"`
	CurrentTurn  int    `json:"currentTurn"`
	Initialized  bool   `json:"initialized"`
	ArchivedTurn *int   `json:"archivedTurn,omitempty"`
	ArchiveLine  int    `json:"archiveLine,omitempty"`
}

// ArchiveService is what the archive lets people do with a game (DESIGN §10): roll it
// back to an archived turn, move its engine to another node, export it to another
// galaxyd and import one. Errors: ENOTFOUND, ECONFLICT (the transition table refuses
// it, or the game exists), EUNAVAILABLE (no archive configured), EOVERLOADED.
type ArchiveService interface {
	// Rollback queues a rollback to turn on line (nil: the game's current line).
	Rollback(ctx context.Context, id uuid.UUID, turn int, line *int, src Source) (*Operation, error)
	// Transfer queues a move of the game's engine to node ("": any other node).
	Transfer(ctx context.Context, id uuid.UUID, node string, src Source) (*Operation, error)
	// Export writes one tar file with the game's record and every archived snapshot.
	Export(ctx context.Context, id uuid.UUID, w io.Writer) error
	// Import recreates a game exported by another galaxyd, with the same ID, stopped:
	// its first start restores it from the imported snapshots. The engine version must
	// be registered here (ENOTFOUND naming engineVersion otherwise).
	Import(ctx context.Context, r io.Reader) (*GameView, error)
}

// Archivist implements ArchiveService.
type Archivist struct {
	*deps
	q *queue
}

var _ ArchiveService = (*Archivist)(nil)

func (s *Archivist) configured() error {
	if s.Archive == nil {
		return Errorf(EUNAVAILABLE, "no archive is configured")
	}
	return nil
}

// Rollback implements ArchiveService.
func (s *Archivist) Rollback(ctx context.Context, id uuid.UUID, turn int, line *int, src Source) (*Operation, error) {
	if err := s.configured(); err != nil {
		return nil, err
	}
	if turn < 0 {
		return nil, FieldErrorf("turn", "turn must not be negative")
	} else if line != nil && *line < 0 {
		return nil, FieldErrorf("line", "line must not be negative")
	}
	return s.q.request(ctx, id, ActRollback, OpRollback, src, OpDetails{Turn: turn, Line: line}, nil)
}

// Transfer implements ArchiveService.
func (s *Archivist) Transfer(ctx context.Context, id uuid.UUID, node string, src Source) (*Operation, error) {
	if err := s.configured(); err != nil {
		return nil, err
	}
	return s.q.request(ctx, id, ActTransfer, OpTransfer, src, OpDetails{NodeID: node}, nil)
}

// gameRecord builds the game's record from the store.
func (s *deps) gameRecord(ctx context.Context, id uuid.UUID) ([]byte, error) {
	var rec GameRecord
	if err := s.Store.View(ctx, func(tx Tx) error {
		g, r, err := gameAndRuntime(tx, id)
		if err != nil {
			return err
		}
		rec.Game = g
		rec.Runtime = RecordRuntime{Status: r.Status, Paused: r.Paused, CurrentTurn: r.CurrentTurn, Initialized: r.Initialized, ArchivedTurn: r.ArchivedTurn, ArchiveLine: r.ArchiveLine}
		if v, err := tx.EngineVersion(r.EngineVersion); err == nil {
			rec.Version = v
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return json.Marshal(rec)
}

// putRecord writes the game's record to the archive, best effort: the archive keeps
// what another galaxyd (or this one, its store lost) needs to take the game over.
func (s *deps) putRecord(ctx context.Context, id uuid.UUID) {
	if s.Archive == nil {
		return
	}
	doc, err := s.gameRecord(ctx, id)
	if err == nil {
		err = s.Archive.PutRecord(ctx, id, doc)
	}
	if err != nil && ctx.Err() == nil {
		s.log(id).Warn("cannot write the game's record to the archive", "error", err)
	}
}

// Export implements ArchiveService: the record is written fresh first.
func (s *Archivist) Export(ctx context.Context, id uuid.UUID, w io.Writer) error {
	if err := s.configured(); err != nil {
		return err
	}
	doc, err := s.gameRecord(ctx, id)
	if err != nil {
		return err
	}
	if err := s.Archive.PutRecord(ctx, id, doc); err != nil {
		return err
	}
	return s.Archive.Export(ctx, id, w)
}

// Import implements ArchiveService.
func (s *Archivist) Import(ctx context.Context, rd io.Reader) (*GameView, error) {
	if err := s.configured(); err != nil {
		return nil, err
	}
	id, doc, err := s.Archive.Import(ctx, rd)
	if err != nil {
		return nil, err
	}
	var rec GameRecord
	if err := json.Unmarshal(doc, &rec); err != nil || rec.Game == nil || rec.Game.ID != id {
		_ = s.Archive.Delete(ctx, id)
		return nil, FieldErrorf("record", "the export's game record is unreadable or names another game")
	}
	g := rec.Game
	now := s.now()
	r := &Runtime{GameID: id, Status: StatusStopped, Paused: rec.Runtime.Paused, CurrentTurn: rec.Runtime.CurrentTurn,
		Initialized: rec.Runtime.Initialized, ArchivedTurn: rec.Runtime.ArchivedTurn, ArchiveLine: rec.Runtime.ArchiveLine,
		EngineVersion: g.EngineVersion, UpdatedAt: now}
	if !r.Initialized {
		r.Status = StatusCreated
	}
	var view *GameView
	err = s.Store.Update(ctx, func(tx Tx) error {
		if _, err := tx.Game(id); err == nil {
			return &Error{Code: ECONFLICT, Field: "game", Message: fmt.Sprintf("game %s exists here already", id)}
		} else if ErrorCode(err) != ENOTFOUND {
			return err
		}
		v, err := usableVersion(tx, g.EngineVersion, "engineVersion")
		if err != nil {
			return err
		}
		r.ImageRef = v.ImageRef
		if err := tx.PutGame(g); err != nil {
			return err
		} else if err := tx.PutRuntime(r); err != nil {
			return err
		} else if err := tx.PutGameSecret(id, newToken()); err != nil {
			return err
		}
		view = &GameView{Game: g, Runtime: r}
		return nil
	})
	if err != nil {
		if ErrorCode(err) != ECONFLICT {
			_ = s.Archive.Delete(ctx, id) // nothing here refers to what was imported
		}
		return nil, err
	}
	s.log(id).Info("game imported", "turn", r.CurrentTurn, "archived_turn", r.ArchivedTurn)
	return view, nil
}

// RecoverFromArchive rebuilds the store's records of every game the archive holds a
// record of and the store does not (galaxyd's store lost): the game, its engine version
// when it is not registered, and a runtime at the record's turn — in the status it had,
// a game that was running being running again, so that the boot brings its engine back
// and checks (or restores) its state. Every game gets a new engine token. It returns
// the games recovered; a record that cannot be read is skipped and named in the error.
func RecoverFromArchive(ctx context.Context, store Store, archive Archive, clock Clock) ([]uuid.UUID, error) {
	ids, err := archive.Games(ctx)
	if err != nil {
		return nil, err
	}
	var recovered []uuid.UUID
	var bad []string
	for _, id := range ids {
		doc, err := archive.Record(ctx, id)
		if ErrorCode(err) == ENOTFOUND {
			continue // snapshots without a record: nothing to rebuild the game from
		} else if err != nil {
			return recovered, err
		}
		var rec GameRecord
		if err := json.Unmarshal(doc, &rec); err != nil || rec.Game == nil || rec.Game.ID != id {
			bad = append(bad, id.String())
			continue
		}
		status := rec.Runtime.Status
		switch {
		case statusRules[status].active || status == StatusStarting:
			status = StatusRunning
		case status == StatusStopping || status == StatusStartFailed:
			status = StatusStopped
		case status == "" || !rec.Runtime.Initialized && status != StatusRemoved:
			status = StatusCreated
		}
		now := clock.Now().UTC()
		r := &Runtime{GameID: id, Status: status, Paused: rec.Runtime.Paused, CurrentTurn: rec.Runtime.CurrentTurn,
			Initialized: rec.Runtime.Initialized, ArchivedTurn: rec.Runtime.ArchivedTurn, ArchiveLine: rec.Runtime.ArchiveLine,
			EngineVersion: rec.Game.EngineVersion, LastError: "recovered from the archive: the store was lost", UpdatedAt: now}
		created := false
		if err := store.Update(ctx, func(tx Tx) error {
			created = false
			if _, err := tx.Game(id); err == nil {
				return nil // the store knows it: nothing to recover
			} else if ErrorCode(err) != ENOTFOUND {
				return err
			}
			if v, err := tx.EngineVersion(rec.Game.EngineVersion); err == nil {
				r.ImageRef = v.ImageRef
			} else if ErrorCode(err) == ENOTFOUND && rec.Version != nil {
				if err := tx.PutEngineVersion(rec.Version); err != nil {
					return err
				}
				r.ImageRef = rec.Version.ImageRef
			} else if err != nil {
				return err
			}
			if err := tx.PutGame(rec.Game); err != nil {
				return err
			} else if err := tx.PutRuntime(r); err != nil {
				return err
			} else if err := tx.PutGameSecret(id, newToken()); err != nil {
				return err
			}
			created = true
			return nil
		}); err != nil {
			return recovered, err
		}
		if created {
			recovered = append(recovered, id)
		}
	}
	if len(bad) > 0 {
		return recovered, fmt.Errorf("unreadable game records in the archive: %v", bad)
	}
	return recovered, nil
}
