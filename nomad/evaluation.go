package nomad

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/nomad/api"
)

// followEval waits with blocking queries until the evaluation is done. A job Nomad
// cannot place still registers fine (fixtures 18a/18b): the failure is only in the
// evaluation (FailedTGAllocs, BlockedEval; 19a-20b), which becomes an EUNAVAILABLE
// naming what filtered the nodes, instead of a wait that never ends.
func (d *Driver) followEval(ctx context.Context, jobID, evalID string) (*api.Evaluation, error) {
	var index uint64
	for {
		var (
			ev   *api.Evaluation
			meta *api.QueryMeta
		)
		err := d.call.blocking(ctx, backendNomad, "read evaluation", func(ctx context.Context) (err error) {
			q := (&api.QueryOptions{WaitIndex: index, WaitTime: d.cfg.WaitTime.Std()}).WithContext(ctx)
			ev, meta, err = d.evals.Info(evalID, q)
			return err
		})
		if err != nil {
			return nil, d.call.unavailable("read evaluation "+evalID, err)
		}
		switch ev.Status {
		case api.EvalStatusComplete:
			if len(ev.FailedTGAllocs) > 0 || ev.BlockedEval != "" {
				return ev, engineFailure{placementError(jobID, ev)}
			}
			return ev, nil
		case api.EvalStatusBlocked:
			return ev, engineFailure{placementError(jobID, ev)}
		case api.EvalStatusFailed:
			return ev, engineFailure{orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad could not evaluate job %s: %s", jobID, orEmpty(ev.StatusDescription, "evaluation failed"))}
		case api.EvalStatusCancelled:
			// A newer evaluation of the same job superseded this one; the allocation
			// wait that follows sees whatever it placed.
			return ev, nil
		}
		index = nextIndex(index, meta)
	}
}

// volumeRaceRetries bounds the evaluations evaluate asks for again.
const volumeRaceRetries = 4

// evaluate follows an evaluation of the job as followEval does, and has Nomad
// evaluate the job again (up to volumeRaceRetries times, 250ms, 500ms, 1s, 2s apart)
// when the only thing that kept it off every node was its sticky dynamic volume.
// Nomad 2.0.5 answers "missing compatible host volumes" in the evaluation that first
// handles a failed allocation of the job (the one that creates its follow-up
// reschedule: a revert right after a failed replacement hits it) and the next
// evaluation places it; with the volume checked ready and fingerprinted, that answer
// is this race, not a missing volume.
func (d *Driver) evaluate(ctx context.Context, jobID, evalID string) (*api.Evaluation, error) {
	ev, err := d.followEval(ctx, jobID, evalID)
	for attempt := 0; err != nil && attempt < volumeRaceRetries && d.cfg.SharedVolume == "" && onlyVolumes(ev); attempt++ {
		delay := 250 * time.Millisecond << attempt
		d.logger.Debug("sticky volume not placeable yet, evaluating the job again", "job_id", jobID, "eval_id", ev.ID, "delay", delay)
		t := d.Clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ev, err
		case <-t.C():
		}
		var id string
		if ferr := d.call.short(ctx, "evaluate job", func(ctx context.Context) (err error) {
			id, _, err = d.jobs.ForceEvaluate(jobID, d.writeOpts(ctx))
			return err
		}); ferr != nil {
			return ev, d.call.unavailable("evaluate job "+jobID, ferr)
		}
		ev, err = d.followEval(ctx, jobID, id)
	}
	return ev, err
}

// onlyVolumes reports whether the evaluation's placement failed on host volumes
// alone, on nodes it did evaluate.
func onlyVolumes(ev *api.Evaluation) bool {
	if ev == nil || len(ev.FailedTGAllocs) == 0 {
		return false
	}
	for _, m := range ev.FailedTGAllocs {
		if m == nil || m.NodesEvaluated == 0 || len(m.ConstraintFiltered) != 1 || m.ConstraintFiltered["missing compatible host volumes"] == 0 ||
			len(m.ClassFiltered) > 0 || len(m.DimensionExhausted) > 0 || len(m.QuotaExhausted) > 0 {
			return false
		}
	}
	return true
}

// watchEvals follows the job's evaluations beside a start's allocation wait and ends
// with an engineFailure when Nomad cannot place the job: a blocked evaluation (created
// at or after since, or any when since is 0) while no allocation of the job runs or is
// about to. That is a placement that failed after the job was registered (a drain, a
// lost node, a job already registered and queued), which no allocation change would
// ever report. It returns the context's error when the start ends first.
func (d *Driver) watchEvals(ctx context.Context, jobID string, since uint64) error {
	var index uint64
	for {
		var (
			evs  []*api.Evaluation
			meta *api.QueryMeta
		)
		err := d.call.blocking(ctx, backendNomad, "list evaluations", func(ctx context.Context) (err error) {
			q := (&api.QueryOptions{WaitIndex: index, WaitTime: d.cfg.WaitTime.Std()}).WithContext(ctx)
			evs, meta, err = d.jobs.Evaluations(jobID, q)
			return err
		})
		if err != nil {
			return d.call.unavailable("list evaluations of "+jobID, err)
		}
		var blocked *api.Evaluation
		for _, ev := range evs {
			if ev.Status == api.EvalStatusBlocked && ev.CreateIndex >= since && (blocked == nil || ev.CreateIndex > blocked.CreateIndex) {
				blocked = ev
			}
		}
		if blocked != nil {
			allocs, _, err := d.allocations(ctx, jobID, 0)
			if err != nil {
				return err
			}
			live := false
			for _, a := range allocs {
				live = live || a.DesiredStatus == api.AllocDesiredStatusRun && (a.ClientStatus == api.AllocClientStatusRunning || a.ClientStatus == api.AllocClientStatusPending)
			}
			if !live {
				return engineFailure{placementError(jobID, blocked)}
			}
		}
		index = nextIndex(index, meta)
	}
}

// placementError says which constraint, volume or resource kept the job off every
// node, from the evaluation's allocation metrics.
func placementError(jobID string, ev *api.Evaluation) error {
	var parts []string
	groups := make([]string, 0, len(ev.FailedTGAllocs))
	for g := range ev.FailedTGAllocs {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		m := ev.FailedTGAllocs[g]
		if m == nil {
			continue
		}
		var why []string
		for _, k := range sortedKeys(m.ConstraintFiltered) {
			why = append(why, fmt.Sprintf("constraint %q filtered %s", k, nodes(m.ConstraintFiltered[k])))
		}
		for _, k := range sortedKeys(m.ClassFiltered) {
			why = append(why, fmt.Sprintf("node class %q filtered %s", k, nodes(m.ClassFiltered[k])))
		}
		for _, k := range sortedKeys(m.DimensionExhausted) {
			why = append(why, fmt.Sprintf("%s exhausted on %s", k, nodes(m.DimensionExhausted[k])))
		}
		for _, q := range m.QuotaExhausted {
			why = append(why, "quota exhausted: "+q)
		}
		if m.NodesEvaluated == 0 {
			pool := orEmpty(m.NodePool, "default")
			why = append(why, fmt.Sprintf("no eligible node in node pool %q and the job's datacenters (%d ready and eligible there; drained, ineligible and down nodes are not counted)", pool, m.NodesInPool))
		}
		if len(why) == 0 {
			why = append(why, fmt.Sprintf("%d of %d nodes filtered, %d exhausted", m.NodesFiltered, m.NodesEvaluated, m.NodesExhausted))
		}
		parts = append(parts, fmt.Sprintf("group %q: %s", g, strings.Join(why, "; ")))
	}
	if len(parts) == 0 {
		parts = append(parts, "evaluation blocked ("+orEmpty(ev.StatusDescription, "no node fits")+")")
	}
	return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad cannot place job %s: %s", jobID, strings.Join(parts, "; "))
}

func sortedKeys(m map[string]int) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func nodes(n int) string {
	if n == 1 {
		return "1 node"
	}
	return fmt.Sprintf("%d nodes", n)
}

func orEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// nextIndex is the index for the next blocking query: the answer's, reset to 0 when
// it went backwards (a server restore), and at least 1 once anything was seen.
func nextIndex(prev uint64, meta *api.QueryMeta) uint64 {
	if meta == nil || meta.LastIndex < prev {
		return 0
	}
	return meta.LastIndex
}
