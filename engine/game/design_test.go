package game

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// manualShips are the manual's example ship types with their mass and speed (drive
// tech 1, no cargo) as its tables give them (to 2 decimals; the manual truncates, so
// 6.666 is 6.66 there and 6.67 here).
var manualShips = []struct {
	d     ShipDesign
	mass  float64
	speed float64
}{
	{ShipDesign{"Drone", 1, 0, 0, 0, 0}, 1, 20},
	{ShipDesign{"Flak", 1, 0, 0, 2, 0}, 3, 6.67},
	{ShipDesign{"FastFlak", 1.01, 0, 0, 1.01, 0}, 2.02, 10},
	{ShipDesign{"Fighter", 2.48, 1, 1.2, 1.27, 0}, 4.95, 10.02},
	{ShipDesign{"Gunship", 4, 2, 2, 4, 0}, 11, 7.27},
	{ShipDesign{"Destroyer", 6, 3, 4, 4, 0}, 18, 6.67},
	{ShipDesign{"Cruiser", 16.5, 30, 1.5, 9.75, 0}, 49.5, 6.67},
	{ShipDesign{"BattleCruiser", 49.5, 25, 3, 9.5, 1}, 99, 10},
	{ShipDesign{"Battleship", 33, 3, 25, 16, 1}, 100, 6.6}, // the manual adds its table up to 99: 33+25+25+16+1 is 100
	{ShipDesign{"BattleStation", 99, 1, 50, 49, 0}, 198, 10},
	{ShipDesign{"OrbitalFort", 0, 11, 10, 39, 0}, 99, 0},
	{ShipDesign{"SpaceGun", 0, 1, 9.9, 9.9, 0}, 19.8, 0},
	{ShipDesign{"Hauler", 2, 0, 0, 0, 1}, 3, 13.33},
	{ShipDesign{"Freighter", 30, 0, 0, 9.5, 10}, 49.5, 12.12},
	{ShipDesign{"MegaFreighter", 120, 0, 0, 38.43, 39.57}, 198, 12.12},
}

var tech1 = engine.Tech{Drive: 1, Weapons: 1, Shields: 1, Cargo: 1}

func TestShipMassAndCost(t *testing.T) {
	for _, tc := range manualShips {
		d := tc.d
		if got := d.Mass(); math.Abs(got-tc.mass) > 1e-9 {
			t.Errorf("%s: mass = %v, want %v", d.Name, got, tc.mass)
		}
		if got, want := d.Cost(), 10*tc.mass; math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: cost = %v, want %v", d.Name, got, want)
		}
		g := &Group{Tech: shipTech(&d, tech1)}
		if got := round2(Speed(&d, g)); got != tc.speed {
			t.Errorf("%s: speed = %v, want %v", d.Name, got, tc.speed)
		}
	}
}

func TestSpeedWithCargo(t *testing.T) {
	// The manual's loaded examples: speed = 20 × drive tech × drive / (mass + load/cargo tech).
	for _, tc := range []struct {
		d     ShipDesign
		load  float64
		cargo float64 // cargo tech
		want  float64
	}{
		{manualShips[12].d, 1.1, 1, 9.76},    // Hauler 20 × 2 / 4.1
		{manualShips[13].d, 20, 1, 8.63},     // Freighter 20 × 30 / 69.5
		{manualShips[14].d, 196.14, 1, 6.09}, // MegaFreighter 20 × 120 / 394.14
		{manualShips[13].d, 60, 3, 8.63},     // Freighter at cargo tech 3 with 60: effective 20
		{manualShips[13].d, 35, 3, 20 * 30 / (49.5 + 35.0/3)},
	} {
		g := &Group{Tech: engine.Tech{Drive: 1, Shields: 1, Cargo: tc.cargo}, Load: tc.load}
		if got := Speed(&tc.d, g); math.Abs(got-tc.want) > 0.005 {
			t.Errorf("%s with %v at cargo tech %v: speed %v, want %v", tc.d.Name, tc.load, tc.cargo, got, tc.want)
		}
	}
	d := manualShips[0].d
	if got := Speed(&d, &Group{Tech: engine.Tech{Drive: 2.5}}); got != 50 {
		t.Errorf("drone at drive tech 2.5: speed %v, want 50 (twice the tech, twice as fast)", got)
	}
}

func TestCargoSpace(t *testing.T) {
	for _, tc := range []struct {
		d    ShipDesign
		tech float64
		want float64
	}{
		{manualShips[12].d, 1, 1.1},                    // Hauler: 1 + 1/10
		{manualShips[13].d, 1, 20},                     // Freighter: 10 + 100/10
		{manualShips[14].d, 1, 39.57 + 39.57*39.57/10}, // MegaFreighter: 196.15 (the manual truncates to 196.14)
		{manualShips[12].d, 2, 2.2},                    // Hauler at cargo tech 2
		{manualShips[13].d, 3, 60},                     // Freighter at cargo tech 3
		{manualShips[0].d, 5, 0},                       // no bay
	} {
		if got := CargoSpace(&tc.d, &Group{Tech: engine.Tech{Cargo: tc.tech}}); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s at cargo tech %v: space %v, want %v", tc.d.Name, tc.tech, got, tc.want)
		}
	}
}

func TestKillProbability(t *testing.T) {
	// A 10 1 10 10 0 ship against an identical one: attack 10, defence 10 × 30^⅓ / 30^⅓.
	d := ShipDesign{"Ten", 10, 1, 10, 10, 0}
	g := &Group{Tech: tech1}
	if a, def := Attack(&d, g), Defence(&d, g); math.Abs(a-10) > 1e-9 || math.Abs(def-10) > 1e-6 {
		t.Fatalf("attack %v, defence %v; want 10 and 10", a, def)
	}
	for _, tc := range []struct{ attack, defence, want float64 }{
		{10, 10, 0.5}, {40, 10, 1}, {80, 10, 1}, {10, 40, 0}, {10, 80, 0}, {20, 10, 0.75}, {10, 20, 0.25}, {5, 0, 1}, {0, 5, 0},
	} {
		if got := KillProbability(tc.attack, tc.defence); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("KillProbability(%v, %v) = %v, want %v", tc.attack, tc.defence, got, tc.want)
		}
	}
	// Shields weigh less on bigger ships: twice the mass (cargo included) is 2^⅓ weaker.
	heavy := &Group{Tech: tech1, Load: 30}
	if got, want := Defence(&d, heavy), 10/math.Cbrt(2); math.Abs(got-want) > 1e-6 {
		t.Errorf("defence carrying its own mass in cargo = %v, want %v", got, want)
	}
	// The draw in battles matches the formula.
	rng := turnRand(1, 1)
	kills := 0
	const n = 200000
	for range n {
		if shotKills(20, 10, rng) {
			kills++
		}
	}
	if got := float64(kills) / n; math.Abs(got-0.75) > 0.005 {
		t.Errorf("shots at twice the defence kill %.4f of the time, want 0.75", got)
	}
}

func TestUpgradeCost(t *testing.T) {
	gun := manualShips[4].d // Gunship 4 2 2 4 0: guns weigh 2 + 2/2 = 3
	ship := engine.Tech{Drive: 1, Weapons: 1, Shields: 1}
	race := engine.Tech{Drive: 2, Weapons: 1.5, Shields: 1, Cargo: 3}
	// 10 × ((1 − 1/2) × 4 + (1 − 1/1.5) × 3 + 0 × 4) = 10 × (2 + 1) = 30; no bay, no cargo part.
	if got := UpgradeCost(&gun, ship, race); math.Abs(got-30) > 1e-9 {
		t.Fatalf("upgrade cost = %v, want 30", got)
	}
	if got := UpgradeCost(&gun, race, race); got != 0 {
		t.Fatalf("upgrade cost at the race's levels = %v, want 0", got)
	}
}

func TestDesignRules(t *testing.T) {
	for name, tc := range map[string]struct {
		order string
		field string
	}{
		"OK":               {`{"type":"design","name":"Fighter","drive":2.48,"attacks":1,"weapons":1.2,"shields":1.27,"cargo":0}`, ""},
		"OK/NoDrive":       {`{"type":"design","name":"Fort","drive":0,"attacks":11,"weapons":10,"shields":39,"cargo":0}`, ""},
		"ErrFraction":      {`{"type":"design","name":"X","drive":0.75,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "drive"},
		"ErrShieldsBelow1": {`{"type":"design","name":"X","drive":1,"attacks":0,"weapons":0,"shields":0.5,"cargo":0}`, "shields"},
		"ErrGunsNoWeapons": {`{"type":"design","name":"X","drive":1,"attacks":2,"weapons":0,"shields":0,"cargo":0}`, "weapons"},
		"ErrWeaponsNoGuns": {`{"type":"design","name":"X","drive":1,"attacks":0,"weapons":2,"shields":0,"cargo":0}`, "attacks"},
		"ErrAttacksWhole":  {`{"type":"design","name":"X","drive":1,"attacks":1.5,"weapons":2,"shields":0,"cargo":0}`, "attacks"},
		"ErrNegative":      {`{"type":"design","name":"X","drive":-1,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "drive"},
		"ErrAllZero":       {`{"type":"design","name":"X","drive":0,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "drive"},
		"ErrProductName":   {`{"type":"design","name":"cargo","drive":1,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "name"},
		"ErrMax":           {`{"type":"design","name":"Max","drive":1,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "name"},
		"ErrSpace":         {`{"type":"design","name":"A B","drive":1,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "name"},
		"ErrMissing":       {`{"type":"design","name":"X","drive":1,"attacks":0,"weapons":0,"shields":0}`, "cargo"},
		"ErrString":        {`{"type":"design","name":"X","drive":"1","attacks":0,"weapons":0,"shields":0,"cargo":0}`, "drive"},
		"ErrHuge":          {`{"type":"design","name":"X","drive":1e300,"attacks":0,"weapons":0,"shields":0,"cargo":0}`, "drive"},
	} {
		t.Run(name, func(t *testing.T) {
			g := MustNew(t, 2, Settings{Seed: 1})
			_, err := g.SetOrders(g.Races[0].ID, 0, raws(tc.order), false)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err, err.(*Error).Details)
				}
				return
			}
			mustDetail(t, err, 0, tc.field)
		})
	}
	t.Run("ErrDuplicate", func(t *testing.T) {
		g := MustNew(t, 2, Settings{Seed: 1})
		d := `{"type":"design","name":"Drone","drive":1,"attacks":0,"weapons":0,"shields":0,"cargo":0}`
		_, err := g.SetOrders(g.Races[0].ID, 0, raws(d, strings.Replace(d, "Drone", "DRONE", 1)), false)
		mustDetail(t, err, 1, "name")
	})
}

// mustDetail fails unless err is Invalid with a detail for order index naming field.
func mustDetail(tb testing.TB, err error, index int, field string) {
	tb.Helper()
	ge, ok := err.(*Error)
	if !ok || ge.Kind != Invalid {
		tb.Fatalf("err = %v, want Invalid", err)
	}
	for _, d := range ge.Details {
		if d.Index == index && d.Field == field {
			return
		}
	}
	tb.Fatalf("details = %+v, want one for order %d naming %q", ge.Details, index, field)
}

// mini is a hand-made galaxy for rule tests: races A and B (tech 1, at war) with homes
// 1 at (0,0) and 2 at (30,0) — size, population and industry 1000, resources 10 — and
// empty planets 3 at (10,0) (size 500, resources 1) and 4 at (100,0) (size 100,
// resources 2).
func mini(tb testing.TB) (*Game, *Race, *Race) {
	tb.Helper()
	a := &Race{ID: playerID(0), Name: "A", Home: 1, Tech: tech1}
	b := &Race{ID: playerID(1), Name: "B", Home: 2, Tech: tech1}
	home := func(n int, x float64, owner uuid.UUID) *Planet {
		return &Planet{Number: n, Name: fmt.Sprint(n), X: x, Size: 1000, Pop: 1000, Ind: 1000, Resources: 10, Owner: owner, Producing: CAP}
	}
	g := &Game{Version: SchemaVersion, ID: gameID, Seed: 5, Size: 200, Races: []*Race{a, b}, Planets: []*Planet{
		home(1, 0, a.ID), home(2, 30, b.ID),
		{Number: 3, Name: "3", X: 10, Size: 500, Resources: 1},
		{Number: 4, Name: "4", X: 100, Size: 100, Resources: 2},
	}}
	if err := g.Check(); err != nil {
		tb.Fatal(err)
	}
	return g, a, b
}

// give adds a design to r (if new) and a group of ships of it at planet p.
func give(g *Game, r *Race, d ShipDesign, ships, p int) *Group {
	if r.design(d.Name) == nil {
		r.Designs = append(r.Designs, d)
	}
	gr := &Group{Number: r.nextNumber(), Design: d.Name, Ships: ships, Tech: shipTech(&d, r.Tech), Planet: p, From: p}
	r.Groups = append(r.Groups, gr)
	return gr
}

// mustOrders submits orders for the open turn and fails on any error.
func mustOrders(tb testing.TB, g *Game, r *Race, orders ...string) {
	tb.Helper()
	if _, err := g.SetOrders(r.ID, g.Turn, raws(orders...), false); err != nil {
		tb.Fatalf("orders of %s: %v %+v", r.Name, err, err.(*Error).Details)
	}
}

// mustTurn generates the next turn.
func mustTurn(tb testing.TB, g *Game) {
	tb.Helper()
	if _, err := g.Generate(g.Turn + 1); err != nil {
		tb.Fatal(err)
	}
	if err := g.Check(); err != nil {
		tb.Fatalf("after turn %d: %v", g.Turn, err)
	}
}

func TestEraseDesign(t *testing.T) {
	g, a, _ := mini(t)
	give(g, a, manualShips[0].d, 1, 1)
	a.Designs = append(a.Designs, manualShips[4].d, manualShips[2].d)
	g.Planets[0].Producing, g.Planets[0].Ship = SHIP, "Gunship"
	_, err := g.SetOrders(a.ID, 0, raws(`{"type":"erase_design","name":"Drone"}`, `{"type":"erase_design","name":"gunship"}`,
		`{"type":"erase_design","name":"FastFlak"}`, `{"type":"erase_design","name":"Nothing"}`), false)
	ge := err.(*Error)
	if len(ge.Details) != 3 || ge.Details[0].Index != 0 || ge.Details[1].Index != 1 || ge.Details[2].Index != 3 {
		t.Fatalf("details = %+v, want orders 0 (ships exist), 1 (being built) and 3 (unknown)", ge.Details)
	}
	mustOrders(t, g, a, `{"type":"erase_design","name":"FastFlak"}`)
	mustTurn(t, g)
	if a.design("FastFlak") != nil || a.design("Gunship") == nil {
		t.Fatalf("designs = %+v, want FastFlak gone and Gunship kept", a.Designs)
	}
}
