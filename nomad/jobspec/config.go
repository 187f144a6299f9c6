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
// WithDefaults fills every unset field. HCL names (galaxyd's `nomad { ... }` block) are
// given in brackets.
type Config struct {
	// Region [region] and Namespace [namespace] of the job; empty means the client's
	// (NOMAD_REGION / NOMAD_NAMESPACE) or Nomad's default.
	Region    string
	Namespace string
	// Datacenters [datacenters] the job may run in; default ["*"].
	Datacenters []string
	// NodePool [node_pool] the job and its volumes are placed in; empty means "default".
	NodePool string
	// Priority [priority] of the job, 1..100; 0 means Nomad's default (50).
	Priority int
	// Stack [stack] is written to the job meta as galaxy.stack when set, so operators can
	// tell several orchestrators (staging, prod) apart in one cluster.
	Stack string

	// Driver [driver] is "docker" (default: the version's imageRef), "exec" or
	// "raw_exec" (the engine binary, see Command).
	Driver string
	// Command [command] is the engine binary on the Nomad client for exec/raw_exec; the
	// literal "{version}" in it is replaced by the engine version. Empty means the
	// version's command from the registry. With exec it must sit inside the client's
	// chroot_env (e.g. /usr/local/bin).
	Command string
	// Args [args] are passed to the engine binary (exec/raw_exec) or container.
	Args []string

	// SharedVolume [shared_volume] names a static client host volume shared by all
	// games; each game keeps its state in <mount>/<uuid>. Empty (the default) gives each
	// game its own dynamic host volume galaxy-game-<uuid>.
	SharedVolume string
	// SharedVolumePath [shared_volume_path] is that static volume's path on the host;
	// only needed with raw_exec, which cannot mount volumes.
	SharedVolumePath string
	// VolumePlugin [volume_plugin] creates the dynamic host volumes; default "mkdir".
	VolumePlugin string
	// VolumeMode [volume_mode] is the mkdir plugin's directory mode; default "0700".
	VolumeMode string
	// EngineUID and EngineGID [engine_uid, engine_gid] own the dynamic volume's
	// directory; default 65534 (nobody), what the engine image and exec tasks run as.
	// Without them mkdir leaves the directory root-owned and the engine cannot write.
	EngineUID *int
	EngineGID *int
	// VolumeParameters [volume_parameters] are extra parameters for a plugin other than
	// mkdir (mkdir refuses any key but mode, uid and gid).
	VolumeParameters map[string]string

	// ServiceName [service_name] registers the engine in discovery; default
	// "galaxy-engine". Each game is told apart by its tag game-<uuid>.
	ServiceName string
	// ServiceTags [service_tags] are extra tags next to game-<uuid>.
	ServiceTags []string
	// Discovery [discovery] is "consul" (default) or "nomad" (Nomad's native service
	// discovery, for clusters without Consul).
	Discovery string
	// CheckInterval and CheckTimeout [check_interval, check_timeout] tune the HTTP
	// check on /healthz; default 2s and 1s. A shorter interval means a faster start.
	CheckInterval time.Duration
	CheckTimeout  time.Duration

	// Constraints [constraint blocks] and Spreads [spread blocks] steer placement.
	Constraints []Constraint
	Spreads     []Spread

	// CPU [cpu] in MHz, MemoryMB [memory] and MemoryMaxMB [memory_max] of the task;
	// defaults 100 MHz, 128 MiB, no oversubscription.
	CPU         int
	MemoryMB    int
	MemoryMaxMB int

	// Restart [restart block] and Reschedule [reschedule block]; nil means the defaults:
	// 2 restarts in 30m with 15s delay then fail; reschedule forever, exponential from
	// 30s up to 1h.
	Restart    *RestartPolicy
	Reschedule *ReschedulePolicy
	// MinHealthyTime, HealthyDeadline and ProgressDeadline [min_healthy_time,
	// healthy_deadline, progress_deadline] tune the update block; zero means Nomad's
	// defaults. MaxParallel is always 1 and Canary always 0: the volume has one writer.
	MinHealthyTime   time.Duration
	HealthyDeadline  time.Duration
	ProgressDeadline time.Duration
	// AutoRevert [auto_revert] rolls a failed patch back to the last stable version.
	AutoRevert bool
	// KillTimeout [kill_timeout] is how long the engine gets to finish a state write on
	// stop; default 30s. ShutdownDelay [shutdown_delay] deregisters the service that long
	// before the kill; default none.
	KillTimeout   time.Duration
	ShutdownDelay time.Duration

	// Template [template] is an operator-supplied HCL job template (text/template
	// syntax, see TemplateData) used instead of the built-in job; the nomad driver has
	// the Nomad server parse it. Empty means the built-in job.
	Template string
}

// Constraint is one placement rule, as in a job's constraint block.
type Constraint struct {
	Attribute string // e.g. "${node.class}"
	Operator  string // "=", "!=", "regexp", "version", ...; default "="
	Value     string
}

// Spread spreads allocations over the values of an attribute.
type Spread struct {
	Attribute string
	Weight    int8 // 0 means Nomad's default (50)
	Targets   []SpreadTarget
}

// SpreadTarget is one value of a spread attribute and its share in percent.
type SpreadTarget struct {
	Value   string
	Percent uint8
}

// RestartPolicy is how the client restarts a failed engine in place.
type RestartPolicy struct {
	Attempts int
	Interval time.Duration
	Delay    time.Duration
	Mode     string // "fail" or "delay"
}

// ReschedulePolicy is how the servers move a failed allocation.
type ReschedulePolicy struct {
	Attempts      int
	Interval      time.Duration
	Delay         time.Duration
	DelayFunction string // "constant", "exponential" or "fibonacci"
	MaxDelay      time.Duration
	Unlimited     bool
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
		c.CheckInterval = DefaultCheckInterval
	}
	if c.CheckTimeout == 0 {
		c.CheckTimeout = DefaultCheckTimeout
	}
	if c.CPU == 0 {
		c.CPU = DefaultCPU
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = DefaultMemoryMB
	}
	if c.Restart == nil {
		c.Restart = &RestartPolicy{Attempts: 2, Interval: 30 * time.Minute, Delay: 15 * time.Second, Mode: "fail"}
	}
	if c.Reschedule == nil {
		c.Reschedule = &ReschedulePolicy{Delay: 30 * time.Second, DelayFunction: "exponential", MaxDelay: time.Hour, Unlimited: true}
	}
	if c.KillTimeout == 0 {
		c.KillTimeout = DefaultKillTimeout
	}
	return c
}

// Validate reports the first setting Nomad would refuse or the driver could not use,
// naming its HCL key. It checks c as given, after WithDefaults.
func (c Config) Validate() error {
	c = c.WithDefaults()
	if !slices.Contains([]string{DriverDocker, DriverExec, DriverRawExec}, c.Driver) {
		return fmt.Errorf("driver must be %q, %q or %q, not %q", DriverDocker, DriverExec, DriverRawExec, c.Driver)
	}
	if c.Discovery != DiscoveryConsul && c.Discovery != DiscoveryNomad {
		return fmt.Errorf("discovery must be %q or %q, not %q", DiscoveryConsul, DiscoveryNomad, c.Discovery)
	}
	if c.Priority < 0 || c.Priority > 100 {
		return fmt.Errorf("priority must be between 1 and 100, not %d", c.Priority)
	}
	if c.Driver == DriverRawExec && c.SharedVolume != "" && c.SharedVolumePath == "" {
		return fmt.Errorf("shared_volume_path is required with driver raw_exec and a shared_volume: raw_exec cannot mount volumes")
	}
	if c.VolumePlugin == DefaultVolumePlugin {
		for k := range c.VolumeParameters {
			// The mkdir plugin refuses unknown keys with a 500 (fixture 01b); say so here.
			return fmt.Errorf("volume_parameters: the mkdir plugin accepts only mode, uid and gid (set volume_mode, engine_uid, engine_gid), not %q", k)
		}
	}
	if *c.EngineUID < 0 || *c.EngineGID < 0 {
		return fmt.Errorf("engine_uid and engine_gid must not be negative")
	}
	for i, k := range c.Constraints {
		if k.Attribute == "" && k.Operator != "distinct_hosts" && k.Operator != "distinct_property" {
			return fmt.Errorf("constraint %d: attribute is required", i)
		}
	}
	for i, s := range c.Spreads {
		if s.Attribute == "" {
			return fmt.Errorf("spread %d: attribute is required", i)
		}
		sum := 0
		for _, t := range s.Targets {
			sum += int(t.Percent)
		}
		if sum > 100 {
			return fmt.Errorf("spread %d: target percentages add up to %d, over 100", i, sum)
		}
	}
	if c.CPU < 0 || c.MemoryMB < 0 || c.MemoryMaxMB < 0 || (c.MemoryMaxMB > 0 && c.MemoryMaxMB < c.MemoryMB) {
		return fmt.Errorf("memory_max must be at least memory, and resources must not be negative")
	}
	if strings.TrimSpace(c.Template) == "" && c.Template != "" {
		return fmt.Errorf("template is blank")
	}
	return nil
}
