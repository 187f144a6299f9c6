package store_test

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// TestTx_RuntimeCounts: the counts follow every write — a status change, a health
// change, the paused flag — and equal a scan; a file written before the counts existed
// gets them at Open.
func TestTx_RuntimeCounts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "galaxy.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	put := func(id uuid.UUID, status, health string, paused bool) {
		t.Helper()
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			return tx.PutRuntime(&orchestrator.Runtime{GameID: id, Status: status, EngineHealth: health, Paused: paused})
		})
	}
	check := func(s *store.Store, want map[string]map[string]int, paused int) {
		t.Helper()
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.RuntimeCounts()
			if err != nil {
				return err
			}
			for st, hs := range want {
				for h, n := range hs {
					if got.ByStatus[st][h] != n {
						t.Errorf("count %s/%s = %d, want %d (all: %v)", st, h, got.ByStatus[st][h], n, got.ByStatus)
					}
				}
			}
			total := 0
			for _, hs := range got.ByStatus {
				for _, n := range hs {
					total += n
				}
			}
			if total != len(ids) || got.Paused != paused {
				t.Errorf("total %d paused %d, want %d and %d", total, got.Paused, len(ids), paused)
			}
			return nil
		})
	}
	put(ids[0], orchestrator.StatusCreated, "", false)
	put(ids[1], orchestrator.StatusCreated, "", false)
	put(ids[2], orchestrator.StatusRunning, orchestrator.HealthPassing, true)
	put(ids[1], orchestrator.StatusRunning, orchestrator.HealthCritical, false)
	put(ids[1], orchestrator.StatusRunning, orchestrator.HealthCritical, false) // no change
	want := map[string]map[string]int{
		orchestrator.StatusCreated: {"": 1},
		orchestrator.StatusRunning: {orchestrator.HealthPassing: 1, orchestrator.HealthCritical: 1},
	}
	check(s, want, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A file of schema 1: no counts. Open counts once.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte("counts")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	check(s, want, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// A file of schema 2: counts, and a bucket of per-runtime keys that the upgrade
	// drops; the counts go on moving with every write.
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucket([]byte("runtime_keys")); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, 2))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	check(s, want, 1)
	put(ids[1], orchestrator.StatusStopped, orchestrator.HealthUnknown, false)
	want[orchestrator.StatusCreated] = map[string]int{"": 1}
	want[orchestrator.StatusRunning] = map[string]int{orchestrator.HealthPassing: 1}
	want[orchestrator.StatusStopped] = map[string]int{orchestrator.HealthUnknown: 1}
	check(s, want, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("runtime_keys")) != nil {
			t.Error("the upgrade to schema 3 kept the runtime_keys bucket")
		}
		if v := tx.Bucket([]byte("meta")).Get([]byte("schema")); binary.BigEndian.Uint64(v) != store.SchemaVersion {
			t.Errorf("schema %d after the upgrade, want %d", binary.BigEndian.Uint64(v), store.SchemaVersion)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
