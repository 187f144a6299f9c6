package store_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestTx_AddEvent(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		gameID := uuid.New()
		in := []*orchestrator.Event{
			{Type: orchestrator.EventGameStarted, GameID: gameID},
			{Type: orchestrator.EventTurnGenerated, GameID: gameID, Turn: 1, Data: json.RawMessage(`{"x":1}`)},
			// A caller-chosen ID is kept; a stale Seq is not (the store always appends).
			{Seq: 99, ID: uuid.New(), Type: orchestrator.EventGamePaused, GameID: gameID, CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
		}
		callerID := in[2].ID
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			for _, e := range in {
				if err := tx.AddEvent(e); err != nil {
					return err
				}
			}
			return nil
		})
		for i, e := range in {
			if got, want := e.Seq, uint64(i+1); got != want {
				t.Fatalf("in[%d].Seq=%d, want %d", i, got, want)
			} else if e.ID == uuid.Nil {
				t.Fatalf("in[%d].ID is zero", i)
			} else if e.CreatedAt.IsZero() {
				t.Fatalf("in[%d].CreatedAt is zero", i)
			}
		}
		if got, want := in[2].ID, callerID; got != want {
			t.Fatalf("caller's ID=%s, want %s kept", got, want)
		}
		if got := in[0].ID.Version(); got != 7 {
			t.Fatalf("assigned ID version=%d, want 7", got)
		}
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.Events(0, 0)
			if err != nil {
				return err
			} else if !reflect.DeepEqual(got, in) {
				t.Fatalf("got %+v, want %+v", got, in)
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		for _, e := range []*orchestrator.Event{nil, {}} {
			if err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.AddEvent(e) }); err == nil {
				t.Errorf("AddEvent(%#v): want error", e)
			}
		}
	})
}

func TestTx_Events(t *testing.T) {
	s := MustOpenStore(t)
	// Events across several commits keep one sequence; they are created in order.
	t0 := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for turn := range 5 {
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			return tx.AddEvent(&orchestrator.Event{Type: orchestrator.EventTurnGenerated, GameID: uuid.New(), Turn: turn, CreatedAt: t0.Add(time.Duration(turn) * time.Minute)})
		})
	}
	seqs := func(after uint64, limit int) []uint64 {
		t.Helper()
		var events []*orchestrator.Event
		MustView(t, s, func(tx orchestrator.Tx) (err error) {
			events, err = tx.Events(after, limit)
			return err
		})
		var seqs []uint64
		for _, e := range events {
			seqs = append(seqs, e.Seq)
		}
		return seqs
	}
	cursor := func() (uint64, uint64) {
		t.Helper()
		var d, l uint64
		MustView(t, s, func(tx orchestrator.Tx) (err error) {
			d, l, err = tx.EventCursor()
			return err
		})
		return d, l
	}

	t.Run("OK", func(t *testing.T) {
		if got, want := seqs(0, 0), []uint64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		if got, want := seqs(0, 2), []uint64{1, 2}; !slices.Equal(got, want) {
			t.Fatalf("limit 2: got %v, want %v", got, want)
		}
		if got, want := seqs(3, 0), []uint64{4, 5}; !slices.Equal(got, want) {
			t.Fatalf("after 3: got %v, want %v", got, want)
		}
	})

	t.Run("Cursor", func(t *testing.T) {
		if d, l := cursor(); d != 0 || l != 5 {
			t.Fatalf("cursor %d/%d, want 0/5", d, l)
		}
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.SetEventCursor(3) })
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.SetEventCursor(2) }) // a replay: never back
		if d, l := cursor(); d != 3 || l != 5 {
			t.Fatalf("cursor %d/%d, want 3/5", d, l)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		// Up to seq 3 and created before minute 2: events 1 and 2.
		var n int
		MustUpdate(t, s, func(tx orchestrator.Tx) (err error) {
			n, err = tx.DeleteEvents(3, t0.Add(2*time.Minute), 100)
			return err
		})
		if got, want := seqs(0, 0), []uint64{3, 4, 5}; n != 2 || !slices.Equal(got, want) {
			t.Fatalf("deleted %d, left %v, want 2 deleted and %v left", n, got, want)
		}
		// Sequence numbers are never reused, even after deleting the newest.
		MustUpdate(t, s, func(tx orchestrator.Tx) (err error) {
			_, err = tx.DeleteEvents(5, t0.Add(time.Hour), 100)
			return err
		})
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			return tx.AddEvent(&orchestrator.Event{Type: orchestrator.EventGameFinished})
		})
		if got, want := seqs(0, 0), []uint64{6}; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}
