package nomad

import (
	"context"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

// gameAllocs is the filter of the cross-job allocation listing: every allocation of
// a game's job (fixture-free: Nomad's go-bexpr "matches" takes a regular expression).
var gameAllocs = `JobID matches "^` + jobspec.JobPrefix + `"`

// Instances implements orchestrator.Driver: every job named galaxy-game-* of this
// stack (meta galaxy.stack equal to the configured one). A running one carries its
// allocation, node, job version and restarts (from one listing of the games'
// allocations) and its endpoint when the watch knows it; one that does not run says
// why in Reason (stopped, queued with no node to take it, or its allocation's first
// failing task event). Three calls whatever the number of games. Errors:
// EUNAVAILABLE.
func (d *Driver) Instances(ctx context.Context) ([]*orchestrator.Instance, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	var stubs []*api.JobListStub
	err := d.call.short(ctx, "list jobs", func(ctx context.Context) (err error) {
		stubs, _, err = d.jobs.ListOptions(&api.JobListOptions{Fields: &api.JobListFields{Meta: true}}, d.queryOpts(ctx, jobspec.JobPrefix))
		return err
	})
	if err != nil {
		return nil, d.call.unavailable("list jobs", err)
	}
	var allocs []*api.AllocationListStub
	err = d.call.short(ctx, "list allocations", func(ctx context.Context) (err error) {
		q := d.queryOpts(ctx, "")
		q.Filter = gameAllocs
		allocs, _, err = d.allocs.List(q)
		return err
	})
	if err != nil {
		return nil, d.call.unavailable("list allocations of the games", err)
	}
	byJob := map[string][]*api.AllocationListStub{}
	for _, a := range allocs {
		byJob[a.JobID] = append(byJob[a.JobID], a)
	}
	vols := map[string][]*api.HostVolumeStub{}
	if d.cfg.SharedVolume == "" {
		var vs []*api.HostVolumeStub
		err = d.call.short(ctx, "list volumes", func(ctx context.Context) (err error) {
			vs, _, err = d.volumes.List(nil, d.queryOpts(ctx, jobspec.JobPrefix))
			return err
		})
		if err != nil {
			return nil, d.call.unavailable("list volumes", err)
		}
		for _, v := range vs {
			vols[v.Name] = append(vols[v.Name], v)
		}
	}
	var out []*orchestrator.Instance
	for _, s := range stubs {
		if !strings.HasPrefix(s.ID, jobspec.JobPrefix) || s.Meta[jobspec.MetaStack] != d.cfg.Stack {
			continue
		}
		id, err := uuid.Parse(s.Meta[jobspec.MetaGameID])
		if err != nil {
			if id, err = uuid.Parse(strings.TrimPrefix(s.ID, jobspec.JobPrefix)); err != nil {
				continue
			}
		}
		inst := &orchestrator.Instance{
			GameID:  id,
			Version: s.Meta[jobspec.MetaEngineVersion],
			JobID:   s.ID,
		}
		jobAllocs := byJob[s.ID]
		a := runningAlloc(jobAllocs)
		inst.VolumeID = volumeOf(vols[s.ID], a)
		if d.cfg.SharedVolume != "" {
			inst.VolumeID = d.cfg.SharedVolume
		}
		switch {
		case s.Stop:
			inst.Reason = "job stopped"
		case a != nil:
			inst.Running = true
			inst.AllocID, inst.NodeID, inst.JobVersion, inst.Restarts = a.ID, a.NodeID, a.JobVersion, restarts(a)
			if e, ok := d.disc.cached(id); ok && e.AllocID == a.ID {
				inst.Endpoint = e.url()
			}
		default:
			inst.Reason = notRunning(s, jobAllocs)
		}
		out = append(out, inst)
	}
	return out, nil
}

// volumeOf is the ID of the game's volume: the one on the running allocation's node
// (a lost node may still hold an older one of the same name), else the newest.
func volumeOf(vols []*api.HostVolumeStub, a *api.AllocationListStub) string {
	var best *api.HostVolumeStub
	for _, v := range vols {
		if a != nil && v.NodeID == a.NodeID {
			return v.ID
		}
		if best == nil || v.CreateIndex > best.CreateIndex {
			best = v
		}
	}
	if best == nil {
		return ""
	}
	return best.ID
}

// notRunning says why a job that is not stopped has no running allocation.
func notRunning(s *api.JobListStub, allocs []*api.AllocationListStub) string {
	var newest *api.AllocationListStub
	for _, a := range allocs {
		if a.TaskGroup == jobspec.GroupName && (newest == nil || a.CreateIndex > newest.CreateIndex) {
			newest = a
		}
	}
	if s.JobSummary != nil {
		if sum, ok := s.JobSummary.Summary[jobspec.GroupName]; ok && sum.Queued > 0 && (newest == nil || newest.DesiredStatus != api.AllocDesiredStatusRun) {
			return "allocation queued: no node can take it now (see the job's blocked evaluation)"
		}
	}
	switch {
	case newest == nil:
		return "no allocation"
	case newest.ClientStatus == api.AllocClientStatusPending:
		return "allocation " + short(newest.ID) + " is pending: " + allocReason(newest)
	}
	return "allocation " + short(newest.ID) + " is " + newest.ClientStatus + ": " + allocReason(newest)
}
