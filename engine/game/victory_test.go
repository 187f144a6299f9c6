package game

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

func TestVictory(t *testing.T) {
	t.Run("OK/Conquest", func(t *testing.T) {
		// A's killer sits at B's only planet: bombing takes it, B has nothing left.
		g, a, b := mini(t)
		give(g, a, killer, 1, 2)
		mustTurn(t, g)
		if !b.Extinct || b.OutTurn != 1 || !g.Finished || !slices.Equal(g.Winners, []uuid.UUID{a.ID}) {
			t.Fatalf("B out %v at %d, finished %v, winners %v; want B out at 1 and A the winner", b.Extinct, b.OutTurn, g.Finished, g.Winners)
		}
		if st := g.State(); !st.Players[1].Out || !slices.Equal(st.Winners, []uuid.UUID{a.ID}) {
			t.Fatalf("state %+v, want B out and A the winner", st)
		}
		if _, err := g.SetOrders(b.ID, g.Turn, nil, false); err == nil {
			t.Fatal("a race out of the game gave orders")
		}
	})
	t.Run("OK/ShipsKeepARaceAlive", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, a, killer, 1, 2)
		give(g, b, drone, 1, 4) // far away, unarmed: B survives the loss of its planet
		mustTurn(t, g)
		if b.Extinct || g.Finished {
			t.Fatalf("B out %v, finished %v; want B still in the game with a ship", b.Extinct, g.Finished)
		}
	})
	t.Run("OK/Quit", func(t *testing.T) {
		g, a, b := mini(t)
		give(g, b, drone, 3, 2)
		_, err := g.SetOrders(b.ID, 0, raws(`{"type":"quit","race":"A"}`), false)
		mustDetail(t, err, 0, "race")
		mustOrders(t, g, b, `{"type":"quit","race":"b"}`)
		mustTurn(t, g)
		if !b.Extinct || !b.Quit || g.Planets[1].Owned() || g.Planets[1].Pop != 0 || len(b.Groups) != 0 {
			t.Fatalf("after quitting: race %+v, planet %+v; want out, planet empty, no ships", b, g.Planets[1])
		}
		if !g.Finished || !slices.Equal(g.Winners, []uuid.UUID{a.ID}) {
			t.Fatalf("finished %v, winners %v; want A the winner", g.Finished, g.Winners)
		}
	})
	t.Run("OK/AllianceVictory", func(t *testing.T) {
		for _, allowed := range []bool{false, true} {
			g, a, b := mini(t)
			c := addRace(g, "C", 60)
			g.AllianceVictory = allowed
			mustOrders(t, g, a, `{"type":"peace","race":"B"}`)
			mustOrders(t, g, b, `{"type":"peace","race":"A"}`)
			mustOrders(t, g, c, `{"type":"quit","race":"C"}`)
			mustTurn(t, g)
			if g.Finished != allowed || (allowed && !slices.Equal(g.Winners, []uuid.UUID{a.ID, b.ID})) {
				t.Fatalf("allianceVictory %v: finished %v, winners %v", allowed, g.Finished, g.Winners)
			}
		}
	})
	t.Run("OK/MaxTurns", func(t *testing.T) {
		g, a, _ := mini(t)
		g.MaxTurns = 1
		g.Planets[2].Owner, g.Planets[2].Pop = a.ID, 100 // A has the larger production
		mustTurn(t, g)
		if !g.Finished || !slices.Equal(g.Winners, []uuid.UUID{a.ID}) {
			t.Fatalf("finished %v, winners %v; want A, the largest production", g.Finished, g.Winners)
		}
	})
	t.Run("OK/WarAgain", func(t *testing.T) {
		g, a, b := mini(t)
		mustOrders(t, g, a, `{"type":"peace","race":"B"}`)
		mustTurn(t, g)
		if a.AtWar(b) || !b.AtWar(a) {
			t.Fatal("peace is declared by one race for itself")
		}
		mustOrders(t, g, a, `{"type":"war","race":"B"}`)
		mustTurn(t, g)
		if !a.AtWar(b) {
			t.Fatal("war not declared again")
		}
	})
}
