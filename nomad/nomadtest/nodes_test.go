package nomadtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
	"github.com/google/uuid"
)

// What the fake does with several client nodes: placement under node constraints,
// sticky claims, drains, ineligible and lost nodes (the node model in nodes.go).

const nodesToken = "nomadtest-nodes-admin-token-0123"

func threeNodes(t *testing.T) *nomadtest.Server {
	t.Helper()
	if engineBinary == "" {
		t.Skip("cmd/galaxy-engine does not build")
	}
	st := map[string]string{"galaxy-state": ""}
	return nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary, Nodes: []nomadtest.Node{
		{Name: "fake-1", StaticVolumes: st}, {Name: "fake-2", StaticVolumes: st}, {Name: "fake-3", StaticVolumes: st},
	}})
}

// gameJob is the fixture's job (04) for a new game: on its own sticky dynamic volume
// (dynamic) or the static galaxy-state, with migrate as given (nil: no block) and
// extra job constraints.
func gameJob(t *testing.T, game string, dynamic bool, migrate *int, cons ...map[string]string) map[string]any {
	t.Helper()
	var req map[string]any
	json.Unmarshal(load(t, "04-job-register-new").Request.Body, &req)
	delete(req, "EnforceIndex")
	j := req["Job"].(map[string]any)
	id := "galaxy-game-" + game
	j["ID"], j["Name"] = id, id
	if len(cons) > 0 {
		j["Constraints"] = cons
	}
	tg := j["TaskGroups"].([]any)[0].(map[string]any)
	tg["Services"].([]any)[0].(map[string]any)["Tags"] = []string{"game-" + game}
	vol := tg["Volumes"].(map[string]any)["state"].(map[string]any)
	vol["Source"], vol["Sticky"] = id, true
	if !dynamic {
		vol["Source"], vol["Sticky"] = "galaxy-state", false
	}
	if migrate != nil {
		tg["Migrate"] = map[string]any{"MaxParallel": *migrate}
	}
	task := tg["Tasks"].([]any)[0].(map[string]any)
	task["Driver"], task["Config"] = "docker", map[string]any{"image": "galaxy-engine:0.1.0"}
	task["Env"] = map[string]string{"GAME_STATE_PATH": "/var/lib/galaxy-game", "GALAXY_ENGINE_ADMIN_TOKEN": nodesToken}
	return req
}

func createVolume(t *testing.T, n, game, node string) (int, string) {
	t.Helper()
	body := map[string]any{"Volume": map[string]any{
		"Name": "galaxy-game-" + game, "PluginID": "mkdir", "Parameters": map[string]string{"mode": "0700"},
		"Constraints": []map[string]string{{"LTarget": "${node.unique.id}", "RTarget": node, "Operand": "="}},
	}}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, n+"/v1/volume/host/create", bytes.NewReader(b))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

// running waits for the job's running allocation and returns it.
func running(t *testing.T, n, jobID string) any {
	t.Helper()
	v := waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool {
		for _, a := range v.([]any) {
			if field(a, "ClientStatus") == "running" && field(a, "DesiredStatus") == "run" {
				return true
			}
		}
		return false
	})
	for _, a := range v.([]any) {
		if field(a, "ClientStatus") == "running" && field(a, "DesiredStatus") == "run" {
			return a
		}
	}
	return nil
}

// engineAt returns the base URL of the game's passing engine, from Consul.
func engineAt(t *testing.T, srv *nomadtest.Server, game, allocID string) string {
	t.Helper()
	v := waitFor(t, "http://"+srv.ConsulAddr()+"/v1/health/service/galaxy-engine?passing=1&tag=game-"+game, func(v any) bool {
		for _, e := range v.([]any) {
			if strings.Contains(field(e, "Service", "ID").(string), allocID) {
				return true
			}
		}
		return false
	})
	for _, e := range v.([]any) {
		if strings.Contains(field(e, "Service", "ID").(string), allocID) {
			return fmt.Sprintf("http://%s:%v", field(e, "Service", "Address"), field(e, "Service", "Port"))
		}
	}
	return ""
}

func engineCall(t *testing.T, method, url string, body any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+nodesToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func initGame(t *testing.T, ep, game string) {
	t.Helper()
	body := map[string]any{"gameId": game, "races": []map[string]string{{"raceName": "Alpha", "playerId": "6b1d8a7e-8f31-4f0e-9b43-2f2a6f1f0c11"}}}
	if st := engineCall(t, "POST", ep+"/api/v1/admin/init", body); st != http.StatusCreated {
		t.Fatalf("init at %s: %d", ep, st)
	}
}

func TestNodes(t *testing.T) {
	t.Run("PlacementHonoursNodeConstraints", func(t *testing.T) {
		srv := threeNodes(t)
		n := srv.NomadAddr()
		two := srv.NodeID("fake-2")
		game := uuid.NewString()
		put(t, n+"/v1/jobs", gameJob(t, game, false, nil, map[string]string{"LTarget": "${node.unique.id}", "RTarget": two, "Operand": "="}))
		if a := running(t, n, "galaxy-game-"+game); field(a, "NodeID") != two || field(a, "NodeName") != "fake-2" {
			t.Errorf("placed on %v, want fake-2", field(a, "NodeName"))
		}
		other := uuid.NewString()
		put(t, n+"/v1/jobs", gameJob(t, other, false, nil,
			map[string]string{"LTarget": "${node.unique.id}", "RTarget": srv.NodeID("fake-1"), "Operand": "!="},
			map[string]string{"LTarget": "${node.unique.id}", "RTarget": two, "Operand": "!="}))
		if a := running(t, n, "galaxy-game-"+other); field(a, "NodeName") != "fake-3" {
			t.Errorf("placed on %v, want fake-3 (off fake-1 and fake-2)", field(a, "NodeName"))
		}
	})

	t.Run("VolumesOfOneNameOnTwoNodes", func(t *testing.T) {
		srv := threeNodes(t)
		n := srv.NomadAddr()
		game := uuid.NewString()
		if st, body := createVolume(t, n, game, srv.NodeID("fake-1")); st != 200 {
			t.Fatalf("volume on fake-1: %d %s", st, body)
		}
		// Nomad places a second volume of the name on a node without one (31c).
		if st, body := createVolume(t, n, game, srv.NodeID("fake-1")); st != 500 || !strings.Contains(body, "1 nodes had existing volume") {
			t.Errorf("a second volume of the name on the same node: %d %s", st, body)
		}
		if st, body := createVolume(t, n, game, srv.NodeID("fake-2")); st != 200 {
			t.Fatalf("volume on fake-2: %d %s", st, body)
		}
		if got := len(srv.VolumesOn("fake-1")) + len(srv.VolumesOn("fake-2")); got != 2 {
			t.Errorf("volumes: got %d, want one on each node", got)
		}
	})

	t.Run("IneligibleAndDrainingNodesTakeNothingNewButVolumes", func(t *testing.T) {
		srv := threeNodes(t)
		n := srv.NomadAddr()
		if err := srv.SetEligible("fake-1", false); err != nil {
			t.Fatal(err)
		}
		game := uuid.NewString()
		put(t, n+"/v1/jobs", gameJob(t, game, false, nil))
		if a := running(t, n, "galaxy-game-"+game); field(a, "NodeName") != "fake-2" {
			t.Errorf("placed on %v, want fake-2 (fake-1 is ineligible)", field(a, "NodeName"))
		}
		_, nodes := get(t, n+"/v1/nodes")
		if field(nodes, 0, "SchedulingEligibility") != "ineligible" || field(nodes, 1, "SchedulingEligibility") != "eligible" {
			t.Errorf("node list: got %v", nodes)
		}
		// Volume placement ignores eligibility, as Nomad's does: a volume with no
		// constraint lands on the first node of the pool.
		vol := put(t, n+"/v1/volume/host/create", map[string]any{"Volume": map[string]any{"Name": "galaxy-game-" + uuid.NewString(), "PluginID": "mkdir"}})
		if field(vol, "Volume", "NodeID") != srv.NodeID("fake-1") {
			t.Errorf("volume placed on %v, want fake-1 (ineligible, but Nomad does not look)", field(vol, "Volume", "NodeID"))
		}
	})

	t.Run("DrainMigratesToAnEmptyVolume", func(t *testing.T) {
		// A group without max_parallel 0 is migrated at once; on the static volume
		// the replacement finds fake-2's own directory: no state.
		srv := threeNodes(t)
		n := srv.NomadAddr()
		game := uuid.NewString()
		jobID := "galaxy-game-" + game
		put(t, n+"/v1/jobs", gameJob(t, game, false, nil))
		a := running(t, n, jobID)
		initGame(t, engineAt(t, srv, game, field(a, "ID").(string)), game)
		put(t, n+"/v1/node/"+srv.NodeID("fake-1")+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": 3600e9}})
		moved := waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool {
			return field(v, 0, "ClientStatus") == "running" && field(v, 0, "NodeName") == "fake-2"
		})
		if field(moved, 1, "DesiredDescription") != "alloc is being migrated" {
			t.Errorf("old allocation: got %v, want it migrated", field(moved, 1))
		}
		ep := engineAt(t, srv, game, field(moved, 0, "ID").(string))
		if st := engineCall(t, "GET", ep+"/api/v1/admin/state", nil); st != http.StatusNotFound {
			t.Errorf("state on the new node: %d, want 404 (an empty volume)", st)
		}
		waitFor(t, n+"/v1/node/"+srv.NodeID("fake-1"), func(v any) bool { return field(v, "LastDrain", "Status") == "complete" })
	})

	t.Run("DrainLeavesMaxParallelZeroUntilTheDeadline", func(t *testing.T) {
		srv := threeNodes(t)
		n := srv.NomadAddr()
		zero := 0
		game := uuid.NewString()
		jobID := "galaxy-game-" + game
		put(t, n+"/v1/jobs", gameJob(t, game, false, &zero))
		a := running(t, n, jobID)
		node := srv.NodeID("fake-1")
		put(t, n+"/v1/node/"+node+"/drain", map[string]any{"DrainSpec": map[string]any{"Deadline": 3600e9}})
		_, v := get(t, n+"/v1/job/"+jobID+"/allocations")
		if len(v.([]any)) != 1 || field(v, 0, "ID") != field(a, "ID") || field(v, 0, "ClientStatus") != "running" {
			t.Errorf("allocations while the node drains: got %v, want the one running", v)
		}
		// Stopping the job empties the node: the drain completes.
		req, _ := http.NewRequest(http.MethodDelete, n+"/v1/job/"+jobID, nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("stop: %v %v", err, resp)
		}
		done := waitFor(t, n+"/v1/node/"+node, func(v any) bool { return field(v, "LastDrain", "Status") == "complete" })
		if field(done, "SchedulingEligibility") != "ineligible" || field(done, "DrainStrategy") != nil {
			t.Errorf("node after its drain: %v %v", field(done, "SchedulingEligibility"), field(done, "DrainStrategy"))
		}
	})

	t.Run("NodeDownLosesItsAllocationsAndKeepsItsVolumes", func(t *testing.T) {
		srv := threeNodes(t)
		n := srv.NomadAddr()
		game := uuid.NewString()
		jobID := "galaxy-game-" + game
		one := srv.NodeID("fake-1")
		if st, body := createVolume(t, n, game, one); st != 200 {
			t.Fatalf("volume: %d %s", st, body)
		}
		waitFor(t, n+"/v1/node/"+one, func(v any) bool { return field(v, "HostVolumes", jobID) != nil })
		put(t, n+"/v1/jobs", gameJob(t, game, true, nil))
		a := running(t, n, jobID)
		ep := engineAt(t, srv, game, field(a, "ID").(string))
		if err := srv.NodeDown("fake-1"); err != nil {
			t.Fatal(err)
		}
		lost := waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool { return field(v, 0, "ClientStatus") == "lost" })
		if field(lost, 0, "DesiredStatus") != "stop" || field(lost, 0, "DesiredDescription") != "alloc is lost since its node is down" {
			t.Errorf("allocation of the down node: got %v", field(lost, 0))
		}
		if st := engineCall(t, "GET", ep+"/healthz", nil); st != 0 {
			t.Errorf("the engine of the down node still answers: %d", st)
		}
		_, nodes := get(t, n+"/v1/nodes")
		if field(nodes, 0, "Status") != "down" {
			t.Errorf("node list: got %v, want fake-1 down", field(nodes, 0))
		}
		// The replacement needs the claimed volume, on the down node: blocked.
		waitFor(t, n+"/v1/job/"+jobID+"/evaluations", func(v any) bool { return field(v, 0, "Status") == "blocked" })
		// A volume of that name elsewhere does not do: the claim is on the old one.
		if st, body := createVolume(t, n, game, srv.NodeID("fake-2")); st != 200 {
			t.Fatalf("volume on fake-2: %d %s", st, body)
		}
		waitFor(t, n+"/v1/node/"+srv.NodeID("fake-2"), func(v any) bool { return field(v, "HostVolumes", jobID) != nil })
		ev := put(t, n+"/v1/job/"+jobID+"/evaluate", map[string]any{})
		done := waitFor(t, n+"/v1/evaluation/"+field(ev, "EvalID").(string), func(v any) bool { return field(v, "Status") == "complete" })
		if field(done, "BlockedEval") == nil {
			t.Errorf("evaluation with the claimed volume on a down node: got %v, want it blocked", done)
		}
		// Volume placement does not look at the status either: the client RPC fails.
		if st, body := createVolume(t, n, uuid.NewString(), one); st != 500 || body != "No path to node" {
			t.Errorf("volume create on the down node: %d %s", st, body)
		}
		// Purged, the job leaves the volume unclaimed; its node down, it cannot go.
		req, _ := http.NewRequest(http.MethodDelete, n+"/v1/job/"+jobID+"?purge=true", nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("purge: %v %v", err, resp)
		}
		vols := srv.VolumesOn("fake-1")
		req, _ = http.NewRequest(http.MethodDelete, n+"/v1/volume/host/"+vols[jobID], nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || string(msg) != "volume cannot be removed from unknown node without force=true" {
			t.Errorf("delete of a down node's volume: %d %s", resp.StatusCode, msg)
		}
		// Registered again, the job claims the volume on fake-2.
		put(t, n+"/v1/jobs", gameJob(t, game, true, nil))
		if a := running(t, n, jobID); field(a, "NodeName") != "fake-2" {
			t.Errorf("the job registered again runs on %v, want fake-2", field(a, "NodeName"))
		}
		if err := srv.NodeUp("fake-1"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, n+"/v1/nodes", func(v any) bool { return field(v, 0, "Status") == "ready" })
		if len(srv.VolumesOn("fake-1")) != 1 {
			t.Errorf("fake-1's volumes after it came back: %v, want the old one still there", srv.VolumesOn("fake-1"))
		}
		req, _ = http.NewRequest(http.MethodDelete, n+"/v1/volume/host/"+vols[jobID], nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Errorf("delete of the old volume once its node is back: %v %v", err, resp)
		}
	})
}
