package nomadtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/nomad/nomadtest"
)

var engineBinary string

func TestMain(m *testing.M) {
	dir, _ := os.MkdirTemp("", "nomadtest-")
	bin := filepath.Join(dir, "galaxy-engine")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/galaxy-orchestrator/galaxy/cmd/galaxy-engine").CombinedOutput(); err == nil {
		engineBinary = bin
	} else {
		fmt.Fprintf(os.Stderr, "cmd/galaxy-engine does not build, replay tests skip: %s\n", out)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type fixture struct {
	Request struct {
		Method string
		Path   string
		Query  map[string]string
		Body   json.RawMessage
	}
	Response struct {
		Status  int
		Headers map[string]string
		Body    json.RawMessage
	}
}

func load(t *testing.T, name string) fixture {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	return v
}

// replay sends the fixture's request (path ids replaced by subst, body by body when
// given) to base and checks the answer's shape against the fixture's.
func replay(t *testing.T, base, name string, subst map[string]string, body any) answer {
	t.Helper()
	f := load(t, name)
	path := f.Request.Path
	for from, to := range subst {
		path = strings.ReplaceAll(path, from, to)
	}
	q := url.Values{}
	for k, v := range f.Request.Query {
		for from, to := range subst {
			v = strings.ReplaceAll(v, from, to)
		}
		q.Set(k, v)
	}
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	} else if len(f.Request.Body) > 0 && string(f.Request.Body) != "null" {
		r = bytes.NewReader(f.Request.Body)
	}
	req, _ := http.NewRequest(f.Request.Method, base+path+"?"+q.Encode(), r)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{resp.StatusCode, resp.Header, b}
	t.Run(name, func(t *testing.T) {
		if got, want := a.status, f.Response.Status; got != want {
			t.Errorf("status: got %d, want %d: %s", got, want, b)
		}
		for h, v := range f.Response.Headers {
			if h == "Content-Type" {
				if got := a.header.Get(h); got != v {
					t.Errorf("Content-Type: got %q, want %q", got, v)
				}
			} else if a.header.Get(h) == "" {
				t.Errorf("header %s: missing", h)
			}
		}
		var want any
		json.Unmarshal(f.Response.Body, &want)
		if s, ok := want.(string); ok {
			if got := string(b); !strings.Contains(got, strings.SplitN(s, ":", 2)[0]) {
				t.Errorf("body: got %q, want like %q", got, s)
			}
			return
		}
		got := a.json(t)
		if strings.HasPrefix(name, "26") {
			// Keyed by check ID, which differs: compare the one check.
			got, want = firstValue(got), firstValue(want)
		}
		sameKeys(t, "", got, want)
	})
	return a
}

// sameKeys checks that every key of want's top level (and of its first element, for
// arrays) is in got, and that JSON types agree: the shape the api client decodes.
func sameKeys(t *testing.T, at string, got, want any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", at, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: missing", at, k)
				continue
			}
			if wv != nil && gv != nil && fmt.Sprintf("%T", wv) != fmt.Sprintf("%T", gv) {
				t.Errorf("%s.%s: got %T, want %T", at, k, gv, wv)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			t.Errorf("%s: got %T, want an array", at, got)
			return
		}
		if len(w) > 0 && len(g) > 0 {
			sameKeys(t, at+"[0]", g[0], w[0])
		}
	}
}

// wait re-sends a GET until ok accepts the decoded body (blocking queries keep it
// cheap), within a deadline.
func waitFor(t *testing.T, u string, ok func(any) bool) any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	index := "0"
	for time.Now().Before(deadline) {
		sep := "?"
		if strings.Contains(u, "?") {
			sep = "&"
		}
		resp, err := http.Get(u + sep + "index=" + index + "&wait=1s")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if i := resp.Header.Get("X-Nomad-Index"); i != "" {
			index = i
		} else if i := resp.Header.Get("X-Consul-Index"); i != "" {
			index = i
		}
		var v any
		json.Unmarshal(b, &v)
		if ok(v) {
			return v
		}
	}
	t.Fatalf("%s: condition not met in time", u)
	return nil
}

func field(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

const fixtureGame = "26a73626-cdc7-4f68-9183-2239320351fb"

func TestReplay(t *testing.T) {
	if engineBinary == "" {
		t.Skip("cmd/galaxy-engine does not build")
	}
	srv := nomadtest.NewServer(t, nomadtest.Options{EngineBinary: engineBinary})
	n, c := srv.NomadAddr(), "http://"+srv.ConsulAddr()
	jobID := "galaxy-game-" + fixtureGame

	vol := replay(t, n, "01-volume-host-create", nil, nil).json(t)
	volID := field(vol, "Volume", "ID").(string)
	replay(t, n, "01b-volume-host-create-bad-parameter", nil, nil)
	replay(t, n, "02-volumes-list-host", nil, nil)
	waitFor(t, n+"/v1/volume/host/"+volID, func(v any) bool { return field(v, "State") == "ready" })
	replay(t, n, "03-volume-host-get-ready", map[string]string{"033a3472-2279-e8f3-9b1b-ce3c2e8967e7": volID}, nil)
	replay(t, c, "11-consul-health-before-job", nil, nil)

	reg := replay(t, n, "04-job-register-new", nil, nil).json(t)
	evalID := field(reg, "EvalID").(string)
	replay(t, n, "05-job-register-enforce-index-conflict", nil, nil)
	waitFor(t, n+"/v1/evaluation/"+evalID, func(v any) bool { return field(v, "Status") == "complete" })
	replay(t, n, "06-evaluation-complete", map[string]string{"73b249e7-5776-eeec-47c3-938e16ffbe13": evalID}, nil)
	allocs := waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool { return field(v, 0, "ClientStatus") == "running" })
	allocID := field(allocs, 0, "ID").(string)
	a := replay(t, n, "08-job-allocations-running", nil, nil)
	replay(t, n, "09-job-allocations-blocking-no-change", map[string]string{"22": a.header.Get("X-Nomad-Index"), "3s": "50ms"}, nil)
	waitFor(t, c+"/v1/health/service/galaxy-engine?passing=1", func(v any) bool { l, _ := v.([]any); return len(l) == 1 })
	replay(t, c, "13-consul-health-passing", nil, nil)
	replay(t, c, "12b-consul-health-critical-unfiltered", nil, nil)
	replay(t, n, "14-jobs-list-prefix-meta", nil, nil)
	job := replay(t, n, "15-job-get", nil, nil).json(t)

	var upd map[string]any
	json.Unmarshal(load(t, "16-job-update-enforce-index").Request.Body, &upd)
	upd["JobModifyIndex"] = field(job, "JobModifyIndex")
	replay(t, n, "16-job-update-enforce-index", nil, upd)
	waitFor(t, n+"/v1/job/"+jobID+"/allocations", func(v any) bool {
		l, _ := v.([]any)
		return len(l) == 2 && field(v, 0, "ClientStatus") == "running" && field(v, 1, "NextAllocation") == field(v, 0, "ID")
	})
	replay(t, n, "16b-job-allocations-after-update", nil, nil)

	for _, k := range []string{"a-missing-volume", "b-node-class-constraint"} {
		reg := replay(t, n, "18"+k[:1]+"-job-register-unplaceable-"+k[2:], nil, nil).json(t)
		ev := waitFor(t, n+"/v1/evaluation/"+field(reg, "EvalID").(string), func(v any) bool { return field(v, "Status") == "complete" })
		if field(ev, "BlockedEval") == nil || field(ev, "FailedTGAllocs", "engine", "ConstraintFiltered") == nil {
			t.Errorf("unplaceable eval %s: got %v, want FailedTGAllocs and BlockedEval", k, ev)
		}
		replay(t, n, "19"+k[:1]+"-evaluation-failed-tg-allocs-"+k[2:], map[string]string{pathID(t, "19"+k[:1]+"-evaluation-failed-tg-allocs-"+k[2:]): field(reg, "EvalID").(string)}, nil)
		replay(t, n, "20"+k[:1]+"-evaluation-blocked-"+k[2:], map[string]string{pathID(t, "20"+k[:1]+"-evaluation-blocked-"+k[2:]): field(ev, "BlockedEval").(string)}, nil)
	}
	replay(t, n, "21-job-get-not-found", nil, nil)
	replay(t, n, "21b-job-allocations-not-found", nil, nil)
	replay(t, n, "21c-evaluation-not-found", nil, nil)
	replay(t, n, "22-job-stop", nil, nil)
	waitFor(t, n+"/v1/job/"+jobID, func(v any) bool { return field(v, "Status") == "dead" })
	replay(t, n, "22b-job-get-after-stop", nil, nil)
	replay(t, n, "23-job-purge", nil, nil)
	replay(t, n, "24-volume-host-delete", map[string]string{"033a3472-2279-e8f3-9b1b-ce3c2e8967e7": volID}, nil)

	// Nomad-native discovery: the same job with provider nomad.
	var native map[string]any
	json.Unmarshal(load(t, "04-job-register-new").Request.Body, &native)
	j := native["Job"].(map[string]any)
	j["ID"], j["Name"] = "galaxy-game-a7f5b30a-775c-4fd0-b71a-5b201ac6abbe", "galaxy-game-a7f5b30a-775c-4fd0-b71a-5b201ac6abbe"
	tg := j["TaskGroups"].([]any)[0].(map[string]any)
	svc := tg["Services"].([]any)[0].(map[string]any)
	svc["Provider"], svc["Tags"] = "nomad", []string{"game-a7f5b30a-775c-4fd0-b71a-5b201ac6abbe"}
	tg["Volumes"].(map[string]any)["state"].(map[string]any)["Source"] = "galaxy-state"
	tg["Volumes"].(map[string]any)["state"].(map[string]any)["Sticky"] = false
	tg["Tasks"].([]any)[0].(map[string]any)["Env"] = map[string]string{"GAME_STATE_PATH": "/var/lib/galaxy-game"}
	b, _ := json.Marshal(native)
	resp, err := http.Post(n+"/v1/jobs", "application/json", bytes.NewReader(b))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("register native job: %v %v", err, resp)
	}
	regs := waitFor(t, n+"/v1/service/galaxy-engine", func(v any) bool { l, _ := v.([]any); return len(l) == 1 })
	nativeAlloc := field(regs, 0, "AllocID").(string)
	replay(t, n, "25-nomad-service-get", nil, nil)
	replay(t, n, "25b-nomad-service-get-filter-tag", nil, nil)
	replay(t, n, "25c-nomad-service-get-tag-param-ignored", nil, nil)
	replay(t, n, "25e-nomad-service-get-filter-no-match", nil, nil)
	waitFor(t, n+"/v1/allocation/"+nativeAlloc+"/checks", func(v any) bool {
		m, _ := v.(map[string]any)
		for _, c := range m {
			return field(c, "Status") == "success"
		}
		return false
	})
	replay(t, n, "26-allocation-checks", map[string]string{"fd7ac411-ea9d-6062-d98d-190aa07d1b50": nativeAlloc}, nil)
	_ = allocID

	counts := srv.Counts()
	if counts["PUT /v1/volume/host/create"] != 2 {
		t.Errorf("counts: got %v, want 2 volume creates", counts)
	}
}

// pathID is the last path element of a fixture's request (the id to substitute).
func pathID(t *testing.T, name string) string {
	p := load(t, name).Request.Path
	return p[strings.LastIndex(p, "/")+1:]
}

func firstValue(v any) any {
	for _, x := range v.(map[string]any) {
		return x
	}
	return nil
}
