package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func reconcileCommand() *command {
	return &command{
		name: "reconcile", args: "[run]", synopsis: "Show the last reconciliation pass; \"run\" runs one now (admin)", setup: reconcile,
		help: `Shows what the last reconciliation pass found and did: games restarted,
engines stopped, endpoints refreshed, orphans. "galaxyctl reconcile run" runs a
pass now and shows it.`,
	}
}

func reconcile(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		if len(pos) == 1 && pos[0] != "run" {
			return &usageError{msg: fmt.Sprintf("reconcile: unexpected argument %q (want \"run\" or nothing)", pos[0]), cmd: in.cmd}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		var rep *orchestrator.ReconcileReport
		if len(pos) == 1 {
			rep, err = cl.Reconcile(ctx)
		} else {
			rep, err = cl.LastReconcileReport(ctx)
		}
		if err != nil {
			return err
		}
		return in.output(rep, func() error {
			if err := keyValues(in.stdout, [][2]string{
				{"Started", rep.StartedAt.Local().Format(time.RFC3339)},
				{"Duration", strconv.FormatInt(rep.DurationMS, 10) + " ms"},
				{"Games", strconv.Itoa(rep.Games)},
				{"Restarted", ids(rep.Restarted)},
				{"Stopped", ids(rep.Stopped)},
				{"Refreshed", ids(rep.Refreshed)},
				{"Orphans", fmt.Sprintf("%d (removed %d)", len(rep.Orphans), rep.OrphansRemoved)},
			}); err != nil {
				return err
			}
			if len(rep.Orphans) > 0 {
				fmt.Fprintln(in.stdout, "\nOrphans")
				tw := table(in.stdout)
				fmt.Fprintln(tw, "GAME\tJOB\tENDPOINT\tRUNNING")
				for _, o := range rep.Orphans {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%t\n", o.GameID, dash(o.JobID), dash(o.Endpoint), o.Running)
				}
				_ = tw.Flush()
			}
			if len(rep.Errors) > 0 {
				fmt.Fprintln(in.stdout, "\nErrors")
				for _, e := range rep.Errors {
					fmt.Fprintf(in.stdout, "  %s\n", e)
				}
			}
			return nil
		})
	}
}
