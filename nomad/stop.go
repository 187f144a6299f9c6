package nomad

import (
	"context"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/nomad/api"
)

// Stop implements orchestrator.Driver: deregister the job (kept, with Stop=true; the
// volume and its state stay) and wait until its allocations have stopped. Stopping a
// stopped or unknown job is a no-op: a second deregister would add a job version.
// Errors: EUNAVAILABLE (Nomad unreachable; allocations still running after
// stop_timeout or the caller's deadline, naming the step).
func (d *Driver) Stop(ctx context.Context, gameID uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	release := d.disc.hold(gameID)
	defer release()
	ctx, cancel := context.WithTimeoutCause(ctx, d.cfg.StopTimeout.Std(), timeoutCause("nomad stop_timeout", d.cfg.StopTimeout.Std()))
	defer cancel()
	jobID := orchestrator.JobName(gameID)
	job, err := d.jobInfo(ctx, jobID)
	if err != nil || job == nil {
		return err
	}
	if err := d.stopJob(ctx, job); err != nil {
		return err
	}
	d.disc.stopped(gameID)
	return nil
}

// stopJob deregisters the job unless it is stopped already, and waits until none of
// its allocations runs or is about to.
func (d *Driver) stopJob(ctx context.Context, job *api.Job) error {
	jobID := *job.ID
	if job.Stop == nil || !*job.Stop {
		if err := d.deregister(ctx, jobID, false); err != nil {
			return err
		}
		d.logger.Info("stopped job", "job_id", jobID)
	}
	if err := d.waitStopped(ctx, jobID); err != nil {
		return plain(awaitErr(ctx, "nomad: wait for the allocations of job "+jobID+" to stop", plain(err)))
	}
	return nil
}

// Remove implements orchestrator.Driver: stop the job and wait for its allocations
// to end while the job still exists (the allocations of a purged job vanish from its
// listing at once, while their tasks still run: a purge first would delete the
// volume under a live engine), then purge the job and delete the game's dynamic host
// volume. Idempotent. Errors: as Stop; EUNAVAILABLE when the volume cannot be
// deleted.
func (d *Driver) Remove(ctx context.Context, gameID uuid.UUID) error {
	if err := d.checkOpen(); err != nil {
		return err
	}
	release := d.disc.hold(gameID)
	defer release()
	ctx, cancel := context.WithTimeoutCause(ctx, d.cfg.StopTimeout.Std(), timeoutCause("nomad stop_timeout", d.cfg.StopTimeout.Std()))
	defer cancel()
	jobID := orchestrator.JobName(gameID)
	job, err := d.jobInfo(ctx, jobID)
	if err != nil {
		return err
	}
	if job != nil {
		if err := d.stopJob(ctx, job); err != nil {
			return err
		}
		if err := d.deregister(ctx, jobID, true); err != nil {
			return err
		}
		d.logger.Info("purged job", "game_id", gameID, "job_id", jobID)
	}
	d.disc.stopped(gameID)
	return d.deleteVolume(ctx, gameID)
}
