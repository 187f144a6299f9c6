package orchestrator_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// A burst of operations for different games, each waiting on its engine, runs all at
// once: the pool grows to the burst (within MaxWorkers), even though every submission
// arrives before any worker woke up; operations of one game still run one at a time.
func TestWorkerPool_GrowsToABurst(t *testing.T) {
	release := make(chan struct{})
	var running, most atomic.Int64
	var mu sync.Mutex
	perGame := map[uuid.UUID]int{}
	p := &orchestrator.WorkerPool{Workers: 4, MaxWorkers: 1000, QueueSize: 1000, Run: func(ctx context.Context, op *orchestrator.Operation) {
		mu.Lock()
		perGame[op.GameID]++
		if perGame[op.GameID] > 1 {
			t.Errorf("two operations of game %s at once", op.GameID)
		}
		mu.Unlock()
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		running.Add(-1)
		mu.Lock()
		perGame[op.GameID]--
		mu.Unlock()
	}}
	p.Open()
	defer p.Close()
	const games = 200
	same := uuid.New()
	for i := range games {
		id := uuid.New()
		if i%50 == 0 {
			id = same // four operations of one game among them
		}
		tk, err := p.Reserve()
		if err != nil {
			t.Fatal(err)
		}
		p.Submit(tk, &orchestrator.Operation{ID: uuid.New(), GameID: id})
	}
	clocktest.WaitFor(t, "every game's operation running at once", func() bool { return running.Load() == games-3 })
	close(release)
	clocktest.WaitFor(t, "the pool drained", func() bool { return p.Pending() == 0 })
	if m := most.Load(); m != games-3 {
		t.Errorf("at most %d operations ran at once, want %d (one per game)", m, games-3)
	}
}
