package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

func gameCommand() *command {
	return &command{
		name:     "game",
		synopsis: "Create, inspect, watch and drive games",
		help:     "Games: create, list, status and watch them, and start, stop, pause or patch them.",
		subs: append([]*command{
			{name: "create", synopsis: "Create a game", setup: gameCreate, help: `Creates a game in status "created"; "game start" starts it. -demo fills in a
3-race game on a 1-minute schedule with the newest enabled engine version.`},
			{name: "list", synopsis: "List games", setup: gameList, help: `Lists games in ID order, a page at a time. Removed games are hidden unless -all
or -status removed is given. When more games follow, the last line says how to
get the next page (-after); -json gives it as "next".`},
			{name: "status", args: "<gameId>", synopsis: "Show a game: status, health, node, turns, races", setup: gameStatus,
				help: `Shows a game's runtime: status, engine health, where its engine runs (node,
allocation), when it started, stopped or finished, its last error, whether it
is paused, the next turn (none while paused), its engine version, the
archived turn when galaxyd archives turns, each race's figures of the last
turn and the most recent operations (admin token).`},
			{name: "watch", args: "<gameId>", synopsis: "Follow a game's events until interrupted", setup: gameWatch,
				help: `Follows a game live until interrupted (Ctrl-C) or removed: its events from
galaxyd's event stream (GET /api/v1/events), or, from a galaxyd without one,
the changes of its runtime and operations, polled every second. -json prints
one JSON object a line: {"event":...}, {"runtime":...} or {"operation":...}.`},
			opCmd("start", "Start a game's engine (created, stopped or failed games)", "POST /api/v1/games/{id}/start"),
			opCmd("stop", "Stop a game's engine, keeping its state", "POST /api/v1/games/{id}/stop"),
			opCmd("restart", "Restart a game's engine on its state (admin)", "POST /api/v1/games/{id}/restart"),
			opCmd("force-turn", "Generate the next turn now (admin)", "POST /api/v1/games/{id}/force-next-turn"),
			opCmd("sleep", "Put a running game's engine to sleep now: state archived, engine stopped (admin)", "POST /api/v1/games/{id}/sleep"),
			opCmd("wake", "Wake a sleeping game's engine now (admin)", "POST /api/v1/games/{id}/wake"),
			{name: "patch", args: "<gameId> <version>", synopsis: "Move a game to a newer engine version of its major.minor (admin)",
				setup: gamePatch, help: opHelp("POST /api/v1/games/{id}/patch")},
			{name: "pause", args: "<gameId>", synopsis: "Pause a game: turns skipped, orders refused", setup: gameFlip("pause"),
				help: "Pauses a game at once: its turns are skipped and players' orders refused\n(game_paused) until it is resumed; reports stay readable."},
			{name: "resume", args: "<gameId>", synopsis: "Resume a paused game", setup: gameFlip("resume"),
				help: "Resumes a paused game; the next turn is the next slot of its schedule."},
			opCmd("remove", "Remove a game: stop its engine, delete its state (admin)", "DELETE /api/v1/games/{id}"),
			{name: "ops", args: "<gameId>", synopsis: "List a game's operations, newest first (admin)", setup: gameOps,
				help: "Lists a game's operation log, newest first: what was asked, by whom, and how\nit ended."},
		}, append(viewCommands(), archiveCommands()...)...),
	}
}

// opHelp is the help of the commands that queue an operation.
func opHelp(route string) string {
	return "Queues the operation (" + route + ") and prints it. " + waitHelp
}

// opCmd is a game subcommand that queues one operation.
func opCmd(name, synopsis, route string) *command {
	return &command{name: name, args: "<gameId>", synopsis: synopsis, help: opHelp(route),
		setup: func(fs *flag.FlagSet, in *invocation) action {
			of := addOpFlags(fs)
			return func(ctx context.Context, pos []string) error {
				id, err := in.parseID("gameId", pos[0])
				if err != nil {
					return err
				}
				cl, err := in.client()
				if err != nil {
					return err
				}
				calls := map[string]func(context.Context, uuid.UUID, orchestrator.Source) (*orchestrator.Operation, error){
					"start": cl.Start, "stop": cl.Stop, "restart": cl.Restart, "force-turn": cl.ForceNextTurn, "remove": cl.Remove,
					"sleep": cl.Sleep, "wake": cl.Wake,
				}
				op, err := calls[name](ctx, id, orchestrator.SourceAdmin)
				if err != nil {
					return err
				}
				return in.finishOp(ctx, cl, of, op)
			}
		}}
}

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func gameCreate(fs *flag.FlagSet, in *invocation) action {
	var gi orchestrator.GameInput
	var players multiFlag
	var settings, idemKey string
	var demo bool
	fs.StringVar(&gi.EngineVersion, "version", "", "The engine `version` (semver). Default with -demo: the newest enabled one.")
	fs.StringVar(&gi.Schedule.Cron, "cron", "", "The turn schedule: a `cron` expression or \"@every 1m\".")
	fs.StringVar(&gi.Schedule.Timezone, "tz", "UTC", "The IANA time `zone` of the schedule.")
	fs.Var(&players, "player", "A player as `USER_UUID:RaceName`; repeat for each.")
	fs.StringVar(&settings, "settings", "", "The engine settings as a `JSON` object.")
	fs.BoolVar(&gi.EarlyTurn, "early-turn", false, "Run the turn once every player's orders are final.")
	fs.StringVar(&idemKey, "idempotency-key", "", "A `key` that makes the create safe to retry: the same key and body return the first game.")
	fs.BoolVar(&demo, "demo", false, "A 3-race game on a 1-minute schedule (UTC) with the newest enabled engine version.")
	return func(ctx context.Context, _ []string) error {
		for _, p := range players {
			user, race, ok := strings.Cut(p, ":")
			id, err := uuid.Parse(user)
			if !ok || err != nil || race == "" {
				return &usageError{msg: fmt.Sprintf("-player %q: want USER_UUID:RaceName", p), cmd: in.cmd}
			}
			gi.Players = append(gi.Players, orchestrator.PlayerInput{UserID: id, RaceName: race})
		}
		if settings != "" {
			if err := json.Unmarshal([]byte(settings), &gi.Settings); err != nil {
				return &usageError{msg: fmt.Sprintf("-settings: want a JSON object: %v", err), cmd: in.cmd}
			}
		}
		if !demo && (gi.EngineVersion == "" || gi.Schedule.Cron == "" || len(gi.Players) == 0) {
			return &usageError{msg: "game create needs -version, -cron and at least one -player (or -demo)", cmd: in.cmd}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		if demo {
			if err := demoGame(ctx, cl, &gi); err != nil {
				return err
			}
		}
		v, created, err := cl.CreateGame(ctx, gi, idemKey)
		if err != nil {
			return err
		}
		return in.output(v, func() error {
			if !created {
				fmt.Fprintln(in.stdout, "Game already created with this idempotency key:")
			}
			if err := printGame(in.stdout, v); err != nil {
				return err
			}
			if runtimeOf(v).Status == orchestrator.StatusCreated {
				fmt.Fprintf(in.stderr, "\nStart it with: galaxyctl game start %s -wait\n", v.ID)
			}
			return nil
		})
	}
}

// demoRaces name the demo game's races.
var demoRaces = []string{"Andromedans", "Betelgeusians", "Cygnians"}

// demoGame fills in a quick-start game: three races with random users, a turn every
// minute in UTC and, unless -version was given, the newest enabled engine version.
func demoGame(ctx context.Context, cl *ghttp.Client, in *orchestrator.GameInput) error {
	if in.Schedule.Cron == "" {
		in.Schedule = orchestrator.Schedule{Cron: "* * * * *", Timezone: "UTC"}
	}
	if len(in.Players) == 0 {
		for _, race := range demoRaces {
			in.Players = append(in.Players, orchestrator.PlayerInput{UserID: randomUUID(), RaceName: race})
		}
	}
	if in.EngineVersion != "" {
		return nil
	}
	versions, err := cl.EngineVersions(ctx)
	if err != nil {
		return err
	}
	var newest *semver.Version
	for _, v := range versions {
		sv, err := semver.StrictNewVersion(v.Version)
		if err == nil && v.Enabled && (newest == nil || sv.GreaterThan(newest)) {
			newest = sv
		}
	}
	if newest == nil {
		return fmt.Errorf("no enabled engine version: add one with galaxyctl engine add <version> -command <path> (or -image <ref>)")
	}
	in.EngineVersion = newest.String()
	return nil
}

func randomUUID() uuid.UUID {
	id, err := uuid.NewRandomFromReader(rand.Reader)
	if err != nil {
		panic(err) // crypto/rand does not fail
	}
	return id
}

// gameFlip is pause or resume: instant, 200 with the game.
func gameFlip(verb string) func(fs *flag.FlagSet, in *invocation) action {
	return func(fs *flag.FlagSet, in *invocation) action {
		return func(ctx context.Context, pos []string) error {
			id, err := in.parseID("gameId", pos[0])
			if err != nil {
				return err
			}
			cl, err := in.client()
			if err != nil {
				return err
			}
			call := cl.Pause
			if verb == "resume" {
				call = cl.Resume
			}
			v, err := call(ctx, id, orchestrator.SourceAdmin)
			if err != nil {
				return err
			}
			return in.output(v, func() error {
				r := runtimeOf(v)
				_, err := fmt.Fprintf(in.stdout, "Game %s: status %s, paused %t, next turn %s\n", id, r.Status, r.Paused, nextTurn(r))
				return err
			})
		}
	}
}

func gamePatch(fs *flag.FlagSet, in *invocation) action {
	of := addOpFlags(fs)
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		op, err := cl.Patch(ctx, id, pos[1], orchestrator.SourceAdmin)
		if err != nil {
			return err
		}
		return in.finishOp(ctx, cl, of, op)
	}
}

func gameOps(fs *flag.FlagSet, in *invocation) action {
	limit := fs.Int("limit", 20, "How many operations to list, newest first (at most 1000).")
	return func(ctx context.Context, pos []string) error {
		id, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		ops, err := cl.Operations(ctx, id, *limit)
		if err != nil {
			return err
		}
		if ops == nil {
			ops = []*orchestrator.Operation{}
		}
		return in.output(ops, func() error {
			if len(ops) == 0 {
				_, err := fmt.Fprintln(in.stdout, "No operations.")
				return err
			}
			return printOps(in.stdout, ops)
		})
	}
}

// printOps lists operations as a table.
func printOps(w io.Writer, ops []*orchestrator.Operation) error {
	tw := table(w)
	fmt.Fprintln(tw, "ID\tOP\tSOURCE\tSTATUS\tATTEMPTS\tCREATED\tFINISHED\tERROR")
	for _, op := range ops {
		attempts := "-"
		if op.Attempts > 0 {
			attempts = strconv.Itoa(op.Attempts)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", op.ID, op.Op, op.Source, op.Status, attempts,
			when(&op.CreatedAt), when(op.FinishedAt), dash(opError(op)))
	}
	return tw.Flush()
}

// nextTurn says when the next turn is due: none while paused or unscheduled.
func nextTurn(r *orchestrator.Runtime) string {
	switch {
	case r.Paused:
		return "none (paused)"
	case r.NextTurnAt == nil:
		return "none"
	}
	return whenRel(r.NextTurnAt)
}
