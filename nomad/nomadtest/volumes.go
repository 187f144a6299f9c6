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
	pool := v.NodePool
	if pool == "" {
		pool = "default"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, hv := range s.volumes {
		if hv.v.Name == v.Name && hv.v.Namespace == ns {
			textError(w, http.StatusInternalServerError, fmt.Sprintf("HostVolume.Create error: volume with name %q already exists", v.Name))
			return
		}
	}
	var n *node
	for _, c := range s.nodes {
		if c.NodePool != pool || (v.NodeID != "" && c.ID != v.NodeID) {
			continue
		}
		ok := true
		for _, k := range v.Constraints {
			ok = ok && s.meets(c, k)
		}
		if ok {
			n = c
			break
		}
	}
	if n == nil {
		textError(w, http.StatusInternalServerError, fmt.Sprintf("HostVolume.Create error: could not place volume %q: no node meets constraints", v.Name))
		return
	}
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
		s.changed("nodes")
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

// getNode is GET /v1/node/<id>: the node's status, eligibility and fingerprinted
// host volumes (static ones with their path, dynamic ones with their ID too).
func (s *Server) getNode(w http.ResponseWriter, r *http.Request, id string) {
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		for _, n := range s.nodes {
			if n.ID != id {
				continue
			}
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
			elig := "eligible"
			if n.drained {
				elig = "ineligible"
			}
			return s.tableIndex("nodes"), http.StatusOK, &api.Node{
				ID: n.ID, Name: n.Name, Datacenter: n.Datacenter, NodePool: n.NodePool, NodeClass: n.NodeClass,
				Status: "ready", SchedulingEligibility: elig, HostVolumes: vols, Attributes: n.Attributes, Meta: n.Meta,
			}
		}
		return s.tableIndex("nodes"), http.StatusNotFound, "node not found"
	})
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

// listVolumes is GET /v1/volumes?type=host&prefix= (fixture 02): stubs.
func (s *Server) listVolumes(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("type") != "host" {
		textError(w, http.StatusBadRequest, "nomadtest serves host volumes only (type=host)")
		return
	}
	prefix := q.Get("prefix")
	s.block(w, r, "X-Nomad-Index", func() (uint64, int, any) {
		out := []api.HostVolumeStub{}
		for _, hv := range s.volumes {
			v := hv.v
			if strings.HasPrefix(v.Name, prefix) || strings.HasPrefix(v.ID, prefix) {
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
	s.mu.Lock()
	defer s.mu.Unlock()
	hv := s.volumes[id]
	if hv == nil {
		textError(w, http.StatusNotFound, "volume not found")
		return
	}
	for _, jb := range s.jobs {
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
					s.changed("nodes")
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
