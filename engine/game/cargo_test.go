package game

import (
	"testing"
)

// hauler is the manual's Hauler: 2 0 0 0 1, room for 1.1 at cargo tech 1, 13.33 ly a turn.
var hauler = manualShips[12].d

func TestLoadUnload(t *testing.T) {
	t.Run("OK/FullAndShared", func(t *testing.T) {
		g, a, _ := mini(t)
		give(g, a, hauler, 10, 1)
		g.Planets[0].Col = 5 // less than 10 × 1.1: shared evenly
		mustOrders(t, g, a, `{"type":"load","group":1,"cargo":"COL"}`)
		g.applyOrders([]*Race{a})
		if gr := a.Groups[0]; gr.Cargo != COL || !near(gr.Load, 0.5) || g.Planets[0].Col != 0 {
			t.Fatalf("group %+v, planet col %v; want 0.5 COL a ship", gr, g.Planets[0].Col)
		}
	})
	t.Run("OK/Amount", func(t *testing.T) {
		g, a, _ := mini(t)
		give(g, a, hauler, 10, 1)
		g.Planets[0].Mat = 100
		mustOrders(t, g, a, `{"type":"load","group":1,"cargo":"mat","ships":4,"amount":1}`)
		g.applyOrders([]*Race{a})
		if len(a.Groups) != 2 || a.Groups[1].Ships != 4 || a.Groups[1].Load != 1 || !near(g.Planets[0].Mat, 96) {
			t.Fatalf("groups %+v, mat %v; want 4 ships broken off with 1 MAT each", a.Groups, g.Planets[0].Mat)
		}
	})
	for name, tc := range map[string]struct {
		order, field string
	}{
		"ErrTooMuch":   {`{"type":"load","group":1,"cargo":"CAP","amount":1.2}`, "amount"},
		"ErrTooLittle": {`{"type":"load","group":1,"cargo":"CAP","amount":0.001}`, "amount"},
		"ErrNoStock":   {`{"type":"load","group":1,"cargo":"COL"}`, "cargo"},
		"ErrCargo":     {`{"type":"load","group":1,"cargo":"EMP"}`, "cargo"},
		"ErrNoBay":     {`{"type":"load","group":2,"cargo":"CAP"}`, "group"},
		"ErrEmpty":     {`{"type":"unload","group":1}`, "group"},
		"ErrNoGroup":   {`{"type":"load","group":9,"cargo":"CAP"}`, "group"},
	} {
		t.Run(name, func(t *testing.T) {
			g, a, _ := mini(t)
			give(g, a, hauler, 10, 1)
			give(g, a, manualShips[0].d, 1, 1)
			g.Planets[0].Cap = 100
			_, err := g.SetOrders(a.ID, 0, raws(tc.order), false)
			mustDetail(t, err, 0, tc.field)
		})
	}
}

// TestColonise sends colonists to the empty planet 3, 10 ly away: loaded haulers fly
// 20 × 2 / (3 + 1.1) = 9.76 ly a turn, so they arrive in the second turn, unload at its
// end (AutoUnload), and the planet becomes the race's.
func TestColonise(t *testing.T) {
	g, a, b := mini(t)
	give(g, a, hauler, 10, 1)
	g.Planets[0].Col = 11
	mustOrders(t, g, a, `{"type":"load","group":1,"cargo":"COL"}`, `{"type":"send","group":1,"planet":3}`)
	mustTurn(t, g)
	if gr := a.Groups[0]; !near(gr.Dist, 10-40/4.1) || gr.Load != 1.1 {
		t.Fatalf("haulers after one turn %+v, want 0.24 ly to go, still loaded", gr)
	}
	mustTurn(t, g)
	p := g.Planets[2]
	if p.Owner != a.ID || !near(p.Pop, 88) || p.Producing != CAP {
		t.Fatalf("planet 3 = %+v, want A's with 11 × 8 population, producing CAP", p)
	}
	if gr := a.Groups[0]; gr.Cargo != "" || gr.Planet != 3 {
		t.Fatalf("hauler group %+v, want empty at planet 3", gr)
	}
	// Colonists do not land on another race's planet.
	give(g, b, hauler, 1, 3)
	b.Groups[0].Cargo, b.Groups[0].Load = COL, 1
	_, err := g.SetOrders(b.ID, g.Turn, raws(`{"type":"unload","group":1}`), false)
	mustDetail(t, err, 0, "group")
}

// TestRoutes sets a capital route from home 1 to planet 3 and an empty route back:
// cargo ships load capital, fly (two turns loaded), unload it there into industry, and
// come back empty (one turn), without further orders.
func TestRoutes(t *testing.T) {
	g, a, _ := mini(t)
	g.Planets[0].Producing = DRIVE
	g.Planets[2].Owner, g.Planets[2].Pop, g.Planets[2].Producing = a.ID, 100, DRIVE
	give(g, a, hauler, 5, 1)
	g.Planets[0].Cap = 100
	mustOrders(t, g, a, `{"type":"route","planet":1,"cargo":"CAP","to":3}`, `{"type":"route","planet":3,"cargo":"EMP","to":1}`)
	mustTurn(t, g)
	if got, want := g.Planets[0].Cap, 100-5*1.1; !near(got, want) {
		t.Fatalf("home capital = %v, want %v after 5 haulers loaded", got, want)
	}
	mustTurn(t, g)
	if p := g.Planets[2]; !near(p.Ind, 5.5) {
		t.Fatalf("planet 3 = %+v, want the 5.5 capital unloaded into industry", p)
	}
	if gr := a.Groups[0]; gr.Planet != 3 || gr.Cargo != "" {
		t.Fatalf("haulers %+v, want empty at planet 3", gr)
	}
	mustTurn(t, g) // the EMP route sends them home: 13.33 ly a turn empty
	if gr := a.Groups[0]; gr.Planet != 1 || gr.Dist != 0 {
		t.Fatalf("haulers %+v, want back home", gr)
	}
	mustOrders(t, g, a, `{"type":"route","planet":1,"cargo":"CAP"}`)
	mustTurn(t, g)
	if g.Planets[0].Routes.CAP != 0 {
		t.Fatal("a route without to was not cancelled")
	}
	_, err := g.SetOrders(a.ID, g.Turn, raws(`{"type":"route","planet":2,"cargo":"CAP","to":1}`, `{"type":"route","planet":1,"cargo":"COL","to":1}`), false)
	mustDetail(t, err, 0, "planet")
	mustDetail(t, err, 1, "to")
}
