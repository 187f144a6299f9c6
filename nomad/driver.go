// Package nomad runs game engines as Nomad jobs (DESIGN §5): an orchestrator.Driver
// over github.com/hashicorp/nomad/api and an orchestrator.Discovery over
// github.com/hashicorp/consul/api (or Nomad's native service discovery). Every wait is
// a blocking query; every call is rate limited, capped and retried with backoff.
package nomad

import (
	"context"
	"fmt"
	"os"
	"path"
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
	allocs   allocationsAPI
	nodes    nodesAPI
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
		allocs:   nc.Allocations(),
		nodes:    nc.Nodes(),
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
	d.disc.nodeOf = d.allocNode
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
// version's imageRef (docker: no blanks in it) or a command (exec, raw_exec: an
// absolute path, where the clients have the binary; the nomad command setting,
// when set, stands in for it). Nothing is asked of the cluster. Errors: EINVALID
// naming "imageRef" or "command".
func (d *Driver) CheckVersion(v orchestrator.EngineVersion) error {
	_, err := d.engineRef(v)
	return err
}

// engineRef is what the task runs for v, checked as CheckVersion says.
func (d *Driver) engineRef(v orchestrator.EngineVersion) (string, error) {
	ref, err := jobspec.EngineRef(d.cfg.Config, v)
	if err != nil {
		return "", err
	}
	if d.cfg.Driver == jobspec.DriverDocker {
		if strings.ContainsAny(ref, " \t\n") {
			return "", orchestrator.FieldErrorf("imageRef", "engine version %s: image %q is not a Docker image reference", v.Version, ref)
		}
		return ref, nil
	}
	if !path.IsAbs(ref) {
		return "", orchestrator.FieldErrorf("command", "engine version %s: command %q is not an absolute path (the %s driver runs it on the Nomad clients)", v.Version, ref, d.cfg.Driver)
	}
	return ref, nil
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

// allocNode is the Nomad node an allocation runs on.
func (d *Driver) allocNode(ctx context.Context, allocID string) (string, error) {
	var a *api.Allocation
	err := d.call.short(ctx, "read allocation", func(ctx context.Context) (err error) {
		a, _, err = d.allocs.Info(allocID, d.queryOpts(ctx, ""))
		return err
	})
	if err != nil {
		return "", err
	}
	return a.NodeID, nil
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

func (d *Driver) queryOpts(ctx context.Context, prefix string) *api.QueryOptions {
	return (&api.QueryOptions{Prefix: prefix}).WithContext(ctx)
}

func (d *Driver) writeOpts(ctx context.Context) *api.WriteOptions {
	return (&api.WriteOptions{}).WithContext(ctx)
}
