// Package jobspec renders one game's engine into a Nomad job (DESIGN §5). Rendering is
// pure: the same game and Config always give the same *api.Job, with no network and no
// clock, so golden files pin the whole shape. Talking to Nomad is the nomad package's
// business.
package jobspec

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// Names fixed by DESIGN §5. Operators see them in `nomad job status`; the nomad driver
// and the fake in nomad/nomadtest look them up, so they never vary with configuration.
const (
	// JobPrefix starts every game's job ID and dynamic host volume name.
	JobPrefix = "galaxy-game-"
	// GroupName and TaskName name the one group and its one task.
	GroupName = "engine"
	TaskName  = "engine"
	// PortLabel labels the one dynamic port the engine listens on.
	PortLabel = "http"
	// VolumeLabel is the group-level name of the state volume (what volume_mount refers to).
	VolumeLabel = "state"
	// StateMount is where the state volume is mounted inside the task.
	StateMount = "/var/lib/galaxy-game"
	// HealthPath is the engine route the service check probes.
	HealthPath = "/healthz"

	MetaGameID        = "galaxy.game_id"
	MetaEngineVersion = "galaxy.engine_version"
	MetaStack         = "galaxy.stack"
)

// Task drivers the renderer knows.
const (
	DriverDocker  = "docker"
	DriverExec    = "exec"
	DriverRawExec = "raw_exec"
)

// Discovery providers: the job's service provider and the way the nomad driver finds
// endpoints.
const (
	DiscoveryConsul = "consul"
	DiscoveryNomad  = "nomad"
)

// Defaults. They match what the fixtures were captured with where that is sensible, and
// otherwise what a small engine (one state.json, one HTTP server) needs.
const (
	DefaultServiceName   = "galaxy-engine"
	DefaultVolumePlugin  = "mkdir"
	DefaultVolumeMode    = "0700"
	DefaultEngineUID     = 65534 // nobody: what exec tasks and the engine image run as
	DefaultCPU           = 100
	DefaultMemoryMB      = 128
	DefaultKillTimeout   = 30 * time.Second
	DefaultCheckInterval = 2 * time.Second
	DefaultCheckTimeout  = time.Second
)

// Config is everything an operator can tune in a game's job. The zero value is usable:
// WithDefaults fills every unset field. The hcl tags are the names in galaxyd's
// `nomad { ... }` block (blocks for constraint, spread, restart and reschedule).
type Config struct {
	// Region and Namespace of the job; empty means the client's
	// (NOMAD_REGION / NOMAD_NAMESPACE) or Nomad's default.
	Region    string `hcl:"region,optional"`
	Namespace string `hcl:"namespace,optional"`
	// Datacenters the job may run in; default ["*"].
	Datacenters []string `hcl:"datacenters,optional"`
	// NodePool the job and its volumes are placed in; empty means "default".
	NodePool string `hcl:"node_pool,optional"`
	// Priority of the job, 1..100; 0 means Nomad's default (50).
	Priority int `hcl:"priority,optional"`
	// Stack is written to the job meta as galaxy.stack when set, so operators can
	// tell several orchestrators (staging, prod) apart in one cluster.
	Stack string `hcl:"stack,optional"`

	// Driver is "docker" (default: the version's imageRef), "exec" or
	// "raw_exec" (the engine binary, see Command).
	Driver string `hcl:"driver,optional"`
	// Command is the engine binary on the Nomad client for exec/raw_exec; the
	// literal "{version}" in it is replaced by the engine version. Empty means the
	// version's command from the registry. With exec it must sit inside the client's
	// chroot_env (e.g. /usr/local/bin).
	Command string `hcl:"command,optional"`
	// Args are passed to the engine binary (exec/raw_exec) or container.
	Args []string `hcl:"args,optional"`

	// SharedVolume names a static client host volume shared by all
	// games; each game keeps its state in <mount>/<uuid>. Empty (the default) gives each
	// game its own dynamic host volume galaxy-game-<uuid>.
	SharedVolume string `hcl:"shared_volume,optional"`
	// SharedVolumePath is that static volume's path on the host;
	// only needed with raw_exec, which cannot mount volumes.
	SharedVolumePath string `hcl:"shared_volume_path,optional"`
	// VolumePlugin creates the dynamic host volumes; default "mkdir".
	VolumePlugin string `hcl:"volume_plugin,optional"`
	// VolumeMode is the mkdir plugin's directory mode; default "0700".
	VolumeMode string `hcl:"volume_mode,optional"`
	// EngineUID and EngineGID own the dynamic volume's
	// directory; default 65534 (nobody), what the engine image and exec tasks run as.
	// Without them mkdir leaves the directory root-owned and the engine cannot write.
	EngineUID *int `hcl:"engine_uid,optional"`
	EngineGID *int `hcl:"engine_gid,optional"`
	// VolumeParameters are extra parameters for a plugin other than
	// mkdir (mkdir refuses any key but mode, uid and gid).
	VolumeParameters map[string]string `hcl:"volume_parameters,optional"`

	// ServiceName registers the engine in discovery; default
	// "galaxy-engine". Each game is told apart by its tag game-<uuid>.
	ServiceName string `hcl:"service_name,optional"`
	// ServiceTags are extra tags next to game-<uuid>.
	ServiceTags []string `hcl:"service_tags,optional"`
	// Discovery is "consul" (default) or "nomad" (Nomad's native service
	// discovery, for clusters without Consul).
	Discovery string `hcl:"discovery,optional"`
	// CheckInterval and CheckTimeout tune the HTTP
	// check on /healthz; default 2s and 1s. A shorter interval means a faster start.
	CheckInterval orchestrator.Duration `hcl:"check_interval,optional"`
	CheckTimeout  orchestrator.Duration `hcl:"check_timeout,optional"`

	// Constraints and Spreads steer placement.
	Constraints []Constraint `hcl:"constraint,block"`
	Spreads     []Spread     `hcl:"spread,block"`

	// CPU in MHz, MemoryMB and MemoryMaxMB of the task;
	// defaults 100 MHz, 128 MiB, no oversubscription.
	CPU         int `hcl:"cpu,optional"`
	MemoryMB    int `hcl:"memory,optional"`
	MemoryMaxMB int `hcl:"memory_max,optional"`

	// Restart and Reschedule; nil means the defaults: 2 restarts in 30m with 15s delay
	// then fail; reschedule forever, exponential from 30s up to 1h. A block given
	// replaces the default policy as a whole; its mode and delay_function default to
	// "fail" and "exponential".
	Restart    *RestartPolicy    `hcl:"restart,block"`
	Reschedule *ReschedulePolicy `hcl:"reschedule,block"`
	// MinHealthyTime, HealthyDeadline and ProgressDeadline [min_healthy_time,
	// healthy_deadline, progress_deadline] tune the update block; zero means Nomad's
	// defaults. MaxParallel is always 1 and Canary always 0: the volume has one writer.
	MinHealthyTime   orchestrator.Duration `hcl:"min_healthy_time,optional"`
	HealthyDeadline  orchestrator.Duration `hcl:"healthy_deadline,optional"`
	ProgressDeadline orchestrator.Duration `hcl:"progress_deadline,optional"`
	// AutoRevert rolls a failed patch back to the last stable version.
	AutoRevert bool `hcl:"auto_revert,optional"`
	// KillTimeout is how long the engine gets to finish a state write on
	// stop; default 30s. ShutdownDelay deregisters the service that long
	// before the kill; default none.
	KillTimeout   orchestrator.Duration `hcl:"kill_timeout,optional"`
	ShutdownDelay orchestrator.Duration `hcl:"shutdown_delay,optional"`

	// Template is an operator-supplied HCL job template (text/template syntax, see
	// TemplateData) used instead of the built-in job; the nomad driver has the Nomad
	// server parse it. Empty means the built-in job. galaxyd reads it from the file
	// named by nomad.Config.TemplateFile: HCL would interpolate its ${...} itself.
	Template string
}

// Constraint is one placement rule, as in a job's constraint block.
type Constraint struct {
	Attribute string `hcl:"attribute,optional"` // e.g. "${node.class}"
	Operator  string `hcl:"operator,optional"`  // "=", "!=", "regexp", "version", ...; default "="
	Value     string `hcl:"value,optional"`
}

// Spread spreads allocations over the values of an attribute.
type Spread struct {
	Attribute string         `hcl:"attribute"`
	Weight    int8           `hcl:"weight,optional"` // 0 means Nomad's default (50)
	Targets   []SpreadTarget `hcl:"target,block"`
}

// SpreadTarget is one value of a spread attribute and its share in percent.
type SpreadTarget struct {
	Value   string `hcl:"value,label"`
	Percent uint8  `hcl:"percent"`
}

// RestartPolicy is how the client restarts a failed engine in place.
type RestartPolicy struct {
	Attempts int                   `hcl:"attempts,optional"`
	Interval orchestrator.Duration `hcl:"interval,optional"`
	Delay    orchestrator.Duration `hcl:"delay,optional"`
	Mode     string                `hcl:"mode,optional"` // "fail" (default) or "delay"
}

// ReschedulePolicy is how the servers move a failed allocation.
type ReschedulePolicy struct {
	Attempts      int                   `hcl:"attempts,optional"`
	Interval      orchestrator.Duration `hcl:"interval,optional"`
	Delay         orchestrator.Duration `hcl:"delay,optional"`
	DelayFunction string                `hcl:"delay_function,optional"` // "constant", "exponential" (default) or "fibonacci"
	MaxDelay      orchestrator.Duration `hcl:"max_delay,optional"`
	Unlimited     bool                  `hcl:"unlimited,optional"`
}

// WithDefaults returns a copy of c with every unset field at its default. Slices and
// maps are shared with c; rendering never modifies them.
func (c Config) WithDefaults() Config {
	if len(c.Datacenters) == 0 {
		c.Datacenters = []string{"*"}
	}
	if c.Driver == "" {
		c.Driver = DriverDocker
	}
	if c.VolumePlugin == "" {
		c.VolumePlugin = DefaultVolumePlugin
	}
	if c.VolumeMode == "" {
		c.VolumeMode = DefaultVolumeMode
	}
	if c.EngineUID == nil {
		c.EngineUID = new(DefaultEngineUID)
	}
	if c.EngineGID == nil {
		c.EngineGID = new(DefaultEngineUID)
	}
	if c.ServiceName == "" {
		c.ServiceName = DefaultServiceName
	}
	if c.Discovery == "" {
		c.Discovery = DiscoveryConsul
	}
	if c.CheckInterval == 0 {
		c.CheckInterval = orchestrator.Duration(DefaultCheckInterval)
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = orchestrator.Duration(DefaultCheckTimeout)
	}
	if c.CPU == 0 {
		c.CPU = DefaultCPU
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = DefaultMemoryMB
	}
	if c.Restart == nil {
		c.Restart = &RestartPolicy{Attempts: 2, Interval: orchestrator.Duration(30 * time.Minute), Delay: orchestrator.Duration(15 * time.Second), Mode: "fail"}
	} else if c.Restart.Mode == "" {
		r := *c.Restart
		r.Mode = "fail"
		c.Restart = &r
	}
	if c.Reschedule == nil {
		c.Reschedule = &ReschedulePolicy{Delay: orchestrator.Duration(30 * time.Second), DelayFunction: "exponential", MaxDelay: orchestrator.Duration(time.Hour), Unlimited: true}
	} else if c.Reschedule.DelayFunction == "" {
		r := *c.Reschedule
		r.DelayFunction = "exponential"
		c.Reschedule = &r
	}
	if c.KillTimeout == 0 {
		c.KillTimeout = orchestrator.Duration(DefaultKillTimeout)
	}
	return c
}

// Validate reports the first setting Nomad would refuse or the driver could not use:
// an EINVALID *orchestrator.Error whose Field is the HCL path of the culprit
// ("driver", "constraint[1].attribute", "restart.mode"). It checks c after
// WithDefaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	bad := orchestrator.FieldErrorf
	if !slices.Contains([]string{DriverDocker, DriverExec, DriverRawExec}, c.Driver) {
		return bad("driver", "driver must be %q, %q or %q, not %q", DriverDocker, DriverExec, DriverRawExec, c.Driver)
	}
	if c.Discovery != DiscoveryConsul && c.Discovery != DiscoveryNomad {
		return bad("discovery", "discovery must be %q or %q, not %q", DiscoveryConsul, DiscoveryNomad, c.Discovery)
	}
	if c.Priority < 0 || c.Priority > 100 {
		return bad("priority", "priority must be between 1 and 100, not %d", c.Priority)
	}
	if c.Driver == DriverRawExec && c.SharedVolume != "" && c.SharedVolumePath == "" {
		return bad("shared_volume", "shared_volume_path is required with driver raw_exec and a shared_volume: raw_exec cannot mount volumes")
	}
	if c.VolumePlugin == DefaultVolumePlugin {
		for k := range c.VolumeParameters {
			// The mkdir plugin refuses unknown keys with a 500 (fixture 01b); say so here.
			return bad("volume_parameters", "volume_parameters: the mkdir plugin accepts only mode, uid and gid (set volume_mode, engine_uid, engine_gid), not %q", k)
		}
	}
	if *c.EngineUID < 0 {
		return bad("engine_uid", "engine_uid must not be negative")
	}
	if *c.EngineGID < 0 {
		return bad("engine_gid", "engine_gid must not be negative")
	}
	for i, k := range c.Constraints {
		if k.Attribute == "" && k.Operator != "distinct_hosts" && k.Operator != "distinct_property" {
			return bad(fmt.Sprintf("constraint[%d]", i), "constraint %d: attribute is required", i)
		}
	}
	for i, s := range c.Spreads {
		if s.Attribute == "" {
			return bad(fmt.Sprintf("spread[%d].attribute", i), "spread %d: attribute is required", i)
		}
		if s.Weight < 0 || s.Weight > 100 {
			return bad(fmt.Sprintf("spread[%d].weight", i), "spread %d: weight must be within 0..100, not %d", i, s.Weight)
		}
		sum := 0
		for _, t := range s.Targets {
			sum += int(t.Percent)
		}
		if sum > 100 {
			return bad(fmt.Sprintf("spread[%d]", i), "spread %d: target percentages add up to %d, over 100", i, sum)
		}
	}
	if c.CPU < 0 {
		return bad("cpu", "cpu must not be negative")
	}
	if c.MemoryMB < 0 {
		return bad("memory", "memory must not be negative")
	}
	if c.MemoryMaxMB < 0 || (c.MemoryMaxMB > 0 && c.MemoryMaxMB < c.MemoryMB) {
		return bad("memory_max", "memory_max must be at least memory (%d), not %d", c.MemoryMB, c.MemoryMaxMB)
	}
	if c.Restart.Mode != "fail" && c.Restart.Mode != "delay" {
		return bad("restart.mode", "restart mode must be \"fail\" or \"delay\", not %q", c.Restart.Mode)
	}
	if c.Restart.Attempts < 0 || c.Reschedule.Attempts < 0 {
		return bad("restart.attempts", "restart and reschedule attempts must not be negative")
	}
	if !slices.Contains([]string{"constant", "exponential", "fibonacci"}, c.Reschedule.DelayFunction) {
		return bad("reschedule.delay_function", "reschedule delay_function must be \"constant\", \"exponential\" or \"fibonacci\", not %q", c.Reschedule.DelayFunction)
	}
	if strings.TrimSpace(c.Template) == "" && c.Template != "" {
		return bad("template_file", "template is blank")
	}
	return nil
}
