package drivertest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// nodeDriver returns the driver as a NodeDriver, or skips: a driver of one machine
// has no nodes.
func nodeDriver(t *testing.T, h *Harness) orchestrator.NodeDriver {
	t.Helper()
	nd, ok := h.Driver.(orchestrator.NodeDriver)
	if !ok {
		t.Skip("the driver has no nodes (one machine)")
	}
	return nd
}

// usableNodes are the nodes that take new engines now: ready and eligible. It skips
// the test when there are fewer than n.
func usableNodes(t *testing.T, h *Harness, nd orchestrator.NodeDriver, n int) []string {
	t.Helper()
	nodes, err := nd.Nodes(ctx(t, h))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, x := range nodes {
		if x.Status == "ready" && x.Eligible {
			ids = append(ids, x.ID)
		}
	}
	if len(ids) < n {
		t.Skipf("needs %d ready, eligible nodes; the cluster has %d (of %d)", n, len(ids), len(nodes))
	}
	return ids
}

func testNodes(t *testing.T, h *Harness, _ *observer) {
	nd := nodeDriver(t, h)
	nodes, err := nd.Nodes(ctx(t, h))
	if err != nil {
		t.Fatal(err)
	}
	if len(nodes) == 0 {
		t.Fatal("Nodes: none, want the pool's nodes")
	}
	for _, n := range nodes {
		if n.ID == "" || n.Name == "" || n.Status == "" || n.Draining && n.Eligible {
			t.Errorf("node %+v: want an ID, a name and a status, never eligible while draining", n)
		}
	}
	// The watch hands the same list over at once.
	c, cancel := context.WithCancel(ctx(t, h))
	defer cancel()
	got := make(chan []*orchestrator.Node, 1)
	done := make(chan error, 1)
	go func() {
		done <- nd.WatchNodes(c, func(l []*orchestrator.Node) {
			select {
			case got <- l:
			default:
			}
		})
	}()
	select {
	case l := <-got:
		if len(l) != len(nodes) {
			t.Errorf("WatchNodes' first list: %d nodes, Nodes: %d", len(l), len(nodes))
		}
	case <-time.After(h.timeout()):
		t.Fatalf("WatchNodes told nothing within %s", h.timeout())
	}
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("WatchNodes after its context ended: %v, want context.Canceled", err)
		}
	case <-time.After(h.timeout()):
		t.Fatal("WatchNodes did not return once its context ended")
	}
	if err := nd.DrainNode(ctx(t, h), uuid.NewString(), time.Hour); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Errorf("drain of an unknown node: %v, want ENOTFOUND", err)
	}
}

func testPlacementOnNode(t *testing.T, h *Harness, _ *observer) {
	nd := nodeDriver(t, h)
	ids := usableNodes(t, h, nd, 1)
	for _, node := range ids[:min(2, len(ids))] {
		spec := newSpec(t, h, "0.1.0")
		spec.Node = node
		in := mustStart(t, h, h.Driver, spec)
		if in.NodeID != node {
			t.Fatalf("start on node %s: placed on %s", node, in.NodeID)
		}
		mustInit(t, h, in.Endpoint, spec.GameID)
	}
}

func testPlacementAvoids(t *testing.T, h *Harness, _ *observer) {
	nd := nodeDriver(t, h)
	ids := usableNodes(t, h, nd, 1)
	// Off every node that could take it: refused, naming why, and nothing runs.
	none := newSpec(t, h, "0.1.0")
	none.AvoidNodes = ids
	_, err := h.Driver.Start(ctx(t, h), none)
	mustCode(t, err, orchestrator.EUNAVAILABLE)
	if got := mustInstance(t, h, h.Driver, none.GameID); got != nil && got.Running {
		t.Fatalf("a start off every node runs: %+v", got)
	}
	if len(ids) < 2 {
		t.Skipf("placement off some nodes needs 2 ready, eligible nodes; the cluster has %d", len(ids))
	}
	spec := newSpec(t, h, "0.1.0")
	spec.AvoidNodes = ids[1:]
	if in := mustStart(t, h, h.Driver, spec); in.NodeID != ids[0] {
		t.Fatalf("start off %v: placed on %s, want the only other usable node %s", spec.AvoidNodes, in.NodeID, ids[0])
	}
	other := newSpec(t, h, "0.1.0")
	other.AvoidNodes = ids[:1]
	if in := mustStart(t, h, h.Driver, other); in.NodeID == ids[0] {
		t.Fatalf("start off %s: placed there", ids[0])
	}
}

// testMoveOffNode is what a transfer asks of the driver: Remove, then Start off the
// old node; the new engine starts empty (the orchestrator restores it from the
// archive) and the driver lists only it.
func testMoveOffNode(t *testing.T, h *Harness, o *observer) {
	nd := nodeDriver(t, h)
	usableNodes(t, h, nd, 2)
	spec := newSpec(t, h, "0.1.0")
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	mustTurn(t, h, in.Endpoint, 1)
	if err := h.Driver.Remove(ctx(t, h), spec.GameID); err != nil {
		t.Fatal(err)
	}
	spec.AvoidNodes = []string{in.NodeID}
	moved := mustStart(t, h, h.Driver, spec)
	if moved.NodeID == in.NodeID {
		t.Fatalf("moved engine on the old node %s", in.NodeID)
	}
	if _, err := client(moved.Endpoint).State(ctx(t, h)); !engine.IsStatus(err, http.StatusNotFound) {
		t.Fatalf("state of the moved engine: %v, want 404 (a new place starts empty)", err)
	}
	mustInit(t, h, moved.Endpoint, spec.GameID)
	if got := mustInstance(t, h, h.Driver, spec.GameID); got == nil || !got.Running || got.NodeID != moved.NodeID {
		t.Fatalf("instance after the move: %+v, want it running on %s", got, moved.NodeID)
	}
	o.none(t, spec.GameID, "a remove and a start asked for")
}

// testRemoveNodeDown: with the game's node down, Remove succeeds (the node's volume
// stays), the game starts elsewhere, and once the node is back ReleaseStale deletes
// what it held.
func testRemoveNodeDown(t *testing.T, h *Harness, _ *observer) {
	nd := nodeDriver(t, h)
	if h.NodeDown == nil {
		t.Skip("the harness cannot take a node down")
	}
	ids := usableNodes(t, h, nd, 2)
	spec := newSpec(t, h, "0.1.0")
	spec.Node = ids[0]
	in := mustStart(t, h, h.Driver, spec)
	mustInit(t, h, in.Endpoint, spec.GameID)
	h.NodeDown(t, ids[0])
	eventually(t, h, "the node seen down", func() error {
		nodes, err := nd.Nodes(ctx(t, h))
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(nodes, func(n *orchestrator.Node) bool { return n.ID == ids[0] }); i < 0 || nodes[i].Status != "down" {
			return fmt.Errorf("nodes %+v, want %s down", nodes, ids[0])
		}
		return nil
	})
	if err := h.Driver.Remove(ctx(t, h), spec.GameID); err != nil {
		t.Fatalf("remove with the node down: %v", err)
	}
	if got := mustInstance(t, h, h.Driver, spec.GameID); got != nil {
		t.Fatalf("instance after remove: %+v, want none", got)
	}
	spec.Node, spec.AvoidNodes = "", []string{ids[0]}
	moved := mustStart(t, h, h.Driver, spec)
	if moved.NodeID == ids[0] {
		t.Fatalf("started on the down node")
	}
	if _, err := nd.ReleaseStale(ctx(t, h), ids[0], func(uuid.UUID) bool { return false }); err == nil {
		t.Errorf("release on a down node: no error, want it refused until the node is up")
	}
	h.NodeUp(t, ids[0])
	released := 0
	eventually(t, h, "the volume left on the node released once it is back", func() error {
		n, err := nd.ReleaseStale(ctx(t, h), ids[0], func(id uuid.UUID) bool { return id != spec.GameID })
		released += n
		if err == nil && released == 0 {
			err = fmt.Errorf("nothing released")
		}
		return err
	})
	if n, err := nd.ReleaseStale(ctx(t, h), ids[0], func(uuid.UUID) bool { return false }); err != nil || n != 0 {
		t.Errorf("a second release: %d, %v; want 0", n, err)
	}
	if err := client(moved.Endpoint).Healthz(ctx(t, h)); err != nil {
		t.Errorf("the moved engine after the release: %v", err)
	}
}

// testDrainNode: a drained node takes no new engine and says so, and what runs there
// runs on until the orchestrator moves it (it takes the final snapshots).
func testDrainNode(t *testing.T, h *Harness, _ *observer) {
	nd := nodeDriver(t, h)
	if !h.MayDrain {
		t.Skip("the harness may not drain a node of its cluster")
	}
	ids := usableNodes(t, h, nd, 1)
	t.Cleanup(func() { h.Undrain(t, ids[0]) }) // after the games' removal (cleanups run last first)
	spec := newSpec(t, h, "0.1.0")
	spec.Node = ids[0]
	in := mustStart(t, h, h.Driver, spec)
	if err := nd.DrainNode(ctx(t, h), ids[0], time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, h, "the drained node seen", func() error {
		nodes, err := nd.Nodes(ctx(t, h))
		if err != nil {
			return err
		}
		if i := slices.IndexFunc(nodes, func(n *orchestrator.Node) bool { return n.ID == ids[0] }); i < 0 || nodes[i].Eligible {
			return fmt.Errorf("nodes %+v, want %s not eligible", nodes, ids[0])
		}
		return nil
	})
	if err := client(in.Endpoint).Healthz(ctx(t, h)); err != nil {
		t.Fatalf("the engine of the drained node: %v, want it running until it is moved", err)
	}
	if len(ids) < 2 {
		t.Skipf("a new game placed off the drained node needs 2 ready, eligible nodes; the cluster has %d", len(ids))
	}
	// A new game goes elsewhere.
	other := newSpec(t, h, "0.1.0")
	if got := mustStart(t, h, h.Driver, other); got.NodeID == ids[0] {
		t.Fatalf("a new engine placed on the drained node")
	}
}
