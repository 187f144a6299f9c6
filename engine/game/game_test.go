package game

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

var gameID = uuid.MustParse("6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10")

// MustNew creates a game of n races named R1..Rn with player ids 1..n.
func MustNew(tb testing.TB, n int, s Settings) *Game {
	tb.Helper()
	g, err := New(gameID, races(n), s)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return g
}

func races(n int) []engine.Race {
	rs := make([]engine.Race, n)
	for i := range rs {
		rs[i] = engine.Race{RaceName: fmt.Sprintf("R%d", i+1), PlayerID: playerID(i)}
	}
	return rs
}

func playerID(i int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1))
}

func raws(orders ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(orders))
	for i, o := range orders {
		out[i] = json.RawMessage(o)
	}
	return out
}

func TestNew(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		g := MustNew(t, 10, Settings{Seed: 7})
		if got, want := len(g.Planets), 10*(1+emptyPerHome+stuffPerRace); got != want {
			t.Fatalf("planets = %d, want %d", got, want)
		}
		homes := 0
		for i, p := range g.Planets {
			if p.Number != i+1 {
				t.Fatalf("planet %d numbered %d", i+1, p.Number)
			}
			if p.X < 0 || p.Y < 0 || p.X > g.Size || p.Y > g.Size {
				t.Fatalf("planet %d at (%v,%v) outside a galaxy of %v", p.Number, p.X, p.Y, g.Size)
			}
			if p.Owned() {
				homes++
				if p.Size != 1000 || p.Pop != 1000 || p.Ind != 1000 || p.Resources != 10 {
					t.Fatalf("home %+v, want size=pop=ind=1000, resources=10", p)
				}
			} else if p.Resources < 0.42 || p.Resources > 8.31 {
				t.Fatalf("planet %d resources %v outside 0.3+8^[-1,1]", p.Number, p.Resources)
			}
		}
		if got, want := homes, 10; got != want {
			t.Fatalf("homes = %d, want %d", got, want)
		}
		for _, r := range g.Races {
			if g.Planets[r.Home-1].Owner != r.ID {
				t.Fatalf("race %s home %d not owned by it", r.Name, r.Home)
			}
		}
	})
	t.Run("OK/Deterministic", func(t *testing.T) {
		a, _ := json.Marshal(MustNew(t, 5, Settings{Seed: 99}))
		b, _ := json.Marshal(MustNew(t, 5, Settings{Seed: 99}))
		c, _ := json.Marshal(MustNew(t, 5, Settings{Seed: 100}))
		if string(a) != string(b) {
			t.Fatal("same seed, different galaxies")
		}
		if string(a) == string(c) {
			t.Fatal("different seeds, same galaxy")
		}
	})
	t.Run("OK/HomeSpacing", func(t *testing.T) {
		g := MustNew(t, 50, Settings{Seed: 1})
		min := g.Size
		for _, a := range g.Races {
			for _, b := range g.Races {
				if a != b {
					if d := Distance(g.Planets[a.Home-1], g.Planets[b.Home-1]); d < min {
						min = d
					}
				}
			}
		}
		if min < 10 {
			t.Fatalf("closest homes %.2f ly apart, want >= 10", min)
		}
	})
	for name, tc := range map[string]struct {
		id    uuid.UUID
		races []engine.Race
		want  string
	}{
		"ErrZeroGameID":   {uuid.Nil, races(2), "gameId"},
		"ErrNoRaces":      {gameID, nil, "races must not be empty"},
		"ErrDuplicate":    {gameID, []engine.Race{{RaceName: "Zorg", PlayerID: playerID(0)}, {RaceName: "zorg", PlayerID: playerID(1)}}, "appears twice"},
		"ErrDuplicateID":  {gameID, []engine.Race{{RaceName: "A", PlayerID: playerID(0)}, {RaceName: "B", PlayerID: playerID(0)}}, "playerId appears twice"},
		"ErrZeroPlayerID": {gameID, []engine.Race{{RaceName: "A", PlayerID: uuid.Nil}}, "non-zero"},
		"ErrSpaceInName":  {gameID, []engine.Race{{RaceName: "A B", PlayerID: playerID(0)}}, "spaces"},
		"ErrLongName":     {gameID, []engine.Race{{RaceName: strings.Repeat("x", 21), PlayerID: playerID(0)}}, "20"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(tc.id, tc.races, Settings{})
			ge, ok := err.(*Error)
			if !ok || ge.Kind != Invalid {
				t.Fatalf("err = %v, want an Invalid *Error", err)
			}
			if got := fmt.Sprint(ge.Message, ge.Details); !strings.Contains(got, tc.want) {
				t.Fatalf("err = %s, want it to mention %q", got, tc.want)
			}
		})
	}
}

func TestParseSettings(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s, err := ParseSettings(map[string]any{"seed": 12.0, "maxTurns": 3.0, "other": "x"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s, (Settings{Seed: 12, HasSeed: true, MaxTurns: 3}); got != want {
			t.Fatalf("settings = %+v, want %+v", got, want)
		}
	})
	for name, m := range map[string]map[string]any{
		"ErrSeedFraction": {"seed": 1.5},
		"ErrSeedString":   {"seed": "1"},
		"ErrMaxTurnsNeg":  {"maxTurns": -1.0},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseSettings(m); err == nil {
				t.Fatal("err = nil, want an error")
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 1})
		generated, err := g.Generate(1)
		if err != nil || !generated {
			t.Fatalf("Generate(1) = %v, %v; want true, nil", generated, err)
		}
		if got, want := g.Turn, 1; got != want {
			t.Fatalf("turn = %d, want %d", got, want)
		}
		// Homes produce DRIVE by default: 1000 points → +0.2.
		if got, want := g.Races[0].Tech.Drive, 1.2; !near(got, want) {
			t.Fatalf("drive = %v, want %v", got, want)
		}
	})
	t.Run("OK/Replay", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 1})
		g.Generate(1)
		before, _ := json.Marshal(g)
		generated, err := g.Generate(1)
		after, _ := json.Marshal(g)
		if err != nil || generated {
			t.Fatalf("Generate(1) again = %v, %v; want false, nil", generated, err)
		}
		if string(before) != string(after) {
			t.Fatal("a replayed turn changed the game")
		}
	})
	t.Run("ErrSkip", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 1})
		_, err := g.Generate(2)
		if ge, ok := err.(*Error); !ok || ge.Kind != Conflict || !strings.Contains(ge.Message, "current turn is 0") {
			t.Fatalf("err = %v, want a Conflict naming turn 0", err)
		}
	})
	t.Run("ErrFinished", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 1, MaxTurns: 1})
		g.Generate(1)
		if !g.Finished {
			t.Fatal("finished = false after the last turn")
		}
		if _, err := g.Generate(2); err == nil {
			t.Fatal("Generate past the last turn: err = nil")
		}
	})
}

func TestSetOrders(t *testing.T) {
	t.Run("OK/AppliedNextTurn", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		r := g.Races[0]
		home := fmt.Sprint(r.Home)
		n, err := g.SetOrders(r.ID, 0, raws(
			`{"type":"produce","planet":"`+home+`","what":"weapons"}`,
			`{"type":"rename_planet","planet":`+home+`,"name":"Homeworld"}`,
		), true)
		if err != nil || n != 2 {
			t.Fatalf("SetOrders = %d, %v; want 2, nil", n, err)
		}
		if got := g.Planets[r.Home-1].Producing; got != DRIVE {
			t.Fatalf("producing = %s before the turn, want DRIVE", got)
		}
		g.Generate(1)
		p := g.Planets[r.Home-1]
		if p.Producing != WEAPONS || p.Name != "Homeworld" {
			t.Fatalf("after turn 1: producing %s, name %s; want WEAPONS, Homeworld", p.Producing, p.Name)
		}
		if got, want := r.Tech.Weapons, 1.2; !near(got, want) {
			t.Fatalf("weapons = %v, want %v", got, want)
		}
		if len(r.Orders) != 0 || r.Final {
			t.Fatal("orders kept after their turn")
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		r, other := g.Races[0], g.Races[1]
		_, err := g.SetOrders(r.ID, 0, raws(
			`{"type":"produce","planet":"9999","what":"CAP"}`,
			fmt.Sprintf(`{"type":"produce","planet":"%d","what":"CAP"}`, other.Home),
			fmt.Sprintf(`{"type":"produce","planet":"%d","what":"SHIPS"}`, r.Home),
			`{"type":"fly"}`,
			fmt.Sprintf(`{"type":"rename_planet","planet":"%d","name":"123"}`, r.Home),
			`{"type":"produce","planet":"1","wat":"CAP"}`,
		), false)
		ge, ok := err.(*Error)
		if !ok || ge.Kind != Invalid {
			t.Fatalf("err = %v, want Invalid", err)
		}
		want := []string{"unknown planet", "not yours", "unknown product", "unknown order type", "number", "unknown field"}
		if got := len(ge.Details); got != len(want) {
			t.Fatalf("details = %+v, want %d", ge.Details, len(want))
		}
		for i, d := range ge.Details {
			if d.Index != i || !strings.Contains(d.Message, want[i]) {
				t.Fatalf("detail %d = %+v, want index %d mentioning %q", i, d, i, want[i])
			}
		}
	})
	t.Run("OK/PlanetNumbers", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		r := g.Races[0]
		// 8, 8.0 and 8e0 are the same planet number; a planet named "1e2" is a name.
		for _, ref := range []string{fmt.Sprint(r.Home), fmt.Sprintf("%d.0", r.Home), fmt.Sprintf("%de0", r.Home)} {
			if _, err := g.SetOrders(r.ID, 0, raws(`{"type":"produce","planet":`+ref+`,"what":"MAT"}`), false); err != nil {
				t.Fatalf("planet %s: %v", ref, err)
			}
		}
		if _, err := g.SetOrders(r.ID, 0, raws(`{"type":"produce","planet":1.5,"what":"MAT"}`), false); err == nil {
			t.Fatal("planet 1.5 accepted, want a per-order error")
		}
	})
	t.Run("ErrWrongTurn", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		if _, err := g.SetOrders(g.Races[0].ID, 1, nil, false); err == nil || err.(*Error).Kind != Conflict {
			t.Fatalf("err = %v, want Conflict", err)
		}
	})
	t.Run("ErrUnknownActor", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		if _, err := g.SetOrders(uuid.New(), 0, nil, false); err == nil || err.(*Error).Kind != Forbidden {
			t.Fatalf("err = %v, want Forbidden", err)
		}
	})
	t.Run("OK/RenameRaceFirstWins", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		a, b := g.Races[0], g.Races[1]
		g.SetOrders(a.ID, 0, raws(fmt.Sprintf(`{"type":"rename_planet","planet":%d,"name":"Eden"}`, a.Home)), false)
		g.SetOrders(b.ID, 0, raws(fmt.Sprintf(`{"type":"rename_planet","planet":%d,"name":"eden"}`, b.Home)), false)
		g.Generate(1)
		loser := b // the races' order is drawn anew every turn: either may come first
		if g.Planets[b.Home-1].Name == "eden" {
			loser = a
		}
		if got, want := len(loser.Rejected), 1; got != want || g.Planets[loser.Home-1].Name == "Eden" || g.Planets[loser.Home-1].Name == "eden" {
			t.Fatalf("rejected = %+v, want %d", loser.Rejected, want)
		}
		rep, _ := g.Report(loser.ID)
		if got, want := len(rep.Rejected), 1; got != want {
			t.Fatalf("report rejected = %d, want %d", got, want)
		}
	})
}

func TestCommand(t *testing.T) {
	t.Run("OK/RenameRace", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 3})
		if _, err := g.Command(g.Races[0].ID, json.RawMessage(`{"type":"rename_race","name":"Zorg"}`)); err != nil {
			t.Fatal(err)
		}
		if got, want := g.State().Players[0].RaceName, "Zorg"; got != want {
			t.Fatalf("race name = %q, want %q", got, want)
		}
	})
	t.Run("OK/MessageInNextReport", func(t *testing.T) {
		g := MustNew(t, 3, Settings{Seed: 3})
		if _, err := g.Command(g.Races[0].ID, json.RawMessage(`{"type":"message","to":"r2","text":"hello"}`)); err != nil {
			t.Fatal(err)
		}
		g.Generate(1)
		r2, _ := g.Report(g.Races[1].ID)
		r3, _ := g.Report(g.Races[2].ID)
		if len(r2.Messages) != 1 || r2.Messages[0].Text != "hello" || r2.Messages[0].From != "R1" {
			t.Fatalf("R2 messages = %+v, want hello from R1", r2.Messages)
		}
		if len(r3.Messages) != 0 {
			t.Fatalf("R3 messages = %+v, want none", r3.Messages)
		}
		g.Generate(2)
		if r2, _ = g.Report(g.Races[1].ID); len(r2.Messages) != 0 {
			t.Fatalf("messages still shown a turn later: %+v", r2.Messages)
		}
	})
	for name, cmd := range map[string]string{
		"ErrUnknownType": `{"type":"nuke"}`,
		"ErrTakenName":   `{"type":"rename_race","name":"r2"}`,
		"ErrEmptyText":   `{"type":"message","text":"  "}`,
		"ErrUnknownTo":   `{"type":"message","text":"hi","to":"Nobody"}`,
		"ErrNotObject":   `[1]`,
	} {
		t.Run(name, func(t *testing.T) {
			g := MustNew(t, 2, Settings{Seed: 3})
			if _, err := g.Command(g.Races[0].ID, json.RawMessage(cmd)); err == nil || err.(*Error).Kind != Invalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
		})
	}
}

func TestReport(t *testing.T) {
	g := MustNew(t, 3, Settings{Seed: 5})
	r := g.Races[1]
	rep, err := g.Report(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Planets), 1; got != want {
		t.Fatalf("own planets = %d, want %d", got, want)
	}
	if got, want := len(rep.Others), len(g.Planets)-1; got != want {
		t.Fatalf("other planets = %d, want %d", got, want)
	}
	b, _ := json.Marshal(rep.Others[0])
	if got, want := reflect.ValueOf(rep.Others[0]).NumField(), 3; got != want || strings.Contains(string(b), "pop") {
		t.Fatalf("other planet shows %s, want position only", b)
	}
	if _, err := g.Report(uuid.New()); err == nil {
		t.Fatal("report of an unknown actor: err = nil")
	}
}
