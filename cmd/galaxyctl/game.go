package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// multiFlag collects a repeatable flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// gameOps maps the CLI's verbs for queued operations to API paths.
var gameOps = map[string]struct{ method, suffix string }{
	"start":      {"POST", "/start"},
	"stop":       {"POST", "/stop"},
	"restart":    {"POST", "/restart"},
	"force-turn": {"POST", "/force-next-turn"},
	"remove":     {"DELETE", ""},
}

func (c *cli) game(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usagef("game needs a subcommand: create, list, status, start, stop, pause, resume, restart, patch, force-turn, remove, ops")
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "create":
		return c.gameCreate(ctx, args)
	case "list":
		return c.gameList(ctx, args)
	case "status":
		return c.gameStatus(ctx, args)
	case "pause", "resume":
		return c.gamePause(ctx, verb, args)
	case "patch":
		return c.gamePatch(ctx, args)
	case "ops":
		return c.gameOperations(ctx, args)
	}
	if _, ok := gameOps[verb]; ok {
		return c.gameOp(ctx, verb, args)
	}
	return usagef("unknown game subcommand %q", verb)
}

func (c *cli) gameCreate(ctx context.Context, args []string) error {
	fs, co := c.newFlags("game create")
	var in orchestrator.GameInput
	var players multiFlag
	var settings, idemKey string
	var demo bool
	fs.StringVar(&in.EngineVersion, "version", "", "engine version (semver)")
	fs.StringVar(&in.Schedule.Cron, "cron", "", "turn schedule: cron expression or \"@every 1m\"")
	fs.StringVar(&in.Schedule.Timezone, "tz", "UTC", "IANA time zone of the schedule")
	fs.Var(&players, "player", "USER_UUID:RaceName (repeatable)")
	fs.StringVar(&settings, "settings", "", "engine settings as a JSON object")
	fs.BoolVar(&in.EarlyTurn, "early-turn", false, "run the turn once every player's orders are final")
	fs.StringVar(&idemKey, "idempotency-key", "", "makes the create safe to retry")
	fs.BoolVar(&demo, "demo", false, "a 3-race game on a 1-minute schedule with the newest enabled engine version")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game create", pos); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	for _, p := range players {
		user, race, ok := strings.Cut(p, ":")
		id, err := uuid.Parse(user)
		if !ok || err != nil || race == "" {
			return usagef("-player %q: want USER_UUID:RaceName", p)
		}
		in.Players = append(in.Players, orchestrator.PlayerInput{UserID: id, RaceName: race})
	}
	if settings != "" {
		if err := json.Unmarshal([]byte(settings), &in.Settings); err != nil {
			return usagef("-settings: want a JSON object: %v", err)
		}
	}
	if demo {
		if err := demoGame(ctx, cl, &in); err != nil {
			return err
		}
	}
	if in.EngineVersion == "" || in.Schedule.Cron == "" || len(in.Players) == 0 {
		return usagef("game create needs -version, -cron and at least one -player (or -demo)")
	}
	h := http.Header{}
	if idemKey != "" {
		h.Set("Idempotency-Key", idemKey)
	}
	var v orchestrator.GameView
	raw, status, err := cl.do(ctx, request{method: "POST", path: "/api/v1/games", body: in, header: h}, &v)
	if err != nil {
		return err
	}
	if co.json {
		return c.raw(raw)
	}
	if status == http.StatusOK {
		fmt.Fprintln(c.stdout, "Game already created with this idempotency key:")
	}
	c.printGame(&v)
	if v.Runtime != nil && v.Runtime.Status == orchestrator.StatusCreated {
		fmt.Fprintf(c.stderr, "\nStart it with: galaxyctl game start %s -wait\n", v.ID)
	}
	return nil
}

// demoRaces name the demo game's races.
var demoRaces = []string{"Andromedans", "Betelgeusians", "Cygnians"}

// demoGame fills in a quick-start game: three races with random users, a turn every
// minute in UTC and, unless -version was given, the newest enabled engine version.
func demoGame(ctx context.Context, cl *Client, in *orchestrator.GameInput) error {
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
	var list versionList
	if _, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/engine-versions"}, &list); err != nil {
		return err
	}
	var newest *semver.Version
	for _, v := range list.Versions {
		sv, err := semver.StrictNewVersion(v.Version)
		if err == nil && v.Enabled && (newest == nil || sv.GreaterThan(newest)) {
			newest = sv
		}
	}
	if newest == nil {
		return fmt.Errorf("no enabled engine version: add one with galaxyctl version add <version> -command <path> (or -image <ref>)")
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

type gameList struct {
	Games []*orchestrator.GameView `json:"games"`
}

func (c *cli) gameList(ctx context.Context, args []string) error {
	fs, co := c.newFlags("game list")
	status := fs.String("status", "", "only games in this runtime status")
	limit := fs.Int("limit", 0, "page size (default 100)")
	after := fs.String("after", "", "list games after this ID")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game list", pos); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	q := url.Values{}
	for k, v := range map[string]string{"status": *status, "after": *after} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if *limit > 0 {
		q.Set("limit", strconv.Itoa(*limit))
	}
	var l gameList
	raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/games", query: q}, &l)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	if len(l.Games) == 0 {
		fmt.Fprintln(c.stdout, "No games.")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "ID\tSTATUS\tPAUSED\tTURN\tVERSION\tPLAYERS\tNEXT TURN")
	for _, g := range l.Games {
		r := runtimeOf(g)
		fmt.Fprintf(tw, "%s\t%s\t%t\t%d\t%s\t%d\t%s\n", g.ID, r.Status, r.Paused, r.CurrentTurn,
			g.EngineVersion, len(g.Players), when(r.NextTurnAt))
	}
	return tw.Flush()
}

func (c *cli) gameStatus(ctx context.Context, args []string) error {
	fs, co := c.newFlags("game status")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game status", pos, "<gameId>"); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var v orchestrator.GameView
	raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/games/" + url.PathEscape(pos[0])}, &v)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	c.printGame(&v)
	return nil
}

// printGame shows one game for people: the runtime as key/value lines, then players.
func (c *cli) printGame(v *orchestrator.GameView) {
	if v.Game == nil {
		v.Game = &orchestrator.Game{}
	}
	r := runtimeOf(v)
	tw := c.table()
	rows := [][2]string{
		{"ID", v.ID.String()},
		{"Status", r.Status},
		{"Paused", strconv.FormatBool(r.Paused)},
		{"Engine version", v.EngineVersion},
		{"Schedule", strings.TrimSpace(v.Schedule.Cron + " " + v.Schedule.Timezone)},
		{"Current turn", strconv.Itoa(r.CurrentTurn)},
		{"Next turn", when(r.NextTurnAt)},
		{"Endpoint", r.EngineEndpoint},
		{"Job", r.JobID},
		{"Allocation", r.AllocID},
		{"Last error", r.LastError},
		{"Created", when(&v.CreatedAt)},
	}
	for _, row := range rows {
		if row[1] != "" {
			fmt.Fprintf(tw, "%s\t= %s\n", row[0], row[1])
		}
	}
	_ = tw.Flush()
	if len(v.Players) == 0 {
		return
	}
	fmt.Fprintln(c.stdout, "\nPlayers")
	tw = c.table()
	fmt.Fprintln(tw, "USER\tRACE\tENGINE PLAYER\tPLANETS\tPOPULATION\tINDUSTRY")
	for _, p := range v.Players {
		planets, pop, ind := "-", "-", "-"
		for _, s := range r.Players {
			if s.ID == p.EnginePlayerID {
				planets, pop, ind = strconv.Itoa(s.Planets), fmt.Sprintf("%.1f", s.Population), fmt.Sprintf("%.1f", s.Industry)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", p.UserID, p.RaceName, p.EnginePlayerID, planets, pop, ind)
	}
	_ = tw.Flush()
}

func (c *cli) gamePause(ctx context.Context, verb string, args []string) error {
	fs, co := c.newFlags("game " + verb)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game "+verb, pos, "<gameId>"); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var v orchestrator.GameView
	raw, _, err := cl.do(ctx, request{method: "POST", path: "/api/v1/games/" + url.PathEscape(pos[0]) + "/" + verb}, &v)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	r := runtimeOf(&v)
	fmt.Fprintf(c.stdout, "Game %s: status %s, paused %t\n", pos[0], r.Status, r.Paused)
	return nil
}

// opFlags are the flags of commands that queue an operation.
type opFlags struct {
	wait    bool
	timeout time.Duration
}

func addOpFlags(fs *flag.FlagSet) *opFlags {
	o := &opFlags{}
	fs.BoolVar(&o.wait, "wait", false, "wait until the operation has finished; exit 1 if it failed")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long -wait waits")
	return o
}

func (c *cli) gameOp(ctx context.Context, verb string, args []string) error {
	fs, co := c.newFlags("game " + verb)
	of := addOpFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game "+verb, pos, "<gameId>"); err != nil {
		return err
	}
	route := gameOps[verb]
	return c.queue(ctx, co, of, request{method: route.method, path: "/api/v1/games/" + url.PathEscape(pos[0]) + route.suffix})
}

func (c *cli) gamePatch(ctx context.Context, args []string) error {
	fs, co := c.newFlags("game patch")
	of := addOpFlags(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game patch", pos, "<gameId>", "<version>"); err != nil {
		return err
	}
	return c.queue(ctx, co, of, request{method: "POST", path: "/api/v1/games/" + url.PathEscape(pos[0]) + "/patch",
		body: map[string]string{"version": pos[1]}})
}

type operationList struct {
	Operations []*orchestrator.Operation `json:"operations"`
}

func (c *cli) gameOperations(ctx context.Context, args []string) error {
	fs, co := c.newFlags("game ops")
	limit := fs.Int("limit", 20, "how many operations, newest first")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs("game ops", pos, "<gameId>"); err != nil {
		return err
	}
	cl, err := c.client(co)
	if err != nil {
		return err
	}
	var l operationList
	raw, _, err := cl.do(ctx, request{method: "GET", path: "/api/v1/games/" + url.PathEscape(pos[0]) + "/operations",
		query: url.Values{"limit": {strconv.Itoa(*limit)}}}, &l)
	if err != nil || co.json {
		return c.rawOr(raw, err)
	}
	if len(l.Operations) == 0 {
		fmt.Fprintln(c.stdout, "No operations.")
		return nil
	}
	tw := c.table()
	fmt.Fprintln(tw, "ID\tOP\tSOURCE\tSTATUS\tCREATED\tFINISHED\tERROR")
	for _, op := range l.Operations {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", op.ID, op.Op, op.Source, op.Status,
			when(&op.CreatedAt), when(op.FinishedAt), opError(op))
	}
	return tw.Flush()
}

// runtimeOf never returns nil, so printing a partial answer cannot panic.
func runtimeOf(v *orchestrator.GameView) *orchestrator.Runtime {
	if v.Runtime == nil {
		return &orchestrator.Runtime{}
	}
	return v.Runtime
}

// when formats a time for tables in the local zone; "-" when unset.
func when(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.RFC3339)
}

func (c *cli) table() *tabwriter.Writer {
	return tabwriter.NewWriter(c.stdout, 0, 8, 2, ' ', 0)
}

// raw prints an API answer as is (for -json).
func (c *cli) raw(b []byte) error {
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	_, err := c.stdout.Write(b)
	return err
}

// rawOr returns err, or prints raw when there is none.
func (c *cli) rawOr(raw []byte, err error) error {
	if err != nil {
		return err
	}
	return c.raw(raw)
}
