package nomad

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/nomad/api"
)

// Start implements orchestrator.Driver: (create the volume) → register the job →
// follow the evaluation → wait for the allocation to run and its instance to pass its
// health check. Idempotent: the same version already registered is not registered
// again, and what Nomad does with it now is followed (its evaluations too: a
// replacement queued after a drain is a placement failure, reported at once).
// Another version is re-registered (a patch: the job version increments and the
// sticky volume keeps the state).
//
// When the engine does not come up, Start cleans up after itself before it returns:
// a replacement of a running engine is reverted to the job version that ran before
// (Jobs().Revert, enforcing the version it registered) and waited for until it
// passes again, and the error says so; any other start stops its job, keeping the
// volume, so it does not keep rescheduling behind the orchestrator's back. A job
// registered before this Start is stopped only when Nomad says it cannot run
// (placement or allocation failure), never for a health check that was not seen in
// time. Nothing is cleaned up when the caller gives up (ctx cancelled) or Nomad
// cannot be reached, nor when the node of the game's volume is down: Nomad then
// starts the engine again on its state once the node is back.
//
// Errors: EUNAVAILABLE naming the step and the cause (placement failed, naming the
// constraint or volume; allocation failed, naming its first failing task event;
// health check not passing within start_timeout or the caller's deadline, which the
// error also unwraps to; Nomad unreachable), EINVALID (no image or command for the
// configured driver, bad template).
func (d *Driver) Start(ctx context.Context, spec orchestrator.EngineSpec) (*orchestrator.Instance, error) {
	if err := d.checkOpen(); err != nil {
		return nil, err
	}
	ref, err := d.engineRef(spec.Version)
	if err != nil {
		return nil, err
	}
	release := d.disc.hold(spec.GameID)
	defer release()
	parent := ctx
	ctx, cancel := context.WithTimeoutCause(ctx, d.cfg.StartTimeout.Std(), timeoutCause("nomad start_timeout", d.cfg.StartTimeout.Std()))
	defer cancel()
	jobID := orchestrator.JobName(spec.GameID)
	log := d.logger.With("game_id", spec.GameID, "job_id", jobID, "version", spec.Version.Version)

	vol, err := d.ensureVolume(ctx, spec)
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
	var (
		ev         *api.Evaluation
		prev       *previous
		registered bool
	)
	if existing != nil && upToDate(existing, spec.Version.Version, ref) && placedAsAsked(existing, job, spec) {
		log.Debug("job already registered with this version")
	} else {
		if existing != nil && !isStopped(existing) {
			if prev, err = d.previous(ctx, existing); err != nil {
				return nil, err
			}
		}
		registered = true
		ev, err = d.register(ctx, job, existing, log)
	}
	var a *api.AllocationListStub
	var in instance
	if err == nil {
		var since uint64
		if ev != nil {
			since = ev.CreateIndex
		}
		a, in, err = d.await(ctx, jobID, spec, ev, since)
	}
	if err == nil {
		log.Info("engine running", "alloc_id", a.ID, "endpoint", in.url(), "job_version", a.JobVersion)
		return d.instance(spec, ref, vol, a, in), nil
	}
	if !isEngineFailure(err) || errors.Is(parent.Err(), context.Canceled) {
		return nil, plain(err)
	}
	if !registered && errors.Is(err, context.DeadlineExceeded) {
		// Nothing changed here, and Nomad did not say the engine cannot run.
		return nil, plain(err)
	}
	// Clean up with a context of its own: the start's may be over.
	cctx, ccancel := context.WithTimeoutCause(context.WithoutCancel(parent), d.cfg.StartTimeout.Std(), timeoutCause("nomad start_timeout", d.cfg.StartTimeout.Std()))
	defer ccancel()
	if kept := d.volumeNodeDown(cctx, vol, plain(err), log); kept != nil {
		return nil, kept
	}
	if prev != nil {
		return nil, d.revert(cctx, spec, vol, prev, plain(err), log)
	}
	return nil, d.stopFailed(cctx, spec.GameID, plain(err), log)
}

// volumeNodeDown handles a start that failed because the node of the game's volume is
// down (or disconnected): the job is left as it is, so that Nomad places the engine
// there again, on its state, when the node is back (the job's blocked evaluation) —
// what a game whose node only blinked needs; a node down for good has its games moved
// by the orchestrator (a transfer). It returns the error saying so, or nil when the
// volume's node is up (the caller cleans up as usual).
func (d *Driver) volumeNodeDown(ctx context.Context, vol volume, cause error, log hclog.Logger) error {
	if d.cfg.SharedVolume != "" || vol.NodeID == "" {
		return nil
	}
	status, err := d.nodeStatus(ctx, vol.NodeID)
	if err != nil || status != api.NodeStatusDown && status != api.NodeStatusDisconnected {
		return nil
	}
	log.Warn("engine cannot start: the node of its volume is "+status+"; job kept for when the node is back", "node_id", vol.NodeID, "error", orchestrator.ErrorMessage(cause))
	return wrapCause(cause, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s; node %s, which holds the game's volume, is %s: the job is kept, and Nomad starts the engine there again when the node is back",
		orchestrator.ErrorMessage(cause), short(vol.NodeID), status))
}

// instance is what Start returns for a passing allocation.
func (d *Driver) instance(spec orchestrator.EngineSpec, ref string, vol volume, a *api.AllocationListStub, in instance) *orchestrator.Instance {
	return &orchestrator.Instance{
		GameID:     spec.GameID,
		Version:    spec.Version.Version,
		Endpoint:   in.url(),
		Running:    true,
		JobID:      orchestrator.JobName(spec.GameID),
		JobVersion: a.JobVersion,
		AllocID:    a.ID,
		NodeID:     a.NodeID,
		VolumeID:   vol.ID,
		ImageRef:   ref,
		Restarts:   restarts(a),
	}
}

// await waits for the job's current allocation (the one ev placed, or the newest
// meant to run) to run and its instance to pass, following the job's evaluations
// beside it (blocked ones created at or after since) and failing at once when the
// allocation dies.
func (d *Driver) await(ctx context.Context, jobID string, spec orchestrator.EngineSpec, ev *api.Evaluation, since uint64) (*api.AllocationListStub, instance, error) {
	actx, acancel := context.WithCancelCause(ctx)
	defer acancel(nil)
	go func() {
		if err := d.watchEvals(actx, jobID, since); isEngineFailure(err) {
			acancel(err)
		}
	}()
	a, err := d.waitRunning(actx, jobID, ev)
	if err != nil {
		return nil, instance{}, awaitErr(actx, "nomad: wait for an allocation of job "+jobID+" to run", err)
	}
	d.logger.Debug("allocation running", "job_id", jobID, "alloc_id", a.ID, "node_id", a.NodeID)
	go func() {
		if err := d.watchAlloc(actx, jobID, a.ID); isEngineFailure(err) {
			acancel(err)
		}
	}()
	in, err := d.disc.waitAlloc(actx, spec.GameID, a.ID)
	if err != nil {
		return nil, instance{}, awaitErr(actx, fmt.Sprintf("nomad: wait for allocation %s of job %s to pass its health check", short(a.ID), jobID), err)
	}
	return a, in, nil
}

// awaitErr names what ended a wait: the failure a watch beside it found, the time
// running out (an engineFailure: the engine did not come up in time), the caller
// giving up, or err itself.
func awaitErr(ctx context.Context, step string, err error) error {
	if isEngineFailure(err) {
		return err
	}
	if ctx.Err() == nil {
		return err
	}
	cause := context.Cause(ctx)
	switch {
	case isEngineFailure(cause):
		return cause
	case errors.Is(cause, context.DeadlineExceeded):
		return engineFailure{stepFailed(step, cause)}
	}
	return stepFailed(step, cause)
}

// previous is the engine a Start replaces: the job version its running allocation
// runs, and that version's engine version.
type previous struct {
	jobVersion uint64
	engine     string
	allocID    string
}

// previous finds the running allocation of a job about to be re-registered; nil when
// none runs (then there is nothing to bring back if the new version fails).
func (d *Driver) previous(ctx context.Context, job *api.Job) (*previous, error) {
	allocs, _, err := d.allocations(ctx, *job.ID, 0)
	if err != nil {
		return nil, err
	}
	a := runningAlloc(allocs)
	if a == nil {
		return nil, nil
	}
	p := &previous{jobVersion: a.JobVersion, allocID: a.ID, engine: fmt.Sprintf("of job version %d", a.JobVersion)}
	if job.Version != nil && *job.Version == a.JobVersion && job.Meta[jobspec.MetaEngineVersion] != "" {
		p.engine = job.Meta[jobspec.MetaEngineVersion]
	}
	return p, nil
}

// upToDate tells whether a registered job already runs this version with this image
// or binary, so Start need not register it again.
func upToDate(job *api.Job, version, ref string) bool {
	if isStopped(job) {
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

// placedAsAsked tells whether a registered job already has the placement the spec
// asks for (the rendered job's constraints on the node's ID). A spec with no
// placement accepts any: a start that does not ask where keeps the engine where it
// runs, rather than re-registering it (a destructive update) to drop an old
// placement.
func placedAsAsked(existing, rendered *api.Job, spec orchestrator.EngineSpec) bool {
	if jobspec.PlacementOf(spec).Empty() {
		return true
	}
	key := func(c *api.Constraint) string { return c.LTarget + " " + c.Operand + " " + c.RTarget }
	var have, want []string
	for _, c := range jobspec.PlacementConstraints(existing) {
		have = append(have, key(c))
	}
	for _, c := range jobspec.PlacementConstraints(rendered) {
		want = append(want, key(c))
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}

func isStopped(job *api.Job) bool {
	return job.Stop != nil && *job.Stop || job.Status != nil && *job.Status == "dead"
}

// register registers the job with EnforceIndex (0 for a new job, its JobModifyIndex
// for an existing one) and follows the evaluation. A conflict (someone registered in
// between) is resolved by reading the job again, once.
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
		return d.evaluate(ctx, jobID, resp.EvalID)
	}
}

// revert brings back the engine a failed replacement replaced: the job is reverted
// to the version prev ran (enforcing that the current version is still the one this
// Start registered) and waited for until it passes again. The error says the new
// version failed and whether the previous one runs again; if it does not, the job is
// stopped (volume kept).
func (d *Driver) revert(ctx context.Context, spec orchestrator.EngineSpec, vol volume, prev *previous, cause error, log hclog.Logger) error {
	jobID := orchestrator.JobName(spec.GameID)
	failed := fmt.Sprintf("nomad: engine %s of game %s did not come up: %s", spec.Version.Version, spec.GameID, orchestrator.ErrorMessage(cause))
	log.Warn("new engine did not come up, reverting the job", "to_job_version", prev.jobVersion, "error", orchestrator.ErrorMessage(cause))
	err := func() error {
		cur, err := d.jobInfo(ctx, jobID)
		if err != nil {
			return err
		} else if cur == nil {
			return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "job %s is gone", jobID)
		}
		var resp *api.JobRegisterResponse
		err = d.call.short(ctx, "revert job", func(ctx context.Context) (err error) {
			resp, _, err = d.jobs.Revert(jobID, prev.jobVersion, cur.Version, d.writeOpts(ctx), "", "")
			return err
		})
		if err != nil {
			return d.call.unavailable(fmt.Sprintf("revert job %s to version %d", jobID, prev.jobVersion), err)
		}
		ev, err := d.evaluate(ctx, jobID, resp.EvalID)
		if err != nil {
			return err
		}
		a, in, err := d.await(ctx, jobID, spec, ev, ev.CreateIndex)
		if err != nil {
			return err
		}
		log.Info("previous engine runs again", "alloc_id", a.ID, "endpoint", in.url(), "job_version", a.JobVersion)
		if d.cfg.OnChange != nil {
			d.cfg.OnChange(&orchestrator.Instance{
				GameID: spec.GameID, Version: prev.engine, Endpoint: in.url(), Running: true, JobID: jobID,
				JobVersion: a.JobVersion, AllocID: a.ID, NodeID: a.NodeID, VolumeID: vol.ID, Restarts: restarts(a),
			})
		}
		return nil
	}()
	if err == nil {
		return wrapCause(cause, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s; reverted job %s to version %d: the previous engine %s runs again", failed, jobID, prev.jobVersion, prev.engine))
	}
	log.Error("reverting the job failed", "error", orchestrator.ErrorMessage(plain(err)))
	return d.stopFailed(ctx, spec.GameID, wrapCause(cause, orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s; bringing back the previous engine %s failed too: %s", failed, prev.engine, orchestrator.ErrorMessage(plain(err)))), log)
}

// stopFailed stops the job of a start that failed (volume kept) and waits for its
// allocations to end, so it does not keep rescheduling an engine nobody waits for.
// It returns cause, with what became of the job.
func (d *Driver) stopFailed(ctx context.Context, gameID uuid.UUID, cause error, log hclog.Logger) error {
	jobID := orchestrator.JobName(gameID)
	msg := orchestrator.ErrorMessage(cause)
	code := orchestrator.ErrorCode(cause)
	if code == orchestrator.EINTERNAL {
		code = orchestrator.EUNAVAILABLE
	}
	err := d.deregister(ctx, jobID, false)
	if err == nil {
		err = d.waitStopped(ctx, jobID)
	}
	if err != nil {
		log.Error("stopping the job of a failed start failed", "error", orchestrator.ErrorMessage(err))
		return wrapCause(cause, orchestrator.Errorf(code, "%s; stopping job %s failed too: %s", msg, jobID, orchestrator.ErrorMessage(err)))
	}
	d.disc.stopped(gameID)
	log.Info("stopped the job of a failed start; its volume is kept")
	return wrapCause(cause, orchestrator.Errorf(code, "%s; job %s stopped, its volume kept", msg, jobID))
}

// wrapCause returns coded, still unwrapping to cause (a timeout stays
// errors.Is(context.DeadlineExceeded)).
func wrapCause(cause error, coded *orchestrator.Error) error {
	return &stepError{coded: coded, cause: cause}
}
