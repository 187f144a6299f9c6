package game_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/galaxy-orchestrator/galaxy/engine/game/gametest"
)

// FuzzMidGameOrders gives the first race of a small mid-game (ships everywhere,
// battles due) an order list, then generates two turns: bad orders are Invalid with a
// detail each, and whatever is accepted never breaks the game — it checks, survives
// state.json, and every race's report (JSON and text) can be built. HOME is the race's
// home planet number, NEXT the next race's.
func FuzzMidGameOrders(f *testing.F) {
	for _, s := range []string{
		`[{"type":"send","group":1,"planet":NEXT},{"type":"upgrade","group":"MAX"},{"type":"scrap","group":5,"ships":3}]`,
		`[{"type":"break","group":1,"ships":2},{"type":"create_fleet","fleet":"F"},{"type":"join_fleet","group":"MAX","fleet":"F"},{"type":"intercept","fleet":"F","planet":NEXT}]`,
		`[{"type":"load","group":2,"cargo":"COL"},{"type":"unload","group":2,"amount":0.5},{"type":"route","planet":HOME,"cargo":"COL","to":NEXT}]`,
		`[{"type":"recall","group":2},{"type":"recall","group":3},{"type":"war","race":"Race1"},{"type":"peace","race":"Race2"},{"type":"claim","planet":NEXT}]`,
		`[{"type":"design","name":"X","drive":3,"attacks":4,"weapons":2,"shields":5,"cargo":2},{"type":"produce","planet":HOME,"what":"X"},{"type":"rename_design","name":"X","newName":"Y"}]`,
		`[{"type":"erase_design","name":"Fort"},{"type":"produce","planet":HOME,"what":"CAP"},{"type":"quit","race":"Race0"}]`,
		`[{"type":"merge_fleet","fleet":"F","into":"G"},{"type":"leave_fleet","group":4},{"type":"rename_fleet","fleet":"F","newName":"H"}]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		g, err := gametest.MidGame(3, 8, 3)
		if err != nil {
			t.Fatal(err)
		}
		r := g.Races[0]
		body = strings.ReplaceAll(strings.ReplaceAll(body, "HOME", strconv.Itoa(r.Home)), "NEXT", strconv.Itoa(g.Races[1].Home))
		var raw []json.RawMessage
		if json.Unmarshal([]byte(body), &raw) != nil {
			raw = []json.RawMessage{json.RawMessage(body)}
		}
		if _, err := g.SetOrders(r.ID, g.Turn, raw, false); err != nil {
			e, ok := err.(*game.Error)
			if !ok || (e.Kind == game.Invalid && len(raw) <= game.MaxOrders && len(e.Details) == 0) {
				t.Fatalf("SetOrders(%s) = %v, want an Invalid error with details", body, err)
			}
		}
		for range 2 {
			if g.Finished {
				break
			}
			if _, err := g.Generate(g.Turn + 1); err != nil {
				t.Fatal(err)
			}
			data, err := json.Marshal(g)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := game.Decode(data); err != nil {
				t.Fatalf("after orders %s, turn %d: state does not load: %v", body, g.Turn, err)
			}
			for _, o := range g.Races {
				rep, err := g.Report(o.ID)
				if err != nil {
					t.Fatal(err)
				}
				_ = rep.Text()
			}
		}
	})
}
