package store_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/galaxy-orchestrator/galaxy/store"
	"github.com/google/uuid"
)

func newOperation(tb testing.TB, gameID uuid.UUID, status string) *orchestrator.Operation {
	tb.Helper()
	now := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	return &orchestrator.Operation{
		ID: MustNewV7(tb), GameID: gameID, Op: orchestrator.OpPatch, Source: orchestrator.SourceAdmin,
		Status: status, Details: orchestrator.OpDetails{Version: "1.2.4", ImageRef: "galaxy/engine:1.2.4"},
		CreatedAt: now,
	}
}

func TestTx_Operation(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		want := newOperation(t, uuid.New(), orchestrator.OpFailed)
		started := want.CreatedAt.Add(time.Second)
		want.StartedAt, want.FinishedAt = &started, &started
		want.ErrorCode, want.ErrorMessage, want.Attempts = orchestrator.EUNAVAILABLE, "nomad down", 3
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutOperation(want) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.Operation(want.ID)
			if err != nil {
				return err
			} else if !reflect.DeepEqual(got, want) {
				t.Fatalf("got %#v, want %#v", got, want)
			}
			return nil
		})
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		s := MustOpenStore(t)
		MustView(t, s, func(tx orchestrator.Tx) error {
			if _, err := tx.Operation(uuid.New()); !isNotFound(err) {
				t.Fatalf("err=%v, want ENOTFOUND", err)
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		for name, op := range map[string]*orchestrator.Operation{
			"nil":          nil,
			"zero id":      {GameID: uuid.New()},
			"zero game id": {ID: uuid.New()},
		} {
			if err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.PutOperation(op) }); err == nil {
				t.Errorf("PutOperation(%s): want error", name)
			}
		}
	})
}

func TestTx_GameOperations(t *testing.T) {
	s := MustOpenStore(t)
	// Games with neighbouring IDs, so a prefix scan that overruns would show.
	g1 := uuid.MustParse("11111111-1111-1111-1111-111111111110")
	g2 := uuid.MustParse("11111111-1111-1111-1111-111111111111")
	g3 := uuid.MustParse("11111111-1111-1111-1111-111111111112")
	var wantG2 []uuid.UUID // oldest first; GameOperations answers newest first
	MustUpdate(t, s, func(tx orchestrator.Tx) error {
		for range 5 {
			for _, g := range []uuid.UUID{g1, g2, g3} {
				op := newOperation(t, g, orchestrator.OpSucceeded)
				if err := tx.PutOperation(op); err != nil {
					return err
				}
				if g == g2 {
					wantG2 = append(wantG2, op.ID)
				}
			}
		}
		return nil
	})
	slices.Reverse(wantG2)

	t.Run("OK", func(t *testing.T) {
		MustView(t, s, func(tx orchestrator.Tx) error {
			ops, err := tx.GameOperations(g2, 0)
			if err != nil {
				return err
			}
			if got, want := opIDs(ops), wantG2; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			for _, op := range ops {
				if got, want := op.GameID, g2; got != want {
					t.Fatalf("GameID=%s, want %s", got, want)
				}
			}
			return nil
		})
	})

	t.Run("Limit", func(t *testing.T) {
		MustView(t, s, func(tx orchestrator.Tx) error {
			ops, err := tx.GameOperations(g2, 2)
			if err != nil {
				return err
			} else if got, want := opIDs(ops), wantG2[:2]; !slices.Equal(got, want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			ops, err = tx.GameOperations(g2, 100)
			if err != nil {
				return err
			} else if got, want := len(ops), 5; got != want {
				t.Fatalf("len=%d, want %d", got, want)
			}
			return nil
		})
	})

	// The last and first games of the bucket (the prefix scan's edges).
	t.Run("Edges", func(t *testing.T) {
		MustView(t, s, func(tx orchestrator.Tx) error {
			for _, g := range []uuid.UUID{g1, g3} {
				ops, err := tx.GameOperations(g, 0)
				if err != nil {
					return err
				} else if got, want := len(ops), 5; got != want {
					t.Fatalf("game %s: len=%d, want %d", g, got, want)
				}
			}
			return nil
		})
	})

	t.Run("UnknownGame", func(t *testing.T) {
		MustView(t, s, func(tx orchestrator.Tx) error {
			for _, g := range []uuid.UUID{uuid.Nil, uuid.Max, uuid.New()} {
				ops, err := tx.GameOperations(g, 0)
				if err != nil {
					return err
				} else if got, want := len(ops), 0; got != want {
					t.Fatalf("game %s: len=%d, want %d", g, got, want)
				}
			}
			return nil
		})
	})

	// An operation moved to another game leaves no stale index entry behind.
	t.Run("MoveGame", func(t *testing.T) {
		s := MustOpenStore(t)
		a, b := uuid.New(), uuid.New()
		op := newOperation(t, a, orchestrator.OpQueued)
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutOperation(op) })
		op.GameID = b
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutOperation(op) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			if ops, err := tx.GameOperations(a, 0); err != nil {
				return err
			} else if got, want := len(ops), 0; got != want {
				t.Fatalf("old game: len=%d, want %d", got, want)
			}
			if ops, err := tx.GameOperations(b, 0); err != nil {
				return err
			} else if got, want := len(ops), 1; got != want {
				t.Fatalf("new game: len=%d, want %d", got, want)
			}
			return nil
		})
	})
}

func opIDs(ops []*orchestrator.Operation) []uuid.UUID {
	ids := make([]uuid.UUID, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	return ids
}

func TestTx_PendingOperations(t *testing.T) {
	s := MustOpenStore(t)
	gameID := uuid.New()
	ops := make([]*orchestrator.Operation, 4)
	MustUpdate(t, s, func(tx orchestrator.Tx) error {
		for i := range ops {
			ops[i] = newOperation(t, gameID, orchestrator.OpQueued)
			if err := tx.PutOperation(ops[i]); err != nil {
				return err
			}
		}
		return nil
	})
	pending := func() []uuid.UUID {
		t.Helper()
		var got []*orchestrator.Operation
		MustView(t, s, func(tx orchestrator.Tx) (err error) {
			got, err = tx.PendingOperations()
			return err
		})
		return opIDs(got)
	}
	setStatus := func(op *orchestrator.Operation, status string) {
		t.Helper()
		op.Status = status
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutOperation(op) })
	}

	t.Run("OK", func(t *testing.T) {
		if got, want := pending(), opIDs(ops); !slices.Equal(got, want) {
			t.Fatalf("queued: got %v, want %v (oldest first)", got, want)
		}
		setStatus(ops[1], orchestrator.OpRunning)
		if got, want := pending(), opIDs(ops); !slices.Equal(got, want) {
			t.Fatalf("running: got %v, want %v", got, want)
		}
		setStatus(ops[1], orchestrator.OpSucceeded)
		setStatus(ops[2], orchestrator.OpFailed)
		if got, want := pending(), opIDs([]*orchestrator.Operation{ops[0], ops[3]}); !slices.Equal(got, want) {
			t.Fatalf("after finishing two: got %v, want %v", got, want)
		}
		// A retried operation goes back to queued.
		setStatus(ops[2], orchestrator.OpQueued)
		if got, want := pending(), opIDs([]*orchestrator.Operation{ops[0], ops[2], ops[3]}); !slices.Equal(got, want) {
			t.Fatalf("after requeue: got %v, want %v", got, want)
		}
	})

	// PendingOperations returns the stored row, with its current status.
	t.Run("Fresh", func(t *testing.T) {
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.PendingOperations()
			if err != nil {
				return err
			}
			for _, op := range got {
				if op.Status != orchestrator.OpQueued && op.Status != orchestrator.OpRunning {
					t.Fatalf("operation %s: status %q is not pending", op.ID, op.Status)
				}
			}
			return nil
		})
	})
}

// BenchmarkUpdateParallel compares many concurrent writers, each committing one small
// PutOperation per Update, with and without bbolt's batch coalescing. Every Update is
// durable (fsync'd) in both modes; Batch shares one fsync among the writers it groups.
func BenchmarkUpdateParallel(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts []store.Option
	}{
		{"Serial", []store.Option{store.WithBatchDelay(0)}},
		{"Batch", nil},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := MustOpenStore(b, bc.opts...)
			gameID := uuid.New()
			b.SetParallelism(16) // 16 × GOMAXPROCS writers, like a busy worker pool
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					err := s.Update(context.Background(), func(tx orchestrator.Tx) error {
						return tx.PutOperation(&orchestrator.Operation{
							ID: uuid.Must(uuid.NewV7()), GameID: gameID, Op: orchestrator.OpTurn,
							Source: orchestrator.SourceScheduler, Status: orchestrator.OpQueued,
						})
					})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}
