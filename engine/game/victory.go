package game

import (
	"slices"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// quitOrder takes the race out of the game (Q): its planets are emptied and left to
// nobody, its ships vanish (as GalaxyNG does to a race removed for idleness). The order
// names the race itself, so that it cannot be given by accident.
func (g *Game) quitOrder(r *Race, o *Order) *engine.FieldError {
	if o.RaceID != r.ID {
		return &engine.FieldError{Field: "race", Message: "quit names your own race, to make sure"}
	}
	for _, p := range g.Planets {
		if p.Owner == r.ID {
			*p = Planet{Number: p.Number, Name: p.Name, X: p.X, Y: p.Y, Size: p.Size, Resources: p.Resources}
		}
	}
	r.Groups, r.Fleets, r.Quit = nil, nil, true
	r.goOut(g.Turn + 1)
	return nil
}

// goOut marks r out of the game at turn.
func (r *Race) goOut(turn int) {
	if !r.Extinct {
		r.Extinct, r.OutTurn = true, turn
	}
	r.Orders, r.Final = nil, false
}

// eliminate takes out of the game every race that has neither planets nor ships left.
func (g *Game) eliminate(turn int) {
	owns := map[uuid.UUID]bool{}
	for _, p := range g.Planets {
		if p.Owned() {
			owns[p.Owner] = true
		}
	}
	for _, r := range g.Races {
		if !r.Extinct && !owns[r.ID] && len(r.Groups) == 0 {
			r.goOut(turn)
		}
	}
}

// alive returns the races still in the game, in creation order.
func (g *Game) alive() []*Race {
	var out []*Race
	for _, r := range g.Races {
		if !r.Extinct {
			out = append(out, r)
		}
	}
	return out
}

// decideVictory finishes a game of two or more races when one race is left, or —
// with the allianceVictory setting — when every race left is at peace with every other
// (those are the winners), or when none is left (no winner). At MaxTurns the game
// finishes too; the winners are then the races left with the largest total production
// (GalaxyNG ranks races by it).
func (g *Game) decideVictory() {
	alive := g.alive()
	if len(g.Races) >= 2 {
		switch {
		case len(alive) <= 1, g.AllianceVictory && allAllied(alive):
			g.Finished = true
			g.Winners = ids(alive)
			return
		}
	}
	if g.MaxTurns > 0 && g.Turn >= g.MaxTurns {
		g.Finished = true
		best := -1.0
		var top []*Race
		for _, r := range alive {
			switch p := round2(g.production(r)); {
			case p > best:
				best, top = p, []*Race{r}
			case p == best:
				top = append(top, r)
			}
		}
		g.Winners = ids(top)
	}
}

// production is the total production of r's planets.
func (g *Game) production(r *Race) float64 {
	total := 0.0
	for _, p := range g.Planets {
		if p.Owner == r.ID {
			total += Production(p)
		}
	}
	return total
}

// allAllied reports whether every race in rs is at peace with every other.
func allAllied(rs []*Race) bool {
	for _, a := range rs {
		for _, b := range rs {
			if a != b && !slices.Contains(a.Allies, b.ID) {
				return false
			}
		}
	}
	return true
}

func ids(rs []*Race) []uuid.UUID {
	out := make([]uuid.UUID, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
