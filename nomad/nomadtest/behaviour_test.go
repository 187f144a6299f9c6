package nomadtest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
)

// These pin what the fake learnt from real Nomad 2.0.5 and Consul 1.22.7 beyond the
// captured fixtures (the issue "never stop a healthy engine, never delete a live
// volume, name the real cause"), so a driver tested against it meets them.

// registerJob registers the fixture's job (04) under a new game id, with driver and
// image, and returns its job id.
func registerJob(t *testing.T, srv *nomadtest.Server, game, image string) string {
	t.Helper()
	var req map[string]any
	json.Unmarshal(load(t, "04-job-register-new").Request.Body, &req)
	delete(req, "EnforceIndex")
	j := req["Job"].(map[string]any)
	id := "galaxy-game-" + game
	j["ID"], j["Name"] = id, id
	tg := j["TaskGroups"].([]any)[0].(map[string]any)
	tg["Services"].([]any)[0].(map[string]any)["Tags"] = []string{"game-" + game}
	tg["Volumes"].(map[string]any)["state"].(map[string]any)["Source"] = "galaxy-state"
	tg["Volumes"].(map[string]any)["state"].(map[string]any)["Sticky"] = false
	task := tg["Tasks"].([]any)[0].(map[string]any)
	task["Driver"], task["Config"] = "docker", map[string]any{"image": image}
	task["Env"] = map[string]string{"GAME_STATE_PATH": "/var/lib/galaxy-game"}
	put(t, srv.NomadAddr()+"/v1/jobs", req)
	return id
}

func put(t *testing.T, url string, body any) any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(string(b)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT %s: %d %s", url, resp.StatusCode, out)
	}
	var v any
	json.Unmarshal(out, &v)
	return v
}

func get(t *testing.T, url string) (int, any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var v any
	if json.Unmarshal(out, &v) != nil {
		v = string(out)
	}
	return resp.StatusCode, v
}

func newGame() string {
	return fmt.Sprintf("%08x-0000-4000-8000-%012x", time.Now().UnixNano()&0xffffffff, time.Now().UnixNano())
}

func TestBehaviour(t *testing.T) {
	if engineBinary == "" {
		t.Skip("cmd/galaxy-engine does not build")
	}

	t.Run("PurgedJobAllocationsVanishWhileTheTaskRuns", func(t *testing.T) {
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary, StopLatency: time.Second})
		n := srv.NomadAddr()
		id := registerJob(t, srv, newGame(), "galaxy-engine:0.1.0")
		allocs := waitFor(t, n+"/v1/job/"+id+"/allocations", func(v any) bool { return field(v, 0, "ClientStatus") == "running" })
		allocID := field(allocs, 0, "ID").(string)
		req, _ := http.NewRequest(http.MethodDelete, n+"/v1/job/"+id+"?purge=true", nil)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
			t.Fatalf("purge: %v %v", err, resp)
		}
		if _, v := get(t, n+"/v1/job/"+id+"/allocations"); len(v.([]any)) != 0 {
			t.Errorf("allocations of the purged job: got %v, want []", v)
		}
		// The task still runs: the cross-job listing shows it, told to stop (once the
		// purge's evaluation is processed) and still running.
		v := waitFor(t, n+"/v1/allocations?filter="+strings.ReplaceAll(`JobID matches "^`+id+`$"`, " ", "%20"), func(v any) bool {
			return field(v, 0, "DesiredStatus") == "stop"
		})
		if field(v, 0, "ID") != allocID || field(v, 0, "ClientStatus") != "running" {
			t.Errorf("allocation after the purge: got %v, want it desired stop and still running", v)
		}
	})

	t.Run("FailedImagePullEvents", func(t *testing.T) {
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary})
		srv.SetEngine("galaxy-engine:0.1.2", "")
		id := registerJob(t, srv, newGame(), "galaxy-engine:0.1.2")
		allocs := waitFor(t, srv.NomadAddr()+"/v1/job/"+id+"/allocations", func(v any) bool { return field(v, 0, "ClientStatus") == "failed" })
		var types []string
		for _, e := range field(allocs, 0, "TaskStates", "engine", "Events").([]any) {
			types = append(types, field(e, "Type").(string))
		}
		want := "Received,Task Setup,Driver,Driver Failure,Restarting,Driver,Driver Failure,Restarting,Driver,Driver Failure,Not Restarting"
		if got := strings.Join(types, ","); !strings.HasSuffix(want, got) {
			t.Errorf("events: got %s, want (the last 10 of) %s", got, want)
		}
		events := field(allocs, 0, "TaskStates", "engine", "Events").([]any)
		if msg := field(events[len(events)-2], "DisplayMessage").(string); !strings.HasPrefix(msg, "Failed to pull `galaxy-engine:0.1.2`") {
			t.Errorf("driver failure: got %q", msg)
		}
		if msg := field(events[len(events)-1], "DisplayMessage").(string); msg != `Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"` || field(events[len(events)-1], "FailsTask") != true {
			t.Errorf("last event: got %q", msg)
		}
	})

	t.Run("DrainLeavesTheReplacementQueued", func(t *testing.T) {
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary})
		n := srv.NomadAddr()
		id := registerJob(t, srv, newGame(), "galaxy-engine:0.1.0")
		waitFor(t, n+"/v1/job/"+id+"/allocations", func(v any) bool { return field(v, 0, "ClientStatus") == "running" })
		if err := srv.Drain("fake-1"); err != nil {
			t.Fatal(err)
		}
		evs := waitFor(t, n+"/v1/job/"+id+"/evaluations", func(v any) bool { return field(v, 0, "Status") == "blocked" })
		// Nomad counts only the ready, eligible nodes in the pool: a draining node is
		// in no metric (fixture 33g: NodesInPool 0, NodesAvailable {}).
		if field(evs, 0, "FailedTGAllocs", "engine", "NodesEvaluated") != float64(0) || field(evs, 0, "FailedTGAllocs", "engine", "NodesInPool") != float64(0) {
			t.Errorf("blocked evaluation: got %v, want no node evaluated, none in the pool", field(evs, 0))
		}
		waitFor(t, n+"/v1/job/"+id+"/allocations", func(v any) bool {
			return len(v.([]any)) == 1 && field(v, 0, "ClientStatus") == "complete" && field(v, 0, "DesiredStatus") == "stop"
		})
	})

	t.Run("ConsulRestoreBlocksQueriesWithTheOldIndex", func(t *testing.T) {
		// MaxWait far above any test's pace: the blocking query below is answered by a
		// change of index, never by its wait running out.
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary, MaxWait: 10 * time.Minute})
		c := "http://" + srv.ConsulAddr()
		registerJob(t, srv, newGame(), "galaxy-engine:0.1.0")
		waitFor(t, c+"/v1/health/service/galaxy-engine?passing=1", func(v any) bool { l, _ := v.([]any); return len(l) == 1 })
		old := srv.ConsulIndex()
		srv.RestoreConsul(5)
		query := fmt.Sprintf("%s/v1/health/service/galaxy-engine?passing=1&index=%d", c, old)

		// When its wait runs out, a query with the old index answers with the
		// restored one, lower than what it asked with.
		resp, err := http.Get(query + "&wait=200ms")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Consul-Index"); got != "5" {
			t.Errorf("query with the old index, its wait run out: index %s, want 5", got)
		}

		// Within its wait it answers only once the index passes the old one: not at
		// the restore, nor when the index is back at the old one.
		answered := make(chan string, 1)
		waits := srv.BlockingWaits()
		go func() {
			resp, err := http.Get(query + "&wait=10m")
			if err != nil {
				answered <- "error: " + err.Error()
				return
			}
			resp.Body.Close()
			answered <- resp.Header.Get("X-Consul-Index")
		}()
		// waiting polls until the query has gone to wait once more than waits.
		waiting := func(after string) {
			t.Helper()
			deadline := time.Now().Add(60 * time.Second)
			for srv.BlockingWaits() <= waits {
				select {
				case got := <-answered:
					t.Fatalf("query with the old index %d: answered at index %s %s, want it to wait until the index passes %d", old, got, after, old)
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("query with the old index %d: not waiting 60 s %s", old, after)
				}
				time.Sleep(time.Millisecond) // poll interval
			}
			waits = srv.BlockingWaits()
		}
		waiting("after the restore to 5")
		srv.RestoreConsul(old)
		waiting(fmt.Sprintf("with the index back at %d", old))
		srv.RestoreConsul(old + 1)
		select {
		case got := <-answered:
			if want := strconv.FormatUint(old+1, 10); got != want {
				t.Errorf("query with the old index %d: answered at index %s, want %s (the first index past it)", old, got, want)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("query with the old index %d: no answer 60 s after the index passed it", old)
		}

		srv.SetConsulDown(true)
		if st, _ := get(t, c+"/v1/health/service/galaxy-engine?passing=1"); st != http.StatusInternalServerError {
			t.Errorf("Consul down: got %d, want 500", st)
		}
	})

	t.Run("RevertRegistersTheOldSpecAsANewVersion", func(t *testing.T) {
		srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary})
		n := srv.NomadAddr()
		game := newGame()
		id := registerJob(t, srv, game, "galaxy-engine:0.1.0")
		registerJob(t, srv, game, "galaxy-engine:0.1.1")
		_, j := get(t, n+"/v1/job/"+id)
		if field(j, "Version") != float64(1) {
			t.Fatalf("version after the update: got %v, want 1", field(j, "Version"))
		}
		var enforce uint64 = 0
		body := map[string]any{"JobID": id, "JobVersion": 0, "EnforcePriorVersion": &enforce}
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPut, n+"/v1/job/"+id+"/revert", strings.NewReader(string(b)))
		resp, _ := http.DefaultClient.Do(req)
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 500 || !strings.Contains(string(msg), "Current job has version 1; enforcing version 0") {
			t.Errorf("revert enforcing a stale version: got %d %s", resp.StatusCode, msg)
		}
		enforce = 1
		put(t, n+"/v1/job/"+id+"/revert", body)
		_, j = get(t, n+"/v1/job/"+id)
		task := field(j, "TaskGroups", 0, "Tasks", 0)
		if field(j, "Version") != float64(2) || field(task, "Config", "image") != "galaxy-engine:0.1.0" {
			t.Errorf("after the revert: version %v image %v, want 2 and the old image", field(j, "Version"), field(task, "Config", "image"))
		}
	})
}
