package game

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Decode reads a state.json, migrating older schema versions, and checks it. A state
// of a newer version than SchemaVersion is refused (a newer engine wrote it).
func Decode(data []byte) (*Game, error) {
	var v struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, err
	}
	var g Game
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, err
	}
	switch v.Version {
	case SchemaVersion:
	case 1:
		// Version 1 had no ships: its "ships" and "designs" were reserved and always
		// empty, and every other field kept its meaning. Its planets produced only the
		// six products, its orders were produce and rename_planet.
		g.Version = SchemaVersion
	default:
		return nil, fmt.Errorf("state version %d, this engine reads versions 1 to %d", v.Version, SchemaVersion)
	}
	if err := g.Check(); err != nil {
		return nil, err
	}
	return &g, nil
}

// clone returns a deep copy of g, for trying orders out.
func (g *Game) clone() *Game {
	c := *g
	c.Winners = slices.Clone(g.Winners)
	c.Messages = slices.Clone(g.Messages)
	c.Battles = slices.Clone(g.Battles)
	c.Bombings = slices.Clone(g.Bombings)
	c.Planets = make([]*Planet, len(g.Planets))
	for i, p := range g.Planets {
		cp := *p
		c.Planets[i] = &cp
	}
	c.Races = make([]*Race, len(g.Races))
	for i, r := range g.Races {
		cr := *r
		cr.Orders = slices.Clone(r.Orders)
		cr.Rejected = slices.Clone(r.Rejected)
		cr.Designs = slices.Clone(r.Designs)
		cr.Fleets = slices.Clone(r.Fleets)
		cr.Allies = slices.Clone(r.Allies)
		cr.claims = nil
		cr.Groups = make([]*Group, len(r.Groups))
		for j, gr := range r.Groups {
			cg := *gr
			cr.Groups[j] = &cg
		}
		c.Races[i] = &cr
	}
	return &c
}
