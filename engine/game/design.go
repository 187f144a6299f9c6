package game

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// GalaxyNG's ship constants (galaxy.h).
const (
	IndPerShip = 10.0 // production points per unit of ship mass (besides one material per unit)
	DriveMagic = 20.0 // light years per turn of a ship that is all drive, at drive tech 1
	// BattleMagic is 30^(1/3): it makes a 10 1 10 10 0 ship kill an identical one with
	// probability 1/2.
	BattleMagic = 3.107232506
)

// Limits on a design, so that no number in a game can overflow or make a battle last
// forever (GalaxyNG has none; no sensible design comes near them).
const (
	MaxComponentMass = 100000.0 // drive, weapons, shields and cargo mass each
	MaxAttacks       = 1000     // guns per ship
	MaxDesigns       = 200      // ship types per race
)

// ShipDesign is a ship type (GalaxyNG's shiptype): the masses of its drive, of each gun
// (Weapons), of its shields and of its cargo bay, and its number of guns (Attacks).
// Each mass is 0 or at least 1; Attacks and Weapons are both zero or both non-zero.
type ShipDesign struct {
	Name    string  `json:"name"`
	Drive   float64 `json:"drive"`
	Attacks int     `json:"attacks"`
	Weapons float64 `json:"weapons"`
	Shields float64 `json:"shields"`
	Cargo   float64 `json:"cargo"`
}

// WeaponMass is the mass of a design's guns: the first gun weighs Weapons, every
// further gun half as much.
func (d *ShipDesign) WeaponMass() float64 {
	if d.Attacks == 0 {
		return 0
	}
	return d.Weapons + float64(d.Attacks-1)*0.5*d.Weapons
}

// Mass is the mass of an empty ship: drive + guns + shields + cargo bay.
func (d *ShipDesign) Mass() float64 { return d.Drive + d.WeaponMass() + d.Shields + d.Cargo }

// Cost is the production a ship of the design takes, besides one unit of materials per
// unit of mass: IndPerShip × mass.
func (d *ShipDesign) Cost() float64 { return IndPerShip * d.Mass() }

// Armed reports whether the design has guns.
func (d *ShipDesign) Armed() bool { return d.Attacks > 0 }

// checkDesign reports what is wrong with d as a new design of r (nil when nothing):
// the name rules (engine.CheckName, not a product, not MAX, unique among r's designs
// and fleets) and the manual's rules on the numbers.
func (r *Race) checkDesign(d *ShipDesign) *engine.FieldError {
	if fe := r.checkShipName("name", d.Name); fe != nil {
		return fe
	}
	for _, c := range []struct {
		field string
		v     float64
	}{{"drive", d.Drive}, {"weapons", d.Weapons}, {"shields", d.Shields}, {"cargo", d.Cargo}} {
		switch {
		case math.IsNaN(c.v) || c.v < 0 || c.v > MaxComponentMass:
			return &engine.FieldError{Field: c.field, Message: fmt.Sprintf("%s must be between 0 and %g", c.field, MaxComponentMass)}
		case c.v > 0 && c.v < 1:
			return &engine.FieldError{Field: c.field, Message: fmt.Sprintf("%s must be 0 or at least 1 (got %g)", c.field, c.v)}
		}
	}
	switch {
	case d.Attacks < 0 || d.Attacks > MaxAttacks:
		return &engine.FieldError{Field: "attacks", Message: fmt.Sprintf("attacks must be a whole number between 0 and %d", MaxAttacks)}
	case d.Attacks == 0 && d.Weapons != 0:
		return &engine.FieldError{Field: "attacks", Message: "a design with weapons needs at least one attack"}
	case d.Attacks != 0 && d.Weapons == 0:
		return &engine.FieldError{Field: "weapons", Message: "a design with attacks needs weapons of at least 1"}
	case d.Mass() == 0:
		return &engine.FieldError{Field: "drive", Message: "at least one component must be non-zero"}
	case len(r.Designs) >= MaxDesigns:
		return &engine.FieldError{Field: "name", Message: fmt.Sprintf("at most %d ship types per race", MaxDesigns)}
	}
	return nil
}

// checkShipName reports why name cannot name a new ship type or fleet of r: the race
// name rules, not a product's name (GalaxyNG: "P planet Cargo" must mean the product),
// not MAX (a group reference), and not taken by another of r's designs or fleets.
func (r *Race) checkShipName(field, name string) *engine.FieldError {
	if err := engine.CheckName(name); err != nil {
		return &engine.FieldError{Field: field, Message: err.Error()}
	}
	if _, ok := parseProduct(name); ok || strings.EqualFold(name, string(SHIP)) {
		return &engine.FieldError{Field: field, Message: fmt.Sprintf("%q is a product's name", name)}
	}
	if strings.EqualFold(name, "MAX") {
		return &engine.FieldError{Field: field, Message: "MAX names the newest group"}
	}
	if r.design(name) != nil {
		return &engine.FieldError{Field: field, Message: fmt.Sprintf("ship type %q exists", name)}
	}
	if r.fleet(name) != nil {
		return &engine.FieldError{Field: field, Message: fmt.Sprintf("fleet %q exists", name)}
	}
	return nil
}

// design returns r's design named name (case-insensitive), or nil.
func (r *Race) design(name string) *ShipDesign {
	for i := range r.Designs {
		if strings.EqualFold(r.Designs[i].Name, name) {
			return &r.Designs[i]
		}
	}
	return nil
}

// designOrder adds a ship type (GalaxyNG's D).
func (g *Game) designOrder(r *Race, o *Order) *engine.FieldError {
	if o.Design == nil {
		return &engine.FieldError{Field: "name", Message: "design is required"}
	}
	d := *o.Design
	if fe := r.checkDesign(&d); fe != nil {
		return fe
	}
	r.Designs = append(r.Designs, d)
	return nil
}

// eraseDesignOrder removes a ship type no ship of which exists or is being built
// (GalaxyNG's E).
func (g *Game) eraseDesignOrder(r *Race, o *Order) *engine.FieldError {
	d := r.design(o.Name)
	if d == nil {
		return &engine.FieldError{Field: "name", Message: fmt.Sprintf("no ship type %q", o.Name)}
	}
	for _, gr := range r.Groups {
		if strings.EqualFold(gr.Design, d.Name) {
			return &engine.FieldError{Field: "name", Message: fmt.Sprintf("ships of type %q still exist (group %d)", d.Name, gr.Number)}
		}
	}
	for _, p := range g.Planets {
		if p.Owner == r.ID && p.Producing == SHIP && strings.EqualFold(p.Ship, d.Name) {
			return &engine.FieldError{Field: "name", Message: fmt.Sprintf("ships of type %q are being built at planet %s", d.Name, p.Name)}
		}
	}
	name := d.Name
	r.Designs = slices.DeleteFunc(r.Designs, func(x ShipDesign) bool { return x.Name == name })
	return nil
}

// renameDesignOrder renames a ship type, and every group of it and every planet
// building it (GalaxyNG's T, phase 2).
func (g *Game) renameDesignOrder(r *Race, o *Order) *engine.FieldError {
	d := r.design(o.Name)
	if d == nil {
		return &engine.FieldError{Field: "name", Message: fmt.Sprintf("no ship type %q", o.Name)}
	}
	if !strings.EqualFold(d.Name, o.NewName) { // a change of case keeps the name's place
		if fe := r.checkShipName("newName", o.NewName); fe != nil {
			return fe
		}
	}
	old := d.Name
	d.Name = o.NewName
	for _, gr := range r.Groups {
		if gr.Design == old {
			gr.Design = d.Name
		}
	}
	for _, p := range g.Planets {
		if p.Owner == r.ID && p.Producing == SHIP && p.Ship == old {
			p.Ship = d.Name
		}
	}
	return nil
}
