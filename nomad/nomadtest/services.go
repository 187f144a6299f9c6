package nomadtest

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"time"

	consul "github.com/hashicorp/consul/api"
	"github.com/hashicorp/nomad/api"
)

// registerService adds the allocation's group service, as the client does at prerun: in
// Consul with its check critical (fixture 12b), or as a Nomad registration with no
// check result yet (26b). Callers hold s.mu.
func (s *Server) registerService(a *alloc) {
	if a.provider == "" || a.registered {
		return
	}
	a.registered = true
	a.check = ""
	if a.provider == "consul" {
		s.consulChanged()
		a.regIndex = s.cindex
		a.check = "critical"
		return
	}
	a.regIndex = s.changed("services")
}

// deregisterService removes it again (stop, failure). Callers hold s.mu.
func (s *Server) deregisterService(a *alloc) {
	if !a.registered {
		return
	}
	a.registered = false
	if a.provider == "consul" {
		s.consulChanged()
		return
	}
	s.changed("services")
}

func (a *alloc) service() *api.Service { return a.job.TaskGroups[0].Services[0] }

func (a *alloc) serviceID() string {
	return fmt.Sprintf("_nomad-task-%s-group-engine-%s-http", a.stub.ID, a.service().Name)
}

func (a *alloc) checkID() string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(a.stub.ID+a.service().Name)))
}

// consulHealth is GET /v1/health/service/<name>?tag=&passing=, blocking on
// X-Consul-Index (fixtures 11, 12, 12b, 13).
func (s *Server) consulHealth(w http.ResponseWriter, r *http.Request, name string) {
	q := r.URL.Query()
	tags := q["tag"]
	_, passingOnly := q["passing"]
	if passingOnly && q.Get("passing") == "0" || q.Get("passing") == "false" {
		passingOnly = false
	}
	s.block(w, r, "X-Consul-Index", func() (uint64, int, any) {
		if s.consulDown {
			return s.cindex, http.StatusInternalServerError, "rpc error making call: No cluster leader"
		}
		out := []*consul.ServiceEntry{}
		for _, a := range s.sortedAllocs() {
			if !a.registered || a.provider != "consul" || a.service().Name != name || !hasTags(a.service().Tags, tags) {
				continue
			}
			status := "critical"
			if a.check == "success" {
				status = "passing"
			}
			if passingOnly && status != "passing" {
				continue
			}
			svc := a.service()
			out = append(out, &consul.ServiceEntry{
				Node: &consul.Node{ID: a.node.consulID, Node: a.node.Name, Address: a.node.Address, Datacenter: "dc1",
					TaggedAddresses: map[string]string{"lan": a.node.Address, "wan": a.node.Address},
					Meta:            map[string]string{"consul-version": "1.22.7"}, CreateIndex: 11, ModifyIndex: 11},
				Service: &consul.AgentService{ID: a.serviceID(), Service: svc.Name, Tags: svc.Tags, Address: a.node.Address,
					Port: a.port, Meta: map[string]string{"external-source": "nomad"}, Weights: consul.AgentWeights{Passing: 1, Warning: 1},
					CreateIndex: a.regIndex, ModifyIndex: a.regIndex},
				Checks: consul.HealthChecks{
					{Node: a.node.Name, CheckID: "serfHealth", Name: "Serf Health Status", Status: "passing", Output: "Agent alive and reachable", ServiceTags: []string{}},
					{Node: a.node.Name, CheckID: "_nomad-check-" + a.checkID(), Name: fmt.Sprintf("service: %q check", svc.Name), Status: status,
						Output: a.output, ServiceID: a.serviceID(), ServiceName: svc.Name, ServiceTags: svc.Tags, Type: "http",
						CreateIndex: a.regIndex, ModifyIndex: a.regIndex},
				},
			})
		}
		return s.cindex, http.StatusOK, out
	})
}

// SetConsulDown takes the fake Consul down (every request, blocking ones in flight
// included, answers 500 "No cluster leader", as while its servers have no leader) or
// brings it back. Nomad's side goes on: allocations still register their services.
func (s *Server) SetConsulDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consulDown = down
	close(s.notify)
	s.notify = make(chan struct{})
}

// RestoreConsul sets Consul's raft index back to index, as a snapshot restore or a
// rebuilt cluster does (the issue saw 122 -> 32): registrations keep their data and
// their indexes drop to at most index. A blocking query with a higher index than that
// now waits for its whole wait time, as on a real Consul.
func (s *Server) RestoreConsul(index uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cindex = index
	for _, a := range s.allocs {
		if a.provider == "consul" && a.regIndex > index {
			a.regIndex = index
		}
	}
	close(s.notify)
	s.notify = make(chan struct{})
}

// ConsulIndex is the fake Consul's raft index now.
func (s *Server) ConsulIndex() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cindex
}

func hasTags(have, want []string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *Server) sortedAllocs() []*alloc {
	out := make([]*alloc, 0, len(s.allocs))
	for _, a := range s.allocs {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].stub.CreateIndex < out[j].stub.CreateIndex })
	return out
}

// tagsContains is the one go-bexpr form the driver sends (fixture 25b).
var tagsContains = regexp.MustCompile(`^Tags contains "([^"]*)"$`)

// nomadService is GET /v1/service/<name>: Nomad-native registrations, no health; the
// tag parameter is ignored (25c) and ?filter=Tags contains "x" filters (25b, 25e).
func (s *Server) nomadService(w http.ResponseWriter, r *http.Request, name string) {
	filter := r.URL.Query().Get("filter")
	var want string
	if filter != "" {
		m := tagsContains.FindStringSubmatch(filter)
		if m == nil {
			textError(w, http.StatusBadRequest, "failed to read filter expression: nomadtest understands only Tags contains \"...\"")
			return
		}
		want = m[1]
	}
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		out := []*api.ServiceRegistration{}
		for _, a := range s.sortedAllocs() {
			if !a.registered || a.provider != "nomad" || a.service().Name != name {
				continue
			}
			if want != "" && !hasTags(a.service().Tags, []string{want}) {
				continue
			}
			out = append(out, &api.ServiceRegistration{
				ID: a.serviceID(), ServiceName: name, Namespace: a.stub.Namespace, NodeID: a.node.ID, Datacenter: a.node.Datacenter,
				JobID: a.stub.JobID, AllocID: a.stub.ID, Tags: a.service().Tags, Address: a.node.Address, Port: a.port,
				CreateIndex: a.regIndex, ModifyIndex: a.regIndex,
			})
		}
		return s.tableIndex("services"), http.StatusOK, out
	})
}

// allocChecks is GET /v1/allocation/<id>/checks (and the /v1/client/ form the api
// uses): null before the client set checks up (26b), then pending, failure, success
// (26a, 26d, 26). No index headers, as in Nomad.
func (s *Server) allocChecks(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	a := s.allocs[id]
	if a == nil {
		s.mu.Unlock()
		textError(w, http.StatusNotFound, fmt.Sprintf("Unknown allocation %q", id))
		return
	}
	var body any
	if a.registered && a.provider == "nomad" {
		status, output := a.check, a.output
		if status == "" {
			status, output = "pending", "nomad: waiting to run"
		}
		c := map[string]any{
			"Check": fmt.Sprintf("service: %q check", a.service().Name), "Group": a.stub.Name, "ID": a.checkID(),
			"Mode": "healthiness", "Output": output, "Service": a.service().Name, "Status": status, "Timestamp": time.Now().Unix(),
		}
		if status == "success" {
			c["StatusCode"] = 200
		}
		body = map[string]any{a.checkID(): c}
	}
	s.mu.Unlock()
	writeJSON(w, "", 0, false, body)
}
