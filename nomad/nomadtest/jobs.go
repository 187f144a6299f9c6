package nomadtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

// job is a registered job: the stored form (server fields filled in) and the
// submitted spec, whose change makes a new version.
type job struct {
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
	idx := s.changed("jobs")
	stored := canonical(j, pool)
	stored.CreateIndex, stored.ModifyIndex, stored.JobModifyIndex = new(idx), new(idx), new(idx)
	stored.SubmitTime = new(time.Now().UnixNano())
	stored.Version = new(uint64(0))
	if old != nil {
		stored.CreateIndex = old.j.CreateIndex
		v := *old.j.Version
		if !bytes.Equal(old.spec, spec) || *old.j.Stop {
			v++
		}
		stored.Version = &v
	}
	s.jobs[id] = &job{j: stored, spec: spec}
	ev := s.newEval(stored, "job-register")
	s.respondWrite(w, idx, map[string]any{
		"EvalCreateIndex": idx + 1, "EvalID": ev.ID, "Index": idx, "JobModifyIndex": idx,
		"KnownLeader": false, "LastContact": 0, "NextToken": "", "Warnings": shutdownWarning,
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

func (s *Server) jobAllocations(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		var stubs []api.AllocationListStub
		for _, a := range s.allocs {
			if a.stub.JobID == id {
				stubs = append(stubs, a.stub)
			}
		}
		sort.Slice(stubs, func(i, j int) bool { return stubs[i].CreateIndex > stubs[j].CreateIndex })
		out := []map[string]any{}
		for _, st := range stubs {
			// List stubs always carry DesiredTransition, which the api type lacks.
			b, _ := json.Marshal(st)
			var m map[string]any
			json.Unmarshal(b, &m)
			m["DesiredTransition"] = map[string]any{"ForceReschedule": nil, "Migrate": nil, "MigrateDisablePlacement": nil, "NoShutdownDelay": nil, "Reschedule": nil}
			out = append(out, m)
		}
		return s.tableIndex("allocs"), http.StatusOK, out
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
