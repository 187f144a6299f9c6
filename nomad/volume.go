package nomad

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

// volume is where a game's state lives: the dynamic host volume's ID and host path,
// or the shared static volume's name.
type volume struct {
	ID       string
	HostPath string
	NodeID   string
}

// ensureVolume finds the game's dynamic host volume or creates it, then waits
// (blocking queries) until it is ready: a job registered against a pending volume
// would fail placement with "missing compatible host volumes".
//
// Volumes of one name may be on several nodes (Nomad skips nodes that have one when it
// places another: fixture 31c): one left on a node that was lost, and the one the game
// moved to. The volume used is one on a node the spec's placement allows (on
// spec.Node, off spec.AvoidNodes), the newest when there are several; a volume left on
// a node the game must avoid is not used, and stays for ReleaseStale. A new volume is
// created under the placement's constraints and, since Nomad places a volume on any
// node of the pool that meets them whatever its status (fixture 31's neighbours),
// off the nodes that are down, draining or ineligible now.
func (d *Driver) ensureVolume(ctx context.Context, spec orchestrator.EngineSpec) (volume, error) {
	if d.cfg.SharedVolume != "" {
		return volume{ID: d.cfg.SharedVolume}, nil
	}
	gameID := spec.GameID
	place := jobspec.PlacementOf(spec)
	v, err := d.findVolume(ctx, gameID, place)
	if err != nil {
		return volume{}, err
	}
	created := false
	if v == nil {
		p, err := d.volumeTarget(ctx, gameID, place)
		if err != nil {
			return volume{}, err
		}
		req := &api.HostVolumeCreateRequest{Volume: jobspec.HostVolume(d.cfg.Config, gameID, p)}
		var resp *api.HostVolumeCreateResponse
		err = d.call.short(ctx, "create volume", func(ctx context.Context) (err error) {
			resp, _, err = d.volumes.Create(req, d.writeOpts(ctx))
			return err
		})
		if err != nil && strings.Contains(bodyOf(err), "already exists") {
			// Another start of the same game won the race: use its volume.
			if v, err = d.findVolume(ctx, gameID, place); err == nil && v == nil {
				err = orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: volume %s exists but cannot be found", orchestrator.JobName(gameID))
			}
		} else if err != nil {
			return volume{}, d.call.unavailable("create volume "+orchestrator.JobName(gameID)+d.volumePlacement(place), err)
		} else {
			v = resp.Volume
			created = true
			d.logger.Info("created host volume", "game_id", gameID, "volume_id", v.ID, "node_id", v.NodeID)
		}
		if err != nil {
			return volume{}, d.call.unavailable("create volume "+orchestrator.JobName(gameID), err)
		}
	}
	var index uint64
	for v.State != api.HostVolumeStateReady || v.HostPath == "" {
		if v.State == api.HostVolumeStateUnavailable {
			return volume{}, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: volume %s (%s) is unavailable on node %s", v.Name, v.ID, short(v.NodeID))
		}
		id := v.ID
		var meta *api.QueryMeta
		err := d.call.blocking(ctx, backendNomad, "read volume", func(ctx context.Context) (err error) {
			q := (&api.QueryOptions{WaitIndex: index, WaitTime: d.cfg.WaitTime.Std()}).WithContext(ctx)
			v, meta, err = d.volumes.Get(id, q)
			return err
		})
		if err != nil {
			return volume{}, d.call.unavailable("read volume "+id, err)
		}
		index = nextIndex(index, meta)
	}
	if created {
		if err := d.waitFingerprint(ctx, v); err != nil {
			return volume{}, err
		}
	}
	return volume{ID: v.ID, HostPath: v.HostPath, NodeID: v.NodeID}, nil
}

// volumeTarget is the placement of a new volume: the spec's, off every node in scope
// that cannot take an engine now. A pinned node that cannot is refused here, naming
// its state. Errors: EUNAVAILABLE.
func (d *Driver) volumeTarget(ctx context.Context, gameID uuid.UUID, p jobspec.Placement) (jobspec.Placement, error) {
	stubs, err := d.listNodes(ctx)
	if err != nil {
		return p, err
	}
	var unusable []*api.NodeListStub
	found := p.Node == ""
	for _, n := range stubs {
		found = found || n.ID == p.Node
		if usable(n) {
			continue
		}
		unusable = append(unusable, n)
		if n.ID == p.Node {
			return p, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: node %s cannot take the engine of game %s now: it is %s", short(p.Node), gameID, describeNodes([]*api.NodeListStub{n}))
		}
		if !slices.Contains(p.Avoid, n.ID) {
			p.Avoid = append(slices.Clip(p.Avoid), n.ID)
		}
	}
	if !found {
		return p, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: node %s is not a node of node pool %q and datacenters %v", p.Node, orEmpty(d.cfg.NodePool, "default"), d.cfg.Datacenters)
	}
	if len(unusable) > 0 {
		d.logger.Debug("new volume kept off nodes that cannot take an engine now", "game_id", gameID, "nodes", describeNodes(unusable))
	}
	return p, nil
}

// waitFingerprint waits (blocking queries on the node) until the volume's node
// fingerprints it by its ID. Nomad calls a volume ready once its node has a volume of
// that name, so a volume re-created under the name of one just deleted (a game
// removed, then started again) is "ready" while the node still has the old one, and
// a job registered then cannot be placed ("missing compatible host volumes").
func (d *Driver) waitFingerprint(ctx context.Context, v *api.HostVolume) error {
	var index uint64
	for {
		var (
			n    *api.Node
			meta *api.QueryMeta
		)
		err := d.call.blocking(ctx, backendNomad, "read node", func(ctx context.Context) (err error) {
			q := (&api.QueryOptions{WaitIndex: index, WaitTime: d.cfg.WaitTime.Std()}).WithContext(ctx)
			n, meta, err = d.nodes.Info(v.NodeID, q)
			return err
		})
		if err != nil {
			return d.call.unavailable("wait for node "+short(v.NodeID)+" to fingerprint volume "+v.Name, err)
		}
		if hv := n.HostVolumes[v.Name]; hv != nil && hv.ID == v.ID {
			return nil
		}
		index = nextIndex(index, meta)
	}
}

// volumePlacement describes where the volume was asked to go, for a create error:
// Nomad's "no node meets constraints" does not say which.
func (d *Driver) volumePlacement(p jobspec.Placement) string {
	var c []string
	for _, k := range jobspec.HostVolume(d.cfg.Config, uuid.Nil, p).Constraints {
		c = append(c, fmt.Sprintf("%q", k.LTarget+" "+k.Operand+" "+k.RTarget))
	}
	s := fmt.Sprintf(" (plugin %q, node pool %q", d.cfg.VolumePlugin, orEmpty(d.cfg.NodePool, "default"))
	if len(c) > 0 {
		s += ", constraints " + strings.Join(c, ", ")
	}
	return s + ")"
}

// findVolumes returns the game's dynamic host volumes (stubs), on whatever nodes.
func (d *Driver) findVolumes(ctx context.Context, gameID uuid.UUID) ([]*api.HostVolume, error) {
	name := orchestrator.JobName(gameID)
	var stubs []*api.HostVolumeStub
	err := d.call.short(ctx, "list volumes", func(ctx context.Context) (err error) {
		stubs, _, err = d.volumes.List(nil, d.queryOpts(ctx, name))
		return err
	})
	if err != nil {
		return nil, d.call.unavailable("list volumes", err)
	}
	var out []*api.HostVolume
	for _, s := range stubs {
		if s.Name == name {
			out = append(out, &api.HostVolume{ID: s.ID, Name: s.Name, NodeID: s.NodeID, State: s.State, Namespace: s.Namespace, CreateIndex: s.CreateIndex})
		}
	}
	return out, nil
}

// findVolume returns the game's newest volume on a node the placement allows, or nil.
func (d *Driver) findVolume(ctx context.Context, gameID uuid.UUID, p jobspec.Placement) (*api.HostVolume, error) {
	vols, err := d.findVolumes(ctx, gameID)
	if err != nil {
		return nil, err
	}
	var best *api.HostVolume
	for _, v := range vols {
		if p.Allows(v.NodeID) && (best == nil || v.CreateIndex > best.CreateIndex) {
			best = v
		}
	}
	return best, nil
}

// deleteVolumes deletes the game's dynamic host volumes; none is fine. The claim of a
// purged job may take a moment to go: "in use" is retried. A volume whose node is
// down (or not known to Nomad any more) cannot be deleted: Nomad asks for force=true,
// which would drop the volume from its state and leave the directory on the node with
// nothing to delete it later. Such a volume stays, logged; ReleaseStale deletes it
// once the node is back.
func (d *Driver) deleteVolumes(ctx context.Context, gameID uuid.UUID) error {
	if d.cfg.SharedVolume != "" {
		d.logger.Info("state directory on the shared volume is kept; remove it by hand", "game_id", gameID, "volume", d.cfg.SharedVolume)
		return nil
	}
	vols, err := d.findVolumes(ctx, gameID)
	if err != nil {
		return err
	}
	for _, v := range vols {
		if err := d.deleteVolume(ctx, gameID, v); err != nil {
			return err
		}
	}
	return nil
}

func (d *Driver) deleteVolume(ctx context.Context, gameID uuid.UUID, v *api.HostVolume) error {
	log := d.logger.With("game_id", gameID, "volume_id", v.ID, "node_id", v.NodeID)
	kept := func(status string) error {
		log.Warn("volume stays on its node, which is "+status+"; it is deleted when the node is back", "node_status", status)
		return nil
	}
	status, err := d.nodeStatus(ctx, v.NodeID)
	if err != nil {
		return err
	}
	if status != api.NodeStatusReady && status != api.NodeStatusInit {
		return kept(orEmpty(status, "unknown to nomad"))
	}
	for attempt := 0; ; attempt++ {
		err = d.call.short(ctx, "delete volume", func(ctx context.Context) error {
			_, _, err := d.volumes.Delete(&api.HostVolumeDeleteRequest{ID: v.ID}, d.writeOpts(ctx))
			return err
		})
		if err == nil || isNotFound(err) || strings.Contains(bodyOf(err), "no such volume") {
			log.Info("deleted host volume")
			return nil
		}
		if nodeGone(err) {
			return kept(api.NodeStatusDown)
		}
		if !strings.Contains(bodyOf(err), "in use") || attempt >= d.cfg.MaxRetries {
			return d.call.unavailable("delete volume "+v.ID, err)
		}
		log.Debug("volume still in use, retrying")
		if !d.disc.sleep(ctx, d.call.backoff(attempt)) {
			return ctx.Err()
		}
	}
}
