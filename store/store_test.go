package store_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// MustOpenStore opens a store on a fresh file in a temporary directory and closes it
// when the test ends.
func MustOpenStore(tb testing.TB, opts ...store.Option) *store.Store {
	tb.Helper()
	return MustOpenStorePath(tb, filepath.Join(tb.TempDir(), "galaxy.db"), opts...)
}

// MustOpenStorePath opens the store at path and closes it when the test ends.
func MustOpenStorePath(tb testing.TB, path string, opts ...store.Option) *store.Store {
	tb.Helper()
	s, err := store.Open(path, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// MustClose closes s, failing the test on error.
func MustClose(tb testing.TB, s *store.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
}

// MustUpdate runs fn in Update and fails the test on error.
func MustUpdate(tb testing.TB, s orchestrator.Store, fn func(tx orchestrator.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// MustView runs fn in View and fails the test on error.
func MustView(tb testing.TB, s orchestrator.Store, fn func(tx orchestrator.Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatal(err)
	}
}

// MustNewV7 returns a fresh UUIDv7.
func MustNewV7(tb testing.TB) uuid.UUID {
	tb.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		tb.Fatal(err)
	}
	return id
}

// newGame returns a valid game with a fresh ID.
func newGame(tb testing.TB) *orchestrator.Game {
	tb.Helper()
	return &orchestrator.Game{
		ID:            uuid.New(),
		EngineVersion: "1.2.3",
		Schedule:      orchestrator.Schedule{Cron: "0 18 * * *", Timezone: "Europe/Berlin"},
		Players: []orchestrator.Player{
			{UserID: uuid.New(), RaceName: "Zorgons", EnginePlayerID: uuid.New()},
			{UserID: uuid.New(), RaceName: "Humans", EnginePlayerID: uuid.New()},
		},
		Settings:  map[string]any{"size": float64(200), "name": "test"},
		EarlyTurn: true,
		CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

// isNotFound reports whether err is an *orchestrator.Error with code ENOTFOUND.
func isNotFound(err error) bool {
	var e *orchestrator.Error
	return errors.As(err, &e) && e.Code == orchestrator.ENOTFOUND
}

func TestOpen(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "state", "sub")
		path := filepath.Join(dir, "galaxy.db")
		s := MustOpenStorePath(t, path)
		if got, want := s.Path(), path; got != want {
			t.Fatalf("Path()=%q, want %q", got, want)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		} else if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Fatalf("file mode=%v, want %v", got, want)
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		} else if got, want := di.Mode().Perm(), os.FileMode(0o700); got != want {
			t.Fatalf("dir mode=%v, want %v", got, want)
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "galaxy.db")
		s, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		g := newGame(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGame(g) })
		MustClose(t, s)

		s = MustOpenStorePath(t, path)
		MustView(t, s, func(tx orchestrator.Tx) error {
			_, err := tx.Game(g.ID)
			return err
		})
	})

	t.Run("ErrLocked", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "galaxy.db")
		MustOpenStorePath(t, path)
		// flock is per open file description, so a second Open in this process
		// conflicts just like a second galaxyd would.
		_, err := store.Open(path, store.WithTimeout(100*time.Millisecond))
		if !errors.Is(err, berrors.ErrTimeout) {
			t.Fatalf("err=%v, want ErrTimeout", err)
		} else if got, want := err.Error(), "locked by another process"; !strings.Contains(got, want) {
			t.Fatalf("err=%q, want it to contain %q", got, want)
		}
	})

	t.Run("ErrSchemaTooNew", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "galaxy.db")
		s, err := store.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		MustClose(t, s)
		MustRawUpdate(t, path, func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("meta")).Put([]byte("schema"), binary.BigEndian.AppendUint64(nil, store.SchemaVersion+1))
		})
		if _, err := store.Open(path); !errors.Is(err, store.ErrSchemaTooNew) {
			t.Fatalf("err=%v, want ErrSchemaTooNew", err)
		}
	})

	t.Run("ErrNotBolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "galaxy.db")
		if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Open(path); err == nil {
			t.Fatal("expected error")
		}
	})
}

// MustRawUpdate opens the bbolt file directly (the store must be closed) to plant what
// the store itself would never write.
func MustRawUpdate(tb testing.TB, path string, fn func(tx *bolt.Tx) error) {
	tb.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(fn); err != nil {
		tb.Fatal(err)
	}
}

// testError is a caller-defined error type: Update must hand it back as is.
type testError struct{ n int }

func (e *testError) Error() string { return fmt.Sprintf("test error %d", e.n) }

func TestStore_Update(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		g := newGame(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGame(g) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			_, err := tx.Game(g.ID)
			return err
		})
	})

	t.Run("Rollback", func(t *testing.T) {
		s := MustOpenStore(t)
		g := newGame(t)
		want := &orchestrator.Error{Code: orchestrator.ECONFLICT, Message: "no"}
		err := s.Update(context.Background(), func(tx orchestrator.Tx) error {
			if err := tx.PutGame(g); err != nil {
				return err
			}
			if err := tx.AddEvent(&orchestrator.Event{Type: orchestrator.EventGameStarted, GameID: g.ID}); err != nil {
				return err
			}
			return want
		})
		if err != want {
			t.Fatalf("err=%#v, want %#v (unchanged)", err, want)
		}
		var e *orchestrator.Error
		if !errors.As(err, &e) || e.Code != orchestrator.ECONFLICT {
			t.Fatalf("errors.As: got %v, want code %s", e, orchestrator.ECONFLICT)
		}
		MustView(t, s, func(tx orchestrator.Tx) error {
			if _, err := tx.Game(g.ID); !isNotFound(err) {
				t.Fatalf("Game after rollback: err=%v, want ENOTFOUND", err)
			}
			if events, err := tx.Events(0, 0); err != nil {
				return err
			} else if got, want := len(events), 0; got != want {
				t.Fatalf("len(events)=%d, want %d", got, want)
			}
			return nil
		})
	})

	t.Run("Serial", func(t *testing.T) {
		s := MustOpenStore(t, store.WithBatchDelay(0))
		want := &testError{1}
		if err := s.Update(context.Background(), func(tx orchestrator.Tx) error { return want }); err != want {
			t.Fatalf("err=%v, want %v", err, want)
		}
		g := newGame(t)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutGame(g) })
	})

	t.Run("ErrContext", func(t *testing.T) {
		s := MustOpenStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		fn := func(tx orchestrator.Tx) error { called = true; return nil }
		if err := s.Update(ctx, fn); !errors.Is(err, context.Canceled) {
			t.Fatalf("Update err=%v, want context.Canceled", err)
		}
		if err := s.View(ctx, fn); !errors.Is(err, context.Canceled) {
			t.Fatalf("View err=%v, want context.Canceled", err)
		}
		if called {
			t.Fatal("fn ran with a canceled context")
		}
	})

	// Many writers at once: bbolt batches them, and every one must land.
	t.Run("Concurrent", func(t *testing.T) {
		s := MustOpenStore(t)
		const writers, perWriter = 32, 10
		gameID := uuid.New()
		var wg sync.WaitGroup
		errs := make(chan error, writers*perWriter)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWriter {
					errs <- s.Update(context.Background(), func(tx orchestrator.Tx) error {
						op := &orchestrator.Operation{ID: uuid.Must(uuid.NewV7()), GameID: gameID, Op: orchestrator.OpTurn, Status: orchestrator.OpQueued}
						op.Details.Turn = w*perWriter + i
						if err := tx.PutOperation(op); err != nil {
							return err
						}
						return tx.AddEvent(&orchestrator.Event{Type: orchestrator.EventTurnGenerated, GameID: gameID, Turn: op.Details.Turn})
					})
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		MustView(t, s, func(tx orchestrator.Tx) error {
			ops, err := tx.GameOperations(gameID, 0)
			if err != nil {
				return err
			}
			events, err := tx.Events(0, 0)
			if err != nil {
				return err
			}
			pending, err := tx.PendingOperations()
			if err != nil {
				return err
			}
			if got, want := len(ops), writers*perWriter; got != want {
				t.Fatalf("len(ops)=%d, want %d", got, want)
			} else if got, want := len(events), writers*perWriter; got != want {
				t.Fatalf("len(events)=%d, want %d", got, want)
			} else if got, want := len(pending), writers*perWriter; got != want {
				t.Fatalf("len(pending)=%d, want %d", got, want)
			}
			turns := map[int]bool{}
			for i, e := range events {
				if got, want := e.Seq, uint64(i+1); got != want {
					t.Fatalf("events[%d].Seq=%d, want %d", i, got, want)
				}
				turns[e.Turn] = true
			}
			if got, want := len(turns), writers*perWriter; got != want {
				t.Fatalf("distinct turns=%d, want %d", got, want)
			}
			return nil
		})
	})

	// Failing fns share batches with succeeding ones: bbolt re-runs the failing fn
	// alone and the others again. Each caller must get its own outcome, the failing
	// caller its own error value, and nothing of a failed fn may be committed.
	t.Run("BatchErrorIsolation", func(t *testing.T) {
		s := MustOpenStore(t)
		const n = 64
		games := make([]*orchestrator.Game, n)
		errs := make([]error, n)
		want := make([]*testError, n)
		var runs atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			games[i] = newGame(t)
			want[i] = &testError{i}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Update(context.Background(), func(tx orchestrator.Tx) error {
					runs.Add(1)
					if err := tx.PutGame(games[i]); err != nil {
						return err
					}
					if i%2 == 1 {
						return want[i]
					}
					return nil
				})
			}()
		}
		wg.Wait()
		// More runs than calls shows the batch retry path was exercised.
		t.Logf("%d Updates ran fn %d times", n, runs.Load())
		MustView(t, s, func(tx orchestrator.Tx) error {
			for i := range n {
				_, err := tx.Game(games[i].ID)
				if i%2 == 1 {
					if errs[i] != want[i] {
						t.Errorf("Update %d: err=%v, want %v (unchanged)", i, errs[i], want[i])
					}
					var te *testError
					if !errors.As(errs[i], &te) || te.n != i {
						t.Errorf("Update %d: errors.As got %v, want n=%d", i, te, i)
					}
					if !isNotFound(err) {
						t.Errorf("game of failed Update %d: err=%v, want ENOTFOUND", i, err)
					}
				} else {
					if errs[i] != nil {
						t.Errorf("Update %d: err=%v, want nil", i, errs[i])
					}
					if err != nil {
						t.Errorf("game of Update %d: %v", i, err)
					}
				}
			}
			return nil
		})
	})
}

func TestStore_View(t *testing.T) {
	// Every write method must fail inside View and leave nothing behind.
	t.Run("ErrTxNotWritable", func(t *testing.T) {
		s := MustOpenStore(t)
		g := newGame(t)
		writes := map[string]func(tx orchestrator.Tx) error{
			"PutGame": func(tx orchestrator.Tx) error { return tx.PutGame(g) },
			"PutRuntime": func(tx orchestrator.Tx) error {
				return tx.PutRuntime(&orchestrator.Runtime{GameID: g.ID, Status: orchestrator.StatusCreated})
			},
			"PutGameSecret": func(tx orchestrator.Tx) error { return tx.PutGameSecret(g.ID, "t") },
			"PutOperation": func(tx orchestrator.Tx) error {
				return tx.PutOperation(&orchestrator.Operation{ID: uuid.New(), GameID: g.ID, Status: orchestrator.OpQueued})
			},
			"PutEngineVersion": func(tx orchestrator.Tx) error {
				return tx.PutEngineVersion(&orchestrator.EngineVersion{Version: "1.0.0", Command: "/bin/true"})
			},
			"DeleteEngineVersion": func(tx orchestrator.Tx) error { return tx.DeleteEngineVersion("1.0.0") },
			"PutIdempotencyKey":   func(tx orchestrator.Tx) error { return tx.PutIdempotencyKey("k", g.ID, "h") },
			"AddEvent":            func(tx orchestrator.Tx) error { return tx.AddEvent(&orchestrator.Event{Type: "x"}) },
			"SetEventCursor":      func(tx orchestrator.Tx) error { return tx.SetEventCursor(1) },
			"DeleteEvents":        func(tx orchestrator.Tx) error { _, err := tx.DeleteEvents(1, time.Now(), 1); return err },
		}
		for name, write := range writes {
			err := s.View(context.Background(), write)
			if !errors.Is(err, berrors.ErrTxNotWritable) {
				t.Errorf("%s in View: err=%v, want ErrTxNotWritable", name, err)
			}
		}
	})
}

// A value that is not JSON must come back as an error from every reader, not a panic
// and not ENOTFOUND.
func TestStore_CorruptValue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "galaxy.db")
	s, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	g := newGame(t)
	opID := MustNewV7(t)
	MustUpdate(t, s, func(tx orchestrator.Tx) error {
		if err := tx.PutGame(g); err != nil {
			return err
		} else if err := tx.PutRuntime(&orchestrator.Runtime{GameID: g.ID}); err != nil {
			return err
		} else if err := tx.PutEngineVersion(&orchestrator.EngineVersion{Version: "1.0.0", Command: "/x"}); err != nil {
			return err
		} else if err := tx.PutIdempotencyKey("k", g.ID, "h"); err != nil {
			return err
		} else if err := tx.AddEvent(&orchestrator.Event{Type: "t"}); err != nil {
			return err
		}
		return tx.PutOperation(&orchestrator.Operation{ID: opID, GameID: g.ID, Status: orchestrator.OpQueued})
	})
	MustClose(t, s)
	garbage := []byte("{not json")
	MustRawUpdate(t, path, func(tx *bolt.Tx) error {
		for bucket, key := range map[string][]byte{
			"games": g.ID[:], "runtimes": g.ID[:], "operations": opID[:],
			"engine_versions": []byte("1.0.0"), "idempotency": []byte("k"),
			"events": binary.BigEndian.AppendUint64(nil, 1),
		} {
			if err := tx.Bucket([]byte(bucket)).Put(key, garbage); err != nil {
				return err
			}
		}
		return nil
	})
	s = MustOpenStorePath(t, path)
	reads := map[string]func(tx orchestrator.Tx) error{
		"Game":  func(tx orchestrator.Tx) error { _, err := tx.Game(g.ID); return err },
		"Games": func(tx orchestrator.Tx) error { _, err := tx.Games(uuid.Nil, 0); return err },
		"Runtime": func(tx orchestrator.Tx) error {
			_, err := tx.Runtime(g.ID)
			return err
		},
		"Runtimes": func(tx orchestrator.Tx) error {
			return tx.Runtimes(func(*orchestrator.Runtime) error { return nil })
		},
		"Operation": func(tx orchestrator.Tx) error { _, err := tx.Operation(opID); return err },
		"GameOperations": func(tx orchestrator.Tx) error {
			_, err := tx.GameOperations(g.ID, 0)
			return err
		},
		"PendingOperations": func(tx orchestrator.Tx) error { _, err := tx.PendingOperations(); return err },
		"EngineVersion": func(tx orchestrator.Tx) error {
			_, err := tx.EngineVersion("1.0.0")
			return err
		},
		"EngineVersions": func(tx orchestrator.Tx) error { _, err := tx.EngineVersions(); return err },
		"IdempotencyKey": func(tx orchestrator.Tx) error {
			_, _, err := tx.IdempotencyKey("k")
			return err
		},
		"Events": func(tx orchestrator.Tx) error { _, err := tx.Events(0, 0); return err },
		"PutOperation": func(tx orchestrator.Tx) error { // reads the old row first
			return tx.PutOperation(&orchestrator.Operation{ID: opID, GameID: g.ID, Status: orchestrator.OpQueued})
		},
	}
	for name, read := range reads {
		err := s.Update(context.Background(), read)
		if err == nil || isNotFound(err) {
			t.Errorf("%s: err=%v, want a decode error", name, err)
		} else if got, want := err.Error(), "decode"; !strings.Contains(got, want) {
			t.Errorf("%s: err=%q, want it to mention %q", name, got, want)
		}
	}
}
