package nomad_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad"
	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

// nodesServer is a fake cluster of three engine nodes in pool "engines" (and one node
// of another pool, which the driver must leave alone).
func nodesServer(t *testing.T) *nomadtest.Server {
	t.Helper()
	return MustServer(t, nomadtest.Options{Nodes: []nomadtest.Node{
		{Name: "fake-1", NodePool: "engines"}, {Name: "fake-2", NodePool: "engines"}, {Name: "fake-3", NodePool: "engines"},
		{Name: "other-1", NodePool: "other"},
	}})
}

func nodesConfig(srv *nomadtest.Server) nomad.Config {
	cfg := testConfig(srv)
	cfg.NodePool = "engines"
	return cfg
}

func nodeByName(t *testing.T, nodes []*orchestrator.Node, name string) *orchestrator.Node {
	t.Helper()
	for _, n := range nodes {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("no node %s in %+v", name, nodes)
	return nil
}

func TestDriver_Nodes(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))
	nodes, err := d.Nodes(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range nodes {
		names = append(names, n.Name)
		if n.ID != srv.NodeID(n.Name) || n.Status != "ready" || !n.Eligible || n.Draining {
			t.Errorf("node %+v: want ready, eligible, not draining, with its Nomad ID", n)
		}
	}
	if got := strings.Join(names, ","); got != "fake-1,fake-2,fake-3" {
		t.Errorf("nodes: got %s, want the pool's three, sorted (not other-1)", got)
	}

	if err := srv.SetEligible("fake-2", false); err != nil {
		t.Fatal(err)
	}
	// An engine on fake-3 keeps its drain going (the drain of an empty node is
	// complete at once).
	spec := newSpec("0.1.0")
	spec.Node = srv.NodeID("fake-3")
	MustStart(t, d, spec)
	if err := d.DrainNode(ctx(t), srv.NodeID("fake-3"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := srv.NodeDown("fake-1"); err != nil {
		t.Fatal(err)
	}
	nodes, err = d.Nodes(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if n := nodeByName(t, nodes, "fake-1"); n.Status != "down" {
		t.Errorf("fake-1: %+v, want down", n)
	}
	if n := nodeByName(t, nodes, "fake-2"); n.Eligible || n.Draining || n.Status != "ready" {
		t.Errorf("fake-2: %+v, want ready, ineligible, not draining", n)
	}
	if n := nodeByName(t, nodes, "fake-3"); n.Eligible || !n.Draining {
		t.Errorf("fake-3: %+v, want draining and so not eligible", n)
	}
}

func TestDriver_DrainNode(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))
	nc := MustNomadClient(t, srv)

	t.Run("OKByName", func(t *testing.T) {
		spec := newSpec("0.1.0")
		spec.Node = srv.NodeID("fake-2")
		MustStart(t, d, spec)
		if err := d.DrainNode(ctx(t), "fake-2", 0); err != nil {
			t.Fatal(err)
		}
		n, _, err := nc.Nodes().Info(srv.NodeID("fake-2"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if n.DrainStrategy == nil || n.DrainStrategy.Deadline != nomad.DefaultDrainDeadline || n.SchedulingEligibility != api.NodeSchedulingIneligible {
			t.Errorf("drain strategy %+v eligibility %s, want Nomad's default deadline and ineligible", n.DrainStrategy, n.SchedulingEligibility)
		}
		if n.LastDrain == nil || n.LastDrain.Meta["galaxy.drained_by"] != "galaxyd" {
			t.Errorf("last drain %+v: want galaxyd's mark in its meta", n.LastDrain)
		}
	})
	for _, tc := range []struct{ name, node string }{
		{"ErrUnknownNode", uuid.NewString()},
		{"ErrNodeOfAnotherPool", srv.NodeID("other-1")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := d.DrainNode(ctx(t), tc.node, time.Hour)
			MustErrCode(t, err, orchestrator.ENOTFOUND, tc.node)
		})
	}
	if n, _, _ := nc.Nodes().Info(srv.NodeID("other-1"), nil); n.DrainStrategy != nil {
		t.Errorf("the other pool's node was drained: %+v", n.DrainStrategy)
	}
}

// WatchNodes hands over the list at once and on each change the orchestrator sees,
// not on a fingerprint update alone, and goes on after failed queries.
func TestDriver_WatchNodes(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))
	seen := make(chan []*orchestrator.Node, 16)
	c, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.WatchNodes(c, func(n []*orchestrator.Node) { seen <- n }) }()
	next := func(what string) []*orchestrator.Node {
		t.Helper()
		select {
		case n := <-seen:
			return n
		case <-time.After(30 * time.Second):
			t.Fatalf("no node news: %s", what)
			return nil
		}
	}
	if first := next("the first list"); len(first) != 3 {
		t.Fatalf("first list: %+v, want the pool's 3 nodes", first)
	}
	// A volume created and fingerprinted changes the nodes' index, not what the
	// orchestrator sees: the next news is the eligibility change after it.
	spec := newSpec("0.1.0")
	MustStart(t, d, spec)
	if err := srv.SetEligible("fake-3", false); err != nil {
		t.Fatal(err)
	}
	if n := nodeByName(t, next("fake-3 ineligible"), "fake-3"); n.Eligible {
		t.Errorf("news after fake-3 was made ineligible: %+v", n)
	}
	// Failed queries: the watch backs off, starts over and still hears of the next change.
	srv.Fail(3, http.StatusInternalServerError)
	if err := srv.NodeDown("fake-2"); err != nil {
		t.Fatal(err)
	}
	if n := nodeByName(t, next("fake-2 down"), "fake-2"); n.Status != "down" {
		t.Errorf("news after fake-2 went down: %+v", n)
	}
	cancel()
	select {
	case err := <-done:
		if err != context.Canceled {
			t.Errorf("WatchNodes returned %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("WatchNodes did not return after its context ended")
	}
}

func TestDriver_Placement(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))

	t.Run("OKOnNode", func(t *testing.T) {
		spec := newSpec("0.1.0")
		spec.Node = srv.NodeID("fake-2")
		inst := MustStart(t, d, spec)
		if inst.NodeID != spec.Node {
			t.Errorf("placed on %s, want fake-2", srv.NodeName(inst.NodeID))
		}
		if _, ok := srv.VolumesOn("fake-2")[inst.JobID]; !ok {
			t.Errorf("volume not on fake-2: %v", srv.VolumesOn("fake-2"))
		}
		MustInit(t, inst.Endpoint, spec.GameID)
	})
	t.Run("OKAvoiding", func(t *testing.T) {
		spec := newSpec("0.1.0")
		spec.AvoidNodes = []string{srv.NodeID("fake-1"), srv.NodeID("fake-2")}
		inst := MustStart(t, d, spec)
		if got := srv.NodeName(inst.NodeID); got != "fake-3" {
			t.Errorf("placed on %s, want fake-3", got)
		}
		// A start that asks nothing of placement keeps it where it runs: no
		// re-registration to drop the old placement.
		before := srv.Counts()["PUT /v1/jobs"]
		again := spec
		again.AvoidNodes = nil
		if in := MustStart(t, d, again); in.AllocID != inst.AllocID || srv.Counts()["PUT /v1/jobs"] != before {
			t.Errorf("a start without placement: alloc %s (was %s), %d registrations, want the same engine and none", in.AllocID, inst.AllocID, srv.Counts()["PUT /v1/jobs"]-before)
		}
	})
	t.Run("OKNewVolumeOffUnusableNodes", func(t *testing.T) {
		// Nomad places a volume on any node that meets its constraints, whatever its
		// status: the driver keeps it off the ineligible and the down node.
		if err := srv.SetEligible("fake-1", false); err != nil {
			t.Fatal(err)
		}
		defer srv.SetEligible("fake-1", true)
		if err := srv.NodeDown("fake-2"); err != nil {
			t.Fatal(err)
		}
		defer srv.NodeUp("fake-2")
		inst := MustStart(t, d, newSpec("0.1.0"))
		if got := srv.NodeName(inst.NodeID); got != "fake-3" {
			t.Errorf("placed on %s, want fake-3", got)
		}
	})
	t.Run("ErrOnDownNode", func(t *testing.T) {
		if err := srv.NodeDown("fake-1"); err != nil {
			t.Fatal(err)
		}
		defer srv.NodeUp("fake-1")
		spec := newSpec("0.1.0")
		spec.Node = srv.NodeID("fake-1")
		_, err := d.Start(ctx(t), spec)
		MustErrCode(t, err, orchestrator.EUNAVAILABLE, "cannot take the engine", "fake-1 (down)")
	})
	t.Run("ErrOnUnknownNode", func(t *testing.T) {
		spec := newSpec("0.1.0")
		spec.Node = srv.NodeID("other-1")
		_, err := d.Start(ctx(t), spec)
		MustErrCode(t, err, orchestrator.EUNAVAILABLE, "not a node of node pool \"engines\"")
	})
}

// The transfer of a game off a node that is down, as the orchestrator does it:
// Remove (which must not fail for the volume it cannot delete), Start off the node,
// and ReleaseStale once the node is back.
func TestDriver_RemoveWithNodeDown(t *testing.T) {
	srv := nodesServer(t)
	d, logs := MustOpenLogged(t, nodesConfig(srv))
	spec := newSpec("0.1.0")
	spec.Node = srv.NodeID("fake-1")
	inst := MustStart(t, d, spec)
	MustInit(t, inst.Endpoint, spec.GameID)
	if err := srv.NodeDown("fake-1"); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(ctx(t), spec.GameID); err != nil {
		t.Fatalf("remove with the node down: %v", err)
	}
	if _, _, err := MustNomadClient(t, srv).Jobs().Info(inst.JobID, nil); err == nil {
		t.Errorf("job %s still there after remove", inst.JobID)
	}
	if _, ok := srv.VolumesOn("fake-1")[inst.JobID]; !ok {
		t.Fatalf("the down node's volume is gone: %v (it cannot be deleted while the node is down)", srv.VolumesOn("fake-1"))
	}
	if logs.count("volume stays on its node") != 1 {
		t.Errorf("remove did not say once that the volume stays")
	}

	moved := spec
	moved.Node, moved.AvoidNodes = "", []string{srv.NodeID("fake-1")}
	in := MustStart(t, d, moved)
	if in.NodeID == srv.NodeID("fake-1") || in.VolumeID == inst.VolumeID {
		t.Fatalf("restarted on node %s volume %s, want another node and a new volume", srv.NodeName(in.NodeID), in.VolumeID)
	}
	if st, _ := call(t, "GET", in.Endpoint+"/api/v1/admin/state", nil); st != http.StatusNotFound {
		t.Errorf("state of the moved engine: %d, want 404 (a new, empty volume)", st)
	}
	if insts, err := d.Instances(ctx(t)); err != nil || len(insts) != 1 || insts[0].VolumeID != in.VolumeID {
		t.Errorf("instances: %+v %v, want the moved one with its new volume", insts, err)
	}

	placedHere := func(uuid.UUID) bool { return false }
	if _, err := d.ReleaseStale(ctx(t), srv.NodeID("fake-1"), placedHere); orchestrator.ErrorCode(err) != orchestrator.EUNAVAILABLE {
		t.Errorf("release on a down node: %v, want EUNAVAILABLE", err)
	}
	if err := srv.NodeUp("fake-1"); err != nil {
		t.Fatal(err)
	}
	// The game placed on fake-1 (by the callback) keeps its volume.
	if n, err := d.ReleaseStale(ctx(t), srv.NodeID("fake-1"), func(uuid.UUID) bool { return true }); err != nil || n != 0 {
		t.Errorf("release of a game placed there: %d %v, want 0", n, err)
	}
	if n, err := d.ReleaseStale(ctx(t), srv.NodeID("fake-1"), placedHere); err != nil || n != 1 {
		t.Errorf("release: %d %v, want 1", n, err)
	}
	if vols := srv.VolumesOn("fake-1"); len(vols) != 0 {
		t.Errorf("fake-1's volumes after the release: %v", vols)
	}
	if n, err := d.ReleaseStale(ctx(t), srv.NodeID("fake-1"), placedHere); err != nil || n != 0 {
		t.Errorf("second release: %d %v, want 0", n, err)
	}
	if _, err := d.ReleaseStale(ctx(t), uuid.NewString(), placedHere); orchestrator.ErrorCode(err) != orchestrator.ENOTFOUND {
		t.Errorf("release on an unknown node: %v, want ENOTFOUND", err)
	}
	if len(srv.Violations()) > 0 {
		t.Errorf("violations: %v", srv.Violations())
	}
}

// ReleaseStale deletes a volume only when the game it belongs to has another home.
func TestDriver_ReleaseStaleKeeps(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))
	notHere := func(uuid.UUID) bool { return false }

	// A game whose only volume is there, its job stopped: the orchestrator's word
	// alone does not delete its state.
	stopped := newSpec("0.1.0")
	stopped.Node = srv.NodeID("fake-1")
	MustStart(t, d, stopped)
	if err := d.Stop(ctx(t), stopped.GameID); err != nil {
		t.Fatal(err)
	}
	// Another stack's game, moved away: its galaxyd releases it, not this one.
	other := nodesConfig(srv)
	other.Stack = "staging"
	od := MustOpen(t, other)
	theirs := newSpec("0.1.0")
	theirs.Node = srv.NodeID("fake-1")
	MustStart(t, od, theirs)
	if err := srv.NodeDown("fake-1"); err != nil {
		t.Fatal(err)
	}
	if err := od.Remove(ctx(t), theirs.GameID); err != nil {
		t.Fatal(err)
	}
	theirs.Node, theirs.AvoidNodes = "", []string{srv.NodeID("fake-1")}
	MustStart(t, od, theirs)
	if err := srv.NodeUp("fake-1"); err != nil {
		t.Fatal(err)
	}
	if n, err := d.ReleaseStale(ctx(t), srv.NodeID("fake-1"), notHere); err != nil || n != 0 {
		t.Errorf("release: %d %v, want 0", n, err)
	}
	if got := len(srv.VolumesOn("fake-1")); got != 2 {
		t.Errorf("fake-1's volumes: %v, want both kept", srv.VolumesOn("fake-1"))
	}
	if n, err := od.ReleaseStale(ctx(t), srv.NodeID("fake-1"), notHere); err != nil || n != 1 {
		t.Errorf("the other stack's release: %d %v, want its moved game's volume", n, err)
	}
}

// A drained node: its engines run on (migrate max_parallel 0) until the game is moved,
// and the volume is deleted with the node up.
func TestDriver_DrainThenMove(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)
	MustInit(t, inst.Endpoint, spec.GameID)
	node := inst.NodeID
	if err := d.DrainNode(ctx(t), node, time.Hour); err != nil {
		t.Fatal(err)
	}
	if gameID, _ := engineState(t, inst.Endpoint); gameID != spec.GameID {
		t.Fatalf("engine after the drain started: game %s", gameID)
	}
	if err := d.Remove(ctx(t), spec.GameID); err != nil {
		t.Fatal(err)
	}
	if vols := srv.VolumesOn(srv.NodeName(node)); len(vols) != 0 {
		t.Errorf("volumes left on the drained node: %v", vols)
	}
	spec.AvoidNodes = []string{node}
	if in := MustStart(t, d, spec); in.NodeID == node {
		t.Errorf("moved engine on the drained node")
	}
	nodes, err := d.Nodes(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n.ID == node && (n.Draining || n.Eligible) {
			t.Errorf("drained node with nothing left: %+v, want the drain complete and the node still ineligible", n)
		}
	}
}

// A start while the node of the game's volume is down fails, and leaves the job as it
// is: Nomad starts the engine there again, on its state, when the node is back.
func TestDriver_StartWithVolumeNodeDown(t *testing.T) {
	srv := nodesServer(t)
	d := MustOpen(t, nodesConfig(srv))
	spec := newSpec("0.1.0")
	inst := MustStart(t, d, spec)
	MustInit(t, inst.Endpoint, spec.GameID)
	node := srv.NodeName(inst.NodeID)
	if err := srv.NodeDown(node); err != nil {
		t.Fatal(err)
	}
	_, err := d.Start(ctx(t), spec)
	MustErrCode(t, err, orchestrator.EUNAVAILABLE, "cannot place job", "is down: the job is kept")
	if job := MustJob(t, srv, spec); *job.Stop {
		t.Fatalf("job stopped after a start with its volume's node down; want it kept for the node's return")
	}
	if err := srv.NodeUp(node); err != nil {
		t.Fatal(err)
	}
	var back *orchestrator.Instance
	eventually(t, 30*time.Second, func() error {
		insts, err := d.Instances(ctx(t))
		if err != nil {
			return err
		}
		if len(insts) != 1 || !insts[0].Running || insts[0].Endpoint == "" {
			return fmt.Errorf("instances %+v, want the engine running again", insts)
		}
		back = insts[0]
		return nil
	})
	if back.NodeID != inst.NodeID {
		t.Errorf("engine back on %s, want its node %s", srv.NodeName(back.NodeID), node)
	}
	if gameID, _ := engineState(t, back.Endpoint); gameID != spec.GameID {
		t.Errorf("state after the node came back: game %s, want %s", gameID, spec.GameID)
	}
}
