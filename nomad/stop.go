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
// volumes. Idempotent.
//
// The fencing rule, which a transfer relies on (orchestrator execTransfer: Remove,
// then Start off the old node): Remove returns only once no allocation of the game
// runs or may run — each one's client said it stopped, or its node is known down
// (Nomad marked the allocation lost) — so the new engine Start places next is the
// game's only writer. An allocation whose node is disconnected (status unknown) may
// come back and counts as running: Remove waits for it, up to stop_timeout. With
// its node down a volume cannot be deleted (Nomad would need force=true and leave
// its directory behind for good): Remove purges the job, logs that the volume stays
// and succeeds; the volume is never used again by a Start that avoids its node, and
// ReleaseStale deletes it when the node is back.
//
// Errors: as Stop; EUNAVAILABLE when a volume on a node that is up cannot be
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
	return d.deleteVolumes(ctx, gameID)
}
