package nomad

import (
	"context"
	"fmt"
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
}

// ensureVolume finds the game's dynamic host volume by name or creates it, then waits
// (blocking queries) until it is ready: a job registered against a pending volume
// would fail placement with "missing compatible host volumes".
func (d *Driver) ensureVolume(ctx context.Context, gameID uuid.UUID) (volume, error) {
	if d.cfg.SharedVolume != "" {
		return volume{ID: d.cfg.SharedVolume}, nil
	}
	v, err := d.findVolume(ctx, gameID)
	if err != nil {
		return volume{}, err
	}
	created := false
	if v == nil {
		req := &api.HostVolumeCreateRequest{Volume: jobspec.HostVolume(d.cfg.Config, gameID)}
		var resp *api.HostVolumeCreateResponse
		err := d.call.short(ctx, "create volume", func(ctx context.Context) (err error) {
			resp, _, err = d.volumes.Create(req, d.writeOpts(ctx))
			return err
		})
		if err != nil && strings.Contains(bodyOf(err), "already exists") {
			// Another start of the same game won the race: use its volume.
			if v, err = d.findVolume(ctx, gameID); err == nil && v == nil {
				err = orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: volume %s exists but cannot be found", orchestrator.JobName(gameID))
			}
		} else if err != nil {
			return volume{}, d.call.unavailable("create volume "+orchestrator.JobName(gameID)+d.volumePlacement(), err)
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
	return volume{ID: v.ID, HostPath: v.HostPath}, nil
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
func (d *Driver) volumePlacement() string {
	var c []string
	for _, k := range jobspec.HostVolume(d.cfg.Config, uuid.Nil).Constraints {
		c = append(c, fmt.Sprintf("%q", k.LTarget+" "+k.Operand+" "+k.RTarget))
	}
	s := fmt.Sprintf(" (plugin %q, node pool %q", d.cfg.VolumePlugin, orEmpty(d.cfg.NodePool, "default"))
	if len(c) > 0 {
		s += ", constraints " + strings.Join(c, ", ")
	}
	return s + ")"
}

// findVolume returns the game's dynamic host volume (a stub), or nil.
func (d *Driver) findVolume(ctx context.Context, gameID uuid.UUID) (*api.HostVolume, error) {
	name := orchestrator.JobName(gameID)
	var stubs []*api.HostVolumeStub
	err := d.call.short(ctx, "list volumes", func(ctx context.Context) (err error) {
		stubs, _, err = d.volumes.List(nil, d.queryOpts(ctx, name))
		return err
	})
	if err != nil {
		return nil, d.call.unavailable("list volumes", err)
	}
	for _, s := range stubs {
		if s.Name == name {
			return &api.HostVolume{ID: s.ID, Name: s.Name, NodeID: s.NodeID, State: s.State, Namespace: s.Namespace}, nil
		}
	}
	return nil, nil
}

// deleteVolume deletes the game's dynamic host volume; a missing one is fine. The
// claim of a purged job may take a moment to go: "in use" is retried.
func (d *Driver) deleteVolume(ctx context.Context, gameID uuid.UUID) error {
	if d.cfg.SharedVolume != "" {
		d.logger.Info("state directory on the shared volume is kept; remove it by hand", "game_id", gameID, "volume", d.cfg.SharedVolume)
		return nil
	}
	v, err := d.findVolume(ctx, gameID)
	if err != nil || v == nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err = d.call.short(ctx, "delete volume", func(ctx context.Context) error {
			_, _, err := d.volumes.Delete(&api.HostVolumeDeleteRequest{ID: v.ID}, d.writeOpts(ctx))
			return err
		})
		if err == nil || isNotFound(err) {
			d.logger.Info("deleted host volume", "game_id", gameID, "volume_id", v.ID)
			return nil
		}
		if !strings.Contains(bodyOf(err), "in use") || attempt >= d.cfg.MaxRetries {
			return d.call.unavailable("delete volume "+v.ID, err)
		}
		d.logger.Debug("volume still in use, retrying", "volume_id", v.ID)
		if !d.disc.sleep(ctx, d.call.backoff(attempt)) {
			return ctx.Err()
		}
	}
}
