package orchestrator_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/internal/clocktest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// fakeNodes is a NodeDriver whose nodes the test sets; WatchNodes reports each change.
type fakeNodes struct {
	mu      sync.Mutex
	nodes   []*orchestrator.Node
	changed chan struct{}
	drained []string
}

func newFakeNodes(ids ...string) *fakeNodes {
	f := &fakeNodes{changed: make(chan struct{}, 1)}
	for _, id := range ids {
		f.nodes = append(f.nodes, &orchestrator.Node{ID: id, Name: id, Status: "ready", Eligible: true})
	}
	return f
}

// openDrainer opens a drainer of the harness's games on fake nodes ids, on its clock,
// closed when the test ends; tune, when set, adjusts it before it opens.
func (h *harness) openDrainer(tune func(d *orchestrator.Drainer), ids ...string) (*orchestrator.Drainer, *fakeNodes) {
	h.tb.Helper()
	nodes := newFakeNodes(ids...)
	d := orchestrator.NewDrainer(nodes, h.disk, h.svc)
	d.Clock = h.clock
	if tune != nil {
		tune(d)
	}
	if err := d.Open(); err != nil {
		h.tb.Fatal(err)
	}
	h.tb.Cleanup(d.Close)
	return d, nodes
}

func (f *fakeNodes) set(id string, change func(n *orchestrator.Node)) {
	f.mu.Lock()
	for _, n := range f.nodes {
		if n.ID == id {
			change(n)
		}
	}
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
}

func (f *fakeNodes) Nodes(context.Context) ([]*orchestrator.Node, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]*orchestrator.Node, len(f.nodes))
	for i, n := range f.nodes {
		c := *n
		out[i] = &c
	}
	return out, nil
}

func (f *fakeNodes) WatchNodes(ctx context.Context, fn func([]*orchestrator.Node)) error {
	for {
		nodes, _ := f.Nodes(ctx)
		fn(nodes)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-f.changed:
		}
	}
}

func (f *fakeNodes) DrainNode(_ context.Context, id string, _ time.Duration) error {
	f.mu.Lock()
	f.drained = append(f.drained, id)
	f.mu.Unlock()
	f.set(id, func(n *orchestrator.Node) { n.Draining, n.Eligible = true, false })
	return nil
}

func (f *fakeNodes) ReleaseStale(context.Context, string, func(uuid.UUID) bool) (int, error) {
	return 0, nil
}

// A drained node's games move to another node, a few at a time, each at its turn; a
// node down longer than NodeLostAfter has its games restored elsewhere.
func TestDrainer(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenArchived(t)
	h.driver.nodes = []string{"n1", "n2", "n3"}
	var ids []uuid.UUID
	for i := 0; i < 5; i++ {
		id := h.mustStart()
		MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
		ids = append(ids, id)
	}
	d, nodes := h.openDrainer(func(d *orchestrator.Drainer) { d.MaxParallel = 2 }, "n1", "n2", "n3")
	on := func(node string) int {
		n := 0
		for _, id := range ids {
			if r := h.runtime(id); r.NodeID == node && r.Status == orchestrator.StatusRunning {
				n++
			}
		}
		return n
	}
	if got := on("n1"); got != 5 {
		t.Fatalf("%d games on n1 before the drain, want 5", got)
	}
	list, err := d.Nodes(ctx)
	if err != nil || len(list) != 3 || list[0].Games != 5 {
		t.Fatalf("nodes %+v (%v), want n1 with 5 games first", list, err)
	}
	if err := d.Drain(ctx, "n1", 0); err != nil {
		t.Fatal(err)
	}
	h.driver.mu.Lock()
	h.driver.nodes = []string{"n2", "n3"} // a draining node takes no new engine
	h.driver.mu.Unlock()
	// Each pass moves at most two; while games are left to move, the next pass comes
	// PassInterval after the last, not NodeLostAfter/4 (which made a drain of 100
	// games take half an hour).
	advanced := time.Duration(0)
	clocktest.WaitFor(t, "all games off the drained node within 10 passes", func() bool {
		if on("n2") == 5 {
			return true
		}
		h.waitIdle()
		if advanced < 10*d.PassInterval {
			h.clock.Advance(d.PassInterval)
			advanced += d.PassInterval
		}
		return false
	})
	h.waitIdle()
	for _, id := range ids {
		if r := h.runtime(id); r.CurrentTurn != 1 {
			t.Fatalf("game %s at turn %d after the drain, want 1", id, r.CurrentTurn)
		}
		ops, _ := h.svc.Operations(ctx, id, 0)
		transfers := 0
		for _, op := range ops {
			if op.Op == orchestrator.OpTransfer {
				transfers++
			}
		}
		if transfers != 1 {
			t.Fatalf("game %s transferred %d times, want once", id, transfers)
		}
	}

	nodes.set("n2", func(n *orchestrator.Node) { n.Status = "down" })
	h.clock.Advance(d.NodeLostAfter / 2)
	if got := on("n2"); got != 5 {
		t.Fatalf("%d games moved before the node was down NodeLostAfter, want none", 5-got)
	}
	clocktest.WaitFor(t, "games restored off the lost node", func() bool {
		if on("n3") < 5 {
			h.clock.Advance(d.NodeLostAfter / 4)
			return false
		}
		return true
	})
}

// A game that cannot be moved off its leaving node (no node takes it) is tried again
// after RetryAfter, then after twice that, not at every pass: a drain does not fill
// the operation log.
func TestDrainer_FailedMoveIsNotRetriedEveryPass(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenArchived(t)
	h.driver.nodes = []string{"n1", "n2"}
	id := h.mustStart()
	d, _ := h.openDrainer(nil, "n1", "n2")
	h.driver.setStartFn(func(orchestrator.EngineSpec) error {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "no node has room")
	})
	if err := d.Drain(ctx, "n1", 0); err != nil {
		t.Fatal(err)
	}
	transfers := func() (n int) {
		ops, _ := h.svc.Operations(ctx, id, 0)
		for _, op := range ops {
			if op.Op == orchestrator.OpTransfer && op.Done() {
				n++
			}
		}
		return n
	}
	clocktest.WaitFor(t, "the first transfer", func() bool { return transfers() == 1 })
	// Every second for the next RetryAfter: the drainer passes (every PassInterval
	// after a transfer, every NodeLostAfter/4 when idle) but moves nothing.
	start := h.clock.Now()
	for h.clock.Now().Before(start.Add(d.RetryAfter - d.PassInterval)) {
		h.waitIdle()
		h.clock.Advance(d.PassInterval)
	}
	h.waitIdle()
	if n := transfers(); n != 1 {
		t.Fatalf("%d transfers within RetryAfter (%s) of the first, want 1", n, d.RetryAfter)
	}
	if r := h.runtime(id); r.Status != orchestrator.StatusStartFailed {
		t.Fatalf("status %s after the failed move, want start_failed", r.Status)
	}
	// The second try comes within an idle pass of RetryAfter, the third not before
	// twice RetryAfter after it.
	clocktest.WaitFor(t, "the second transfer", func() bool {
		if transfers() == 2 {
			return true
		}
		h.waitIdle()
		h.clock.Advance(d.PassInterval)
		return false
	})
	second := h.clock.Now()
	for h.clock.Now().Before(second.Add(2*d.RetryAfter - d.PassInterval)) {
		h.waitIdle()
		h.clock.Advance(d.PassInterval)
	}
	h.waitIdle()
	if n := transfers(); n != 2 {
		t.Fatalf("%d transfers within twice RetryAfter of the second, want 2", n)
	}
	h.driver.setStartFn(nil)
	clocktest.WaitFor(t, "moved once a node takes it", func() bool {
		if r := h.runtime(id); r.Status == orchestrator.StatusRunning && r.NodeID == "n2" {
			return true
		}
		h.waitIdle()
		h.clock.Advance(d.PassInterval)
		return false
	})
}

// A sleeping game whose volume stays on a drained node is moved too: it runs on
// another node, restored from its archived state, at its turn.
func TestDrainer_MovesASleepingGame(t *testing.T) {
	ctx := context.Background()
	h, _ := MustOpenSleepy(t, false)
	h.driver.nodes = []string{"n1", "n2"}
	id := h.mustStart()
	MustSucceed(t, h.MustWait(h.svc.ForceNextTurn(ctx, id, orchestrator.SourceAdmin)))
	MustSucceed(t, h.MustWait(h.svc.Sleep(ctx, id, orchestrator.SourceAdmin)))
	if r := h.runtime(id); r.Status != orchestrator.StatusAsleep || r.NodeID != "n1" {
		t.Fatalf("before the drain: %s on %q, want asleep with its volume on n1", r.Status, r.NodeID)
	}
	d, _ := h.openDrainer(nil, "n1", "n2")
	h.driver.mu.Lock()
	h.driver.nodes = []string{"n2"} // a draining node takes no new engine
	h.driver.mu.Unlock()
	if err := d.Drain(ctx, "n1", 0); err != nil {
		t.Fatal(err)
	}
	clocktest.WaitFor(t, "the sleeping game moved off the drained node", func() bool {
		r := h.runtime(id)
		return r.NodeID == "n2" && r.Status == orchestrator.StatusRunning
	})
	if r := h.runtime(id); r.CurrentTurn != 1 {
		t.Fatalf("after the move: turn %d, want 1", r.CurrentTurn)
	}
}
