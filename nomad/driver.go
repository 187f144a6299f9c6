// Package nomad runs game engines as Nomad jobs (DESIGN §5): an orchestrator.Driver
// over github.com/hashicorp/nomad/api and an orchestrator.Discovery over
// github.com/hashicorp/consul/api (or Nomad's native service discovery). Every wait is
// a blocking query; every call is rate limited, capped and retried with backoff.
package nomad

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/api"
)

// Driver is the Nomad orchestrator.Driver; it is also the orchestrator.Discovery of
// the engines it runs. Create it with NewDriver, set Clock if needed, then Open; Close
// stops its watch.
type Driver struct {
	// Clock times backoffs and watch intervals; set it before Open (default: the
	// system clock).
	Clock orchestrator.Clock

	cfg    Config
	logger hclog.Logger
	call   *caller
	disc   *Discovery

	jobs     jobsAPI
	evals    evaluationsAPI
	volumes  volumesAPI
	services servicesAPI
	checks   checksAPI
	raw      rawAPI
	health   consulHealthAPI

	mu   sync.Mutex
	open bool
}

var (
	_ orchestrator.Driver    = (*Driver)(nil)
	_ orchestrator.Discovery = (*Driver)(nil)
)

// NewDriver builds the Nomad (and, for Consul discovery, Consul) clients from cfg and
// the standard environment. It makes no network call. A nil logger discards logs.
func NewDriver(cfg Config, logger hclog.Logger) (*Driver, error) {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	if cfg.TemplateFile != "" {
		b, err := os.ReadFile(cfg.TemplateFile)
		if err != nil {
			return nil, fmt.Errorf("nomad template_file: %w", err)
		}
		cfg.Template = string(b)
	}
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("nomad: %w", err)
	}
	nc, err := cfg.nomadClient()
	if err != nil {
		return nil, err
	}
	d := &Driver{
		Clock:    orchestrator.SystemClock{},
		cfg:      cfg,
		logger:   logger.Named("nomad"),
		jobs:     nc.Jobs(),
		evals:    nc.Evaluations(),
		volumes:  nc.HostVolumes(),
		services: nc.Services(),
		checks:   nc.Allocations(),
		raw:      nc.Raw(),
	}
	if cfg.Discovery == jobspec.DiscoveryConsul {
		cc, err := cfg.consulClient()
		if err != nil {
			return nil, err
		}
		d.health = cc.Health()
	}
	return d, nil
}

// Open starts the endpoint watch. Start, Stop, Remove and Endpoint need an open driver.
func (d *Driver) Open() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.open {
		return nil
	}
	d.call = newCaller(d.cfg, d.Clock, d.logger)
	var src source
	if d.cfg.Discovery == jobspec.DiscoveryNomad {
		src = &nativeSource{services: d.services, checks: d.checks, call: d.call, service: d.cfg.ServiceName, refresh: d.cfg.CheckRefreshInterval.Std(), clock: d.Clock}
	} else {
		src = &consulSource{health: d.health, service: d.cfg.ServiceName}
	}
	d.disc = newDiscovery(src, d.call, d.cfg, d.Clock, d.logger.Named("discovery"))
	d.disc.open()
	d.open = true
	d.logger.Info("nomad driver open", "driver", d.cfg.Driver, "discovery", d.cfg.Discovery, "shared_volume", d.cfg.SharedVolume)
	return nil
}

// Close stops the endpoint watch and waits for it to end. In-flight calls are
// cancelled by their own contexts.
func (d *Driver) Close() error {
	d.mu.Lock()
	disc := d.disc
	d.open = false
	d.mu.Unlock()
	if disc != nil {
		disc.close()
	}
	return nil
}

// Discovery returns the driver's endpoint discovery (nil before Open).
func (d *Driver) Discovery() *Discovery { return d.disc }

// Endpoint implements orchestrator.Discovery from the driver's watch cache.
// Errors: EUNAVAILABLE.
func (d *Driver) Endpoint(ctx context.Context, gameID uuid.UUID) (string, error) {
	if err := d.checkOpen(); err != nil {
		return "", err
	}
	return d.disc.Endpoint(ctx, gameID)
}

func (d *Driver) checkOpen() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.open {
		return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad driver is not open")
	}
	return nil
}

// CheckVersion implements orchestrator.Driver: the configured task driver needs the
// version's imageRef (docker) or a command (exec, raw_exec). Errors: EINVALID.
func (d *Driver) CheckVersion(v orchestrator.EngineVersion) error {
	_, err := jobspec.EngineRef(d.cfg.Config, v)
	return err
}

// Start implements orchestrator.Driver: (create the volume) → register the job →
// follow the evaluation → wait for the allocation to run and its instance to pass its
// health check. Idempotent: the same version already registered is not registered
// again; another version is re-registered (a patch: the job version increments and the
// sticky volume keeps the state). Errors: EUNAVAILABLE (placement failed, naming the
// constraint or volume; allocation failed; Nomad unreachable), EINVALID (no image or
// command for the configured driver, bad template), context errors.
func (d *Driver) Start(ctx context.Context, spec orchestrator.EngineSpec) (*orchestrator.Instance, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.StartTimeout.Std())
	defer cancel()
	jobID := orchestrator.JobName(spec.GameID)
	log := d.logger.With("game_id", spec.GameID, "job_id", jobID, "version", spec.Version.Version)

	ref, err := jobspec.EngineRef(d.cfg.Config, spec.Version)
	if err != nil {
		return nil, err
	}
	vol, err := d.ensureVolume(ctx, spec.GameID)
	if err != nil {
		return nil, err
	}
	job, err := d.render(ctx, spec, vol.HostPath)
	if err != nil {
		return nil, err
	}
	existing, err := d.jobInfo(ctx, jobID)
	if err != nil {
		return nil, err
	}
	var ev *api.Evaluation
	if existing != nil && upToDate(existing, spec.Version.Version, ref) {
		log.Debug("job already registered with this version")
	} else {
		ev, err = d.register(ctx, job, existing, log)
		if err != nil {
			return nil, err
		}
	}
	alloc, err := d.waitRunning(ctx, jobID, ev)
	if err != nil {
		return nil, err
	}
	log.Debug("allocation running", "alloc_id", alloc.ID, "node_id", alloc.NodeID)

	// Wait for the health check, but fail at once if the allocation dies meanwhile.
	hctx, hcancel := context.WithCancelCause(ctx)
	defer hcancel(nil)
	go func() {
		if err := d.watchAlloc(hctx, jobID, alloc.ID); err != nil && hctx.Err() == nil {
			hcancel(err)
		}
	}()
	inst, err := d.disc.waitAlloc(hctx, spec.GameID, alloc.ID)
	if err != nil {
		return nil, d.call.unavailable("wait for a passing health check", err)
	}
	log.Info("engine running", "alloc_id", alloc.ID, "endpoint", inst.url(), "job_version", alloc.JobVersion)
	return &orchestrator.Instance{
		GameID:     spec.GameID,
		Version:    spec.Version.Version,
		Endpoint:   inst.url(),
		Running:    true,
		JobID:      jobID,
		JobVersion: alloc.JobVersion,
		AllocID:    alloc.ID,
		NodeID:     alloc.NodeID,
		VolumeID:   vol.ID,
		ImageRef:   ref,
		Restarts:   restarts(alloc),
	}, nil
}

// upToDate tells whether a registered job already runs this version with this image
// or binary, so Start need not register it again.
func upToDate(job *api.Job, version, ref string) bool {
	if job.Stop != nil && *job.Stop || job.Status != nil && *job.Status == "dead" {
		return false
	}
	if job.Meta[jobspec.MetaEngineVersion] != version {
		return false
	}
	for _, g := range job.TaskGroups {
		for _, t := range g.Tasks {
			if t.Name == jobspec.TaskName {
				img, _ := t.Config["image"].(string)
				cmd, _ := t.Config["command"].(string)
				return img == ref || cmd == ref
			}
		}
	}
	return false
}

// register registers the job with EnforceIndex (0 for a new job, its JobModifyIndex
// for an existing one) and follows the evaluation. A conflict (someone registered in
// between) is resolved by reading the job again, once. A new job that cannot be placed
// is stopped again, so a later capacity change does not start an engine behind the
// orchestrator's back.
func (d *Driver) register(ctx context.Context, job *api.Job, existing *api.Job, log hclog.Logger) (*api.Evaluation, error) {
	jobID := *job.ID
	for attempt := 0; ; attempt++ {
		var index uint64
		if existing != nil {
			index = *existing.JobModifyIndex
		}
		var resp *api.JobRegisterResponse
		err := d.call.short(ctx, "register job", func(ctx context.Context) (err error) {
			resp, _, err = d.jobs.EnforceRegister(job, index, d.writeOpts(ctx))
			return err
		})
		if err != nil && isConflict(err) && attempt == 0 {
			log.Debug("job changed since read, reading it again", "index", index)
			if existing, err = d.jobInfo(ctx, jobID); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, d.call.unavailable("register job "+jobID, err)
		}
		if resp.Warnings != "" {
			log.Debug("nomad warnings on register", "warnings", resp.Warnings)
		}
		log.Info("registered job", "eval_id", resp.EvalID, "job_modify_index", resp.JobModifyIndex, "enforce_index", index)
		ev, err := d.followEval(ctx, jobID, resp.EvalID)
		if err != nil && existing == nil {
			log.Warn("new job cannot be placed, stopping it", "error", err)
			if serr := d.deregister(context.WithoutCancel(ctx), jobID, false); serr != nil {
				log.Warn("stopping unplaceable job failed", "error", serr)
			}
		}
		return ev, err
	}
}

// render builds the job: the operator's template parsed by the Nomad server, or the
// built-in rendering.
func (d *Driver) render(ctx context.Context, spec orchestrator.EngineSpec, hostPath string) (*api.Job, error) {
	if d.cfg.Template == "" {
		return jobspec.Job(d.cfg.Config, spec, hostPath)
	}
	src, err := jobspec.FillTemplate(d.cfg.Config, spec, hostPath)
	if err != nil {
		return nil, err
	}
	var job api.Job
	err = d.call.short(ctx, "parse job template", func(ctx context.Context) error {
		_, err := d.raw.Write("/v1/jobs/parse", &api.JobsParseRequest{JobHCL: src, Canonicalize: false}, &job, d.writeOpts(ctx))
		return err
	})
	if err != nil {
		if statusOf(err) >= 400 && statusOf(err) < 500 {
			// The filled template holds the token: report Nomad's words only, scrubbed.
			return nil, orchestrator.Errorf(orchestrator.EINVALID, "nomad job template: %s", strings.ReplaceAll(d.call.scrub(bodyOf(err)), spec.AdminToken, "<redacted>"))
		}
		return nil, d.call.unavailable("parse job template", err)
	}
	return jobspec.Finish(&job, d.cfg.Config, spec)
}

// jobInfo reads a job; nil when Nomad does not know it.
func (d *Driver) jobInfo(ctx context.Context, jobID string) (*api.Job, error) {
	var job *api.Job
	err := d.call.short(ctx, "read job", func(ctx context.Context) (err error) {
		job, _, err = d.jobs.Info(jobID, d.queryOpts(ctx, ""))
		return err
	})
	if isNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, d.call.unavailable("read job "+jobID, err)
	}
	return job, nil
}

func (d *Driver) deregister(ctx context.Context, jobID string, purge bool) error {
	err := d.call.short(ctx, "deregister job", func(ctx context.Context) error {
		_, _, err := d.jobs.Deregister(jobID, purge, d.writeOpts(ctx))
		return err
	})
	if err != nil && !isNotFound(err) {
		return d.call.unavailable("deregister job "+jobID, err)
	}
	return nil
}

// Stop implements orchestrator.Driver: deregister the job (kept, with Stop=true; the
// volume and its state stay) and wait until its allocations have stopped. Stopping a
// stopped or unknown job is a no-op: a second deregister would add a job version.
func (d *Driver) Stop(ctx context.Context, gameID uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.StopTimeout.Std())
	defer cancel()
	jobID := orchestrator.JobName(gameID)
	job, err := d.jobInfo(ctx, jobID)
	if err != nil || job == nil {
		return err
	}
	if job.Stop == nil || !*job.Stop {
		if err := d.deregister(ctx, jobID, false); err != nil {
			return err
		}
		d.logger.Info("stopped job", "game_id", gameID, "job_id", jobID)
	}
	return d.waitStopped(ctx, jobID)
}

// Remove implements orchestrator.Driver: purge the job, wait for its allocations to
// stop, and delete the game's dynamic host volume. Idempotent.
func (d *Driver) Remove(ctx context.Context, gameID uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.StopTimeout.Std())
	defer cancel()
	jobID := orchestrator.JobName(gameID)
	job, err := d.jobInfo(ctx, jobID)
	if err != nil {
		return err
	}
	if job != nil {
		if err := d.deregister(ctx, jobID, true); err != nil {
			return err
		}
		d.logger.Info("purged job", "game_id", gameID, "job_id", jobID)
		if err := d.waitStopped(ctx, jobID); err != nil {
			return err
		}
	}
	return d.deleteVolume(ctx, gameID)
}

// Instances implements orchestrator.Driver: every job named galaxy-game-* of this
// stack (meta galaxy.stack equal to the configured one), with its endpoint when the
// watch knows it. Errors: EUNAVAILABLE.
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
		running := !s.Stop && s.Status == "running"
		if s.JobSummary != nil {
			if sum := s.JobSummary.Summary[jobspec.GroupName]; sum.Running == 0 {
				running = false
			}
		}
		inst := &orchestrator.Instance{
			GameID:  id,
			Version: s.Meta[jobspec.MetaEngineVersion],
			Running: running,
			JobID:   s.ID,
		}
		if running {
			inst.Endpoint = d.disc.cached(id)
		}
		out = append(out, inst)
	}
	return out, nil
}

func (d *Driver) queryOpts(ctx context.Context, prefix string) *api.QueryOptions {
	return (&api.QueryOptions{Prefix: prefix}).WithContext(ctx)
}

func (d *Driver) writeOpts(ctx context.Context) *api.WriteOptions {
	return (&api.WriteOptions{}).WithContext(ctx)
}
