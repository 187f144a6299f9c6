package game_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/galaxy-orchestrator/galaxy/engine/game/gametest"
)

// BenchmarkGenerate generates one mid-game turn per iteration, rules only (no I/O):
// the share of BenchmarkTurn (engine/server) that is not the write of state.json.
func BenchmarkGenerate(b *testing.B) {
	for _, n := range []int{2, 10, 50} {
		b.Run(fmt.Sprintf("races=%d", n), func(b *testing.B) {
			mid, err := gametest.MidGame(n, 40, 1)
			if err != nil {
				b.Fatal(err)
			}
			data, _ := json.Marshal(mid)
			for b.Loop() {
				b.StopTimer()
				g, err := game.Decode(data)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if _, err := g.Generate(g.Turn + 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMidGame checks that the benchmarks' game is what they claim: valid, with the
// groups asked for, and a turn of it has battles and bombings.
func TestMidGame(t *testing.T) {
	g, err := gametest.MidGame(10, 40, 1)
	if err != nil {
		t.Fatal(err)
	}
	groups := 0
	for _, r := range g.Races {
		groups += len(r.Groups)
	}
	if groups != 400 {
		t.Fatalf("groups = %d, want 400", groups)
	}
	if _, err := g.Generate(g.Turn + 1); err != nil {
		t.Fatal(err)
	}
	if len(g.Battles) < 10 || len(g.Bombings) == 0 {
		t.Fatalf("%d battles, %d bombings; want a battle at every home and bombings", len(g.Battles), len(g.Bombings))
	}
}

// BenchmarkSetOrders checks 40 orders of one race of a 50-race mid-game (each
// submission parses them and runs them on a copy of the game).
func BenchmarkSetOrders(b *testing.B) {
	g, err := gametest.MidGame(50, 40, 1)
	if err != nil {
		b.Fatal(err)
	}
	r := g.Races[0]
	var orders []json.RawMessage
	for _, gr := range r.Groups {
		if gr.Dist == 0 && len(orders) < 40 {
			dest := g.Races[1].Home
			if gr.Planet == dest {
				dest = r.Home
			}
			orders = append(orders, json.RawMessage(fmt.Sprintf(`{"type":"send","group":%d,"planet":%d,"ships":1}`, gr.Number, dest)))
		}
	}
	for len(orders) < 40 {
		orders = append(orders, json.RawMessage(fmt.Sprintf(`{"type":"produce","planet":%d,"what":"Drone"}`, r.Home)))
	}
	for b.Loop() {
		if _, err := g.SetOrders(r.ID, g.Turn, orders, false); err != nil {
			b.Fatal(err)
		}
	}
}
