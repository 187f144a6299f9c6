package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

func reportCommand() *command {
	return &command{
		name: "report", args: "<gameId>", synopsis: "Show a race's turn report (on behalf of a lobby user)", setup: report,
		help: `Shows the turn report of the user's race, readable while the game's engine runs
(also paused or finished): by default as tables of the race, the races, its
planets, groups and fleets, battles, messages and rejected orders; with -text in
the engine's GalaxyNG text layout (when galaxyd serves it); with -json as the
engine's JSON, as it is; -t runs a template over that JSON ({{.race.name}}).`,
	}
}

func report(fs *flag.FlagSet, in *invocation) action {
	user := userFlag(fs)
	var turn optInt
	fs.Var(&turn, "turn", "The `turn` (0 is turn 0). Default: the last generated turn.")
	text := fs.Bool("text", false, "Print the engine's GalaxyNG text report.")
	return func(ctx context.Context, pos []string) error {
		gameID, err := in.parseID("gameId", pos[0])
		if err != nil {
			return err
		}
		userID, err := in.parseUser(*user)
		if err != nil {
			return err
		}
		if *text && !in.human() {
			return &usageError{msg: "report: -text excludes -json and -t", cmd: in.cmd}
		}
		cl, err := in.client()
		if err != nil {
			return err
		}
		var q orchestrator.ReportQuery
		if turn.set {
			q.Turn = &turn.n
		}
		if *text {
			out, err := cl.ReportText(ctx, gameID, userID, q)
			if errors.Is(err, errors.ErrUnsupported) {
				return errors.New("this galaxyd does not serve text reports yet (GET /api/v1/games/{id}/report?format=text answers JSON); " +
					"the default view and -json show the report")
			} else if err != nil {
				return err
			}
			_, err = in.stdout.Write(out)
			return err
		}
		raw, err := cl.Report(ctx, gameID, userID, q)
		if err != nil {
			return err
		}
		switch {
		case in.json:
			_, err := fmt.Fprintf(in.stdout, "%s\n", bytes.TrimRight(raw, "\n"))
			return err
		case in.tmpl != "":
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("the report is not JSON: %w", err)
			}
			return in.execTemplate(v)
		}
		return printReport(in.stdout, raw)
	}
}

// reportView is what the default view shows of a report: the reference engine's
// fields (engine/game.Report). Reports are engine-defined; one without a race and a
// turn is shown as indented JSON.
type reportView struct {
	GameID   string   `json:"gameId"`
	Turn     *int     `json:"turn"`
	Finished bool     `json:"finished"`
	Winners  []string `json:"winners"`
	Race     *struct {
		Name       string      `json:"name"`
		Home       int         `json:"home"`
		Tech       engine.Tech `json:"tech"`
		Population float64     `json:"population"`
		Industry   float64     `json:"industry"`
		Out        bool        `json:"out"`
	} `json:"race"`
	Size   float64 `json:"size"`
	Status []struct {
		Name       string      `json:"name"`
		Tech       engine.Tech `json:"tech"`
		Population float64     `json:"population"`
		Industry   float64     `json:"industry"`
		Planets    int         `json:"planets"`
		Stance     string      `json:"stance"`
		Out        bool        `json:"out"`
	} `json:"status"`
	Planets []struct {
		Number     int     `json:"number"`
		Name       string  `json:"name"`
		X          float64 `json:"x"`
		Y          float64 `json:"y"`
		Size       float64 `json:"size"`
		Resources  float64 `json:"resources"`
		Pop        float64 `json:"pop"`
		Ind        float64 `json:"ind"`
		Cap        float64 `json:"cap"`
		Mat        float64 `json:"mat"`
		Col        float64 `json:"col"`
		Producing  string  `json:"producing"`
		Ship       string  `json:"ship"`
		Production float64 `json:"production"`
	} `json:"planets"`
	Groups []struct {
		Number int     `json:"number"`
		Ships  int     `json:"ships"`
		Design string  `json:"design"`
		Planet int     `json:"planet"`
		Dist   float64 `json:"dist"`
		From   int     `json:"from"`
		Fleet  string  `json:"fleet"`
		Speed  float64 `json:"speed"`
	} `json:"groups"`
	Fleets []struct {
		Name   string  `json:"name"`
		Speed  float64 `json:"speed"`
		Groups []int   `json:"groups"`
	} `json:"fleets"`
	Battles []struct {
		Planet     int    `json:"planet"`
		PlanetName string `json:"planetName"`
		Rounds     int    `json:"rounds"`
		Shots      int    `json:"shots"`
	} `json:"battles"`
	Incoming []struct {
		From  int     `json:"from"`
		To    int     `json:"to"`
		Dist  float64 `json:"dist"`
		Speed float64 `json:"speed"`
		Mass  float64 `json:"mass"`
	} `json:"incoming"`
	Messages []struct {
		From string `json:"from"`
		Text string `json:"text"`
	} `json:"messages"`
	Rejected []struct {
		Order  json.RawMessage `json:"order"`
		Reason string          `json:"reason"`
	} `json:"rejectedOrders"`
}

// printReport renders a report as tables, or as indented JSON when it is not the
// reference engine's.
func printReport(w io.Writer, raw json.RawMessage) error {
	var r reportView
	if json.Unmarshal(raw, &r) != nil || r.Race == nil || r.Turn == nil {
		var out bytes.Buffer
		if json.Indent(&out, raw, "", "  ") != nil {
			out.Reset()
			out.Write(raw)
		}
		out.WriteByte('\n')
		_, err := w.Write(out.Bytes())
		return err
	}
	race := r.Race.Name
	if r.Race.Out {
		race += " (out of the game)"
	}
	end := ""
	if r.Finished {
		end = "finished"
		if len(r.Winners) > 0 {
			end += ", won by " + strings.Join(r.Winners, ", ")
		}
	}
	if err := keyValues(w, [][2]string{
		{"Race", race},
		{"Turn", strconv.Itoa(*r.Turn)},
		{"Game", r.GameID},
		{"Game over", end},
		{"Home planet", strconv.Itoa(r.Race.Home)},
		{"Population", fmt.Sprintf("%.2f", r.Race.Population)},
		{"Industry", fmt.Sprintf("%.2f", r.Race.Industry)},
		{"Tech D/W/S/C", tech(r.Race.Tech.Drive, r.Race.Tech.Weapons, r.Race.Tech.Shields, r.Race.Tech.Cargo)},
		{"Galaxy size", fmt.Sprintf("%.0f", r.Size)},
	}); err != nil {
		return err
	}
	section := func(title, header string, rows int, row func(i int) string) {
		if rows == 0 {
			return
		}
		fmt.Fprintf(w, "\n%s\n", title)
		tw := table(w)
		if header != "" {
			fmt.Fprintln(tw, header)
		}
		for i := range rows {
			fmt.Fprintln(tw, row(i))
		}
		_ = tw.Flush()
	}
	section("Races", "RACE\tPLANETS\tPOPULATION\tINDUSTRY\tTECH D/W/S/C\tSTANCE", len(r.Status), func(i int) string {
		s := r.Status[i]
		name := s.Name
		if s.Out {
			name += " (out)"
		}
		return fmt.Sprintf("%s\t%d\t%.2f\t%.2f\t%s\t%s", name, s.Planets, s.Population, s.Industry,
			tech(s.Tech.Drive, s.Tech.Weapons, s.Tech.Shields, s.Tech.Cargo), dash(s.Stance))
	})
	section("Planets", "#\tNAME\tX\tY\tSIZE\tRESOURCES\tPOP\tIND\tCAP\tMAT\tCOL\tPRODUCING", len(r.Planets), func(i int) string {
		p := r.Planets[i]
		producing := p.Producing
		if p.Ship != "" {
			producing += " " + p.Ship
		}
		return fmt.Sprintf("%d\t%s\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s", p.Number, p.Name, p.X, p.Y,
			p.Size, p.Resources, p.Pop, p.Ind, p.Cap, p.Mat, p.Col, dash(producing))
	})
	section("Groups", "#\tSHIPS\tDESIGN\tWHERE\tFLEET\tSPEED", len(r.Groups), func(i int) string {
		g := r.Groups[i]
		where := "at " + strconv.Itoa(g.Planet)
		if g.Dist > 0 {
			where = fmt.Sprintf("%d→%d, %.2f ly to go", g.From, g.Planet, g.Dist)
		}
		return fmt.Sprintf("%d\t%d\t%s\t%s\t%s\t%.2f", g.Number, g.Ships, g.Design, where, dash(g.Fleet), g.Speed)
	})
	section("Fleets", "NAME\tSPEED\tGROUPS", len(r.Fleets), func(i int) string {
		f := r.Fleets[i]
		groups := make([]string, len(f.Groups))
		for j, n := range f.Groups {
			groups[j] = strconv.Itoa(n)
		}
		return fmt.Sprintf("%s\t%.2f\t%s", f.Name, f.Speed, strings.Join(groups, ","))
	})
	section("Incoming", "FROM\tTO\tDISTANCE\tSPEED\tMASS", len(r.Incoming), func(i int) string {
		c := r.Incoming[i]
		return fmt.Sprintf("%d\t%d\t%.2f\t%.2f\t%.2f", c.From, c.To, c.Dist, c.Speed, c.Mass)
	})
	section("Battles", "PLANET\tROUNDS\tSHOTS", len(r.Battles), func(i int) string {
		b := r.Battles[i]
		return fmt.Sprintf("%d %s\t%d\t%d", b.Planet, b.PlanetName, b.Rounds, b.Shots)
	})
	section("Messages", "FROM\tTEXT", len(r.Messages), func(i int) string {
		return r.Messages[i].From + "\t" + r.Messages[i].Text
	})
	section("Rejected orders", "ORDER\tREASON", len(r.Rejected), func(i int) string {
		return string(r.Rejected[i].Order) + "\t" + r.Rejected[i].Reason
	})
	return nil
}
