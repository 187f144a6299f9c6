package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// runtimeStatuses are the values of -status, in lifecycle order.
var runtimeStatuses = orchestrator.Statuses

// gamePage is what game list prints: a page of games and, when more follow, the
// -after cursor of the next page.
type gamePage struct {
	Games []*orchestrator.GameView `json:"games"`
	Next  string                   `json:"next,omitempty"`
}

func gameList(fs *flag.FlagSet, in *invocation) action {
	status := fs.String("status", "", "Only games in this runtime `status`: "+strings.Join(runtimeStatuses, ", ")+".")
	all := fs.Bool("all", false, "Include removed games.")
	paused := fs.Bool("paused", false, "Only paused games.")
	node := fs.String("node", "", "Only games whose engine runs on this node `ID`.")
	limit := fs.Int("limit", ghttp.DefaultListLimit, "How many games a page shows.")
	after := fs.String("after", "", "Start after this game `ID`: the cursor of the next page.")
	return func(ctx context.Context, _ []string) error {
		if *status != "" && !slices.Contains(runtimeStatuses, *status) {
			return &usageError{msg: fmt.Sprintf("-status %q: want one of %s", *status, strings.Join(runtimeStatuses, ", ")), cmd: in.cmd}
		}
		if *limit < 1 {
			return &usageError{msg: "-limit must be at least 1", cmd: in.cmd}
		}
		var from uuid.UUID
		if *after != "" {
			var err error
			if from, err = in.parseID("-after", *after); err != nil {
				return err
			}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		// The server filters by status, paused and node; removed games are hidden here.
		f := orchestrator.GameFilter{After: from, Status: *status, Node: *node}
		if *paused {
			f.Paused = paused
		}
		keep := func(g *orchestrator.GameView) bool {
			return *status != "" || *all || runtimeOf(g).Status != orchestrator.StatusRemoved
		}
		page := gamePage{Games: []*orchestrator.GameView{}}
		hidden := 0 // removed games skipped, said when nothing else is shown
		// One game more than the page tells whether a next page exists.
		f.Limit = min(max(*limit+1, ghttp.DefaultListLimit), ghttp.MaxListLimit)
		for g, err := range cl.EachGame(ctx, f) {
			if err != nil {
				return err
			}
			if !keep(g) {
				if runtimeOf(g).Status == orchestrator.StatusRemoved {
					hidden++
				}
				continue
			}
			if len(page.Games) == *limit {
				page.Next = page.Games[len(page.Games)-1].ID.String()
				break
			}
			page.Games = append(page.Games, g)
		}
		return in.output(page, func() error {
			if len(page.Games) == 0 && hidden > 0 && *status == "" && !*all {
				_, err := fmt.Fprintf(in.stdout, "No games (%s hidden; -all shows them).\n", plural(hidden, "removed game"))
				return err
			} else if len(page.Games) == 0 {
				_, err := fmt.Fprintln(in.stdout, "No games.")
				return err
			}
			tw := table(in.stdout)
			fmt.Fprintln(tw, "ID\tSTATUS\tPAUSED\tHEALTH\tTURN\tVERSION\tRACES\tNEXT TURN")
			for _, g := range page.Games {
				r := runtimeOf(g)
				next := "-"
				if !r.Paused && r.NextTurnAt != nil {
					next = when(r.NextTurnAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%d\t%s\t%d\t%s\n", g.ID, r.Status, r.Paused, health(r), r.CurrentTurn,
					firstOf(r.EngineVersion, g.EngineVersion), len(g.Players), next)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if page.Next != "" {
				args := []string{"galaxyctl game list"}
				if *status != "" {
					args = append(args, "-status "+*status)
				}
				if *all {
					args = append(args, "-all")
				}
				if *paused {
					args = append(args, "-paused")
				}
				if *node != "" {
					args = append(args, "-node "+*node)
				}
				if *limit != ghttp.DefaultListLimit {
					args = append(args, "-limit "+strconv.Itoa(*limit))
				}
				fmt.Fprintf(in.stdout, "\nMore games follow: %s -after %s\n", strings.Join(args, " "), page.Next)
			}
			return nil
		})
	}
}
