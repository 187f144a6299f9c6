package nomadtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// route names a request by its endpoint pattern, for counting and dispatch.
func route(method, path string) (pattern string, args []string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) == 2 && parts[1] == "jobs":
		return method + " /v1/jobs", nil
	case len(parts) == 3 && parts[1] == "jobs" && parts[2] == "parse":
		return method + " /v1/jobs/parse", nil
	case len(parts) == 3 && parts[1] == "job":
		return method + " /v1/job/:id", parts[2:]
	case len(parts) == 4 && parts[1] == "job" && parts[3] == "allocations":
		return method + " /v1/job/:id/allocations", parts[2:3]
	case len(parts) == 4 && parts[1] == "job" && parts[3] == "evaluations":
		return method + " /v1/job/:id/evaluations", parts[2:3]
	case len(parts) == 4 && parts[1] == "job" && parts[3] == "revert":
		return method + " /v1/job/:id/revert", parts[2:3]
	case len(parts) == 4 && parts[1] == "job" && parts[3] == "evaluate":
		return method + " /v1/job/:id/evaluate", parts[2:3]
	case len(parts) == 2 && parts[1] == "nodes":
		return method + " /v1/nodes", nil
	case len(parts) == 3 && parts[1] == "node":
		return method + " /v1/node/:id", parts[2:]
	case len(parts) == 4 && parts[1] == "node" && (parts[3] == "drain" || parts[3] == "eligibility"):
		return method + " /v1/node/:id/" + parts[3], parts[2:3]
	case len(parts) == 2 && parts[1] == "allocations":
		return method + " /v1/allocations", nil
	case len(parts) == 4 && parts[1] == "allocation" && parts[3] == "stop":
		return method + " /v1/allocation/:id/stop", parts[2:3]
	case len(parts) == 3 && parts[1] == "evaluation":
		return method + " /v1/evaluation/:id", parts[2:]
	case len(parts) == 3 && parts[1] == "allocation":
		return method + " /v1/allocation/:id", parts[2:]
	case len(parts) == 4 && parts[1] == "allocation" && parts[3] == "checks":
		return method + " /v1/allocation/:id/checks", parts[2:3]
	case len(parts) == 5 && parts[1] == "client" && parts[2] == "allocation" && parts[4] == "checks":
		return method + " /v1/allocation/:id/checks", parts[3:4]
	case len(parts) == 4 && parts[1] == "volume" && parts[2] == "host" && parts[3] == "create":
		return method + " /v1/volume/host/create", nil
	case len(parts) == 4 && parts[1] == "volume" && parts[2] == "host":
		return method + " /v1/volume/host/:id", parts[3:]
	case len(parts) == 2 && parts[1] == "volumes":
		return method + " /v1/volumes", nil
	case len(parts) == 3 && parts[1] == "service":
		return method + " /v1/service/:name", parts[2:]
	case len(parts) == 4 && parts[1] == "health" && parts[2] == "service":
		return method + " /v1/health/service/:name", parts[3:]
	}
	return method + " " + path, nil
}

func (s *Server) serveNomad(w http.ResponseWriter, r *http.Request) {
	s.pause(s.opts.Latency.API)
	pattern, args := route(r.Method, r.URL.Path)
	s.mu.Lock()
	s.counts[pattern]++
	if s.failN > 0 {
		s.failN--
		code := s.failCode
		s.mu.Unlock()
		msg := "rpc error: No cluster leader"
		if code == http.StatusTooManyRequests {
			msg = "Too many requests"
		}
		textError(w, code, msg)
		return
	}
	s.mu.Unlock()
	switch pattern {
	case "PUT /v1/jobs", "POST /v1/jobs":
		s.register(w, r)
	case "GET /v1/jobs":
		s.listJobs(w, r)
	case "GET /v1/job/:id":
		s.getJob(w, r, args[0])
	case "DELETE /v1/job/:id":
		s.deregister(w, r, args[0])
	case "GET /v1/job/:id/allocations":
		s.jobAllocations(w, r, args[0])
	case "GET /v1/job/:id/evaluations":
		s.jobEvaluations(w, r, args[0])
	case "PUT /v1/job/:id/revert", "POST /v1/job/:id/revert":
		s.revert(w, r, args[0])
	case "PUT /v1/job/:id/evaluate", "POST /v1/job/:id/evaluate":
		s.forceEvaluate(w, r, args[0])
	case "GET /v1/nodes":
		s.listNodes(w, r)
	case "GET /v1/node/:id":
		s.getNode(w, r, args[0])
	case "PUT /v1/node/:id/drain", "POST /v1/node/:id/drain":
		s.nodeDrain(w, r, args[0])
	case "PUT /v1/node/:id/eligibility", "POST /v1/node/:id/eligibility":
		s.nodeEligibility(w, r, args[0])
	case "GET /v1/allocations":
		s.listAllocations(w, r)
	case "PUT /v1/allocation/:id/stop", "POST /v1/allocation/:id/stop":
		s.stopAllocation(w, r, args[0])
	case "GET /v1/evaluation/:id":
		s.getEval(w, r, args[0])
	case "GET /v1/allocation/:id":
		s.getAllocation(w, r, args[0])
	case "GET /v1/allocation/:id/checks":
		s.allocChecks(w, r, args[0])
	case "PUT /v1/volume/host/create", "POST /v1/volume/host/create":
		s.createVolume(w, r)
	case "GET /v1/volume/host/:id":
		s.getVolume(w, r, args[0])
	case "DELETE /v1/volume/host/:id":
		s.deleteVolume(w, r, args[0])
	case "GET /v1/volumes":
		s.listVolumes(w, r)
	case "GET /v1/service/:name":
		s.nomadService(w, r, args[0])
	default:
		textError(w, http.StatusNotFound, "Invalid URL path: nomadtest does not serve "+pattern)
	}
}

func (s *Server) serveConsul(w http.ResponseWriter, r *http.Request) {
	s.pause(s.opts.Latency.API)
	pattern, args := route(r.Method, r.URL.Path)
	s.mu.Lock()
	s.counts["consul "+pattern]++
	s.mu.Unlock()
	if pattern == "GET /v1/health/service/:name" {
		s.consulHealth(w, r, args[0])
		return
	}
	textError(w, http.StatusNotFound, "nomadtest consul does not serve "+pattern)
}

// block answers a (possibly blocking) read. compute runs under s.mu and returns the
// table index and the body. With ?index=N the answer waits until the index passes N
// or ?wait (capped at MaxWait) runs out, then returns the same index and body, as
// Nomad and Consul do (fixture 09).
func (s *Server) block(w http.ResponseWriter, r *http.Request, header string, compute func() (uint64, int, any)) {
	q := r.URL.Query()
	waitIndex, _ := strconv.ParseUint(q.Get("index"), 10, 64)
	wait := 5 * time.Minute
	if v := q.Get("wait"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			wait = d
		}
	}
	wait = min(wait, s.opts.MaxWait)
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	s.mu.Lock()
	for {
		index, status, body := compute()
		if waitIndex == 0 || index > waitIndex || s.closed || status >= 500 {
			// The body may point into live state (a job the scheduler goroutines
			// update): encode it before letting go of the lock.
			if status == http.StatusOK {
				b, err := json.Marshal(body)
				if err != nil {
					s.mu.Unlock()
					textError(w, http.StatusInternalServerError, err.Error())
					return
				}
				body = json.RawMessage(b)
			}
			s.mu.Unlock()
			if status != http.StatusOK {
				w.Header().Set(header, strconv.FormatUint(index, 10))
				if header == "X-Nomad-Index" {
					w.Header().Set("X-Nomad-Knownleader", "true")
					w.Header().Set("X-Nomad-Lastcontact", "0")
				}
				textError(w, status, body.(string))
				return
			}
			writeJSON(w, header, index, true, body)
			return
		}
		ch := s.notify
		s.waits++
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			waitIndex = 0 // answer with whatever is there now
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
	}
}

// writeJSON sends a 200 JSON body with the index header; reads also carry the
// leader headers (write calls return only the index, fixture README).
func writeJSON(w http.ResponseWriter, header string, index uint64, read bool, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		textError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if header != "" {
		w.Header().Set(header, strconv.FormatUint(index, 10))
	}
	if read && header == "X-Nomad-Index" {
		w.Header().Set("X-Nomad-Knownleader", "true")
		w.Header().Set("X-Nomad-Lastcontact", "0")
	}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// textError answers like Nomad does: a plain-text body.
func textError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, msg)
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
