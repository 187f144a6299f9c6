package game

import (
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// RecallTurns is how far a group must still be from its destination, in turns of
// flight, to be recalled (GalaxyNG's TURNS_LEFT).
const RecallTurns = 4

// send starts gr towards planet dest (GalaxyNG's send): it stays at its planet — and
// fights there — until the move phase.
func (g *Game) send(gr *Group, dest int) {
	gr.From, gr.Planet = gr.Planet, dest
	gr.Dist = Distance(g.Planets[gr.From-1], g.Planets[dest-1])
	gr.launched = gr.Dist > 0
	if !gr.launched {
		gr.From = gr.Planet
	}
}

// movers returns the groups an order to move acts on — a fleet's, or (ships of) a
// group taken out of its fleet — after checking they can move: at a planet, with
// drives, not already at dest.
func (g *Game) movers(r *Race, o *Order, dest int) ([]*Group, *engine.FieldError) {
	if o.Fleet != "" {
		f, fe := r.orderFleet("fleet", o.Fleet)
		if fe != nil {
			return nil, fe
		}
		at, fe := r.fleetAt("fleet", f)
		if fe != nil {
			return nil, fe
		}
		groups := r.fleetGroups(f)
		switch {
		case len(groups) == 0:
			return nil, &engine.FieldError{Field: "fleet", Message: fmt.Sprintf("fleet %s has no groups", f.Name)}
		case r.FleetSpeed(f) <= 0:
			return nil, &engine.FieldError{Field: "fleet", Message: fmt.Sprintf("fleet %s cannot move: one of its groups has no drive", f.Name)}
		case at == dest:
			return nil, &engine.FieldError{Field: "planet", Message: fmt.Sprintf("fleet %s is at that planet", f.Name)}
		}
		return groups, nil
	}
	gr, d, fe := r.orderGroup(o, false)
	if fe != nil {
		return nil, fe
	}
	if d.Drive == 0 {
		return nil, &engine.FieldError{Field: "group", Message: fmt.Sprintf("ships of type %s have no drive", d.Name)}
	}
	if gr.Planet == dest {
		return nil, &engine.FieldError{Field: "planet", Message: fmt.Sprintf("group %d is at that planet", gr.Number)}
	}
	if gr, fe = r.split(gr, o.Ships); fe != nil {
		return nil, fe
	}
	gr.Fleet = ""
	return []*Group{gr}, nil
}

// sendOrder sends a group or a fleet to a planet (S).
func (g *Game) sendOrder(r *Race, o *Order) *engine.FieldError {
	groups, fe := g.movers(r, o, o.PlanetNo)
	if fe != nil {
		return fe
	}
	for _, gr := range groups {
		g.send(gr, o.PlanetNo)
	}
	return nil
}

// interceptOrder sends a group or fleet after the alien ships that leave a planet this
// turn (I); interceptPhase picks the destination.
func (g *Game) interceptOrder(r *Race, o *Order) *engine.FieldError {
	groups, fe := g.movers(r, o, o.PlanetNo)
	if fe != nil {
		return fe
	}
	for _, gr := range groups {
		g.send(gr, o.PlanetNo)
		gr.intercept = true
	}
	return nil
}

// recallOrder turns a group or fleet in hyperspace back to where it came from (H),
// when it is still more than RecallTurns turns of flight from its destination.
func (g *Game) recallOrder(r *Race, o *Order) *engine.FieldError {
	var groups []*Group
	speed := 0.0
	if o.Fleet != "" {
		f, fe := r.orderFleet("fleet", o.Fleet)
		if fe != nil {
			return fe
		}
		groups, speed = r.fleetGroups(f), r.FleetSpeed(f)
	} else {
		gr, d, fe := r.orderGroup(o, true)
		if fe != nil {
			return fe
		}
		groups, speed = []*Group{gr}, Speed(d, gr)
	}
	field := "group"
	if o.Fleet != "" {
		field = "fleet"
	}
	if len(groups) == 0 {
		return &engine.FieldError{Field: field, Message: "nothing to recall"}
	}
	for _, gr := range groups {
		if gr.Dist == 0 {
			return &engine.FieldError{Field: field, Message: "not in hyperspace"}
		}
		if gr.Dist < speed*RecallTurns {
			return &engine.FieldError{Field: field, Message: fmt.Sprintf("less than %d turns from landing", RecallTurns)}
		}
	}
	for _, gr := range groups {
		gr.Dist = Distance(g.Planets[gr.From-1], g.Planets[gr.Planet-1]) - gr.Dist
		gr.From, gr.Planet = gr.Planet, gr.From
		gr.launched = false
		if gr.Dist < AmountMin {
			gr.Dist, gr.From = 0, gr.Planet
		}
	}
	return nil
}

// interceptPhase decides where intercepting groups fly (GalaxyNG's interceptphase):
// towards the destination, within two turns of their flight, to which the largest mass
// of other races' ships (cargo included) left the target planet this turn; to the
// target planet itself when none did.
func (g *Game) interceptPhase(order []*Race) {
	for _, r := range order {
		for _, gr := range r.Groups {
			if !gr.intercept {
				continue
			}
			gr.intercept = false
			speed := 0.0
			if f := r.fleet(gr.Fleet); f != nil {
				speed = r.FleetSpeed(f)
			} else if d := r.design(gr.Design); d != nil {
				speed = Speed(d, gr)
			}
			reach, target, origin := 2*speed, gr.Planet, g.Planets[gr.From-1]
			mass := map[int]float64{}
			for _, o := range g.Races {
				if o == r {
					continue
				}
				for _, og := range o.Groups {
					if og.Dist == 0 || og.location() != target {
						continue
					}
					if d := o.design(og.Design); d != nil && Distance(g.Planets[og.Planet-1], origin) < reach {
						mass[og.Planet] += float64(og.Ships) * ShipMass(d, og)
					}
				}
			}
			best, bestMass := 0, 0.0
			for _, p := range g.Planets {
				if m := mass[p.Number]; m > bestMass {
					best, bestMass = p.Number, m
				}
			}
			if best != 0 && best != gr.From {
				gr.Planet = gr.From
				g.send(gr, best)
			}
		}
	}
}

// movePhase moves every group in hyperspace by its speed — a fleet's groups by the
// fleet's — and lands those within 0.01 ly of their destination (GalaxyNG's movephase).
func (g *Game) movePhase() {
	for _, r := range g.Races {
		fleetSpeed := map[string]float64{}
		for i := range r.Fleets {
			fleetSpeed[r.Fleets[i].Name] = r.FleetSpeed(&r.Fleets[i])
		}
		for _, gr := range r.Groups {
			gr.launched = false
			if gr.Dist == 0 {
				continue
			}
			speed, ok := fleetSpeed[gr.Fleet]
			if !ok {
				if d := r.design(gr.Design); d != nil {
					speed = Speed(d, gr)
				}
			}
			gr.Dist -= speed
			if gr.Dist < AmountMin {
				gr.Dist, gr.From = 0, gr.Planet
			}
		}
	}
}
