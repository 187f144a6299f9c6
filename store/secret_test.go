package store_test

import (
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func TestTx_GameSecret(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		id := uuid.New()
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGameSecret(id, "tok-1") })
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGameSecret(id, "tok-2") })
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.GameSecret(id)
			if err != nil {
				return err
			} else if want := "tok-2"; got != want {
				t.Fatalf("got %q, want %q", got, want)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		MustView(t, s, func(tx orchestrator.Tx) error {
			if _, err := tx.GameSecret(uuid.New()); !isNotFound(err) {
				t.Fatalf("err=%v, want ENOTFOUND", err)
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		if err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.PutGameSecret(uuid.Nil, "t") }); err == nil {
			t.Error("zero game id: want error")
		}
		if err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.PutGameSecret(uuid.New(), "") }); err == nil {
			t.Error("empty token: want error")
		}
	})
}
