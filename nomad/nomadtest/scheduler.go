package nomadtest

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

type node struct {
	Node
	static map[string]string
	fp     map[string]string // dynamic volumes the client fingerprinted: name -> volume ID
	// consulID is the node's ID in Consul: the Consul agent's own, not Nomad's
	// (fixtures 10 and 13).
	consulID string

	status      string // ready or down
	statusAt    time.Time
	eligibility string             // eligible or ineligible
	drain       *api.DrainStrategy // while a drain runs
	drainGen    int                // tells a drain's deadline timer from a later drain's
	lastDrain   *api.DrainMetadata
	createIndex uint64
	modifyIndex uint64
}

// schedule processes one evaluation like Nomad's service scheduler, for one group of
// count 1: keep an allocation of the current job version, replace one of an older
// version (a destructive update), stop everything for a stopped or purged job, place
// on the first feasible node, or fail with the allocation metrics and a blocked eval.
func (s *Server) schedule(evalID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ev := s.evals[evalID].e
	jb := s.jobs[ev.JobID]
	var live []*alloc
	for _, a := range s.allocs {
		if a.stub.JobID == ev.JobID && a.stub.DesiredStatus == "run" && !terminal(a.stub.ClientStatus) {
			live = append(live, a)
		}
	}
	upd := &api.DesiredUpdates{}
	// One blocked evaluation per job at most: a newer evaluation supersedes it.
	for _, o := range s.evals {
		if o.e.JobID == ev.JobID && o.e.Status == "blocked" && o.e.ID != ev.ID {
			o.e.Status, o.e.StatusDescription = "cancelled", "canceled after more recent eval was processed"
			o.e.ModifyIndex = s.changed("evals")
		}
	}
	done := func() {
		ev.PlanAnnotations = &api.PlanAnnotations{DesiredTGUpdates: map[string]*api.DesiredUpdates{"engine": upd}}
		if ev.QueuedAllocations == nil {
			ev.QueuedAllocations = map[string]int{"engine": 0}
		}
		ev.Status = "complete"
		ev.ModifyIndex = s.changed("evals")
		ev.ModifyTime = time.Now().UnixNano()
	}
	if jb == nil || *jb.j.Stop || s.closed {
		for _, a := range live {
			s.stopAlloc(a, "alloc not needed due to job update", "")
			upd.Stop++
		}
		done()
		return
	}
	j := jb.j
	var old *alloc
	for _, a := range live {
		if a.stub.JobVersion == *j.Version {
			upd.Ignore++
			done()
			return
		}
		old = a
	}
	n, metric := s.feasible(j)
	if n != nil && s.handleFailed(j) {
		// Nomad 2.0.5: the evaluation that first handles a failed allocation of a job
		// with a sticky volume (it creates the follow-up reschedule evaluation)
		// cannot place a replacement on that volume; the next evaluation can.
		n = nil
		metric = &api.AllocationMetric{NodePool: *j.NodePool, NodesInPool: 1, NodesEvaluated: 1, NodesFiltered: 1,
			NodesAvailable: map[string]int{"dc1": 1}, ConstraintFiltered: map[string]int{"missing compatible host volumes": 1}}
	}
	if n == nil {
		ev.FailedTGAllocs = map[string]*api.AllocationMetric{"engine": metric}
		ev.QueuedAllocations = map[string]int{"engine": 1}
		blocked := &api.Evaluation{
			ID: newID(), Priority: ev.Priority, Type: "service", TriggeredBy: "queued-allocs", Namespace: ev.Namespace,
			JobID: ev.JobID, JobModifyIndex: ev.JobModifyIndex, Status: "blocked", StatusDescription: "created to place remaining allocations",
			PreviousEval: ev.ID, FailedTGAllocs: ev.FailedTGAllocs, SnapshotIndex: ev.SnapshotIndex,
			ClassEligibility: map[string]bool{"v1:fake": false},
			CreateIndex:      s.changed("evals"), CreateTime: time.Now().UnixNano(),
		}
		blocked.ModifyIndex = blocked.CreateIndex
		s.evals[blocked.ID] = &evaluation{e: blocked}
		ev.BlockedEval = blocked.ID
		upd.Place = 1
		*j.Status = "running" // as Nomad reports an unplaceable job (fixture 18a)
		done()
		return
	}
	a := s.newAlloc(j, n, ev.ID)
	if old != nil {
		upd.DestructiveUpdate = 1
		s.stopAlloc(old, "alloc is being updated due to job update", a.stub.ID)
		a.prev = old
	} else {
		upd.Place = 1
		// A replacement of a stopped, migrated or failed allocation still waits for
		// its task to end: one writer per volume.
		for _, o := range s.allocs {
			if o != a && o.stub.JobID == a.stub.JobID && (a.prev == nil || o.stub.CreateIndex > a.prev.stub.CreateIndex) {
				select {
				case <-o.exited:
				default:
					a.prev = o
				}
			}
		}
	}
	ev.DeploymentID = newID()
	done()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.runAlloc(a)
	}()
}

// Drain drains the named node with its deadline already passed, as `nomad node drain
// -enable -force` does: ineligible, and every allocation on it migrated at once
// (stopped, "alloc is being migrated"; a node-drain evaluation places its replacement
// elsewhere or, with no other node that can take it, leaves it queued behind a
// blocked evaluation). A drain through the API (PUT /v1/node/<id>/drain) honours
// the deadline and the groups' migrate max_parallel instead.
func (s *Server) Drain(nodeName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(nodeName)
	if n == nil {
		return fmt.Errorf("nomadtest: no node %q", nodeName)
	}
	s.startDrain(n, -1, nil)
	return nil
}

// Undrain ends the node's drain and makes it eligible again (`nomad node drain
// -disable` then `nomad node eligibility -enable`); the blocked evaluations are
// scheduled again, as when capacity comes back.
func (s *Server) Undrain(nodeName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.node(nodeName)
	if n == nil {
		return fmt.Errorf("nomadtest: no node %q", nodeName)
	}
	s.cancelDrain(n, true)
	return nil
}

func (s *Server) node(name string) *node {
	for _, n := range s.nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// handleFailed gives the job's failed allocations that are still meant to run (a
// failed task, its restarts used up) a follow-up evaluation, as the scheduler does
// to reschedule them later, and reports whether there was one and the job has a
// sticky volume. Callers hold s.mu.
func (s *Server) handleFailed(j *api.Job) bool {
	sticky := false
	for _, v := range j.TaskGroups[0].Volumes {
		sticky = sticky || v.Sticky
	}
	handled := false
	for _, a := range s.allocs {
		if a.stub.JobID != *j.ID || a.stub.ClientStatus != "failed" || a.stub.DesiredStatus != "run" || a.stub.FollowupEvalID != "" || a.stub.NextAllocation != "" {
			continue
		}
		now := time.Now()
		follow := &api.Evaluation{
			ID: newID(), Priority: *j.Priority, Type: "service", TriggeredBy: "alloc-reschedule", Namespace: *j.Namespace,
			JobID: *j.ID, JobModifyIndex: *j.JobModifyIndex, Status: "pending", WaitUntil: now.Add(30 * time.Second),
			CreateIndex: s.changed("evals"), CreateTime: now.UnixNano(),
		}
		follow.ModifyIndex = follow.CreateIndex
		s.evals[follow.ID] = &evaluation{e: follow}
		a.stub.FollowupEvalID = follow.ID
		s.touch(a)
		handled = true
	}
	return handled && sticky
}

func terminal(clientStatus string) bool {
	return clientStatus == "complete" || clientStatus == "failed" || clientStatus == "lost"
}

func (s *Server) poolExists(pool string) bool {
	for _, n := range s.nodes {
		if n.NodePool == pool {
			return true
		}
	}
	return pool == "default" || pool == "all"
}

// feasible returns the first node the job fits, or the metrics of why none does.
func (s *Server) feasible(j *api.Job) (*node, *api.AllocationMetric) {
	m := &api.AllocationMetric{NodePool: *j.NodePool, NodesAvailable: map[string]int{}, ConstraintFiltered: map[string]int{}}
	g := j.TaskGroups[0]
	var cons []*api.Constraint
	cons = append(cons, j.Constraints...)
	cons = append(cons, g.Constraints...)
	for _, t := range g.Tasks {
		cons = append(cons, t.Constraints...)
	}
	start := time.Now()
	defer func() { m.AllocationTime = time.Since(start) }()
	claim := s.claims[*j.Namespace+"/"+*j.ID]
	for _, n := range s.nodes {
		if n.NodePool != *j.NodePool && *j.NodePool != "all" {
			continue
		}
		// Only ready, eligible nodes of the job's datacenters are counted and
		// evaluated: a draining node is in no metric (fixture 33g).
		if n.status != api.NodeStatusReady || n.eligibility != api.NodeSchedulingEligible || !dcMatch(j.Datacenters, n.Datacenter) {
			continue
		}
		m.NodesInPool++
		m.NodesAvailable[n.Datacenter]++
		m.NodesEvaluated++
		ok := true
		for _, c := range cons {
			if !s.meets(n, c) {
				m.ConstraintFiltered[fmt.Sprintf("%s %s %s", c.LTarget, c.Operand, c.RTarget)]++
				ok = false
				break
			}
		}
		if ok {
			for _, v := range g.Volumes {
				if v.Type == "host" && !s.hasVolume(n, *j.Namespace, v.Source, claimFor(v, claim)) {
					m.ConstraintFiltered["missing compatible host volumes"]++
					ok = false
					break
				}
			}
		}
		if ok {
			return n, nil
		}
		m.NodesFiltered++
	}
	return nil, m
}

func dcMatch(dcs []string, dc string) bool {
	for _, p := range dcs {
		if ok, _ := path.Match(p, dc); ok {
			return true
		}
	}
	return false
}

// hasVolume reports whether n has a usable host volume of that name: a static one, or
// a ready dynamic one it fingerprints — the claimed one when the job holds a sticky
// claim (a volume of the same name on another node, left there when a node was lost,
// does not do).
func (s *Server) hasVolume(n *node, ns, name, claim string) bool {
	if _, ok := n.static[name]; ok {
		return true
	}
	for _, v := range s.volumes {
		if v.v.Name == name && v.v.Namespace == ns && v.v.NodeID == n.ID && v.v.State == api.HostVolumeStateReady && n.fp[name] == v.v.ID &&
			(claim == "" || claim == v.v.ID) {
			return true
		}
	}
	return false
}

// claimFor is the claim that binds a volume request: the job's, for a sticky request.
func claimFor(v *api.VolumeRequest, claim string) string {
	if v.Sticky {
		return claim
	}
	return ""
}

// claim records the job's sticky claim on the dynamic volume its new allocation on n
// mounts, as Nomad does at the first placement. Callers hold s.mu.
func (s *Server) claim(j *api.Job, n *node) {
	key := *j.Namespace + "/" + *j.ID
	if s.claims[key] != "" {
		return
	}
	for _, v := range j.TaskGroups[0].Volumes {
		if v.Type != "host" || !v.Sticky {
			continue
		}
		for _, hv := range s.volumes {
			if hv.v.Name == v.Source && hv.v.Namespace == *j.Namespace && hv.v.NodeID == n.ID {
				s.claims[key] = hv.v.ID
			}
		}
	}
}

// meets evaluates a constraint against a node (the operators the driver's config can
// produce; anything else is unmet).
func (s *Server) meets(n *node, c *api.Constraint) bool {
	l, lok := resolve(n, c.LTarget)
	r, _ := resolve(n, c.RTarget)
	switch c.Operand {
	case "=", "==", "is":
		return lok && l == r
	case "!=", "not":
		return l != r
	case "regexp":
		re, err := regexp.Compile(r)
		return lok && err == nil && re.MatchString(l)
	case "set_contains":
		for _, x := range strings.Split(l, ",") {
			if strings.TrimSpace(x) == r {
				return true
			}
		}
		return false
	case "is_set":
		return lok
	case "is_not_set":
		return !lok
	case "distinct_hosts", "distinct_property":
		return true
	case "semver", "version":
		return lok
	}
	return false
}

func resolve(n *node, target string) (string, bool) {
	if !strings.HasPrefix(target, "${") || !strings.HasSuffix(target, "}") {
		return target, true
	}
	key := target[2 : len(target)-1]
	switch key {
	case "node.class":
		return n.NodeClass, true
	case "node.datacenter":
		return n.Datacenter, true
	case "node.pool":
		return n.NodePool, true
	case "node.unique.name":
		return n.Name, true
	case "node.unique.id":
		return n.ID, true
	}
	if k, ok := strings.CutPrefix(key, "attr."); ok {
		v, ok := n.Attributes[k]
		if k == "kernel.name" && !ok {
			return "linux", true
		}
		return v, ok
	}
	if k, ok := strings.CutPrefix(key, "meta."); ok {
		v, ok := n.Meta[k]
		return v, ok
	}
	return "", false
}
