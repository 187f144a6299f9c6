package nomadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"
)

type hostVolume struct {
	v api.HostVolume
}

// createVolume is PUT /v1/volume/host/create with the mkdir plugin (fixtures 01,
// 01b): only string parameters mode, uid, gid; the answer says pending with zero
// indexes, and the volume turns ready right after.
func (s *Server) createVolume(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Volume *struct {
			Name, Namespace, PluginID, NodePool, NodeID string
			Parameters                                  map[string]string
			Constraints                                 []*api.Constraint
			RequestedCapabilities                       []*api.HostVolumeCapability
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		// Nomad refuses non-string parameters while decoding.
		textError(w, http.StatusBadRequest, "Failed to decode request: "+err.Error())
		return
	}
	v := req.Volume
	if v == nil || v.Name == "" {
		textError(w, http.StatusBadRequest, "missing volume name")
		return
	}
	if v.PluginID != "mkdir" {
		textError(w, http.StatusInternalServerError, fmt.Sprintf("HostVolume.Create error: could not place volume %q: no node has plugin %q", v.Name, v.PluginID))
		return
	}
	mode := os.FileMode(0o700)
	uid, gid := -1, -1
	for k, val := range v.Parameters {
		var err error
		switch k {
		case "mode":
			var m uint64
			m, err = strconv.ParseUint(val, 8, 32)
			mode = os.FileMode(m)
		case "uid":
			uid, err = strconv.Atoi(val)
		case "gid":
			gid, err = strconv.Atoi(val)
		default:
			err = fmt.Errorf("unknown mkdir parameter: %q", k)
		}
		if err != nil {
			textError(w, http.StatusInternalServerError, fmt.Sprintf("HostVolume.Create error: invalid value for %q: %v", k, err))
			return
		}
	}
	ns := v.Namespace
	if ns == "" {
		ns = "default"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n, msg := s.placeVolume(v.Name, v.NodePool, v.NodeID, v.Constraints)
	if n == nil {
		textError(w, http.StatusInternalServerError, msg)
		return
	}
	if n.status != api.NodeStatusReady {
		// The servers pick a node whatever its status; the client RPC then fails.
		textError(w, http.StatusInternalServerError, "No path to node")
		return
	}
	pool := n.NodePool
	id := newID()
	dir := s.mkdir("volumes/"+id, mode)
	os.Chmod(dir, mode)
	if os.Geteuid() == 0 && uid >= 0 {
		os.Chown(dir, uid, gid)
	}
	idx := s.changed("volumes")
	now := time.Now().UnixNano()
	hv := &hostVolume{v: api.HostVolume{
		Namespace: ns, ID: id, Name: v.Name, PluginID: v.PluginID, NodePool: pool, NodeID: n.ID,
		Constraints: v.Constraints, RequestedCapabilities: v.RequestedCapabilities, Parameters: v.Parameters,
		HostPath: dir, State: api.HostVolumeStatePending, CreateIndex: idx, ModifyIndex: idx, CreateTime: now, ModifyTime: now,
	}}
	if _, ok := n.fp[v.Name]; ok {
		// Nomad judges readiness by name: a volume re-created under the name of one
		// the client still fingerprints is ready at once.
		hv.v.State = api.HostVolumeStateReady
	}
	s.volumes[id] = hv
	resp := hv.v
	resp.CreateIndex, resp.ModifyIndex = 0, 0
	s.respondWrite(w, idx, map[string]any{"Index": idx, "Volume": resp, "Warnings": ""})
	// The client fingerprints the new directory a moment later.
	s.afterFingerprint(func() {
		n.fp[hv.v.Name] = id
		s.nodeChanged(n)
		if s.volumes[id] != nil && hv.v.State == api.HostVolumeStatePending {
			hv.v.State = api.HostVolumeStateReady
			hv.v.ModifyIndex = s.changed("volumes")
		}
	})
}

// afterFingerprint runs fn under s.mu once the fake client has fingerprinted its
// volumes again.
func (s *Server) afterFingerprint(fn func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTimer(s.opts.FingerprintDelay)
		defer t.Stop()
		<-t.C
		s.mu.Lock()
		defer s.mu.Unlock()
		if !s.closed {
			fn()
		}
	}()
}

// placeVolume picks the node of a new volume as Nomad 2.0.5's HostVolume.Create does
// (fixtures 31-31c): the given node if any, which must meet the constraints; else
// the first node of the pool (every node without one) that has no volume of that
// name yet and meets them — whatever its status or eligibility. It returns Nomad's
// words when none fits. Callers hold s.mu.
func (s *Server) placeVolume(name, pool, nodeID string, cons []*api.Constraint) (*node, string) {
	meets := func(n *node) bool {
		for _, k := range cons {
			if !s.meets(n, k) {
				return false
			}
		}
		return true
	}
	if nodeID != "" {
		n := s.nodeByID(nodeID)
		switch {
		case n == nil:
			return nil, fmt.Sprintf("validating volume %q against state failed: node %q does not exist", name, nodeID)
		case pool != "" && n.NodePool != pool:
			return nil, fmt.Sprintf("validating volume %q against state failed: node ID %q is not in pool %q", name, nodeID, pool)
		case !meets(n):
			return nil, fmt.Sprintf("could not place volume %q: node %s is not feasible for volume", name, nodeID)
		}
		return n, ""
	}
	if pool != "" && !s.poolExists(pool) {
		return nil, fmt.Sprintf("validating volume %q against state failed: node pool %q does not exist", name, pool)
	}
	existing, infeasible := 0, 0
	for _, n := range s.nodes {
		if pool != "" && n.NodePool != pool {
			continue
		}
		has := false
		for _, hv := range s.volumes {
			has = has || hv.v.NodeID == n.ID && hv.v.Name == name
		}
		switch {
		case has:
			existing++
		case !meets(n):
			infeasible++
		default:
			return n, ""
		}
	}
	return nil, fmt.Sprintf("could not place volume %q: no node meets constraints: %d nodes had existing volume, 0 nodes filtered by node pool governance, %d nodes were infeasible", name, existing, infeasible)
}

func (s *Server) getVolume(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		hv := s.volumes[id]
		if hv == nil {
			return s.tableIndex("volumes"), http.StatusNotFound, "volume not found"
		}
		return hv.v.ModifyIndex, http.StatusOK, hv.v
	})
}

// listVolumes is GET /v1/volumes?type=host&prefix=&node_id=&node_pool= (fixtures 02,
// 31d): stubs.
func (s *Server) listVolumes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("type") != "host" {
		textError(w, http.StatusBadRequest, "nomadtest serves host volumes only (type=host)")
		return
	}
	prefix, nodeID, pool := q.Get("prefix"), q.Get("node_id"), q.Get("node_pool")
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		out := []api.HostVolumeStub{}
		for _, hv := range s.volumes {
			v := hv.v
			if (nodeID == "" || v.NodeID == nodeID) && (pool == "" || v.NodePool == pool) && (strings.HasPrefix(v.Name, prefix) || strings.HasPrefix(v.ID, prefix)) {
				out = append(out, api.HostVolumeStub{Namespace: v.Namespace, ID: v.ID, Name: v.Name, PluginID: v.PluginID,
					NodePool: v.NodePool, NodeID: v.NodeID, State: v.State, CreateIndex: v.CreateIndex, CreateTime: v.CreateTime,
					ModifyIndex: v.ModifyIndex, ModifyTime: v.ModifyTime})
			}
		}
		sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
		return s.tableIndex("volumes"), http.StatusOK, out
	})
}

// deleteVolume is DELETE /v1/volume/host/<id> (fixture 24). A volume still claimed
// by a job that is not purged, or mounted by a live allocation of a job that still
// exists, is refused. The allocations of a purged job are not looked at, so a volume
// is deleted under an engine that still runs (Nomad 2.0.5 did: "deleted host
// volume", then the task got its interrupt): the fake reports that as a violation.
func (s *Server) deleteVolume(w http.ResponseWriter, r *http.Request, id string) {
	force := r.URL.Query().Get("force") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	hv := s.volumes[id]
	if hv == nil {
		textError(w, http.StatusInternalServerError, "no such volume: "+id)
		return
	}
	for _, jb := range s.jobs {
		claim := s.claims[*jb.j.Namespace+"/"+*jb.j.ID]
		if claim != "" && claim != id {
			continue // the job's claim is on another volume of that name
		}
		for _, g := range jb.j.TaskGroups {
			for _, v := range g.Volumes {
				if v.Source == hv.v.Name && v.Sticky {
					textError(w, http.StatusInternalServerError, fmt.Sprintf("HostVolume.Delete error: volume %s in use by job %s (sticky claim)", id, *jb.j.ID))
					return
				}
			}
		}
	}
	var live []string
	for _, a := range s.allocs {
		if !a.uses(hv) {
			continue
		}
		if s.jobs[a.stub.JobID] != nil && !terminal(a.stub.ClientStatus) {
			textError(w, http.StatusInternalServerError, fmt.Sprintf("HostVolume.Delete error: volume %s in use by allocations: [%s]", id, a.stub.ID))
			return
		}
		if a.alive {
			live = append(live, a.stub.ID)
		}
	}
	if n := s.nodeByID(hv.v.NodeID); n != nil && n.status != api.NodeStatusReady {
		if !force {
			textError(w, http.StatusInternalServerError, "volume cannot be removed from unknown node without force=true")
			return
		}
		// Forced: gone from the servers' state, the directory stays on the node.
		delete(s.volumes, id)
		s.respondWrite(w, s.changed("volumes"), map[string]any{"Index": s.index})
		return
	}
	if len(live) > 0 {
		s.violation("volume %s (%s) deleted while the engine of allocation %v still runs on it", hv.v.Name, id, live)
	}
	delete(s.volumes, id)
	os.RemoveAll(hv.v.HostPath)
	for _, n := range s.nodes {
		if n.ID == hv.v.NodeID {
			s.afterFingerprint(func() {
				if n.fp[hv.v.Name] == id {
					delete(n.fp, hv.v.Name)
					s.nodeChanged(n)
				}
			})
		}
	}
	idx := s.changed("volumes")
	s.respondWrite(w, idx, map[string]any{"Index": idx})
}

// uses reports whether the allocation mounts the dynamic volume.
func (a *alloc) uses(hv *hostVolume) bool {
	if a.stub.Namespace != hv.v.Namespace || a.node.ID != hv.v.NodeID {
		return false
	}
	for _, v := range a.job.TaskGroups[0].Volumes {
		if v.Type == "host" && v.Source == hv.v.Name {
			return true
		}
	}
	return false
}
