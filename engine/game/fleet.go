package game

import (
	"fmt"
	"slices"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// Fleet is a named set of a race's groups that fly together at the speed of the
// slowest. A fleet left without groups at the end of a turn's orders disappears.
type Fleet struct {
	Name string `json:"name"`
}

// fleet returns r's fleet named name (case-insensitive), or nil.
func (r *Race) fleet(name string) *Fleet {
	for i := range r.Fleets {
		if strings.EqualFold(r.Fleets[i].Name, name) {
			return &r.Fleets[i]
		}
	}
	return nil
}

// fleetGroups returns r's groups in fleet f.
func (r *Race) fleetGroups(f *Fleet) []*Group {
	var out []*Group
	for _, g := range r.Groups {
		if g.Fleet == f.Name {
			out = append(out, g)
		}
	}
	return out
}

// orderFleet resolves an order's fleet.
func (r *Race) orderFleet(field, name string) (*Fleet, *engine.FieldError) {
	if name == "" {
		return nil, &engine.FieldError{Field: field, Message: field + " is required"}
	}
	f := r.fleet(name)
	if f == nil {
		return nil, &engine.FieldError{Field: field, Message: fmt.Sprintf("you have no fleet %q", name)}
	}
	return f, nil
}

// fleetAt reports where fleet f's groups are: the planet they all orbit, or an error
// when one is in hyperspace. 0 for an empty fleet.
func (r *Race) fleetAt(field string, f *Fleet) (int, *engine.FieldError) {
	at := 0
	for _, gr := range r.fleetGroups(f) {
		if gr.Dist > 0 {
			return 0, &engine.FieldError{Field: field, Message: fmt.Sprintf("fleet %s is in hyperspace", f.Name)}
		}
		at = gr.Planet
	}
	return at, nil
}

// FleetSpeed is the speed of r's fleet f: that of its slowest group (0 without groups).
func (r *Race) FleetSpeed(f *Fleet) float64 {
	speed := -1.0
	for _, gr := range r.fleetGroups(f) {
		if d := r.design(gr.Design); d != nil {
			if s := Speed(d, gr); speed < 0 || s < speed {
				speed = s
			}
		}
	}
	return max(speed, 0)
}

// createFleetOrder creates an empty fleet (D FLEET name). Its name follows the design
// name rules and must not start with a digit (a group number).
func (g *Game) createFleetOrder(r *Race, o *Order) *engine.FieldError {
	if fe := r.checkShipName("fleet", o.Fleet); fe != nil {
		return fe
	}
	if o.Fleet[0] >= '0' && o.Fleet[0] <= '9' {
		return &engine.FieldError{Field: "fleet", Message: "a fleet name must not start with a digit"}
	}
	if len(r.Fleets) >= MaxDesigns {
		return &engine.FieldError{Field: "fleet", Message: fmt.Sprintf("at most %d fleets per race", MaxDesigns)}
	}
	r.Fleets = append(r.Fleets, Fleet{Name: o.Fleet})
	return nil
}

// joinFleetOrder puts a group (or ships of it) into a fleet at the same planet (J).
func (g *Game) joinFleetOrder(r *Race, o *Order) *engine.FieldError {
	gr, _, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	f, fe := r.orderFleet("fleet", o.Fleet)
	if fe != nil {
		return fe
	}
	at, fe := r.fleetAt("fleet", f)
	if fe != nil {
		return fe
	}
	if at != 0 && at != gr.Planet {
		return &engine.FieldError{Field: "fleet", Message: fmt.Sprintf("fleet %s is at another planet than group %d", f.Name, gr.Number)}
	}
	if gr, fe = r.split(gr, o.Ships); fe != nil {
		return fe
	}
	gr.Fleet = f.Name
	return nil
}

// leaveFleetOrder takes a group out of its fleet (B group FLEET).
func (g *Game) leaveFleetOrder(r *Race, o *Order) *engine.FieldError {
	gr, _, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	if gr.Fleet == "" {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d is in no fleet", gr.Number)}
	}
	gr.Fleet = ""
	return nil
}

// mergeFleetOrder moves every group of a fleet into another at the same planet
// (J fleet fleet); the first fleet is left empty.
func (g *Game) mergeFleetOrder(r *Race, o *Order) *engine.FieldError {
	from, fe := r.orderFleet("fleet", o.Fleet)
	if fe != nil {
		return fe
	}
	into, fe := r.orderFleet("into", o.Into)
	if fe != nil {
		return fe
	}
	if from == into {
		return &engine.FieldError{Field: "into", Message: "a fleet cannot merge into itself"}
	}
	a, fe := r.fleetAt("fleet", from)
	if fe != nil {
		return fe
	}
	b, fe := r.fleetAt("into", into)
	if fe != nil {
		return fe
	}
	if a != 0 && b != 0 && a != b {
		return &engine.FieldError{Field: "into", Message: fmt.Sprintf("fleets %s and %s are at different planets", from.Name, into.Name)}
	}
	for _, gr := range r.fleetGroups(from) {
		gr.Fleet = into.Name
	}
	return nil
}

// eraseFleetOrder disbands a fleet; its groups stay where they are (E fleet).
func (g *Game) eraseFleetOrder(r *Race, o *Order) *engine.FieldError {
	f, fe := r.orderFleet("fleet", o.Fleet)
	if fe != nil {
		return fe
	}
	if _, fe := r.fleetAt("fleet", f); fe != nil {
		return fe
	}
	for _, gr := range r.fleetGroups(f) {
		gr.Fleet = ""
	}
	r.removeFleet(f.Name)
	return nil
}

// renameFleetOrder renames a fleet (T fleet, phase 2).
func (g *Game) renameFleetOrder(r *Race, o *Order) *engine.FieldError {
	f, fe := r.orderFleet("fleet", o.Fleet)
	if fe != nil {
		return fe
	}
	if !strings.EqualFold(f.Name, o.NewName) {
		if fe := r.checkShipName("newName", o.NewName); fe != nil {
			return fe
		}
		if c := o.NewName[0]; c >= '0' && c <= '9' {
			return &engine.FieldError{Field: "newName", Message: "a fleet name must not start with a digit"}
		}
	}
	for _, gr := range r.fleetGroups(f) {
		gr.Fleet = o.NewName
	}
	f.Name = o.NewName
	return nil
}

func (r *Race) removeFleet(name string) {
	r.Fleets = slices.DeleteFunc(r.Fleets, func(f Fleet) bool { return f.Name == name })
}

// fleetPhase drops fleets without groups (GalaxyNG's fleetphase).
func (g *Game) fleetPhase() {
	for _, r := range g.Races {
		used := map[string]bool{}
		for _, gr := range r.Groups {
			if gr.Fleet != "" {
				used[gr.Fleet] = true
			}
		}
		r.Fleets = slices.DeleteFunc(r.Fleets, func(f Fleet) bool { return !used[f.Name] })
	}
}
