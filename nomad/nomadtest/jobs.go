package nomadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// job is a registered job: the stored form (server fields filled in) and the
// submitted spec, whose change makes a new version; versions keeps every version's
// stored form and spec, for revert.
type job struct {
	j        *api.Job
	spec     []byte
	versions map[uint64]jobVersion
}

type jobVersion struct {
	j    *api.Job
	spec []byte
}

type evaluation struct {
	e *api.Evaluation
}

const shutdownWarning = "1 warning:\n\n* group \"engine\" defines services, but neither the group nor any of its tasks have shutdown_delay set"

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	var req api.JobRegisterRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		textError(w, http.StatusBadRequest, "Failed to decode request: "+err.Error())
		return
	}
	j := req.Job
	if j == nil || j.ID == nil || *j.ID == "" {
		textError(w, http.StatusBadRequest, "Job ID hasn't been provided")
		return
	}
	if err := validate(j); err != "" {
		textError(w, http.StatusInternalServerError, "1 error occurred:\n\t* "+err+"\n\n")
		return
	}
	spec, _ := json.Marshal(j)
	id := *j.ID
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.jobs[id]
	if req.EnforceIndex {
		var cur uint64
		if old != nil {
			cur = *old.j.JobModifyIndex
		}
		switch {
		case req.JobModifyIndex == 0 && old != nil:
			textError(w, http.StatusInternalServerError, "Enforcing job modify index 0: job already exists")
			return
		case req.JobModifyIndex != 0 && old == nil:
			textError(w, http.StatusInternalServerError, fmt.Sprintf("Enforcing job modify index %d: job not found", req.JobModifyIndex))
			return
		case req.JobModifyIndex != cur:
			textError(w, http.StatusInternalServerError, fmt.Sprintf("Enforcing job modify index %d: job exists with conflicting job modify index: %d", req.JobModifyIndex, cur))
			return
		}
	}
	pool := "default"
	if j.NodePool != nil && *j.NodePool != "" {
		pool = *j.NodePool
	}
	if !s.poolExists(pool) {
		textError(w, http.StatusInternalServerError, fmt.Sprintf("job %q is in nonexistent node pool %q", id, pool))
		return
	}
	idx, ev := s.upsert(id, j, spec, pool, old)
	s.respondWrite(w, idx, map[string]any{
		"EvalCreateIndex": idx + 1, "EvalID": ev.ID, "Index": idx, "JobModifyIndex": idx,
		"KnownLeader": false, "LastContact": 0, "NextToken": "", "Warnings": shutdownWarning,
	})
}

// upsert stores a registration of j (a new version when the spec changed or the job
// was stopped) and creates its evaluation. Callers hold s.mu.
func (s *Server) upsert(id string, j *api.Job, spec []byte, pool string, old *job) (uint64, *api.Evaluation) {
	idx := s.changed("jobs")
	stored := canonical(j, pool)
	stored.CreateIndex, stored.ModifyIndex, stored.JobModifyIndex = new(idx), new(idx), new(idx)
	stored.SubmitTime = new(time.Now().UnixNano())
	stored.Version = new(uint64(0))
	versions := map[uint64]jobVersion{}
	if old != nil {
		stored.CreateIndex = old.j.CreateIndex
		v := *old.j.Version
		if !bytes.Equal(old.spec, spec) || *old.j.Stop {
			v++
		}
		stored.Version = &v
		versions = old.versions
	}
	versions[*stored.Version] = jobVersion{j: stored, spec: spec}
	s.jobs[id] = &job{j: stored, spec: spec, versions: versions}
	return idx, s.newEval(stored, "job-register")
}

// revert is PUT /v1/job/<id>/revert: register the spec of an earlier version again,
// as a new version, refusing (500, Nomad's words) the current version, an unknown
// one, or a current version other than EnforcePriorVersion.
func (s *Server) revert(w http.ResponseWriter, r *http.Request, id string) {
	var req api.JobRevertRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		textError(w, http.StatusBadRequest, "Failed to decode request: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.jobs[id]
	switch {
	case cur == nil:
		textError(w, http.StatusInternalServerError, fmt.Sprintf("job %q not found", id))
		return
	case req.JobVersion == *cur.j.Version:
		textError(w, http.StatusInternalServerError, "can't revert to current version")
		return
	case req.EnforcePriorVersion != nil && *req.EnforcePriorVersion != *cur.j.Version:
		textError(w, http.StatusInternalServerError, fmt.Sprintf("Current job has version %d; enforcing version %d", *cur.j.Version, *req.EnforcePriorVersion))
		return
	}
	v, ok := cur.versions[req.JobVersion]
	if !ok {
		textError(w, http.StatusInternalServerError, fmt.Sprintf("job %q in namespace %q at version %d not found", id, *cur.j.Namespace, req.JobVersion))
		return
	}
	var j api.Job
	json.Unmarshal(v.spec, &j)
	idx, ev := s.upsert(id, &j, v.spec, *v.j.NodePool, cur)
	s.respondWrite(w, idx, map[string]any{
		"EvalCreateIndex": idx + 1, "EvalID": ev.ID, "Index": idx, "JobModifyIndex": idx,
		"KnownLeader": false, "LastContact": 0, "NextToken": "", "Warnings": "",
	})
}

// validate refuses what Nomad's job validation refuses, as far as the driver can
// trip over it.
func validate(j *api.Job) string {
	if j.Type != nil && *j.Type != "service" {
		return "fake supports service jobs only"
	}
	if len(j.TaskGroups) == 0 {
		return "Missing job task groups"
	}
	for _, g := range j.TaskGroups {
		if len(g.Tasks) == 0 {
			return fmt.Sprintf("Task group %s validation failed: Missing tasks for task group", name(g.Name))
		}
		for _, v := range g.Volumes {
			if v.Type == "host" && v.Source == "" {
				return fmt.Sprintf("Task group %s validation failed: Volume %s has an empty source", name(g.Name), v.Name)
			}
		}
		for _, t := range g.Tasks {
			for _, m := range t.VolumeMounts {
				if m.Volume == nil || g.Volumes[*m.Volume] == nil {
					return fmt.Sprintf("Task %s validation failed: Volume Mount referencing undefined volume", t.Name)
				}
			}
		}
	}
	return ""
}

func name(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// canonical fills in what the server fills in (fixture 15), on a copy.
func canonical(in *api.Job, pool string) *api.Job {
	b, _ := json.Marshal(in)
	var j api.Job
	json.Unmarshal(b, &j)
	def := func(p **string, v string) {
		if *p == nil || **p == "" {
			*p = new(v)
		}
	}
	def(&j.Namespace, "default")
	def(&j.Region, "global")
	def(&j.Type, "service")
	def(&j.Name, *j.ID)
	j.NodePool = new(pool)
	if j.Priority == nil {
		j.Priority = new(50)
	}
	if len(j.Datacenters) == 0 {
		j.Datacenters = []string{"*"}
	}
	j.Stop, j.Status, j.StatusDescription, j.Stable = new(false), new("pending"), new(""), new(false)
	return &j
}

func (s *Server) respondWrite(w http.ResponseWriter, idx uint64, body any) {
	writeJSON(w, "X-Nomad-Index", idx, false, body)
}

func (s *Server) getJob(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		jb := s.jobs[id]
		if jb == nil {
			return s.tableIndex("jobs"), http.StatusNotFound, "job not found"
		}
		return *jb.j.ModifyIndex, http.StatusOK, jb.j
	})
}

func (s *Server) listJobs(w http.ResponseWriter, r *http.Request) {
	prefix := r.URL.Query().Get("prefix")
	meta := r.URL.Query().Get("meta") == "true"
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		out := []map[string]any{}
		ids := make([]string, 0, len(s.jobs))
		for id := range s.jobs {
			if strings.HasPrefix(id, prefix) {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		for _, id := range ids {
			j := s.jobs[id].j
			running, queued := 0, 0
			for _, a := range s.allocs {
				if a.stub.JobID == id && a.stub.ClientStatus == "running" {
					running++
				}
			}
			stub := map[string]any{
				"ID": id, "Name": *j.Name, "Namespace": *j.Namespace, "Datacenters": j.Datacenters,
				"Type": *j.Type, "Priority": *j.Priority, "NodePool": *j.NodePool, "Stop": *j.Stop,
				"Status": *j.Status, "StatusDescription": "", "Periodic": false, "ParameterizedJob": false,
				"ParentID": "", "Multiregion": nil, "SubmitTime": *j.SubmitTime,
				"CreateIndex": *j.CreateIndex, "ModifyIndex": *j.ModifyIndex, "JobModifyIndex": *j.JobModifyIndex,
				"JobSummary": map[string]any{
					"JobID": id, "Namespace": *j.Namespace, "CreateIndex": *j.CreateIndex, "ModifyIndex": s.tableIndex("allocs"),
					"Children": map[string]int{"Dead": 0, "Pending": 0, "Running": 0},
					"Summary":  map[string]any{"engine": map[string]int{"Complete": 0, "Failed": 0, "Lost": 0, "Queued": queued, "Running": running, "Starting": 0, "Unknown": 0}},
				},
			}
			if meta {
				stub["Meta"] = j.Meta
			}
			out = append(out, stub)
		}
		return s.tableIndex("jobs", "allocs"), http.StatusOK, out
	})
}

func (s *Server) deregister(w http.ResponseWriter, r *http.Request, id string) {
	purge := r.URL.Query().Get("purge") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	jb := s.jobs[id]
	if jb == nil {
		textError(w, http.StatusNotFound, "job not found")
		return
	}
	idx := s.changed("jobs")
	if purge {
		delete(s.jobs, id)
		delete(s.claims, *jb.j.Namespace+"/"+id) // a purge removes the sticky claim (fixture README)
	} else {
		*jb.j.Stop = true
		*jb.j.Version++
		jb.j.ModifyIndex, jb.j.JobModifyIndex = new(idx), new(idx)
	}
	ev := s.newEval(jb.j, "job-deregister")
	s.respondWrite(w, idx, map[string]any{
		"EvalCreateIndex": idx + 1, "EvalID": ev.ID, "Index": idx, "JobModifyIndex": idx,
		"KnownLeader": false, "LastContact": 0, "NextToken": "", "VolumeEvalID": "", "VolumeEvalIndex": 0,
	})
}

// jobAllocations is GET /v1/job/<id>/allocations. The allocations of a purged job
// vanish from it at once, while their tasks may still run (Nomad 2.0.5; the bug
// where a volume was deleted under a live engine).
func (s *Server) jobAllocations(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		if s.jobs[id] == nil {
			return s.tableIndex("allocs"), http.StatusOK, []any{}
		}
		var stubs []api.AllocationListStub
		for _, a := range s.allocs {
			if a.stub.JobID == id {
				stubs = append(stubs, a.stub)
			}
		}
		return s.tableIndex("allocs"), http.StatusOK, stubsJSON(stubs)
	})
}

// stubsJSON renders allocation list stubs newest first. List stubs always carry
// DesiredTransition, which the api type lacks.
func stubsJSON(stubs []api.AllocationListStub) []map[string]any {
	sort.Slice(stubs, func(i, j int) bool { return stubs[i].CreateIndex > stubs[j].CreateIndex })
	out := []map[string]any{}
	for _, st := range stubs {
		b, _ := json.Marshal(st)
		var m map[string]any
		json.Unmarshal(b, &m)
		m["DesiredTransition"] = map[string]any{"ForceReschedule": nil, "Migrate": nil, "MigrateDisablePlacement": nil, "NoShutdownDelay": nil, "Reschedule": nil}
		if _, ok := m["AllocatedResources"]; !ok {
			m["AllocatedResources"] = nil // stubs carry it, null (fixture 33e)
		}
		out = append(out, m)
	}
	return out
}

// jobIDMatches is the one go-bexpr form the driver sends to /v1/allocations.
var jobIDMatches = regexp.MustCompile(`^JobID matches "([^"]*)"$`)

// listAllocations is GET /v1/allocations, with ?filter=JobID matches "<re>".
func (s *Server) listAllocations(w http.ResponseWriter, r *http.Request) {
	var re *regexp.Regexp
	if f := r.URL.Query().Get("filter"); f != "" {
		m := jobIDMatches.FindStringSubmatch(f)
		if m == nil {
			textError(w, http.StatusBadRequest, "failed to read filter expression: nomadtest understands only JobID matches \"...\"")
			return
		}
		var err error
		if re, err = regexp.Compile(m[1]); err != nil {
			textError(w, http.StatusBadRequest, "failed to read filter expression: "+err.Error())
			return
		}
	}
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		var stubs []api.AllocationListStub
		for _, a := range s.allocs {
			if re == nil || re.MatchString(a.stub.JobID) {
				stubs = append(stubs, a.stub)
			}
		}
		return s.tableIndex("allocs"), http.StatusOK, stubsJSON(stubs)
	})
}

// getAllocation is GET /v1/allocation/<id>: the allocation (its list stub's fields,
// which are the ones the driver reads).
func (s *Server) getAllocation(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		a := s.allocs[id]
		if a == nil {
			return s.tableIndex("allocs"), http.StatusNotFound, "alloc not found"
		}
		return a.stub.ModifyIndex, http.StatusOK, a.stub
	})
}

// stopAllocation is PUT /v1/allocation/<id>/stop: the allocation is stopped and
// replaced, as Nomad does when an operator (or a test standing in for a lost node)
// stops it.
func (s *Server) stopAllocation(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.allocs[id]
	if a == nil {
		textError(w, http.StatusNotFound, "alloc not found")
		return
	}
	if a.stub.DesiredStatus == "run" {
		s.stopAlloc(a, "alloc is being migrated", "")
	}
	ev := &api.Evaluation{ID: newID()}
	if jb := s.jobs[a.stub.JobID]; jb != nil {
		ev = s.newEval(jb.j, "alloc-stop")
	}
	writeJSON(w, "X-Nomad-Index", s.index, true, map[string]any{"EvalID": ev.ID, "Index": s.index})
}

// forceEvaluate is PUT /v1/job/<id>/evaluate: a new evaluation of the job as it is.
func (s *Server) forceEvaluate(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	jb := s.jobs[id]
	if jb == nil {
		textError(w, http.StatusNotFound, "job not found")
		return
	}
	ev := s.newEval(jb.j, "job-eval")
	s.respondWrite(w, s.index, map[string]any{
		"EvalCreateIndex": ev.CreateIndex, "EvalID": ev.ID, "Index": s.index, "JobModifyIndex": *jb.j.JobModifyIndex,
		"KnownLeader": false, "LastContact": 0, "NextToken": "", "Warnings": "",
	})
}

// jobEvaluations is GET /v1/job/<id>/evaluations, newest first.
func (s *Server) jobEvaluations(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		var evs []*api.Evaluation
		for _, e := range s.evals {
			if e.e.JobID == id {
				evs = append(evs, e.e)
			}
		}
		sort.Slice(evs, func(i, j int) bool { return evs[i].CreateIndex > evs[j].CreateIndex })
		out := []map[string]any{}
		for _, e := range evs {
			out = append(out, evalJSON(e))
		}
		return s.tableIndex("evals"), http.StatusOK, out
	})
}

// newEval records a pending evaluation and schedules it. Callers hold s.mu.
func (s *Server) newEval(j *api.Job, trigger string) *api.Evaluation {
	idx := s.changed("evals")
	now := time.Now().UnixNano()
	ev := &api.Evaluation{
		ID: newID(), Priority: *j.Priority, Type: "service", TriggeredBy: trigger, Namespace: *j.Namespace,
		JobID: *j.ID, JobModifyIndex: *j.JobModifyIndex, Status: "pending",
		CreateIndex: idx, ModifyIndex: idx, SnapshotIndex: idx, CreateTime: now, ModifyTime: now,
	}
	s.evals[ev.ID] = &evaluation{e: ev}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pause(s.opts.Latency.Schedule)
		s.schedule(ev.ID)
	}()
	return ev
}

func (s *Server) getEval(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		ev := s.evals[id]
		if ev == nil {
			return s.tableIndex("evals"), http.StatusNotFound, "eval not found"
		}
		return ev.e.ModifyIndex, http.StatusOK, evalJSON(ev.e)
	})
}

// evalJSON leaves out FailedTGAllocs, BlockedEval and StatusDescription when empty,
// as Nomad does (fixture 06).
func evalJSON(e *api.Evaluation) map[string]any {
	b, _ := json.Marshal(e)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"FailedTGAllocs", "BlockedEval", "StatusDescription", "PreviousEval", "NextEval", "RelatedEvals", "ClassEligibility", "QuotaLimitReached", "MissingNonNodeResources", "WaitUntil", "Wait", "NodeID", "NodeModifyIndex", "EscapedComputedClass", "AnnotatePlan"} {
		if v, ok := m[k]; ok && (v == nil || v == "" || v == float64(0) || v == false || v == "0001-01-01T00:00:00Z") {
			delete(m, k)
		}
	}
	return m
}
