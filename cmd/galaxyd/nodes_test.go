package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// End to end on the fake Nomad with three engine nodes: a cluster admin drains a node
// or loses one, and every game goes on elsewhere at its turn, with its players'
// orders (DESIGN §10: transfer, drain, node loss).

// threeNodes is a fake cluster of three nodes, fake-1 to fake-3; jobs go to the first
// that takes them, so every game starts on fake-1.
func threeNodes(tb testing.TB) *nomadtest.Server {
	tb.Helper()
	return nomadtest.NewServer(tb, nomadtest.Options{EngineBinary: engineBin, Logf: func(string, ...any) {},
		Nodes: []nomadtest.Node{{Name: "fake-1"}, {Name: "fake-2"}, {Name: "fake-3"}}})
}

// MustRunNomadMain runs galaxyd on the fake with the Nomad driver (raw_exec), the
// default archive (a directory under the data dir) and extra config.
func MustRunNomadMain(tb testing.TB, srv *nomadtest.Server, extra string) (*Main, api) {
	tb.Helper()
	dir := tb.TempDir()
	cfg := filepath.Join(dir, "galaxyd.hcl")
	hcl := fmt.Sprintf(`driver = "nomad"
nomad {
  address        = "%s"
  consul_address = "%s"
  driver         = "raw_exec"
  rate_limit     = 10000
  rate_burst     = 1000
  max_concurrent = 64
  wait_time      = "10s"
  watch_interval = "1ms"
  retry_base_delay = "10ms"
  retry_max_delay  = "100ms"
}
operations {
  workers = 64
}
%s
`, srv.NomadAddr(), srv.ConsulAddr(), extra)
	if err := os.WriteFile(cfg, []byte(hcl), 0o600); err != nil {
		tb.Fatal(err)
	}
	m := MustRunMain(tb, dir, "-config", cfg)
	return m, api{tb: tb, base: m.HTTP.URL()}
}

// design is a ship design order named name: an order that needs no planet.
func design(name string) map[string]any {
	return map[string]any{"type": "design", "name": name, "drive": 4, "attacks": 2, "weapons": 2, "shields": 4, "cargo": 0}
}

// MustOrder has the game's one player submit a design order for the open turn.
func MustOrder(tb testing.TB, a api, id uuid.UUID, turn int, name string) {
	tb.Helper()
	user := a.game(id).Players[0].UserID
	a.must(200, "POST", "/api/v1/games/"+id.String()+"/orders", user, map[string]any{"turn": turn, "orders": []any{design(name)}}, nil)
}

// orderNames are the names in the orders the engine holds for its races' open turn.
func orderNames(tb testing.TB, a api, id uuid.UUID) []string {
	tb.Helper()
	var st struct {
		Races []struct {
			Orders []struct {
				Type string `json:"type"`
				Name string `json:"name"`
			} `json:"orders"`
		} `json:"races"`
	}
	a.must(200, "GET", "/api/v1/games/"+id.String()+"/state", uuid.Nil, nil, &st)
	var names []string
	for _, r := range st.Races {
		for _, o := range r.Orders {
			names = append(names, o.Name)
		}
	}
	return names
}

// transfers are the game's succeeded transfer operations.
func transfers(tb testing.TB, a api, id uuid.UUID) []*orchestrator.Operation {
	tb.Helper()
	var out []*orchestrator.Operation
	for _, op := range a.operations(id) {
		if op.Op == orchestrator.OpTransfer && op.Status == orchestrator.OpSucceeded {
			out = append(out, op)
		}
	}
	return out
}

// movedOff waits until every game runs on a node other than node, at its turn.
func movedOff(tb testing.TB, a api, ids []uuid.UUID, node string, turn int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		for _, id := range ids {
			r := a.game(id).Runtime
			if r.NodeID == node || r.NodeID == "" || r.Status != orchestrator.StatusRunning || r.CurrentTurn != turn || r.EngineEndpoint == "" {
				left++
			}
		}
		if left == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, id := range ids {
				r := a.game(id).Runtime
				tb.Logf("game %s: status %s node %s turn %d endpoint %q error %q", id, r.Status, r.NodeID, r.CurrentTurn, r.EngineEndpoint, r.LastError)
				for _, op := range a.operations(id) {
					tb.Logf("  %s %s %s %s %s", op.Op, op.Source, op.Status, op.ErrorCode, op.ErrorMessage)
				}
			}
			tb.Fatalf("%d of %d games not running off node %s at turn %d after %s", left, len(ids), node, turn, timeout)
		}
		time.Sleep(25 * time.Millisecond) // poll interval
	}
}

// TestNodes_Drain: a drain of the node holding five games moves each of them, through
// a transfer in its operation log, to another node, at its turn, with its orders.
func TestNodes_Drain(t *testing.T) {
	srv := threeNodes(t)
	// Two transfers at a time: the drainer takes the next ones on its next pass, a
	// second later while games are left to move (node_lost_after at its default 5m).
	_, a := MustRunNomadMain(t, srv, "drain {\n  max_parallel = 2\n}\n")
	one := srv.NodeID("fake-1")
	var ids []uuid.UUID
	for i := range 5 {
		id := MustStartGame(t, a, yearly, fmt.Sprintf("Race%d", i))
		if got := a.game(id).Runtime.NodeID; got != one {
			t.Fatalf("game %d started on node %s, want fake-1", i, got)
		}
		MustOrder(t, a, id, 0, fmt.Sprintf("Ark%d", i))
		ids = append(ids, id)
	}
	var nodes struct{ Nodes []*orchestrator.Node }
	a.must(200, "GET", "/api/v1/nodes", uuid.Nil, nil, &nodes)
	if len(nodes.Nodes) != 3 || nodes.Nodes[0].ID != one || nodes.Nodes[0].Games != 5 {
		t.Fatalf("nodes: %+v, want fake-1 with 5 games first of 3", nodes.Nodes)
	}

	a.must(202, "POST", "/api/v1/nodes/"+one+"/drain", uuid.Nil, map[string]string{"deadline": "1h"}, nil)
	movedOff(t, a, ids, one, 0, 30*time.Second)
	for i, id := range ids {
		ops := transfers(t, a, id)
		if len(ops) != 1 || ops[0].Details.FromNode != one || ops[0].Source != orchestrator.SourceDrainer {
			t.Errorf("game %d: transfers %+v, want one by the drainer from fake-1", i, ops)
		}
		if names := orderNames(t, a, id); !slices.Contains(names, fmt.Sprintf("Ark%d", i)) {
			t.Errorf("game %d: orders on the new engine %v, want Ark%d kept", i, names, i)
		}
		// The game goes on there.
		if op := a.action(id, "force-next-turn", nil); op.Details.Turn != 1 {
			t.Errorf("game %d: turn after the move %d, want 1", i, op.Details.Turn)
		}
	}
	if vols := srv.VolumesOn("fake-1"); len(vols) != 0 {
		t.Errorf("volumes left on the drained node: %v", vols)
	}
	a.must(200, "GET", "/api/v1/nodes", uuid.Nil, nil, &nodes)
	for _, n := range nodes.Nodes {
		if n.ID == one && (n.Games != 0 || n.Eligible) {
			t.Errorf("the drained node: %+v, want no games and not eligible", n)
		}
	}
}

// TestNodes_Lost: the node of two games goes down; after drain.node_lost_after each
// is restored on another node from the archive with its journalled orders, and once
// the node is back what it still holds of them is deleted.
func TestNodes_Lost(t *testing.T) {
	srv := threeNodes(t)
	const lostAfter = 2 * time.Second
	// The reconciler passes while the node is down, before node_lost_after, as its
	// defaults order them (30 s against 5 min): its attempts to bring the engines back
	// fail on the down node, and the games must still move when the node is lost.
	_, a := MustRunNomadMain(t, srv, "drain {\n  node_lost_after = \"2s\"\n}\nreconcile {\n  interval = \"200ms\"\n}\n")
	one := srv.NodeID("fake-1")
	var ids []uuid.UUID
	for i := range 2 {
		id := MustStartGame(t, a, yearly, fmt.Sprintf("Lost%d", i))
		MustOrder(t, a, id, 0, fmt.Sprintf("Raft%d", i))
		ids = append(ids, id)
	}
	down := time.Now()
	if err := srv.NodeDown("fake-1"); err != nil {
		t.Fatal(err)
	}
	movedOff(t, a, ids, one, 0, time.Minute)
	for i, id := range ids {
		ops := transfers(t, a, id)
		if len(ops) != 1 || ops[0].Details.FromNode != one {
			t.Fatalf("game %d: transfers %+v, want one from fake-1", i, ops)
		}
		if waited := ops[0].CreatedAt.Sub(down); waited < lostAfter {
			t.Errorf("game %d: moved %s after its node went down, before node_lost_after (%s)", i, waited, lostAfter)
		}
		if names := orderNames(t, a, id); !slices.Contains(names, fmt.Sprintf("Raft%d", i)) {
			t.Errorf("game %d: orders on the restored engine %v, want Raft%d replayed from the journal", i, names, i)
		}
	}
	if got := len(srv.VolumesOn("fake-1")); got != 2 {
		t.Fatalf("volumes on the down node: %v, want both still there", srv.VolumesOn("fake-1"))
	}
	if err := srv.NodeUp("fake-1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the volumes of the moved games released on the node that came back", func() bool {
		return len(srv.VolumesOn("fake-1")) == 0
	})
	for _, id := range ids {
		if op := a.action(id, "force-next-turn", nil); op.Details.Turn != 1 {
			t.Errorf("game %s: turn after the move %d, want 1", id, op.Details.Turn)
		}
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Errorf("the fake saw state at risk: %v", v)
	}
}

// TestNodes_BackInTime: a node down for less than node_lost_after comes back with its
// volumes: its game runs there again on its own state, no transfer needed.
func TestNodes_BackInTime(t *testing.T) {
	srv := threeNodes(t)
	_, a := MustRunNomadMain(t, srv, "drain {\n  node_lost_after = \"1h\"\n}\nreconcile {\n  interval = \"1s\"\n}\n")
	one := srv.NodeID("fake-1")
	id := MustStartGame(t, a, yearly, "Patient")
	a.action(id, "force-next-turn", nil)
	if err := srv.NodeDown("fake-1"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the engine seen gone", func() bool { return a.game(id).Runtime.EngineEndpoint == "" })
	if err := srv.NodeUp("fake-1"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for r := a.game(id).Runtime; r.Status != orchestrator.StatusRunning || r.EngineEndpoint == "" || r.NodeID != one; r = a.game(id).Runtime {
		if time.Now().After(deadline) {
			for _, op := range a.operations(id) {
				t.Logf("%s %s %s %s", op.Op, op.Source, op.Status, op.ErrorMessage)
			}
			t.Fatalf("game not running on its node again after a minute: status %s node %s endpoint %q error %q", r.Status, r.NodeID, r.EngineEndpoint, r.LastError)
		}
		time.Sleep(25 * time.Millisecond) // poll interval
	}
	if ops := transfers(t, a, id); len(ops) != 0 {
		t.Errorf("transfers: %+v, want none", ops)
	}
	if op := a.action(id, "force-next-turn", nil); op.Details.Turn != 2 {
		t.Errorf("turn after the node came back: %d, want 2 (its state kept)", op.Details.Turn)
	}
}

// TestNodes_Ineligible: a node marked ineligible (`nomad node eligibility -disable`)
// keeps running what it has, and galaxyd moves its games off it.
func TestNodes_Ineligible(t *testing.T) {
	srv := threeNodes(t)
	_, a := MustRunNomadMain(t, srv, "")
	id := MustStartGame(t, a, yearly, "Settler")
	if err := srv.SetEligible("fake-1", false); err != nil {
		t.Fatal(err)
	}
	movedOff(t, a, []uuid.UUID{id}, srv.NodeID("fake-1"), 0, time.Minute)
	if ops := transfers(t, a, id); len(ops) != 1 {
		t.Errorf("transfers: %+v, want one", ops)
	}
}

// TestNodes_Transfer: an admin moves one game; the operation reports the outage.
func TestNodes_Transfer(t *testing.T) {
	srv := threeNodes(t)
	_, a := MustRunNomadMain(t, srv, "")
	id := MustStartGame(t, a, yearly, "Mover")
	MustOrder(t, a, id, 0, "Barge")
	from := a.game(id).Runtime.NodeID
	op := a.action(id, "transfer", nil)
	if op.Op != orchestrator.OpTransfer || op.Details.FromNode != from || op.Details.NodeID == "" || op.Details.NodeID == from {
		t.Fatalf("transfer: %+v, want it from %s to another node", op.Details, from)
	}
	if op.Details.OutageMS <= 0 {
		t.Errorf("transfer outage: %d ms, want it measured", op.Details.OutageMS)
	}
	r := a.game(id).Runtime
	if r.NodeID != op.Details.NodeID || r.Status != orchestrator.StatusRunning || r.CurrentTurn != 0 {
		t.Errorf("game after the transfer: node %s status %s turn %d, want running at turn 0 on %s", r.NodeID, r.Status, r.CurrentTurn, op.Details.NodeID)
	}
	if names := orderNames(t, a, id); !slices.Contains(names, "Barge") {
		t.Errorf("orders after the transfer: %v, want Barge", names)
	}
	// To a node the admin names (by ID).
	to := srv.NodeID("fake-3")
	if to == r.NodeID {
		to = srv.NodeID("fake-2")
	}
	op = a.action(id, "transfer", map[string]string{"node": to})
	if op.Details.NodeID != to || a.game(id).Runtime.NodeID != to {
		t.Errorf("transfer to %s: landed on %s", to, op.Details.NodeID)
	}
	if op.Details.OutageMS <= 0 {
		t.Errorf("transfer to a named node: outage %d ms, want it measured", op.Details.OutageMS)
	}
}
