package jobspec

import (
	"path"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

// Environment variables the engine reads (DESIGN §4).
const (
	EnvStatePath  = "GAME_STATE_PATH"
	EnvAddr       = "GALAXY_ENGINE_ADDR"
	EnvAdminToken = "GALAXY_ENGINE_ADMIN_TOKEN"
)

// Job renders the game's engine job (DESIGN §5). hostPath is the dynamic volume's
// HostPath and is needed only with raw_exec, which cannot mount volumes and so must be
// told where the state directory is on the host. The admin token goes into the task
// environment, never into meta. spec.Node and spec.AvoidNodes become constraints on
// ${node.unique.id} after the configured ones (see Placement). Errors are EINVALID: a
// version without the image or command the configured driver needs, or a config
// Validate refuses.
func Job(cfg Config, spec orchestrator.EngineSpec, hostPath string) (*api.Job, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, orchestrator.Errorf(orchestrator.EINVALID, "nomad job config: %v", err)
	}
	task, err := renderTask(cfg, spec, hostPath)
	if err != nil {
		return nil, err
	}
	id := orchestrator.JobName(spec.GameID)
	job := &api.Job{
		ID:          new(id),
		Name:        new(DisplayName(cfg, spec)),
		Type:        new(api.JobTypeService),
		Datacenters: cfg.Datacenters,
		Meta:        Meta(cfg, spec),
		TaskGroups:  []*api.TaskGroup{renderGroup(cfg, spec.GameID, task)},
	}
	if cfg.Region != "" {
		job.Region = new(cfg.Region)
	}
	if cfg.Namespace != "" {
		job.Namespace = new(cfg.Namespace)
	}
	if cfg.NodePool != "" {
		job.NodePool = new(cfg.NodePool)
	}
	if cfg.Priority != 0 {
		job.Priority = new(cfg.Priority)
	}
	for _, k := range cfg.Constraints {
		op := k.Operator
		if op == "" {
			op = "="
		}
		job.Constraints = append(job.Constraints, api.NewConstraint(k.Attribute, op, k.Value))
	}
	job.Constraints = append(job.Constraints, PlacementOf(spec).Constraints()...)
	for _, s := range cfg.Spreads {
		sp := &api.Spread{Attribute: s.Attribute}
		if s.Weight != 0 {
			sp.Weight = new(s.Weight)
		}
		for _, t := range s.Targets {
			sp.SpreadTarget = append(sp.SpreadTarget, api.NewSpreadTarget(t.Value, t.Percent))
		}
		job.Spreads = append(job.Spreads, sp)
	}
	return job, nil
}

// DisplayName is the job's Name: what `nomad job status galaxy-game-<uuid>` shows on
// its Name line, which (unlike the meta, only in `nomad job inspect`) an operator
// sees at a glance: "galaxy-game-<uuid> (engine 0.1.2)", with ", stack prod" when a
// stack is configured. The job ID stays galaxy-game-<uuid>.
func DisplayName(cfg Config, spec orchestrator.EngineSpec) string {
	s := orchestrator.JobName(spec.GameID) + " (engine " + spec.Version.Version
	if cfg.Stack != "" {
		s += ", stack " + cfg.Stack
	}
	return s + ")"
}

// Meta is the job meta in `nomad job status`: the game, its engine
// version and, when configured, the stack. It never holds the admin token.
func Meta(cfg Config, spec orchestrator.EngineSpec) map[string]string {
	m := map[string]string{
		MetaGameID:        spec.GameID.String(),
		MetaEngineVersion: spec.Version.Version,
	}
	if cfg.Stack != "" {
		m[MetaStack] = cfg.Stack
	}
	return m
}

func renderGroup(cfg Config, gameID uuid.UUID, task *api.Task) *api.TaskGroup {
	g := &api.TaskGroup{
		Name:     new(GroupName),
		Count:    new(1),
		Networks: []*api.NetworkResource{{DynamicPorts: []api.Port{{Label: PortLabel}}}},
		Volumes:  map[string]*api.VolumeRequest{VolumeLabel: volumeRequest(cfg, gameID)},
		RestartPolicy: &api.RestartPolicy{
			Attempts: new(cfg.Restart.Attempts),
			Interval: new(cfg.Restart.Interval.Std()),
			Delay:    new(cfg.Restart.Delay.Std()),
			Mode:     new(cfg.Restart.Mode),
		},
		ReschedulePolicy: &api.ReschedulePolicy{
			Attempts:      new(cfg.Reschedule.Attempts),
			Interval:      new(cfg.Reschedule.Interval.Std()),
			Delay:         new(cfg.Reschedule.Delay.Std()),
			DelayFunction: new(cfg.Reschedule.DelayFunction),
			MaxDelay:      new(cfg.Reschedule.MaxDelay.Std()),
			Unlimited:     new(cfg.Reschedule.Unlimited),
		},
		// One writer per volume: never two allocations of a game at once.
		Update: &api.UpdateStrategy{MaxParallel: new(1), Canary: new(0)},
		// A drain does not move a game by itself: with max_parallel 0 Nomad leaves
		// the allocation running on the draining node until the drain's deadline
		// (fixtures 33b-33f), so galaxyd can take its final snapshot and transfer it.
		// Nomad could not place it elsewhere anyway: the sticky volume is on that node.
		Migrate: &api.MigrateStrategy{MaxParallel: new(0)},
		Services: []*api.Service{{
			Name:      cfg.ServiceName,
			Tags:      append([]string{orchestrator.ServiceTag(gameID)}, cfg.ServiceTags...),
			PortLabel: PortLabel,
			Provider:  cfg.Discovery,
			Checks: []api.ServiceCheck{{
				Type:     "http",
				Path:     HealthPath,
				Interval: cfg.CheckInterval.Std(),
				Timeout:  cfg.CheckTimeout.Std(),
			}},
		}},
		Tasks: []*api.Task{task},
	}
	if cfg.MinHealthyTime != 0 {
		g.Update.MinHealthyTime = new(cfg.MinHealthyTime.Std())
	}
	if cfg.HealthyDeadline != 0 {
		g.Update.HealthyDeadline = new(cfg.HealthyDeadline.Std())
	}
	if cfg.ProgressDeadline != 0 {
		g.Update.ProgressDeadline = new(cfg.ProgressDeadline.Std())
	}
	if cfg.AutoRevert {
		g.Update.AutoRevert = new(true)
	}
	if cfg.ShutdownDelay != 0 {
		g.ShutdownDelay = new(cfg.ShutdownDelay.Std())
	}
	return g
}

// volumeRequest asks for the game's own sticky dynamic volume, or the shared static one.
// Sticky keeps a rescheduled or updated allocation on the node that holds the state.
func volumeRequest(cfg Config, gameID uuid.UUID) *api.VolumeRequest {
	if cfg.SharedVolume != "" {
		return &api.VolumeRequest{Name: VolumeLabel, Type: "host", Source: cfg.SharedVolume}
	}
	return &api.VolumeRequest{
		Name:           VolumeLabel,
		Type:           "host",
		Source:         orchestrator.JobName(gameID),
		Sticky:         true,
		AccessMode:     string(api.HostVolumeAccessModeSingleNodeSingleWriter),
		AttachmentMode: string(api.HostVolumeAttachmentModeFilesystem),
	}
}

func renderTask(cfg Config, spec orchestrator.EngineSpec, hostPath string) (*api.Task, error) {
	t := &api.Task{
		Name:   TaskName,
		Driver: cfg.Driver,
		Env:    map[string]string{},
		Resources: &api.Resources{
			CPU:      new(cfg.CPU),
			MemoryMB: new(cfg.MemoryMB),
		},
		KillTimeout: new(cfg.KillTimeout.Std()),
	}
	if cfg.MemoryMaxMB != 0 {
		t.Resources.MemoryMaxMB = new(cfg.MemoryMaxMB)
	}
	ref, err := EngineRef(cfg, spec.Version)
	if err != nil {
		return nil, err
	}
	switch cfg.Driver {
	case DriverDocker:
		t.Config = map[string]any{"image": ref, "ports": []string{PortLabel}}
		// Inside a container the engine must listen on every interface: the port is
		// published from the host. Nomad interpolates ${NOMAD_PORT_http}.
		t.Env[EnvAddr] = "0.0.0.0:${NOMAD_PORT_" + PortLabel + "}"
	default:
		t.Config = map[string]any{"command": ref}
		// exec and raw_exec share the host's network: listen exactly where the
		// allocation's address is, which is where the health check looks.
		t.Env[EnvAddr] = "${NOMAD_ADDR_" + PortLabel + "}"
	}
	if len(cfg.Args) > 0 {
		t.Config["args"] = cfg.Args
	}
	statePath, err := StatePath(cfg, spec.GameID, hostPath)
	if err != nil {
		return nil, err
	}
	t.Env[EnvStatePath] = statePath
	if cfg.Driver != DriverRawExec {
		t.VolumeMounts = []*api.VolumeMount{{Volume: new(VolumeLabel), Destination: new(StateMount)}}
	}
	if spec.AdminToken != "" {
		t.Env[EnvAdminToken] = spec.AdminToken
	}
	return t, nil
}

// StatePath is the engine's GAME_STATE_PATH: the mount inside the task, <mount>/<uuid>
// for the shared volume, or a host path for raw_exec (which cannot mount volumes).
// Errors: EINVALID when raw_exec has no host path to use.
func StatePath(cfg Config, gameID uuid.UUID, hostPath string) (string, error) {
	cfg = cfg.WithDefaults()
	switch {
	case cfg.Driver == DriverRawExec && cfg.SharedVolume != "":
		return path.Join(cfg.SharedVolumePath, gameID.String()), nil
	case cfg.Driver == DriverRawExec:
		if hostPath == "" {
			return "", orchestrator.Errorf(orchestrator.EINVALID, "raw_exec needs the volume's host path: raw_exec cannot mount volumes")
		}
		return hostPath, nil
	case cfg.SharedVolume != "":
		return path.Join(StateMount, gameID.String()), nil
	default:
		return StateMount, nil
	}
}

// EngineRef is what the task runs for this version: the Docker image with the docker
// driver, else the engine binary (cfg.Command with {version} replaced, or the
// version's command). Errors: EINVALID when the version lacks it.
func EngineRef(cfg Config, v orchestrator.EngineVersion) (string, error) {
	cfg = cfg.WithDefaults()
	if cfg.Driver == DriverDocker {
		if v.ImageRef == "" {
			return "", &orchestrator.Error{Code: orchestrator.EINVALID, Field: "imageRef", Message: "engine version " + v.Version + " has no imageRef for the docker driver"}
		}
		return v.ImageRef, nil
	}
	if cfg.Command != "" {
		return strings.ReplaceAll(cfg.Command, "{version}", v.Version), nil
	}
	if v.Command == "" {
		return "", &orchestrator.Error{Code: orchestrator.EINVALID, Field: "command", Message: "engine version " + v.Version + " has no command for the " + cfg.Driver + " driver (set nomad command)"}
	}
	return v.Command, nil
}
