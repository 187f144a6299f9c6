package game

import (
	"fmt"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// Cargo is what a group carries, or what a route moves.
type Cargo string

// The cargo types. EMP exists for routes only: it sends empty cargo ships.
const (
	COL Cargo = "COL" // colonists: 8 population each
	// The stockpiles CAP and MAT are named like the products (Product CAP, MAT).
	CargoCAP Cargo = "CAP"
	CargoMAT Cargo = "MAT"
	EMP      Cargo = "EMP"
)

// AmountMin is the least cargo a load or unload moves per ship.
const AmountMin = 0.01

// parseCargo returns the cargo named s (case-insensitive); emp allows EMP.
func parseCargo(s string, emp bool) (Cargo, bool) {
	switch c := Cargo(strings.ToUpper(s)); c {
	case COL, CargoCAP, CargoMAT:
		return c, true
	case EMP:
		return c, emp
	}
	return "", false
}

// Routes are a planet's standing cargo routes: the number of the planet each kind of
// cargo is sent to every turn (0: no route).
type Routes struct {
	COL int `json:"COL,omitempty"`
	CAP int `json:"CAP,omitempty"`
	MAT int `json:"MAT,omitempty"`
	EMP int `json:"EMP,omitempty"`
}

// of returns the route field of c.
func (rt *Routes) of(c Cargo) *int {
	switch c {
	case COL:
		return &rt.COL
	case CargoCAP:
		return &rt.CAP
	case CargoMAT:
		return &rt.MAT
	}
	return &rt.EMP
}

// stock returns the planet's stockpile of c.
func (p *Planet) stock(c Cargo) *float64 {
	switch c {
	case COL:
		return &p.Col
	case CargoCAP:
		return &p.Cap
	}
	return &p.Mat
}

// loadOrder loads cargo from the planet a group orbits (L): the race's own planet, or
// an uninhabited one (where unloaded goods wait). Each ship takes amount (default: its
// free space); when the planet has less, the load is shared evenly.
func (g *Game) loadOrder(r *Race, o *Order) *engine.FieldError {
	gr, d, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	if d.Cargo == 0 {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("ships of type %s carry no cargo", d.Name)}
	}
	p := g.Planets[gr.Planet-1]
	if p.Owned() && p.Owner != r.ID {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d orbits another race's planet", gr.Number)}
	}
	if gr.Load > 0 && gr.Cargo != o.Cargo {
		return &engine.FieldError{Field: "cargo", Message: fmt.Sprintf("group %d carries %s already", gr.Number, gr.Cargo)}
	}
	free := CargoSpace(d, gr) - gr.Load
	if free < AmountMin {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d is fully loaded", gr.Number)}
	}
	amount := free
	if o.Amount != 0 {
		if o.Amount > free+1e-9 {
			return &engine.FieldError{Field: "amount", Message: fmt.Sprintf("each ship has room for %.2f more", free)}
		}
		amount = o.Amount
	}
	ships := gr.Ships
	if o.Ships != 0 {
		ships = o.Ships
	}
	stock := p.stock(o.Cargo)
	if *stock <= 0 {
		return &engine.FieldError{Field: "cargo", Message: fmt.Sprintf("planet %s has no %s", p.Name, o.Cargo)}
	}
	if *stock/float64(min(ships, gr.Ships)) < AmountMin {
		return &engine.FieldError{Field: "cargo", Message: fmt.Sprintf("planet %s has too little %s for %d ships", p.Name, o.Cargo, ships)}
	}
	if gr, fe = r.split(gr, o.Ships); fe != nil {
		return fe
	}
	total := min(amount*float64(gr.Ships), *stock)
	*stock -= total
	gr.Load += total / float64(gr.Ships)
	gr.Cargo = o.Cargo
	return nil
}

// unloadOrder unloads a group's cargo (U): amount per ship (default: all of it).
// Colonists land only on the race's own planets or uninhabited ones (where they found
// a colony); capital and materials may be left anywhere.
func (g *Game) unloadOrder(r *Race, o *Order) *engine.FieldError {
	gr, _, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	if gr.Cargo == "" || gr.Load <= 0 {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d carries no cargo", gr.Number)}
	}
	p := g.Planets[gr.Planet-1]
	if gr.Cargo == COL && p.Owned() && p.Owner != r.ID {
		return &engine.FieldError{Field: "group", Message: "colonists cannot land on another race's planet"}
	}
	amount := gr.Load
	if o.Amount != 0 {
		if o.Amount > gr.Load+1e-9 {
			return &engine.FieldError{Field: "amount", Message: fmt.Sprintf("each ship carries only %.2f", gr.Load)}
		}
		amount = o.Amount
	}
	if gr, fe = r.split(gr, o.Ships); fe != nil {
		return fe
	}
	g.unload(r, gr, amount)
	return nil
}

// unload moves amount per ship of gr's cargo onto the planet it orbits (GalaxyNG's
// unloadgroup): capital becomes industry where population allows, colonists become
// population (8 each) up to the planet's size — the rest stay frozen as colonists — and
// colonists landing on an unowned planet make it r's.
func (g *Game) unload(r *Race, gr *Group, amount float64) {
	if gr.Cargo == "" || amount <= 0 {
		return
	}
	p := g.Planets[gr.Planet-1]
	x := amount * float64(gr.Ships)
	switch gr.Cargo {
	case CargoCAP:
		p.Cap += x
		convertCap(p)
	case CargoMAT:
		p.Mat += x
	case COL:
		people := x * PopPerCol
		room := min(max(p.Size-p.Pop, 0), people)
		p.Pop += room
		p.Col += (people - room) / PopPerCol
		if !p.Owned() {
			p.Owner = r.ID
			if p.Producing == "" {
				p.Producing = CAP
			}
		}
		convertCap(p)
	}
	gr.Load -= amount
	if gr.Load < AmountMin {
		gr.Cargo, gr.Load = "", 0
	}
}

// routeOrder sets (or, without to, clears) a planet's route for one kind of cargo (R).
// Routes start at the race's own planets and may end anywhere but where they start.
func (g *Game) routeOrder(r *Race, o *Order) *engine.FieldError {
	p, fe := g.ownPlanetNo(r, o.PlanetNo)
	if fe != nil {
		return fe
	}
	if o.ToNo == p.Number {
		return &engine.FieldError{Field: "to", Message: "a route cannot end where it starts"}
	}
	*p.Routes.of(o.Cargo) = o.ToNo
	return nil
}

// loadPhase runs the routes (GalaxyNG's loadphase): at every owned planet, in the order
// COL, CAP, MAT, EMP, the owner's cargo ships there — not sent elsewhere this turn, not
// in a fleet, with a drive — are loaded with that cargo (ships that are not needed are
// broken off, to serve the next route) and sent along the route; ships already carrying
// that cargo are sent too; the EMP route takes every empty cargo ship left.
func (g *Game) loadPhase() {
	for _, p := range g.Planets {
		r := g.race(p.Owner)
		if r == nil || r.Extinct {
			continue
		}
		for _, c := range []Cargo{COL, CargoCAP, CargoMAT, EMP} {
			dest := *p.Routes.of(c)
			if dest == 0 {
				continue
			}
			for i := 0; i < len(r.Groups); i++ { // groups broken off below join the loop
				gr := r.Groups[i]
				d := r.design(gr.Design)
				if gr.Planet != p.Number || gr.Dist != 0 || gr.Fleet != "" || gr.Ships == 0 || d == nil || d.Cargo == 0 || d.Drive == 0 {
					continue
				}
				if c == EMP {
					if gr.Cargo == "" {
						g.send(gr, dest)
					}
					continue
				}
				if stock := p.stock(c); gr.Cargo == "" && *stock > 0 {
					space := CargoSpace(d, gr)
					qty := min(*stock, space*float64(gr.Ships))
					*stock -= qty
					if idle := int((space*float64(gr.Ships) - qty) / space); idle > 0 && idle < gr.Ships && len(r.Groups) < MaxGroups {
						n := *gr
						n.Number, n.Ships = r.nextNumber(), idle
						gr.Ships -= idle
						r.Groups = append(r.Groups, &n)
					}
					gr.Cargo, gr.Load = c, qty/float64(gr.Ships)
				}
				if gr.Cargo == c {
					g.send(gr, dest)
				}
			}
		}
	}
}

// unloadPhase unloads cargo at the end of the turn (GalaxyNG's unloadphase, with the
// AutoUnload option always on): every group at one of its race's planets or at an
// uninhabited one unloads, races in this turn's order (so the first to bring colonists
// to a free planet gets it); then cargo that reached the end of a route is unloaded
// there whoever owns it (colonists only onto the race's own or unowned planets).
func (g *Game) unloadPhase(order []*Race) {
	// Race by race: a planet's unloading depends only on that planet, so this is the
	// same as planet by planet with races in order, in one pass over the groups.
	for _, r := range order {
		for _, gr := range r.Groups {
			if p := g.Planets[gr.Planet-1]; gr.Dist == 0 && gr.Cargo != "" && (!p.Owned() || p.Owner == r.ID) {
				g.unload(r, gr, gr.Load)
			}
		}
	}
	for _, p := range g.Planets {
		r := g.race(p.Owner)
		if r == nil {
			continue
		}
		for _, c := range []Cargo{COL, CargoCAP, CargoMAT} {
			dest := *p.Routes.of(c)
			if dest == 0 {
				continue
			}
			q := g.Planets[dest-1]
			for _, gr := range r.Groups {
				if gr.Planet == dest && gr.Dist == 0 && gr.Cargo == c && (c != COL || !q.Owned() || q.Owner == r.ID) {
					g.unload(r, gr, gr.Load)
				}
			}
		}
	}
}
