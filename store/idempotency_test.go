package store_test

import (
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

func TestTx_IdempotencyKey(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		gameID := uuid.New()
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutIdempotencyKey("key-1", gameID, "sha256:abc") })
		MustView(t, s, func(tx orchestrator.Tx) error {
			id, hash, err := tx.IdempotencyKey("key-1")
			if err != nil {
				return err
			} else if got, want := id, gameID; got != want {
				t.Fatalf("gameID=%s, want %s", got, want)
			} else if got, want := hash, "sha256:abc"; got != want {
				t.Fatalf("hash=%q, want %q", got, want)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutIdempotencyKey("key-1", uuid.New(), "h") })
		MustView(t, s, func(tx orchestrator.Tx) error {
			for _, key := range []string{"key-2", "key-", ""} {
				if _, _, err := tx.IdempotencyKey(key); !isNotFound(err) {
					t.Fatalf("IdempotencyKey(%q): err=%v, want ENOTFOUND", key, err)
				}
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		for name, put := range map[string]func(tx orchestrator.Tx) error{
			"empty key": func(tx orchestrator.Tx) error { return tx.PutIdempotencyKey("", uuid.New(), "h") },
			"long key": func(tx orchestrator.Tx) error {
				return tx.PutIdempotencyKey(strings.Repeat("k", store.MaxIdempotencyKeyLen+1), uuid.New(), "h")
			},
			"zero game id": func(tx orchestrator.Tx) error { return tx.PutIdempotencyKey("k", uuid.Nil, "h") },
		} {
			if err := s.Update(t.Context(), put); err == nil {
				t.Errorf("%s: want error", name)
			}
		}
	})
}
