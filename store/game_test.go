package store_test

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"testing"

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
