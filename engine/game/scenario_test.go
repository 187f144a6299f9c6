package game

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// script plays a 4-race game through SetOrders and Generate only, as players would:
//
//   - turn 0: A designs a cargo ship (Col) and a warship (Gun) and builds Cols; B
//     designs a small armed ship (Pea) and builds one turn of them; A, C and D declare
//     peace with each other;
//   - turn 1: A loads its home's colonists on the Cols and sends them to the nearest
//     free planet, and builds Guns from now on; B goes back to research;
//   - turn 8: A sends every Gun to B's home: a battle against the Peas there, then
//     bombing takes the planet, and B, left with nothing, is out.
//
// It returns the game and its state after every turn, up to maxTurns or the end.
func script(tb testing.TB, s Settings) (*Game, []string) {
	tb.Helper()
	g := MustNew(tb, 4, s)
	a, b, c, d := g.Races[0], g.Races[1], g.Races[2], g.Races[3]
	home := func(r *Race) *Planet { return g.Planets[r.Home-1] }
	order := func(r *Race, orders ...string) {
		tb.Helper()
		if _, err := g.SetOrders(r.ID, g.Turn, raws(orders...), false); err != nil {
			tb.Fatalf("turn %d, orders of %s: %v %+v", g.Turn, r.Name, err, err.(*Error).Details)
		}
	}
	order(a,
		`{"type":"design","name":"Col","drive":2,"attacks":0,"weapons":0,"shields":0,"cargo":1}`,
		`{"type":"design","name":"Gun","drive":6,"attacks":2,"weapons":3,"shields":3,"cargo":0}`,
		fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Col"}`, a.Home),
		`{"type":"peace","race":"R3"}`, `{"type":"peace","race":"R4"}`)
	order(b,
		`{"type":"design","name":"Pea","drive":1,"attacks":1,"weapons":1,"shields":1,"cargo":0}`,
		fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Pea"}`, b.Home))
	order(c, `{"type":"peace","race":"R1"}`, `{"type":"peace","race":"R4"}`)
	order(d, `{"type":"peace","race":"R1"}`, `{"type":"peace","race":"R3"}`)
	var states []string
	next := func() {
		tb.Helper()
		if _, err := g.Generate(g.Turn + 1); err != nil {
			tb.Fatal(err)
		}
		if err := g.Check(); err != nil {
			tb.Fatalf("turn %d: %v", g.Turn, err)
		}
		js, _ := json.Marshal(g)
		states = append(states, string(js))
	}
	next()
	target, best := 0, 0.0
	for _, p := range g.Planets {
		if dist := Distance(home(a), p); !p.Owned() && p.Size >= 100 && (target == 0 || dist < best) {
			target, best = p.Number, dist
		}
	}
	order(a, `{"type":"load","group":1,"cargo":"COL"}`, fmt.Sprintf(`{"type":"send","group":1,"planet":%d}`, target),
		fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Gun"}`, a.Home))
	order(b, fmt.Sprintf(`{"type":"produce","planet":%d,"what":"DRIVE"}`, b.Home))
	for !g.Finished && g.Turn < 8 {
		next()
	}
	var guns []string
	for _, gr := range a.Groups {
		if gr.Design == "Gun" && gr.Dist == 0 {
			guns = append(guns, fmt.Sprintf(`{"type":"send","group":%d,"planet":%d}`, gr.Number, b.Home))
		}
	}
	if len(guns) == 0 {
		tb.Fatalf("A has no Guns at turn 8: %+v", a.Groups)
	}
	order(a, guns...)
	for !g.Finished && (g.MaxTurns == 0 || g.Turn < g.MaxTurns) && g.Turn < 100 {
		next()
	}
	return g, states
}

func TestScriptedGame(t *testing.T) {
	g, _ := script(t, Settings{Seed: 2024, AllianceVictory: true})
	a, b, c, d := g.Races[0], g.Races[1], g.Races[2], g.Races[3]
	if !g.Finished || !slices.Equal(g.Winners, []uuid.UUID{a.ID, c.ID, d.ID}) {
		t.Fatalf("finished %v at turn %d, winners %v; want the alliance of A, C and D", g.Finished, g.Turn, g.Winners)
	}
	if !b.Extinct || g.Planets[b.Home-1].Owner != a.ID {
		t.Fatalf("B out %v, B's home owned by %v; want B out and its home A's", b.Extinct, g.Planets[b.Home-1].Owner)
	}
	colonies := 0
	for _, p := range g.Planets {
		if p.Owner == a.ID && p.Number != a.Home && p.Number != b.Home {
			colonies++
		}
	}
	if colonies == 0 {
		t.Fatal("A founded no colony")
	}
	// The last turn's report shows the battle and the bombing to both sides.
	for _, r := range []*Race{a, b} {
		rep, err := g.Report(r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Battles) == 0 || len(rep.Bombings) == 0 {
			t.Fatalf("report of %s at turn %d: %d battles, %d bombings; want both", r.Name, g.Turn, len(rep.Battles), len(rep.Bombings))
		}
		bb := rep.Bombings[0]
		if bb.By != a.Name || bb.Owner != b.Name || bb.NewOwner != a.Name {
			t.Fatalf("bombing %+v, want A taking B's planet", bb)
		}
		lost := 0
		for _, bg := range rep.Battles[0].Groups {
			if bg.Race == b.Name {
				lost += bg.Ships - bg.Left
			}
		}
		if lost == 0 {
			t.Fatalf("battle %+v, want B's Peas destroyed", rep.Battles[0])
		}
	}
	if rep, _ := g.Report(c.ID); len(rep.Battles) != 0 || len(rep.Winners) != 3 {
		t.Fatalf("C's report: battles %v, winners %v; want no battle seen, 3 winners", rep.Battles, rep.Winners)
	}
}

// TestReplay plays the same 30-turn game twice: the same seed and orders give the same
// state after every turn, byte for byte (battles draw from the turn's random source).
func TestReplay(t *testing.T) {
	s := Settings{Seed: 77, MaxTurns: 30}
	g1, first := script(t, s)
	_, second := script(t, s)
	if len(first) != 30 || !g1.Finished {
		t.Fatalf("%d turns, finished %v; want 30 turns", len(first), g1.Finished)
	}
	if len(g1.Battles) == 0 && !slices.ContainsFunc(first, func(s string) bool { return len(s) > 0 && containsBattle(s) }) {
		t.Fatal("no battle in 30 turns: the replay tests nothing random")
	}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("turn %d differs between two plays of the same game", i+1)
		}
	}
	// A different seed gives a different game.
	_, other := script(t, Settings{Seed: 78, MaxTurns: 30})
	if other[0] == first[0] {
		t.Fatal("seeds 77 and 78 gave the same first turn")
	}
}

func containsBattle(state string) bool {
	var g struct {
		Battles []Battle `json:"battles"`
	}
	json.Unmarshal([]byte(state), &g)
	return len(g.Battles) > 0
}

// TestReportText renders the scripted game's last report in GalaxyNG's layout.
func TestReportText(t *testing.T) {
	g, _ := script(t, Settings{Seed: 2024, AllianceVictory: true})
	rep, _ := g.Report(g.Races[0].ID)
	text := rep.Text()
	for _, want := range []string{
		"Turn 13 Report for R1", "Winners: R1, R3, R4", "\t\tStatus of Players\n\nN     D    W    S    C       P       I # R\n",
		"\t\tYour Ship Types", "\t\tR2 Ship Types", "\t\tBattle at 9", "\t\tBombings", "\t\tYour Planets",
		"\t\tShips In Production", "\t\tUninhabited Planets", "\t\tYour Groups", "R2 3.20 1.00 1.00 1.00    0.00    0.00 0 War (out)",
	} {
		if !strings.Contains(text, want) {
			t.Fatalf("text report lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "99999") || strings.Contains(text, "00000000001") {
		t.Fatalf("unrounded figures in the text report:\n%s", text)
	}
}
