package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// recentOps is how many operations game status shows.
const recentOps = 5

func gameStatus(fs *flag.FlagSet, in *invocation) action {
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		v, err := cl.Game(ctx, id)
		if err != nil {
			return err
		}
		if v.Game == nil || v.Runtime == nil {
			return fmt.Errorf("galaxyd answered game %s without its runtime", id)
		}
		return in.output(v, func() error {
			if err := printGame(in.stdout, v); err != nil {
				return err
			}
			ops, err := cl.Operations(ctx, id, recentOps)
			switch {
			case orchestrator.ErrorCode(err) == orchestrator.EFORBIDDEN:
				return nil // the lobby token does not read operations
			case err != nil:
				_, err = fmt.Fprintf(in.stdout, "\nRecent Operations\nnot shown: %s\n", describe(err))
				return err
			case len(ops) == 0:
				return nil
			}
			fmt.Fprintln(in.stdout, "\nRecent Operations")
			return printOps(in.stdout, ops)
		})
	}
}

// printGame shows one game for people: its runtime as "Key = value" lines, then its
// races with the figures of the last turn.
func printGame(w io.Writer, v *orchestrator.GameView) error {
	if v.Game == nil {
		v.Game = &orchestrator.Game{}
	}
	r := runtimeOf(v)
	version := v.EngineVersion
	if r.EngineVersion != "" {
		version = r.EngineVersion // what runs; the game's own changes with patch too
	}
	rows := [][2]string{
		{"ID", v.ID.String()},
		{"Status", r.Status},
		{"Paused", strconv.FormatBool(r.Paused)},
		{"Engine version", version},
		{"Engine health", health(r)},
		{"Schedule", strings.TrimSpace(v.Schedule.Cron + " " + v.Schedule.Timezone)},
		{"Current turn", strconv.Itoa(r.CurrentTurn)},
	}
	if r.PendingTurn > 0 {
		rows = append(rows, [2]string{"Pending turn", strconv.Itoa(r.PendingTurn) + " (being generated)"})
	}
	rows = append(rows, [2]string{"Next turn", nextTurn(r)})
	if at := r.ArchivedTurn; at != nil {
		archived := strconv.Itoa(*at)
		if r.ArchiveLine > 0 {
			archived += fmt.Sprintf(" (history line %d)", r.ArchiveLine)
		}
		rows = append(rows, [2]string{"Archived turn", archived})
	}
	if r.SnapshotsUnsupported {
		rows = append(rows, [2]string{"Archive", "unavailable: the engine has no snapshots (older engine contract)"})
	}
	if v.EarlyTurn {
		rows = append(rows, [2]string{"Early turn", "when every race's orders are final"})
	}
	job := r.JobID
	if job != "" && r.JobVersion > 0 {
		job += fmt.Sprintf(" (version %d)", r.JobVersion)
	}
	restarts := ""
	if r.Restarts > 0 {
		restarts = strconv.Itoa(r.Restarts)
	}
	rows = append(rows, [][2]string{
		{"Node", r.NodeID},
		{"Allocation", r.AllocID},
		{"Job", job},
		{"Endpoint", r.EngineEndpoint},
		{"Restarts", restarts},
		{"Created", optional(&v.CreatedAt)},
		{"Started", optional(r.StartedAt)},
		{"Stopped", optional(r.StoppedAt)},
		{"Finished", optional(r.FinishedAt)},
		{"Last error", r.LastError},
	}...)
	if err := keyValues(w, rows); err != nil {
		return err
	}
	if len(v.Players) == 0 {
		return nil
	}
	fmt.Fprintln(w, "\nRaces")
	tw := table(w)
	fmt.Fprintln(tw, "RACE\tUSER\tPLANETS\tPOPULATION\tINDUSTRY\tTECH D/W/S/C\tSHIPS")
	for _, p := range v.Players {
		race, planets, pop, ind, tch, ships := p.RaceName, "-", "-", "-", "-", "-"
		for _, s := range r.Players {
			if s.ID != p.EnginePlayerID {
				continue
			}
			planets, pop, ind = strconv.Itoa(s.Planets), fmt.Sprintf("%.2f", s.Population), fmt.Sprintf("%.2f", s.Industry)
			tch, ships = tech(s.Tech.Drive, s.Tech.Weapons, s.Tech.Shields, s.Tech.Cargo), strconv.Itoa(s.Ships)
			if s.Out {
				race += " (out)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", race, p.UserID, planets, pop, ind, tch, ships)
	}
	return tw.Flush()
}

// health is the engine's health, "unknown" when galaxyd has none to tell.
func health(r *orchestrator.Runtime) string {
	if r.EngineHealth == "" {
		return orchestrator.HealthUnknown
	}
	return r.EngineHealth
}
