package nomad

import (
	"context"
	"slices"

	"github.com/galaxy-orchestrator/galaxy/nomad/jobspec"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

// waitRunning waits with blocking queries until the job's current allocation runs.
// When the evaluation placed something, the allocation is the one it created;
// otherwise (nothing changed) the newest allocation meant to run. A failed, lost or
// completed allocation ends the wait with an engineFailure naming its first failing
// task event.
func (d *Driver) waitRunning(ctx context.Context, jobID string, ev *api.Evaluation) (*api.AllocationListStub, error) {
	placed := ev != nil && placedSomething(ev)
	var index uint64
	for {
		allocs, meta, err := d.allocations(ctx, jobID, index)
		if err != nil {
			return nil, err
		}
		if a := current(allocs, ev, placed); a != nil {
			switch a.ClientStatus {
			case api.AllocClientStatusRunning:
				return a, nil
			case api.AllocClientStatusFailed, api.AllocClientStatusLost, api.AllocClientStatusComplete:
				return nil, engineFailure{allocError(jobID, a)}
			}
		}
		index = nextIndex(index, meta)
	}
}

// placedSomething tells whether the evaluation created allocations, from its plan
// annotations; without them it is assumed so only if it is not a no-op re-register.
func placedSomething(ev *api.Evaluation) bool {
	if ev.PlanAnnotations == nil {
		return false
	}
	for _, u := range ev.PlanAnnotations.DesiredTGUpdates {
		if u != nil && (u.Place > 0 || u.DestructiveUpdate > 0) {
			return true
		}
	}
	return false
}

func current(allocs []*api.AllocationListStub, ev *api.Evaluation, placed bool) *api.AllocationListStub {
	var best *api.AllocationListStub
	for _, a := range allocs {
		if a.TaskGroup != jobspec.GroupName {
			continue
		}
		if placed && a.EvalID != ev.ID {
			continue
		}
		if !placed && a.DesiredStatus != api.AllocDesiredStatusRun {
			continue
		}
		if best == nil || a.CreateIndex > best.CreateIndex {
			best = a
		}
	}
	return best
}

// failingEvents are the task event types that say what went wrong; "Not Restarting"
// and "Restarting" only say what the client did about it.
var failingEvents = []string{
	"Setup Failure", "Driver Failure", "Failed Validation", "Failed Artifact Download",
	"Task hook failed", "Failed Restoring Task", "Disk Resources Exceeded",
}

// failing reports whether a task event is a failure, and not only news of one.
func failing(e *api.TaskEvent) bool {
	switch {
	case e.Type == "Terminated":
		return e.ExitCode != 0 || e.Signal != 0 || e.FailsTask
	case e.Type == "Not Restarting", e.Type == "Restarting":
		return false
	}
	return slices.Contains(failingEvents, e.Type) || e.DriverError != "" || e.SetupError != "" ||
		e.DownloadError != "" || e.ValidationError != "" || e.KillError != "" || e.FailsTask
}

// allocReason says why an allocation is not running: its first failing task event
// (a missing image shows "Failed to pull ..." there, while the last event only says
// the restarts were used up), and the last event's words when they differ.
func allocReason(a *api.AllocationListStub) string {
	var first, last string
	if ts := a.TaskStates[jobspec.TaskName]; ts != nil {
		for _, e := range ts.Events {
			msg := orEmpty(e.DisplayMessage, e.Message)
			if msg == "" {
				continue
			}
			if first == "" && failing(e) {
				first = msg
			}
			last = msg
		}
	}
	switch {
	case first == "":
		return orEmpty(last, orEmpty(a.ClientDescription, "no reason given"))
	case last != first:
		return first + " (then: " + last + ")"
	}
	return first
}

func allocError(jobID string, a *api.AllocationListStub) error {
	return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad allocation %s of job %s is %s: %s", short(a.ID), jobID, a.ClientStatus, allocReason(a))
}

// waitStopped waits with blocking queries until no allocation of the job runs or is
// about to, so the volume has no writer left: each is complete, failed, or lost (its
// node is down); an unknown one (its node disconnected) may come back and is waited
// for. The job must still exist: the allocations of a purged job vanish from its
// listing at once, while their tasks still run.
func (d *Driver) waitStopped(ctx context.Context, jobID string) error {
	var index uint64
	for {
		allocs, meta, err := d.allocations(ctx, jobID, index)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(allocs, live) {
			return nil
		}
		index = nextIndex(index, meta)
	}
}

// allocations lists the job's allocations with a blocking query that returns once
// the list changes after index (or the wait time passes).
func (d *Driver) allocations(ctx context.Context, jobID string, index uint64) (allocs []*api.AllocationListStub, meta *api.QueryMeta, err error) {
	err = d.call.blocking(ctx, backendNomad, "list allocations", func(ctx context.Context) (err error) {
		q := (&api.QueryOptions{WaitIndex: index, WaitTime: d.cfg.WaitTime.Std()}).WithContext(ctx)
		allocs, meta, err = d.jobs.Allocations(jobID, false, q)
		return err
	})
	if err != nil {
		return nil, nil, d.call.unavailable("list allocations of "+jobID, err)
	}
	return allocs, meta, nil
}

// runningAlloc is the job's allocation that runs now (desired run, client running),
// or nil.
func runningAlloc(allocs []*api.AllocationListStub) *api.AllocationListStub {
	var best *api.AllocationListStub
	for _, a := range allocs {
		if a.TaskGroup == jobspec.GroupName && a.DesiredStatus == api.AllocDesiredStatusRun && a.ClientStatus == api.AllocClientStatusRunning &&
			(best == nil || a.CreateIndex > best.CreateIndex) {
			best = a
		}
	}
	return best
}

func restarts(a *api.AllocationListStub) int {
	if ts := a.TaskStates[jobspec.TaskName]; ts != nil {
		return int(ts.Restarts)
	}
	return 0
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// watchAlloc ends when the allocation stops running, returning why; Start runs it
// beside the health wait so a crashing engine fails the start at once. A restart in
// place (pending again) is not an end: the restart policy decides.
func (d *Driver) watchAlloc(ctx context.Context, jobID, allocID string) error {
	var index uint64
	for {
		allocs, meta, err := d.allocations(ctx, jobID, index)
		if err != nil {
			return err
		}
		for _, a := range allocs {
			if a.ID == allocID && a.ClientStatus != api.AllocClientStatusRunning && a.ClientStatus != api.AllocClientStatusPending {
				return engineFailure{allocError(jobID, a)}
			}
		}
		index = nextIndex(index, meta)
	}
}
