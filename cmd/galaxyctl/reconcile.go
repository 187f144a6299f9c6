package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// reconcile shows the last reconciliation pass, or with "run" runs one now.
func (c *cli) reconcile(ctx context.Context, args []string) error {
	method, name := "GET", "reconcile"
	if len(args) > 0 && args[0] == "run" {
		method, name, args = "POST", "reconcile run", args[1:]
	}
	fs, co := c.newFlags(name)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(name, pos); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var rep orchestrator.ReconcileReport
	raw, _, err := cl.do(ctx, request{method: method, path: "/api/v1/reconcile"}, &rep)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	tw := c.table()
	fmt.Fprintf(tw, "Started\t= %s\n", rep.StartedAt.Format("2006-01-02T15:04:05Z07:00"))
	fmt.Fprintf(tw, "Duration\t= %d ms\n", rep.DurationMS)
	fmt.Fprintf(tw, "Games\t= %d\n", rep.Games)
	fmt.Fprintf(tw, "Restarted\t= %s\n", ids(rep.Restarted))
	fmt.Fprintf(tw, "Stopped\t= %s\n", ids(rep.Stopped))
	fmt.Fprintf(tw, "Refreshed\t= %s\n", ids(rep.Refreshed))
	fmt.Fprintf(tw, "Orphans\t= %d (removed %d)\n", len(rep.Orphans), rep.OrphansRemoved)
	for _, o := range rep.Orphans {
		fmt.Fprintf(tw, "  orphan\t  %s %s %s\n", o.GameID, dash(o.JobID), dash(o.Endpoint))
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(tw, "  error\t  %s\n", e)
	}
	return tw.Flush()
}

func ids[T fmt.Stringer](l []T) string {
	if len(l) == 0 {
		return "-"
	}
	s := make([]string, len(l))
	for i, v := range l {
		s[i] = v.String()
	}
	return strings.Join(s, ", ")
}
