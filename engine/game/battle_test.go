package game

import (
	"fmt"
	"testing"

	"github.com/google/uuid"
)

var (
	killer = ShipDesign{"Killer", 1, 1, 40, 0, 0} // attack 40: destroys anything with defence 10 or less
	pea    = ShipDesign{"Pea", 1, 1, 1, 0, 0}     // attack 1
	wall   = ShipDesign{"Wall", 1, 0, 0, 50, 0}   // defence 50 × 30^⅓ / 51^⅓ = 41.7: a quarter is above 10
	drone  = manualShips[0].d
)

// addRace adds race name with a home planet at (x, 0).
func addRace(g *Game, name string, x float64) *Race {
	r := &Race{ID: playerID(len(g.Races)), Name: name, Home: len(g.Planets) + 1, Tech: tech1}
	g.Races = append(g.Races, r)
	g.Planets = append(g.Planets, &Planet{Number: r.Home, Name: fmt.Sprint(r.Home), X: x, Size: 1000, Pop: 1000, Ind: 1000, Resources: 10, Owner: r.ID, Producing: CAP})
	return r
}

// battles runs one fight phase at the current positions.
func battles(g *Game) []Battle {
	g.Battles = nil
	g.fightPhase(1, g.alive(), turnRand(g.Seed, 1))
	return g.Battles
}

func TestBattle(t *testing.T) {
	t.Run("OK/CertainKills", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, killer, 3, 3)
		give(g, b, drone, 10, 3)
		bs := battles(g)
		if len(bs) != 1 {
			t.Fatalf("battles = %+v, want one", bs)
		}
		// Undefended drones always die: 3 shots a round, 10 drones, 4 rounds.
		bt := bs[0]
		if bt.Planet != 3 || bt.Rounds != 4 || bt.Shots != 10 || bt.Standoff || len(b.Groups) != 0 || a.Groups[0].Ships != 3 {
			t.Fatalf("battle %+v, B groups %+v; want 4 rounds, 10 shots, every drone destroyed", bt, b.Groups)
		}
		if got := bt.Groups[1]; got.Race != b.ID || got.Ships != 10 || got.Left != 0 {
			t.Fatalf("B's group in the battle = %+v, want 10 ships, none left", got)
		}
	})
	t.Run("OK/Standoff", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, pea, 5, 3)
		give(g, b, wall, 5, 3)
		bs := battles(g)
		if len(bs) != 1 || !bs[0].Standoff || bs[0].Rounds != 0 || a.Groups[0].Ships != 5 || b.Groups[0].Ships != 5 {
			t.Fatalf("battles %+v, want a standoff without a shot", bs)
		}
	})
	t.Run("OK/Allies", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, killer, 3, 3)
		give(g, b, killer, 3, 3)
		a.Allies, b.Allies = []uuid.UUID{b.ID}, []uuid.UUID{a.ID}
		if bs := battles(g); len(bs) != 0 {
			t.Fatalf("battles %+v between allies, want none", bs)
		}
	})
	t.Run("OK/ShootBack", func(t *testing.T) {
		// A declared peace, B did not: B attacks, and A's ships fire back.
		g, a, b := mini(t)
		give(g, a, killer, 3, 3)
		give(g, b, drone, 1, 3)
		give(g, b, killer, 1, 3)
		a.Allies = []uuid.UUID{b.ID}
		bs := battles(g)
		if len(bs) != 1 || len(b.Groups) != 0 {
			t.Fatalf("battles %+v, B's groups %+v; want A to fire back and destroy everything", bs, b.Groups)
		}
	})
	t.Run("OK/UnarmedNoBattle", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, drone, 3, 3)
		give(g, b, drone, 3, 3)
		if bs := battles(g); len(bs) != 0 {
			t.Fatalf("battles %+v without guns, want none", bs)
		}
	})
	t.Run("OK/Deterministic", func(t *testing.T) {
		fightOnce := func() []int {
			g, a, b := mini(t)
			give(g, a, ShipDesign{"Ten", 10, 1, 10, 10, 0}, 50, 3) // kill chance 1/2 against its like
			give(g, b, ShipDesign{"Ten", 10, 1, 10, 10, 0}, 50, 3)
			bs := battles(g)
			return []int{bs[0].Rounds, bs[0].Shots, bs[0].Groups[0].Left, bs[0].Groups[1].Left}
		}
		x, y := fightOnce(), fightOnce()
		if fmt.Sprint(x) != fmt.Sprint(y) || (x[2] != 0 && x[3] != 0) {
			t.Fatalf("two runs of the same battle: %v and %v; want equal, one side destroyed", x, y)
		}
	})
}

func TestBombing(t *testing.T) {
	t.Run("OK/Conquest", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, killer, 1, 2)
		g.Planets[1].Cap, g.Planets[1].Col, g.Planets[1].Producing = 100, 7, DRIVE
		g.bombPhase([]*Race{a, b})
		p := g.Planets[1]
		// 25% of 1000 is left, then the 100 capital cannot turn into industry (ind = pop).
		if p.Owner != a.ID || p.Pop != 250 || p.Ind != 250 || p.Col != 0 || p.Producing != CAP || p.Cap != 100 {
			t.Fatalf("planet %+v, want A's, 250 people, 250 industry, no colonists, producing CAP", p)
		}
		if len(g.Bombings) != 1 {
			t.Fatalf("bombings %+v, want one", g.Bombings)
		}
		bb := g.Bombings[0]
		if bb.By != a.ID || bb.Owner != b.ID || bb.NewOwner != a.ID || bb.Pop != 1000 || bb.Producing != "DRIVE" || len(bb.Viewers) != 2 {
			t.Fatalf("bombing %+v, want A over B's planet, seen by both", bb)
		}
	})
	t.Run("OK/Standoff", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, pea, 1, 2)
		give(g, b, ShipDesign{"Fort", 0, 1, 1, 50, 0}, 1, 2) // armed, but neither can hurt the other
		g.bombPhase([]*Race{a, b})
		if p := g.Planets[1]; p.Owned() || p.Pop != 250 {
			t.Fatalf("planet %+v, want bombed and owned by nobody", p)
		}
	})
	t.Run("OK/Claims", func(t *testing.T) {
		for _, tc := range []struct {
			claims []int // races (0 A, 2 C) that claim
			want   int   // index of the new owner, -1 nobody
		}{{nil, 0}, {[]int{2}, 2}, {[]int{0, 2}, -1}} {
			g, a, b := mini(t)
			c := addRace(g, "C", 50)
			a.Allies, c.Allies = []uuid.UUID{c.ID}, []uuid.UUID{a.ID}
			give(g, a, killer, 1, 2)
			give(g, c, killer, 1, 2)
			for _, i := range tc.claims {
				g.Races[i].claims = map[int]bool{2: true}
			}
			g.bombPhase([]*Race{a, b, c})
			want := uuid.Nil
			if tc.want >= 0 {
				want = g.Races[tc.want].ID
			}
			if got := g.Planets[1].Owner; got != want {
				t.Fatalf("claims by %v: owner %v, want %v", tc.claims, got, want)
			}
		}
	})
	t.Run("OK/Peace", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, killer, 1, 2)
		a.Allies = []uuid.UUID{b.ID}
		g.bombPhase([]*Race{a, b})
		if g.Planets[1].Pop != 1000 || len(g.Bombings) != 0 {
			t.Fatal("a race bombed a race it is at peace with")
		}
	})
}
