package store_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestTx_Game(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		want := newGame(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGame(want) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.Game(want.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
			// The copy belongs to the caller: changing it changes nothing stored.
			got.Players[0].RaceName = "Changed"
			got.Settings["size"] = float64(1)
			again, err := tx.Game(want.ID)
			if err != nil {
				return err
			}
			if !reflect.DeepEqual(again, want) {
				t.Fatalf("after mutating a copy: got %#v, want %#v", again, want)
			}
			return nil
		})
	})

	t.Run("Replace", func(t *testing.T) {
		s := MustOpenStore(t)
		g := newGame(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGame(g) })
		g.EngineVersion = "1.2.4"
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGame(g) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.Game(g.ID)
			if err != nil {
				return err
			} else if got, want := got.EngineVersion, "1.2.4"; got != want {
				t.Fatalf("EngineVersion=%q, want %q", got, want)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		id := uuid.New()
		MustView(t, s, func(tx orchestrator.Tx) error {
			_, err := tx.Game(id)
			var e *orchestrator.Error
			if !errors.As(err, &e) || e.Code != orchestrator.ENOTFOUND {
				t.Fatalf("err=%v, want ENOTFOUND", err)
			} else if got, want := e.Message, "game "+id.String()+" not found"; got != want {
				t.Fatalf("message=%q, want %q", got, want)
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		for name, g := range map[string]*orchestrator.Game{"nil": nil, "zero id": {}} {
			err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.PutGame(g) })
			if err == nil {
				t.Errorf("PutGame(%s): want error", name)
			} else if got, want := orchestrator.ErrorCode(err), orchestrator.EINTERNAL; got != want {
				t.Errorf("PutGame(%s): code=%q, want %q (a caller bug, not the client's)", name, got, want)
			}
		}
	})
}

func TestTx_Games(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		var ids []uuid.UUID
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			for range 7 {
				g := newGame(t)
				ids = append(ids, g.ID)
				if err := tx.PutGame(g); err != nil {
					return err
				}
			}
			return nil
		})
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })

		MustView(t, s, func(tx orchestrator.Tx) error {
			all, err := tx.Games(uuid.Nil, 0)
			if err != nil {
				return err
			}
			if got, want := gameIDs(all), ids; !slices.Equal(got, want) {
				t.Fatalf("Games(Nil, 0)=%v, want %v", got, want)
			}
			// Page through three at a time with the exclusive cursor.
			var paged []uuid.UUID
			after := uuid.Nil
			for {
				page, err := tx.Games(after, 3)
				if err != nil {
					return err
				} else if len(page) == 0 {
					break
				} else if len(page) > 3 {
					t.Fatalf("len(page)=%d, want <= 3", len(page))
				}
				paged = append(paged, gameIDs(page)...)
				after = page[len(page)-1].ID
			}
			if got, want := paged, ids; !slices.Equal(got, want) {
				t.Fatalf("paged=%v, want %v", got, want)
			}
			// A cursor that is not a stored ID still starts after it.
			mid := ids[3]
			if mid[15] == 0xff {
				return nil
			}
			mid[15]++
			if bytes.Compare(mid[:], ids[4][:]) >= 0 {
				return nil // improbably adjacent ids
			}
			page, err := tx.Games(mid, 1)
			if err != nil {
				return err
			} else if got, want := gameIDs(page), ids[4:5]; !slices.Equal(got, want) {
				t.Fatalf("Games(between, 1)=%v, want %v", got, want)
			}
			return nil
		})
	})

	t.Run("Empty", func(t *testing.T) {
		s := MustOpenStore(t)
		MustView(t, s, func(tx orchestrator.Tx) error {
			games, err := tx.Games(uuid.Nil, 10)
			if err != nil {
				return err
			} else if got, want := len(games), 0; got != want {
				t.Fatalf("len=%d, want %d", got, want)
			}
			return nil
		})
	})
}

func gameIDs(games []*orchestrator.Game) []uuid.UUID {
	ids := make([]uuid.UUID, len(games))
	for i, g := range games {
		ids[i] = g.ID
	}
	return ids
}

func TestTx_DeleteGame(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		g, other := newGame(t), newGame(t)
		var opIDs []uuid.UUID
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			for _, g := range []*orchestrator.Game{g, other} {
				if err := tx.PutGame(g); err != nil {
					return err
				} else if err := tx.PutRuntime(&orchestrator.Runtime{GameID: g.ID, Status: orchestrator.StatusRunning}); err != nil {
					return err
				} else if err := tx.PutGameSecret(g.ID, "secret-"+g.ID.String()); err != nil {
					return err
				}
				for _, status := range []string{orchestrator.OpSucceeded, orchestrator.OpQueued, orchestrator.OpRunning} {
					op := &orchestrator.Operation{ID: MustNewV7(t), GameID: g.ID, Op: orchestrator.OpStart, Status: status}
					if err := tx.PutOperation(op); err != nil {
						return err
					}
					if g == other {
						continue
					}
					opIDs = append(opIDs, op.ID)
				}
			}
			if err := tx.PutIdempotencyKey("create-1", g.ID, "h"); err != nil {
				return err
			}
			return tx.AddEvent(&orchestrator.Event{Type: orchestrator.EventGameRemoved, GameID: g.ID, CreatedAt: time.Now()})
		})

		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.DeleteGame(g.ID) })

		MustView(t, s, func(tx orchestrator.Tx) error {
			if _, err := tx.Game(g.ID); !isNotFound(err) {
				t.Errorf("Game: err=%v, want ENOTFOUND", err)
			}
			if _, err := tx.Runtime(g.ID); !isNotFound(err) {
				t.Errorf("Runtime: err=%v, want ENOTFOUND", err)
			}
			if _, err := tx.GameSecret(g.ID); !isNotFound(err) {
				t.Errorf("GameSecret: err=%v, want ENOTFOUND", err)
			}
			for _, id := range opIDs {
				if _, err := tx.Operation(id); !isNotFound(err) {
					t.Errorf("Operation %s: err=%v, want ENOTFOUND", id, err)
				}
			}
			if ops, err := tx.GameOperations(g.ID, 0); err != nil {
				return err
			} else if got, want := len(ops), 0; got != want {
				t.Errorf("len(GameOperations)=%d, want %d", got, want)
			}
			pending, err := tx.PendingOperations()
			if err != nil {
				return err
			}
			for _, op := range pending {
				if op.GameID != other.ID {
					t.Errorf("pending operation %s of deleted game %s", op.ID, op.GameID)
				}
			}
			if got, want := len(pending), 2; got != want {
				t.Errorf("len(pending)=%d, want %d (the other game's)", got, want)
			}
			// Kept on purpose: the outbox still owes the lobby game.removed, and the
			// idempotency key still names what it created.
			if events, err := tx.Events(0); err != nil {
				return err
			} else if got, want := len(events), 1; got != want {
				t.Errorf("len(events)=%d, want %d", got, want)
			}
			if id, _, err := tx.IdempotencyKey("create-1"); err != nil {
				return err
			} else if got, want := id, g.ID; got != want {
				t.Errorf("idempotency key game=%s, want %s", got, want)
			}

			// The other game is untouched.
			if _, err := tx.Game(other.ID); err != nil {
				return err
			} else if _, err := tx.Runtime(other.ID); err != nil {
				return err
			} else if _, err := tx.GameSecret(other.ID); err != nil {
				return err
			} else if ops, err := tx.GameOperations(other.ID, 0); err != nil {
				return err
			} else if got, want := len(ops), 3; got != want {
				t.Errorf("other game: len(ops)=%d, want %d", got, want)
			}
			return nil
		})
	})

	// Leftovers of a game whose row is already gone are still removed; ENOTFOUND is
	// reported and the caller may ignore it and commit.
	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		id := uuid.New()
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			return tx.PutRuntime(&orchestrator.Runtime{GameID: id})
		})
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			if err := tx.DeleteGame(id); !isNotFound(err) {
				t.Fatalf("err=%v, want ENOTFOUND", err)
			}
			return nil
		})
		MustView(t, s, func(tx orchestrator.Tx) error {
			if _, err := tx.Runtime(id); !isNotFound(err) {
				t.Fatalf("orphan runtime: err=%v, want ENOTFOUND", err)
			}
			return nil
		})
	})
}
