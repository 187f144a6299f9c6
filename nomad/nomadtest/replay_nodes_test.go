package nomadtest_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
)

// The node fixtures (29-36) were captured from the single-node Nomad 2.0.5 dev agent
// of /work/tools (node nomad-dev-1, ID 7a144023-...): node list and get, blocking
// queries on the list, volume placement under node constraints, a drain of a node
// whose job asks for migrate max_parallel 0 (the allocation stays until the
// deadline, then is stopped, its replacement blocked), eligibility, a drain
// cancelled, and an evaluation that a ${node.unique.id} != constraint failed.
const (
	fixtureNode     = "7a144023-7934-9916-5dcc-ca2a2c6dbec1"
	fixtureNodeGame = "4ca547ed-f492-40b6-b65c-b8b1d8745392"
)

// bodyOf is the fixture's request body with the strings of subst replaced.
func bodyOf(t *testing.T, name string, subst map[string]string) any {
	t.Helper()
	b := string(load(t, name).Request.Body)
	for from, to := range subst {
		b = strings.ReplaceAll(b, from, to)
	}
	var v any
	if err := json.Unmarshal([]byte(b), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReplayNodes(t *testing.T) {
	if engineBinary == "" {
		t.Skip("cmd/galaxy-engine does not build")
	}
	srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary})
	n := srv.NomadAddr()
	node := srv.NodeID("fake-1")
	ids := map[string]string{fixtureNode: node}

	list := replay(t, n, "29-nodes-list", nil, nil)
	if v := list.json(t); field(v, 0, "ID") != node || field(v, 0, "Status") != "ready" || field(v, 0, "SchedulingEligibility") != "eligible" || field(v, 0, "Drain") != false {
		t.Errorf("node list: got %v, want fake-1 ready, eligible, not draining", v)
	}
	replay(t, n, "29b-nodes-list-blocking-no-change", map[string]string{"10": list.header.Get("X-Nomad-Index"), "1s": "50ms"}, nil)
	replay(t, n, "30-node-get", ids, nil)

	msg := replay(t, n, "31-volume-create-infeasible-node-constraint", nil, bodyOf(t, "31-volume-create-infeasible-node-constraint", ids))
	if want := "no node meets constraints: 0 nodes had existing volume, 0 nodes filtered by node pool governance, 1 nodes were infeasible"; !strings.Contains(string(msg.body), want) {
		t.Errorf("volume create off the only node: got %q, want it to say %q", msg.body, want)
	}
	vol := replay(t, n, "31b-volume-create-node-constraint", nil, bodyOf(t, "31b-volume-create-node-constraint", ids)).json(t)
	if field(vol, "Volume", "NodeID") != node {
		t.Errorf("volume create on the node: got %v", vol)
	}
	waitFor(t, n+"/v1/volume/host/"+field(vol, "Volume", "ID").(string), func(v any) bool { return field(v, "State") == "ready" })
	msg = replay(t, n, "31c-volume-create-name-exists-on-node", nil, nil)
	if want := "no node meets constraints: 1 nodes had existing volume"; !strings.Contains(string(msg.body), want) {
		t.Errorf("a second volume of the name: got %q, want it to say %q", msg.body, want)
	}
	replay(t, n, "31d-volumes-list-node", ids, nil)

	jobID := "galaxy-game-" + fixtureNodeGame
	// The captured job slept; here the engine runs, on the volume's mount.
	reg := bodyOf(t, "32-job-register-migrate-max-parallel-0", nil)
	task := field(reg, "Job", "TaskGroups", 0, "Tasks", 0).(map[string]any)
	task["Driver"], task["Config"] = "docker", map[string]any{"image": "galaxy-engine:0.1.0"}
	task["VolumeMounts"] = []map[string]string{{"Volume": "state", "Destination": "/var/lib/galaxy-game"}}
	task["Env"] = map[string]string{"GAME_STATE_PATH": "/var/lib/galaxy-game"}
	replay(t, n, "32-job-register-migrate-max-parallel-0", nil, reg)
	waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool { return field(v, 0, "ClientStatus") == "running" })
	replay(t, n, "33-node-drain-unknown-node", nil, nil)
	// A drain with an hour's deadline first: the allocation stays.
	replay(t, n, "33b-node-drain", ids, bodyOf(t, "33b-node-drain", map[string]string{"10000000000": "3600000000000"}))
	if v := replay(t, n, "33c-node-get-draining", ids, nil).json(t); field(v, "DrainStrategy", "Deadline") != float64(3600e9) || field(v, "SchedulingEligibility") != "ineligible" || field(v, "LastDrain", "Status") != "draining" {
		t.Errorf("node while it drains: got strategy %v eligibility %v last drain %v", field(v, "DrainStrategy"), field(v, "SchedulingEligibility"), field(v, "LastDrain"))
	}
	if v := replay(t, n, "33d-nodes-list-draining", nil, nil).json(t); field(v, 0, "Drain") != true {
		t.Errorf("list while the node drains: got %v", v)
	}
	if v := replay(t, n, "33e-job-allocations-draining-max-parallel-0", map[string]string{fixtureNodeGame: fixtureNodeGame}, nil).json(t); field(v, 0, "ClientStatus") != "running" || field(v, 0, "DesiredStatus") != "run" {
		t.Errorf("allocation of a max_parallel 0 group while its node drains: got %v, want it running", field(v, 0))
	}
	// The deadline, shortened: the allocation is stopped, its replacement blocked.
	put(t, n+"/v1/node/"+node+"/drain", bodyOf(t, "33b-node-drain", map[string]string{"10000000000": "50000000"}))
	waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool {
		return field(v, 0, "DesiredStatus") == "stop" && field(v, 0, "DesiredDescription") == "alloc is being migrated" && field(v, 0, "ClientStatus") == "complete"
	})
	replay(t, n, "33f-job-allocations-after-drain-deadline", nil, nil)
	evs := waitFor(t, n+"/v1/job/"+jobID+"/evaluations", func(v any) bool { return field(v, 0, "Status") == "blocked" })
	if field(evs, 0, "FailedTGAllocs", "engine", "NodesInPool") != float64(0) {
		t.Errorf("blocked evaluation after the deadline: got %v", field(evs, 0))
	}
	replay(t, n, "33g-job-evaluations-after-drain-deadline", nil, nil)
	done := waitFor(t, n+"/v1/node/"+node, func(v any) bool { return field(v, "LastDrain", "Status") == "complete" })
	if field(done, "DrainStrategy") != nil || field(done, "SchedulingEligibility") != "ineligible" {
		t.Errorf("node after the drain: got strategy %v eligibility %v, want none and still ineligible", field(done, "DrainStrategy"), field(done, "SchedulingEligibility"))
	}
	replay(t, n, "33h-node-get-drain-complete", ids, nil)

	replay(t, n, "34-node-eligibility", ids, bodyOf(t, "34-node-eligibility", ids))
	replay(t, n, "34b-node-eligibility-ineligible", ids, bodyOf(t, "34b-node-eligibility-ineligible", ids))
	if v := replay(t, n, "34c-nodes-list-ineligible", nil, nil).json(t); field(v, 0, "SchedulingEligibility") != "ineligible" || field(v, 0, "Drain") != false {
		t.Errorf("list with the node ineligible: got %v", v)
	}
	put(t, n+"/v1/node/"+node+"/eligibility", map[string]string{"NodeID": node, "Eligibility": "eligible"})
	replay(t, n, "34d-node-drain-then-cancel", ids, nil)
	replay(t, n, "34e-node-drain-cancel", ids, nil)
	if _, v := get(t, n+"/v1/node/"+node); field(v, "SchedulingEligibility") != "eligible" || field(v, "DrainStrategy") != nil || field(v, "LastDrain", "Status") != "canceled" {
		t.Errorf("node after the cancelled drain: got eligibility %v strategy %v last drain %v", field(v, "SchedulingEligibility"), field(v, "DrainStrategy"), field(v, "LastDrain"))
	}

	// A job whose constraint keeps it off the only node.
	var job map[string]any
	json.Unmarshal(load(t, "32-job-register-migrate-max-parallel-0").Request.Body, &job)
	j := job["Job"].(map[string]any)
	other := "galaxy-game-25cade05-4c59-471c-9f63-16bd5d3b9f1b"
	j["ID"], j["Name"] = other, other
	j["Constraints"] = []map[string]string{{"LTarget": "${node.unique.id}", "RTarget": node, "Operand": "!="}}
	tg := j["TaskGroups"].([]any)[0].(map[string]any)
	tg["Volumes"].(map[string]any)["state"].(map[string]any)["Source"] = "galaxy-state"
	tg["Volumes"].(map[string]any)["state"].(map[string]any)["Sticky"] = false
	evalID := field(put(t, n+"/v1/jobs", job), "EvalID").(string)
	ev := waitFor(t, n+"/v1/evaluation/"+evalID, func(v any) bool { return field(v, "Status") == "complete" })
	if got := field(ev, "FailedTGAllocs", "engine", "ConstraintFiltered", "${node.unique.id} != "+node); got != float64(1) {
		t.Errorf("evaluation of a job avoiding the only node: got %v", field(ev, "FailedTGAllocs"))
	}
	replay(t, n, "35-evaluation-failed-node-unique-id-constraint", map[string]string{pathID(t, "35-evaluation-failed-node-unique-id-constraint"): evalID}, nil)
	replay(t, n, "36-volume-delete-unknown", nil, nil)
	if st, _ := get(t, n+"/v1/node/"+fixtureNode); st != http.StatusNotFound {
		t.Errorf("an unknown node: got %d, want 404", st)
	}
}
