package nomadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/hashicorp/nomad/api"
)

// The fake's client nodes, as Nomad 2.0.5 shows and changes them (fixtures 29-34):
// a status (ready or down), a scheduling eligibility, a drain strategy while a drain
// runs and the last drain's metadata after. A drain marks the node ineligible and
// migrates its allocations, each group as its migrate block says: max_parallel 0
// leaves an allocation running until the drain's deadline (33e), then it is stopped
// ("alloc is being migrated", DesiredTransition.Migrate) and its replacement placed
// elsewhere if any node can take it — with a sticky dynamic volume none can, the
// volume being on the drained node (33f, 33g). The drain completes once no allocation
// is left on the node, or at the deadline; the node stays ineligible (33h).
//
// A node that goes down loses its allocations (client status lost, desired stop:
// "alloc is lost since its node is down"), its engines are killed, its services
// deregistered, and a node-update evaluation per job tries to place replacements,
// which a sticky volume on that node keeps blocked. Its volumes stay: they cannot
// be deleted while it is down ("volume cannot be removed from unknown node without
// force=true"), and a volume created on it fails ("No path to node"), since Nomad
// places volumes on any node of the pool that meets their constraints, whatever its
// status or eligibility.

const lostDescription = "alloc is lost since its node is down"

// nodeStub renders a node as the list does (fixture 29: every key of the stub,
// HostVolumes included, which the api type lacks). Callers hold s.mu.
func (s *Server) nodeStub(n *node) map[string]any {
	return map[string]any{
		"Address": n.Address, "ID": n.ID, "Attributes": nil, "Datacenter": n.Datacenter, "Name": n.Name,
		"NodePool": n.NodePool, "NodeClass": n.NodeClass, "Version": "2.0.5", "Drain": n.drain != nil,
		"SchedulingEligibility": n.eligibility, "Status": n.status, "StatusDescription": "",
		"Drivers": drivers(), "HostVolumes": s.hostVolumes(n), "NodeResources": nil, "ReservedResources": nil,
		"LastDrain": n.lastDrain, "CreateIndex": n.createIndex, "ModifyIndex": n.modifyIndex,
	}
}

func drivers() map[string]*api.DriverInfo {
	now := time.Now()
	d := map[string]*api.DriverInfo{}
	for _, name := range []string{"docker", "exec", "raw_exec"} {
		d[name] = &api.DriverInfo{Attributes: map[string]string{"driver." + name: "true"}, Detected: true, Healthy: true, HealthDescription: "Healthy", UpdateTime: now}
	}
	return d
}

// hostVolumes is what the node fingerprints: static volumes with their path, dynamic
// ones with their ID too. Callers hold s.mu.
func (s *Server) hostVolumes(n *node) map[string]*api.HostVolumeInfo {
	vols := map[string]*api.HostVolumeInfo{}
	for name, p := range n.static {
		vols[name] = &api.HostVolumeInfo{Path: p}
	}
	for name, vid := range n.fp {
		info := &api.HostVolumeInfo{ID: vid}
		if hv := s.volumes[vid]; hv != nil {
			info.Path = hv.v.HostPath
		}
		vols[name] = info
	}
	return vols
}

// listNodes is GET /v1/nodes (fixtures 29, 29b), blocking on the nodes' index.
func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) {
	prefix := r.URL.Query().Get("prefix")
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		out := []map[string]any{}
		for _, n := range s.nodes {
			if len(prefix) <= len(n.ID) && n.ID[:len(prefix)] == prefix {
				out = append(out, s.nodeStub(n))
			}
		}
		return s.tableIndex("nodes"), http.StatusOK, out
	})
}

// getNode is GET /v1/node/<id>: status, eligibility, drain and fingerprinted host
// volumes (fixtures 30, 33c, 33h).
func (s *Server) getNode(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		n := s.nodeByID(id)
		if n == nil {
			return s.tableIndex("nodes"), http.StatusNotFound, "node not found"
		}
		out := s.nodeStub(n)
		delete(out, "Address")
		delete(out, "Version")
		attrs := map[string]string{"kernel.name": "linux", "nomad.version": "2.0.5", "unique.hostname": n.Name,
			"plugins.host_volume.mkdir.version": "0.0.1"}
		for k, v := range n.Attributes {
			attrs[k] = v
		}
		for k, v := range map[string]any{
			"Attributes": attrs, "Meta": n.Meta, "DrainStrategy": n.drain, "HTTPAddr": n.Address + ":4646",
			"CSIControllerPlugins": nil, "CSINodePlugins": nil, "CgroupParent": "", "ComputedClass": "v1:fake",
			"Events": []any{}, "GCVolumesOnNodeGC": false, "HostNetworks": nil, "IdentitySigningKeyID": "",
			"LastAllocUpdateIndex": n.modifyIndex, "LastMissedHeartbeatIndex": 0, "Links": nil, "NodeMaxAllocs": 0,
			"SecretID": "", "StatusUpdatedAt": n.statusAt.Unix(), "TLSEnabled": false,
		} {
			out[k] = v
		}
		return s.tableIndex("nodes"), http.StatusOK, out
	})
}

// nodeDrain is PUT /v1/node/<id>/drain (fixtures 33-33b, 34d-34e): a DrainSpec starts
// (or updates) a drain, none cancels it (MarkEligible makes the node eligible again).
// An unknown node is a 500 "node not found", as Nomad answers.
func (s *Server) nodeDrain(w http.ResponseWriter, r *http.Request, id string) {
	var req api.NodeUpdateDrainRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		textError(w, http.StatusBadRequest, "Failed to decode request: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodeByID(id)
	if n == nil {
		textError(w, http.StatusInternalServerError, "node not found")
		return
	}
	var evals []string
	if req.DrainSpec == nil {
		evals = s.cancelDrain(n, req.MarkEligible)
	} else {
		s.startDrain(n, req.DrainSpec.Deadline, req.Meta)
	}
	var evalIDs any
	if len(evals) > 0 {
		evalIDs = evals
	}
	s.respondWrite(w, s.index, map[string]any{"NodeModifyIndex": n.modifyIndex, "EvalIDs": evalIDs, "EvalCreateIndex": 0, "Index": s.index})
}

// nodeEligibility is PUT /v1/node/<id>/eligibility (fixtures 34, 34b).
func (s *Server) nodeEligibility(w http.ResponseWriter, r *http.Request, id string) {
	var req api.NodeUpdateEligibilityRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		textError(w, http.StatusBadRequest, "Failed to decode request: "+err.Error())
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodeByID(id)
	switch {
	case n == nil:
		textError(w, http.StatusInternalServerError, "node not found")
		return
	case req.Eligibility != api.NodeSchedulingEligible && req.Eligibility != api.NodeSchedulingIneligible:
		textError(w, http.StatusBadRequest, fmt.Sprintf("invalid scheduling eligibility %q", req.Eligibility))
		return
	case req.Eligibility == api.NodeSchedulingEligible && n.drain != nil:
		textError(w, http.StatusBadRequest, "can not set node's scheduling eligibility to eligible while it is draining")
		return
	}
	s.setEligibility(n, req.Eligibility)
	s.respondWrite(w, s.index, map[string]any{"NodeModifyIndex": 0, "EvalIDs": nil, "EvalCreateIndex": s.index + 1, "Index": s.index})
}

func (s *Server) nodeByID(id string) *node {
	for _, n := range s.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// nodeChanged records a change of n. Callers hold s.mu.
func (s *Server) nodeChanged(n *node) {
	n.modifyIndex = s.changed("nodes")
}

// setEligibility changes the node's eligibility; a node made eligible gets the blocked
// evaluations scheduled again, as capacity coming back does. Callers hold s.mu.
func (s *Server) setEligibility(n *node, e string) {
	if n.eligibility == e {
		return
	}
	n.eligibility = e
	s.nodeChanged(n)
	if e == api.NodeSchedulingEligible && n.status == api.NodeStatusReady {
		s.unblock()
	}
}

// unblock schedules every blocked evaluation again. Callers hold s.mu.
func (s *Server) unblock() {
	for _, e := range s.evals {
		if e.e.Status == "blocked" {
			e.e.Status, e.e.FailedTGAllocs = "pending", nil
			e.e.ModifyIndex = s.changed("evals")
			id := e.e.ID
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.schedule(id)
			}()
		}
	}
}

// startDrain starts a drain of n: ineligible, the drain strategy and its metadata set,
// the allocations of groups that allow it (max_parallel > 0, or no migrate block)
// migrated at once, the others at the deadline (a negative deadline forces them all
// now; 0 means none). Callers hold s.mu.
func (s *Server) startDrain(n *node, deadline time.Duration, meta map[string]string) {
	now := time.Now()
	n.drain = &api.DrainStrategy{DrainSpec: api.DrainSpec{Deadline: deadline}, StartedAt: now}
	if deadline > 0 {
		n.drain.ForceDeadline = now.Add(deadline)
	}
	n.lastDrain = &api.DrainMetadata{StartedAt: now.Truncate(time.Second), UpdatedAt: now.Truncate(time.Second), Status: api.DrainStatusDraining,
		AccessorID: "token:acls-disabled", Meta: meta}
	n.eligibility = api.NodeSchedulingIneligible
	n.drainGen++
	s.nodeChanged(n)
	s.migrate(n, deadline < 0)
	if deadline > 0 {
		gen := n.drainGen
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			t := time.NewTimer(deadline)
			defer t.Stop()
			select {
			case <-t.C:
			case <-s.done:
				return
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if n.drain != nil && n.drainGen == gen && !s.closed {
				s.migrate(n, true)
				s.completeDrain(n)
			}
		}()
	}
	s.checkDrains()
}

// migrate stops the node's live allocations that may move now (all of them when
// force) and has their jobs evaluated. Callers hold s.mu.
func (s *Server) migrate(n *node, force bool) {
	jobs := map[string]bool{}
	for _, a := range s.sortedAllocs() {
		if a.node != n || a.stub.DesiredStatus != "run" || terminal(a.stub.ClientStatus) {
			continue
		}
		if !force && migrateMaxParallel(a.job) == 0 {
			continue
		}
		a.migrated = true
		s.stopAlloc(a, "alloc is being migrated", "")
		jobs[a.stub.JobID] = true
	}
	ids := make([]string, 0, len(jobs))
	for id := range jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if jb := s.jobs[id]; jb != nil {
			s.newEval(jb.j, "node-drain")
		}
	}
}

func migrateMaxParallel(j *api.Job) int {
	if m := j.TaskGroups[0].Migrate; m != nil && m.MaxParallel != nil {
		return *m.MaxParallel
	}
	return 1
}

// completeDrain ends the node's drain: no strategy, the last drain complete, the node
// still ineligible. Callers hold s.mu.
func (s *Server) completeDrain(n *node) {
	n.drain = nil
	if n.lastDrain != nil {
		d := *n.lastDrain
		d.Status, d.UpdatedAt = api.DrainStatusComplete, time.Now().Truncate(time.Second)
		n.lastDrain = &d
	}
	s.nodeChanged(n)
}

// cancelDrain ends a drain on request (fixture 34e) and returns the evaluation it
// creates. Callers hold s.mu.
func (s *Server) cancelDrain(n *node, markEligible bool) []string {
	if n.drain != nil {
		n.drain = nil
		if n.lastDrain != nil {
			d := *n.lastDrain
			d.Status, d.UpdatedAt = api.DrainStatusCanceled, time.Now().Truncate(time.Second)
			n.lastDrain = &d
		}
		n.drainGen++
		s.nodeChanged(n)
	}
	if markEligible {
		s.setEligibility(n, api.NodeSchedulingEligible)
	}
	return []string{newID()}
}

// checkDrains completes the drain of every draining node that has no allocation left
// running or about to. Callers hold s.mu.
func (s *Server) checkDrains() {
	for _, n := range s.nodes {
		if n.drain == nil {
			continue
		}
		left := false
		for _, a := range s.allocs {
			left = left || a.node == n && !terminal(a.stub.ClientStatus)
		}
		if !left {
			s.completeDrain(n)
		}
	}
}

// setDown takes n down: its allocations are lost and their engines killed, its
// services deregistered, and the jobs evaluated again. Callers hold s.mu.
func (s *Server) setDown(n *node) {
	n.status, n.statusAt = api.NodeStatusDown, time.Now()
	s.nodeChanged(n)
	jobs := map[string]bool{}
	for _, a := range s.sortedAllocs() {
		if a.node != n || terminal(a.stub.ClientStatus) {
			continue
		}
		a.stopping, a.lost = true, true
		a.markStop()
		a.stub.DesiredStatus, a.stub.DesiredDescription = "stop", lostDescription
		a.stub.ClientStatus, a.stub.ClientDescription = "lost", ""
		s.deregisterService(a)
		a.kill()
		if a.proc == nil {
			a.markExited()
		}
		s.touch(a)
		jobs[a.stub.JobID] = true
	}
	ids := make([]string, 0, len(jobs))
	for id := range jobs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if jb := s.jobs[id]; jb != nil {
			s.newEval(jb.j, "node-update")
		}
	}
	s.checkDrains()
}

// NodeDown takes the named node down, as when its client stops heartbeating: see the
// package's node model. Nothing runs on it until NodeUp.
func (s *Server) NodeDown(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(name)
	if n == nil {
		return fmt.Errorf("nomadtest: no node %q", name)
	}
	if n.status != api.NodeStatusDown {
		s.setDown(n)
	}
	return nil
}

// NodeUp brings the named node back (ready): its volumes are where they were, its
// lost allocations stay lost, and blocked evaluations are scheduled again.
func (s *Server) NodeUp(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(name)
	if n == nil {
		return fmt.Errorf("nomadtest: no node %q", name)
	}
	if n.status != api.NodeStatusReady {
		n.status, n.statusAt = api.NodeStatusReady, time.Now()
		s.nodeChanged(n)
		if n.eligibility == api.NodeSchedulingEligible {
			s.unblock()
		}
	}
	return nil
}

// SetEligible marks the named node eligible or ineligible for new allocations, as
// `nomad node eligibility -enable/-disable` does; what runs there stays.
func (s *Server) SetEligible(name string, eligible bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(name)
	if n == nil {
		return fmt.Errorf("nomadtest: no node %q", name)
	}
	e := api.NodeSchedulingIneligible
	if eligible {
		e = api.NodeSchedulingEligible
	}
	s.setEligibility(n, e)
	return nil
}

// NodeID returns the ID of the named node ("" when there is none).
func (s *Server) NodeID(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.node(name); n != nil {
		return n.ID
	}
	return ""
}

// NodeName returns the name of the node with that ID ("" when there is none).
func (s *Server) NodeName(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodeByID(id); n != nil {
		return n.Name
	}
	return ""
}

// VolumesOn lists the dynamic volumes on the named node: name -> volume ID.
func (s *Server) VolumesOn(name string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{}
	n := s.node(name)
	for _, hv := range s.volumes {
		if n != nil && hv.v.NodeID == n.ID {
			out[hv.v.Name] = hv.v.ID
		}
	}
	return out
}
