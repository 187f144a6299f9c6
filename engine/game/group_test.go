package game

import (
	"math"
	"strconv"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

func TestBreakAndFleets(t *testing.T) {
	g, a, _ := mini(t)
	fast, slow := give(g, a, manualShips[0].d, 10, 1), give(g, a, manualShips[1].d, 4, 1) // Drone 20 ly, Flak 6.67 ly
	mustOrders(t, g, a,
		`{"type":"break","group":1,"ships":3}`,   // group 3: 3 drones
		`{"type":"create_fleet","fleet":"Wing"}`, //
		`{"type":"join_fleet","group":"MAX","fleet":"Wing"}`,
		`{"type":"join_fleet","group":2,"fleet":"Wing","ships":2}`, // group 4: 2 flak, in Wing
		`{"type":"create_fleet","fleet":"Empty"}`,
	)
	if fast.Ships != 10 {
		t.Fatal("orders changed the game before the turn")
	}
	mustTurn(t, g)
	if a.fleet("Empty") != nil {
		t.Fatal("a fleet without groups survived the turn")
	}
	f := a.fleet("Wing")
	if f == nil || len(a.fleetGroups(f)) != 2 {
		t.Fatalf("fleet Wing = %+v with groups %+v, want 2 groups", f, a.Groups)
	}
	if got, want := a.FleetSpeed(f), 20.0/3; math.Abs(got-want) > 1e-9 {
		t.Fatalf("fleet speed = %v, want the slowest group's %v", got, want)
	}
	total := 0
	for _, gr := range a.Groups {
		total += gr.Ships
	}
	if total != 14 || len(a.Groups) != 4 {
		t.Fatalf("groups %+v, want 14 ships in 4 groups", a.Groups)
	}
	_ = slow
	// The fleet flies at its slowest group's speed: 6.67 ly a turn towards planet 4.
	mustOrders(t, g, a, `{"type":"send","fleet":"Wing","planet":4}`)
	mustTurn(t, g)
	for _, gr := range a.fleetGroups(a.fleet("Wing")) {
		if math.Abs(gr.Dist-(100-20.0/3)) > 1e-9 {
			t.Fatalf("fleet group %+v, want 93.33 ly to go", gr)
		}
	}
	t.Run("ErrInHyperspace", func(t *testing.T) {
		n := a.fleetGroups(a.fleet("Wing"))[0].Number
		_, err := g.SetOrders(a.ID, g.Turn, raws(`{"type":"leave_fleet","group":`+strconv.Itoa(n)+`}`), false)
		mustDetail(t, err, 0, "group")
	})
	t.Run("OK/Recall", func(t *testing.T) {
		mustOrders(t, g, a, `{"type":"recall","fleet":"Wing"}`)
		mustTurn(t, g)
		for _, gr := range a.fleetGroups(a.fleet("Wing")) {
			if gr.Dist != 0 || gr.Planet != 1 {
				t.Fatalf("recalled group %+v, want back at planet 1 (6.67 ly out, 6.67 ly back)", gr)
			}
		}
	})
}

func TestUpgrade(t *testing.T) {
	gun := manualShips[4].d // 4 2 2 4 0, cost to upgrade from tech 1 to drive 2: 10 × 0.5 × 4 = 20 a ship
	t.Run("OK/Full", func(t *testing.T) {
		g, a, _ := mini(t)
		gr := give(g, a, gun, 10, 1)
		a.Tech.Drive = 2
		mustOrders(t, g, a, `{"type":"upgrade","group":1}`)
		g.applyOrders([]*Race{a, g.Races[1]})
		if gr.Tech.Drive != 2 || gr.Ships != 10 || g.Planets[0].Spent != 200 {
			t.Fatalf("group %+v, spent %v; want 10 ships at drive 2 for 200", gr, g.Planets[0].Spent)
		}
	})
	t.Run("OK/AsManyAsPaid", func(t *testing.T) {
		g, a, _ := mini(t)
		give(g, a, gun, 100, 1)
		a.Tech.Drive = 2
		g.Planets[0].Pop, g.Planets[0].Ind = 1000, 1000 // 1000 points: 50 ships at 20 each
		mustOrders(t, g, a, `{"type":"upgrade","group":1}`)
		g.applyOrders([]*Race{a})
		if a.Groups[0].Ships != 50 || a.Groups[1].Ships != 50 || a.Groups[1].Tech.Drive != 2 || a.Groups[0].Tech.Drive != 1 {
			t.Fatalf("groups %+v, want 50 upgraded ships broken off 50 others", a.Groups)
		}
	})
	t.Run("OK/Partial", func(t *testing.T) {
		g, a, _ := mini(t)
		give(g, a, gun, 100, 1)
		a.Tech.Drive = 2
		mustOrders(t, g, a, `{"type":"upgrade","group":1,"ships":0}`) // the whole group: half the cost is there
		g.applyOrders([]*Race{a})
		if gr := a.Groups[0]; gr.Ships != 100 || gr.Tech.Drive != 1.5 || g.Planets[0].Spent != 1000 {
			t.Fatalf("group %+v, spent %v; want 100 ships at drive 1.5 (half way) for 1000", gr, g.Planets[0].Spent)
		}
		// The spent production is missing from the planet's production this turn.
		g.Planets[0].Producing = MAT
		g.producePhase()
		if g.Planets[0].Mat != 0 {
			t.Fatalf("mat = %v, want 0: all production went to the upgrade", g.Planets[0].Mat)
		}
	})
	t.Run("ErrAlienPlanet", func(t *testing.T) {
		g, a, _ := mini(t)
		give(g, a, gun, 1, 2)
		a.Tech.Drive = 2
		_, err := g.SetOrders(a.ID, 0, raws(`{"type":"upgrade","group":1}`), false)
		mustDetail(t, err, 0, "group")
	})
}

func TestScrap(t *testing.T) {
	g, a, _ := mini(t)
	give(g, a, manualShips[4].d, 10, 1)
	mustOrders(t, g, a, `{"type":"scrap","group":1,"ships":4}`)
	g.applyOrders([]*Race{a})
	if a.Groups[0].Ships != 6 || g.Planets[0].Mat != 44 {
		t.Fatalf("groups %+v, mat %v; want 6 ships left and 4 × 11 materials", a.Groups, g.Planets[0].Mat)
	}
	give(g, a, manualShips[4].d, 1, 2)
	_, err := g.SetOrders(a.ID, 0, raws(`{"type":"scrap","group":"MAX"}`), false)
	mustDetail(t, err, 0, "group")
}

func TestJoinAndSortPhases(t *testing.T) {
	g, a, _ := mini(t)
	d := manualShips[0].d
	give(g, a, d, 1, 3)
	give(g, a, d, 2, 1)
	give(g, a, d, 3, 3)
	odd := give(g, a, d, 4, 1)
	odd.Tech = engine.Tech{Drive: 2}
	g.joinPhase()
	g.sortPhase()
	// At its own planet 1 first (two tech levels: two groups), then at free planet 3.
	want := []struct{ ships, planet int }{{2, 1}, {4, 1}, {4, 3}}
	if len(a.Groups) != len(want) {
		t.Fatalf("groups %+v, want %v", a.Groups, want)
	}
	for i, w := range want {
		if gr := a.Groups[i]; gr.Number != i+1 || gr.Ships != w.ships || gr.Planet != w.planet {
			t.Fatalf("group %d = %+v, want %d ships at %d", i+1, gr, w.ships, w.planet)
		}
	}
}

// TestSplitFleet: ships broken off a fleet's group leave the fleet; ships upgraded or
// loaded out of it stay in it (the manual's Fleets section).
func TestSplitFleet(t *testing.T) {
	g, a, _ := mini(t)
	give(g, a, hauler, 10, 1)
	a.Fleets = []Fleet{{Name: "F"}}
	a.Groups[0].Fleet = "F"
	a.Tech.Drive = 2
	g.Planets[0].Cap = 100
	mustOrders(t, g, a,
		`{"type":"break","group":1,"ships":2}`,              // group 2
		`{"type":"upgrade","group":1,"ships":3}`,            // group 3
		`{"type":"load","group":1,"cargo":"CAP","ships":1}`) // group 4
	g.applyOrders([]*Race{a})
	want := map[int]string{1: "F", 2: "", 3: "F", 4: "F"}
	for _, gr := range a.Groups {
		if gr.Fleet != want[gr.Number] {
			t.Fatalf("group %d in fleet %q, want %q: %+v", gr.Number, gr.Fleet, want[gr.Number], a.Groups)
		}
	}
}
