package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func newRuntime(gameID uuid.UUID) *orchestrator.Runtime {
	now := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	next := now.Add(24 * time.Hour)
	return &orchestrator.Runtime{
		GameID: gameID, Status: orchestrator.StatusRunning, CurrentTurn: 7, NextTurnAt: &next,
		Initialized: true, EngineEndpoint: "127.0.0.1:4000", EngineVersion: "1.2.3",
		JobID: orchestrator.JobName(gameID), JobVersion: 3,
		Players:   []engine.PlayerSummary{{RaceName: "Zorgons"}},
		StartedAt: &now, UpdatedAt: now,
	}
}

func TestTx_Runtime(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenStore(t)
		want := newRuntime(uuid.New())
		MustUpdate(t, s, func(tx orchestrator.Tx) error { return tx.PutRuntime(want) })
		MustView(t, s, func(tx orchestrator.Tx) error {
			got, err := tx.Runtime(want.GameID)
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
			if _, err := tx.Runtime(uuid.New()); !isNotFound(err) {
				t.Fatalf("err=%v, want ENOTFOUND", err)
			}
			return nil
		})
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		s := MustOpenStore(t)
		for name, r := range map[string]*orchestrator.Runtime{"nil": nil, "zero id": {}} {
			if err := s.Update(t.Context(), func(tx orchestrator.Tx) error { return tx.PutRuntime(r) }); err == nil {
				t.Errorf("PutRuntime(%s): want error", name)
			}
		}
	})
}

func TestTx_Runtimes(t *testing.T) {
	s := MustOpenStore(t)
	var ids []uuid.UUID
	MustUpdate(t, s, func(tx orchestrator.Tx) error {
		for range 10 {
			r := newRuntime(uuid.New())
			ids = append(ids, r.GameID)
			if err := tx.PutRuntime(r); err != nil {
				return err
			}
		}
		return nil
	})
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })

	t.Run("OK", func(t *testing.T) {
		var got []uuid.UUID
		MustView(t, s, func(tx orchestrator.Tx) error {
			return tx.Runtimes(func(r *orchestrator.Runtime) error {
				got = append(got, r.GameID)
				return nil
			})
		})
		if want := ids; !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})

	t.Run("Stop", func(t *testing.T) {
		want := errors.New("stop")
		n := 0
		err := s.View(t.Context(), func(tx orchestrator.Tx) error {
			return tx.Runtimes(func(r *orchestrator.Runtime) error {
				if n++; n == 3 {
					return want
				}
				return nil
			})
		})
		if err != want {
			t.Fatalf("err=%v, want %v", err, want)
		} else if got, want := n, 3; got != want {
			t.Fatalf("calls=%d, want %d", got, want)
		}
	})

	// fn may write inside Update, growing records, and the walk still visits every
	// record exactly once.
	t.Run("WriteDuringWalk", func(t *testing.T) {
		var visited []uuid.UUID
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			visited = visited[:0] // fn may run more than once
			return tx.Runtimes(func(r *orchestrator.Runtime) error {
				visited = append(visited, r.GameID)
				r.CurrentTurn++
				r.LastError = string(bytes.Repeat([]byte("x"), 3000)) // grow the value
				return tx.PutRuntime(r)
			})
		})
		if got, want := visited, ids; !slices.Equal(got, want) {
			t.Fatalf("visited %v, want %v", got, want)
		}
		var left []uuid.UUID
		MustView(t, s, func(tx orchestrator.Tx) error {
			return tx.Runtimes(func(r *orchestrator.Runtime) error {
				if got, want := r.CurrentTurn, 8; got != want {
					t.Errorf("runtime %s: CurrentTurn=%d, want %d", r.GameID, got, want)
				}
				left = append(left, r.GameID)
				return nil
			})
		})
		if got, want := len(left), len(ids); got != want {
			t.Fatalf("len(left)=%d, want %d", got, want)
		}
	})
}

// BenchmarkRuntimesScan100k measures the boot-time walk the scheduler does to rebuild
// its heap: 100k runtime records, each decoded from JSON.
func BenchmarkRuntimesScan100k(b *testing.B) {
	const n = 100_000
	s := MustOpenStore(b)
	for i := 0; i < n; i += 10_000 {
		MustUpdate(b, s, func(tx orchestrator.Tx) error {
			for range 10_000 {
				if err := tx.PutRuntime(newRuntime(uuid.New())); err != nil {
					return err
				}
			}
			return nil
		})
	}
	b.ReportAllocs()
	for b.Loop() {
		count := 0
		MustView(b, s, func(tx orchestrator.Tx) error {
			return tx.Runtimes(func(r *orchestrator.Runtime) error {
				if r.Scheduled() {
					count++
				}
				return nil
			})
		})
		if count != n {
			b.Fatalf("count=%d, want %d", count, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "runtimes/s")
}

// ScanRuntimes walks in ID order after the cursor, keeps what keep takes (whole
// records), and stops at limit kept or budget looked at, saying where to go on.
func TestTx_ScanRuntimes(t *testing.T) {
	s := MustOpenStore(t)
	var ids []uuid.UUID
	for i := range 10 {
		id := uuid.MustParse(fmt.Sprintf("00000000-0000-7000-8000-%012d", i+1))
		ids = append(ids, id)
		st := orchestrator.StatusRunning
		if i%3 == 0 {
			st = orchestrator.StatusStopped
		}
		MustUpdate(t, s, func(tx orchestrator.Tx) error {
			return tx.PutRuntime(&orchestrator.Runtime{GameID: id, Status: st, NodeID: fmt.Sprintf("node-%d", i%2), CurrentTurn: i})
		})
	}
	stopped := func(k orchestrator.RuntimeKey) bool { return k.Status == orchestrator.StatusStopped }
	scan := func(after uuid.UUID, keep func(orchestrator.RuntimeKey) bool, limit, budget int) (got []int, next uuid.UUID) {
		t.Helper()
		MustView(t, s, func(tx orchestrator.Tx) error {
			rs, n, err := tx.ScanRuntimes(after, keep, limit, budget)
			for _, r := range rs {
				got = append(got, r.CurrentTurn) // the whole record is there
			}
			next = n
			return err
		})
		return got, next
	}
	for _, c := range []struct {
		name          string
		after         uuid.UUID
		keep          func(orchestrator.RuntimeKey) bool
		limit, budget int
		want          []int
		next          uuid.UUID
	}{
		{"all", uuid.Nil, nil, 100, 100, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, uuid.Nil},
		{"page", ids[1], nil, 3, 100, []int{2, 3, 4}, ids[4]},
		{"last page", ids[6], nil, 3, 100, []int{7, 8, 9}, uuid.Nil},
		{"past the end", ids[9], nil, 3, 100, nil, uuid.Nil},
		{"filtered", uuid.Nil, stopped, 100, 100, []int{0, 3, 6, 9}, uuid.Nil},
		{"filtered to its limit", uuid.Nil, stopped, 2, 100, []int{0, 3}, ids[3]},
		{"budget", uuid.Nil, stopped, 100, 5, []int{0, 3}, ids[4]},
		{"budget, on from its cursor", ids[4], stopped, 100, 5, []int{6, 9}, uuid.Nil},
	} {
		got, next := scan(c.after, c.keep, c.limit, c.budget)
		if !slices.Equal(got, c.want) || next != c.next {
			t.Errorf("%s: got %v next %v, want %v next %v", c.name, got, next, c.want, c.next)
		}
	}
}
