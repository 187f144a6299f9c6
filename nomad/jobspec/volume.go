package jobspec

import (
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

// HostVolume is the create request for the game's dynamic host volume (DESIGN §5):
// named galaxy-game-<uuid>, single-node-single-writer, in the job's namespace and node
// pool and under its constraints so it lands on a node where the job may run, and
// under the placement's (a volume create takes constraints like a job, but Nomad
// checks no node status or eligibility: the caller puts the nodes that cannot take an
// engine now in p.Avoid). The mkdir plugin gets the engine uid/gid as strings (it
// refuses numbers and unknown keys) so the engine, which runs as that user, can write
// its state.
func HostVolume(cfg Config, gameID uuid.UUID, p Placement) *api.HostVolume {
	cfg = cfg.WithDefaults()
	v := &api.HostVolume{
		Namespace: cfg.Namespace,
		Name:      orchestrator.JobName(gameID),
		PluginID:  cfg.VolumePlugin,
		NodePool:  cfg.NodePool,
		RequestedCapabilities: []*api.HostVolumeCapability{{
			AccessMode:     api.HostVolumeAccessModeSingleNodeSingleWriter,
			AttachmentMode: api.HostVolumeAttachmentModeFilesystem,
		}},
		Parameters: map[string]string{
			"mode": cfg.VolumeMode,
			"uid":  strconv.Itoa(*cfg.EngineUID),
			"gid":  strconv.Itoa(*cfg.EngineGID),
		},
	}
	for k, val := range cfg.VolumeParameters {
		v.Parameters[k] = val
	}
	for _, k := range cfg.Constraints {
		// Spreads and distinct_* make no sense for one volume; attribute rules do.
		if k.Operator == "distinct_hosts" || k.Operator == "distinct_property" {
			continue
		}
		op := k.Operator
		if op == "" {
			op = "="
		}
		v.Constraints = append(v.Constraints, api.NewConstraint(k.Attribute, op, k.Value))
	}
	v.Constraints = append(v.Constraints, p.Constraints()...)
	return v
}
