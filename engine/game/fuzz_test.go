package game

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// orderSeeds are order lists: valid ones, near misses and hostile JSON. HOME stands for
// the number of the acting race's home planet (named "Capital"); the home of another
// race is named "Enemy" (see fuzzGame).
var orderSeeds = []string{
	`[]`, `null`, `[{}]`, `[null]`, `[1,"a",[],true]`,
	`[{"type":"produce","planet":"#HOME","what":"CAP"}]`,
	`[{"type":"produce","planet":HOME,"what":"drive"},{"type":"produce","planet":"HOME","what":"MAT"}]`,
	`[{"type":"rename_planet","planet":HOME,"name":"Home"},{"type":"produce","planet":"capital","what":"CARGO"}]`,
	`[{"type":"rename_planet","planet":"Capital","name":"A"},{"type":"rename_planet","planet":HOME,"name":"B"}]`,
	`[{"type":"rename_planet","planet":HOME,"name":"2"},{"type":"rename_planet","planet":HOME,"name":"#x"}]`,
	`[{"type":"rename_planet","planet":HOME,"name":"1e2"},{"type":"produce","planet":1e2,"what":"CAP"}]`,
	`[{"type":"rename_planet","planet":HOME,"name":"Enemy"}]`, `[{"type":"produce","planet":"enemy","what":"CAP"}]`,
	`[{"type":"rename_planet","planet":HOME,"name":"\u017f"},{"type":"rename_planet","planet":HOME,"name":"S"}]`,
	`[{"type":"produce","planet":0,"what":"CAP"}]`, `[{"type":"produce","planet":-1,"what":"CAP"}]`,
	`[{"type":"produce","planet":HOME.0,"what":"CAP"}]`, `[{"type":"produce","planet":99999999999999999999999,"what":"CAP"}]`,
	`[{"type":"produce","planet":{"a":1},"what":"CAP"}]`, `[{"type":"produce","planet":"#HOME","what":"CAP","name":"x"}]`,
	`[{"type":"produce","planet":"#HOME","wat":"CAP"}]`, `[{"type":"PRODUCE","planet":"#HOME","what":"CAP"}]`,
	`[{"type":"produce","planet":"#HOME","what":"CAP"} ]`, `[{"type":"produce","planet":"#HOME","what":"CAP"}{}]`,
	`[{"type":"rename_planet","planet":"#HOME","name":"` + strings.Repeat("\u00e9", 21) + `"}]`,
	`[{"type":"rename_planet","planet":"#HOME","name":"a\u0000b"}]`,
	`[{"type":"design","name":"Gun","drive":4,"attacks":2,"weapons":2,"shields":4,"cargo":0},{"type":"produce","planet":HOME,"what":"Gun"}]`,
	`[{"type":"design","name":"Bad","drive":0.5,"attacks":1,"weapons":0,"shields":0,"cargo":0}]`,
	`[{"type":"design","name":"Cap","drive":1,"attacks":0,"weapons":0,"shields":0,"cargo":0},{"type":"erase_design","name":"Cap"}]`,
	`[{"type":"create_fleet","fleet":"F"},{"type":"merge_fleet","fleet":"F","into":"F"},{"type":"erase_fleet","fleet":"F"}]`,
	`[{"type":"break","group":1,"ships":1},{"type":"send","group":"MAX","planet":1},{"type":"recall","group":"max"}]`,
	`[{"type":"load","group":1,"cargo":"COL"},{"type":"unload","group":1,"amount":0.5},{"type":"scrap","group":1,"ships":2}]`,
	`[{"type":"route","planet":HOME,"cargo":"EMP","to":1},{"type":"route","planet":HOME,"cargo":"col"}]`,
	`[{"type":"intercept","fleet":"F","planet":"Enemy"},{"type":"upgrade","group":1},{"type":"join_fleet","group":1,"fleet":"F","ships":1}]`,
	`[{"type":"war","race":"R2"},{"type":"peace","race":"r3"},{"type":"claim","planet":"Enemy"},{"type":"quit","race":"R2"}]`,
	`[{"type":"quit","race":"R1"},{"type":"produce","planet":HOME,"what":"CAP"}]`,
	`[{"type":"send","group":1.5,"planet":1},{"type":"send","group":"x","planet":1},{"type":"load","group":1,"cargo":"GOLD","amount":-1}]`,
	`[{"type":"rename_design","name":"A","newName":"B"},{"type":"rename_fleet","fleet":"F","newName":"9"},{"type":"leave_fleet","group":1}]`,
}

// mustRulesError fails unless err is a *Error of one of kinds with a message.
func mustRulesError(tb testing.TB, err error, kinds ...Kind) *Error {
	tb.Helper()
	var e *Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T) is not a *game.Error", err, err)
	}
	if e.Message == "" {
		tb.Fatalf("error %+v has no message", e)
	}
	for _, k := range kinds {
		if e.Kind == k {
			return e
		}
	}
	tb.Fatalf("error %v: kind %d, want one of %v", err, e.Kind, kinds)
	return nil
}

// fuzzGame is a game of three races whose first two homes are named "Capital" and
// "Enemy".
func fuzzGame(tb testing.TB) *Game {
	tb.Helper()
	g := MustNew(tb, 3, Settings{Seed: 7})
	g.Planets[g.Races[0].Home-1].Name = "Capital"
	g.Planets[g.Races[1].Home-1].Name = "Enemy"
	return g
}

// mustSound checks the invariants of g that orders and commands must never break,
// and that g survives a round trip through state.json.
func mustSound(tb testing.TB, g *Game) {
	tb.Helper()
	if err := g.Check(); err != nil {
		tb.Fatalf("Check: %v", err)
	}
	for i, p := range g.Planets {
		if p.Name != strconv.Itoa(p.Number) {
			if why := validPlanetName(p.Name); why != "" {
				tb.Fatalf("planet %d named %q: %s", p.Number, p.Name, why)
			}
		}
		for _, q := range g.Planets[i+1:] {
			if strings.EqualFold(p.Name, q.Name) {
				tb.Fatalf("planets %d and %d are both named %q/%q", p.Number, q.Number, p.Name, q.Name)
			}
		}
	}
	for i, r := range g.Races {
		if why := validName(r.Name); why != "" {
			tb.Fatalf("race %s named %q: %s", r.ID, r.Name, why)
		}
		for _, o := range g.Races[i+1:] {
			if strings.EqualFold(r.Name, o.Name) {
				tb.Fatalf("races %q and %q share a name", r.Name, o.Name)
			}
		}
	}
	b, err := json.Marshal(g)
	if err != nil {
		tb.Fatalf("marshal: %v", err)
	}
	var back Game
	if err := json.Unmarshal(b, &back); err != nil {
		tb.Fatalf("state.json does not decode: %v", err)
	}
	if err := back.Check(); err != nil {
		tb.Fatalf("state.json does not check: %v", err)
	}
}

// FuzzSetOrders feeds a race's order list to SetOrders (the rules behind POST
// /api/v1/orders) and then generates the turn: bad orders are an Invalid error with one
// detail per bad order and change nothing; good ones are stored as validated orders
// and the turn that applies them keeps the game sound.
func FuzzSetOrders(f *testing.F) {
	for _, s := range orderSeeds {
		f.Add(s, false)
	}
	f.Add(`[{"type":"produce","planet":"#HOME","what":"CAP"}]`, true)
	f.Fuzz(func(t *testing.T, body string, final bool) {
		g := fuzzGame(t)
		r := g.Races[0]
		body = strings.ReplaceAll(body, "HOME", strconv.Itoa(r.Home))
		var raw []json.RawMessage
		if json.Unmarshal([]byte(body), &raw) != nil {
			raw = []json.RawMessage{json.RawMessage(body)} // one order, maybe not even JSON
		}
		n, err := g.SetOrders(r.ID, 0, raw, final)
		if err != nil {
			e := mustRulesError(t, err, Invalid)
			if len(raw) <= MaxOrders && len(e.Details) == 0 {
				t.Fatalf("SetOrders(%s) = %v without a detail per bad order", body, err)
			}
			last := -1
			for _, d := range e.Details {
				if d.Index <= last || d.Index >= len(raw) || d.Message == "" {
					t.Fatalf("SetOrders(%s): detail %+v out of order or empty (previous index %d, %d orders)", body, d, last, len(raw))
				}
				last = d.Index
			}
			if n != 0 || r.Orders != nil || r.Final {
				t.Fatalf("SetOrders(%s) failed but stored %d orders (final %v)", body, len(r.Orders), r.Final)
			}
			return
		}
		if got, want := n, len(raw); got != want || len(r.Orders) != want || r.Final != final {
			t.Fatalf("SetOrders(%s) = %d (stored %d, final %v), want %d (final %v)", body, got, len(r.Orders), r.Final, want, final)
		}
		for i, o := range r.Orders {
			if _, ok := orderSpecs[o.Type]; !ok {
				t.Fatalf("order %d %+v accepted with type %q", i, o, o.Type)
			}
			switch o.Type {
			case OrderProduce, OrderRenamePlanet, OrderRoute:
				if o.PlanetNo < 1 || o.PlanetNo > len(g.Planets) || g.Planets[o.PlanetNo-1].Owner != r.ID {
					t.Fatalf("order %d %+v accepted for a planet that is not the race's", i, o)
				}
			}
			switch o.Type {
			case OrderProduce:
				if p, ok := parseProduct(string(o.What)); (o.What == SHIP) != (o.Ship != "") || (o.What != SHIP && (!ok || p != o.What)) {
					t.Fatalf("order %d %+v accepted with product %q", i, o, o.What)
				}
			case OrderRenamePlanet:
				if why := validPlanetName(o.Name); why != "" {
					t.Fatalf("order %d %+v accepted with a bad name: %s", i, o, why)
				}
			}
		}
		if generated, err := g.Generate(1); err != nil || !generated {
			t.Fatalf("Generate(1) after orders %s = %v, %v", body, generated, err)
		}
		mustSound(t, g)
		if _, err := g.Report(r.ID); err != nil {
			t.Fatalf("Report after orders %s: %v", body, err)
		}
	})
}

// FuzzCommand feeds a command to Command (the rules behind POST /api/v1/commands):
// bad commands are Invalid (or Conflict), good ones keep the game sound.
func FuzzCommand(f *testing.F) {
	for _, s := range []string{
		`{"type":"rename_race","name":"Zorg"}`, `{"type":"rename_race","name":"r2"}`, `{"type":"rename_race","name":"R1"}`,
		`{"type":"rename_race","name":"\u017f"}`, `{"type":"rename_race","name":"a b"}`, `{"type":"rename_race"}`,
		`{"type":"message","text":"hi","to":"R2"}`, `{"type":"message","text":"  "}`, `{"type":"message","text":"x","to":"nobody"}`,
		`{"type":"message","text":"a\u0007b"}`, `{"type":"message","text":"` + strings.Repeat("x", 2001) + `"}`,
		`{"type":"nope"}`, `{}`, `null`, `[]`, `"rename_race"`, `{"type":"rename_race","name":"x","extra":1}`,
		`{"type":"message","text":"hi"} {}`, `{`, "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cmd string) {
		g := fuzzGame(t)
		r := g.Races[0]
		res, err := g.Command(r.ID, json.RawMessage(cmd))
		if err != nil {
			mustRulesError(t, err, Invalid, Conflict)
			if r.Name != "R1" || len(g.Messages) != 0 {
				t.Fatalf("Command(%s) failed but changed the game: name %q, %d messages", cmd, r.Name, len(g.Messages))
			}
			return
		}
		if res.Type != CommandRenameRace && res.Type != CommandMessage {
			t.Fatalf("Command(%s) succeeded as type %q", cmd, res.Type)
		}
		mustSound(t, g)
		if generated, err := g.Generate(1); err != nil || !generated {
			t.Fatalf("Generate(1) after command %s = %v, %v", cmd, generated, err)
		}
		mustSound(t, g)
	})
}
