package game

import (
	"fmt"
	"slices"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// AtWar reports whether r is at war with other: every race is at war with every other
// until it declares peace with it, and never with itself. War is one-sided: r's ships
// attack other's and bomb its planets whatever other declared (and ships always shoot
// back).
func (r *Race) AtWar(other *Race) bool {
	return r != other && !slices.Contains(r.Allies, other.ID)
}

// orderRace resolves an order's race.
func (g *Game) orderRace(id uuid.UUID) (*Race, *engine.FieldError) {
	o := g.race(id)
	if o == nil {
		return nil, &engine.FieldError{Field: "race", Message: "unknown race"}
	}
	return o, nil
}

// warOrder declares war on a race (W): r's ships attack it from this turn on.
func (g *Game) warOrder(r *Race, o *Order) *engine.FieldError {
	other, fe := g.orderRace(o.RaceID)
	if fe != nil {
		return fe
	}
	r.Allies = slices.DeleteFunc(r.Allies, func(id uuid.UUID) bool { return id == other.ID })
	return nil
}

// peaceOrder declares peace with (an alliance with) a race (A): r's ships no longer
// start battles with it nor bomb its planets.
func (g *Game) peaceOrder(r *Race, o *Order) *engine.FieldError {
	other, fe := g.orderRace(o.RaceID)
	if fe != nil {
		return fe
	}
	if !slices.Contains(r.Allies, other.ID) {
		r.Allies = append(r.Allies, other.ID)
	}
	return nil
}

// claimOrder claims a planet for this turn's bombings (V): among allied races bombing
// it, the one that claimed it takes it.
func (g *Game) claimOrder(r *Race, o *Order) *engine.FieldError {
	if o.PlanetNo < 1 || o.PlanetNo > len(g.Planets) {
		return &engine.FieldError{Field: "planet", Message: "unknown planet"}
	}
	if g.Planets[o.PlanetNo-1].Owner == r.ID {
		return &engine.FieldError{Field: "planet", Message: fmt.Sprintf("planet %s is yours already", g.Planets[o.PlanetNo-1].Name)}
	}
	if r.claims == nil {
		r.claims = map[int]bool{}
	}
	r.claims[o.PlanetNo] = true
	return nil
}
