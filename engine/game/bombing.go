package game

import (
	"github.com/google/uuid"
)

// BombShare is what a bombing leaves of a planet's population and industry.
const BombShare = 0.25

// Bombing is one bombing of the last generated turn: the planet (its name then), the
// race whose ships bombed it, its owner before and after (zero: nobody), what it had
// before — population, industry, production, stockpiles — and the races that saw it
// (those with ships there, and the owner). A bombing with a zero NewOwner is a
// standoff (the owner still had guns there) or a contested claim.
type Bombing struct {
	Planet    int         `json:"planet"`
	Name      string      `json:"name"`
	By        uuid.UUID   `json:"by"`
	Owner     uuid.UUID   `json:"owner"`
	NewOwner  uuid.UUID   `json:"newOwner"`
	Pop       float64     `json:"pop"`
	Ind       float64     `json:"ind"`
	Producing string      `json:"producing"`
	Cap       float64     `json:"cap"`
	Mat       float64     `json:"mat"`
	Col       float64     `json:"col"`
	Viewers   []uuid.UUID `json:"viewers"`
}

// mustBomb reports whether r's group gr bombs the planet it is at: it has guns and the
// planet belongs to a race r is at war with.
func (g *Game) mustBomb(r *Race, gr *Group) bool {
	loc := gr.location()
	if loc == 0 || gr.Ships == 0 {
		return false
	}
	p := g.Planets[loc-1]
	owner := g.race(p.Owner)
	d := r.design(gr.Design)
	return owner != nil && d != nil && d.Armed() && r.AtWar(owner)
}

// bombPhase bombs planets (GalaxyNG's bombphase): after the battles, every armed group
// at a planet of a race its race is at war with bombs it, races in this turn's order.
// A bombing cuts population and industry to BombShare, clears the stockpile of
// colonists, the routes and any ship under construction, and sets production to CAP;
// the planet passes to a new owner (see newOwner).
func (g *Game) bombPhase(order []*Race) {
	for _, r := range order {
		for _, gr := range r.Groups {
			if !g.mustBomb(r, gr) {
				continue
			}
			p := g.Planets[gr.location()-1]
			b := Bombing{Planet: p.Number, Name: p.Name, By: r.ID, Owner: p.Owner, Pop: p.Pop, Ind: p.Ind,
				Producing: production(p), Cap: p.Cap, Mat: p.Mat, Col: p.Col}
			for _, v := range g.Races {
				if g.sees(v, p) {
					b.Viewers = append(b.Viewers, v.ID)
				}
			}
			p.Owner = g.newOwner(p, r, order)
			b.NewOwner = p.Owner
			g.Bombings = append(g.Bombings, b)
			p.Col, p.Producing, p.Ship, p.Progress, p.Routes, p.Spent = 0, CAP, "", 0, Routes{}, 0
			p.Pop *= BombShare
			p.Ind *= BombShare
			convertCap(p)
		}
	}
}

// newOwner is who owns planet p after r bombed it (GalaxyNG's determineOwnership):
// nobody when its owner still has armed ships there (a standoff); else r — or the one
// race that claimed it (V) and has ships there that bomb it; nobody when several did.
func (g *Game) newOwner(p *Planet, r *Race, order []*Race) uuid.UUID {
	owner := g.race(p.Owner)
	for _, gr := range owner.Groups {
		if d := owner.design(gr.Design); d != nil && d.Armed() && gr.Ships > 0 && gr.location() == p.Number {
			return uuid.Nil
		}
	}
	claimant, claims := r, 0
	for _, o := range order {
		if !o.claims[p.Number] {
			continue
		}
		for _, gr := range o.Groups {
			if gr.location() == p.Number && g.mustBomb(o, gr) {
				claimant = o
				claims++
				break
			}
		}
	}
	if claims > 1 {
		return uuid.Nil
	}
	return claimant.ID
}

// sees reports whether r can see planet p: r owns it or has ships orbiting it.
func (g *Game) sees(r *Race, p *Planet) bool {
	if p.Owner == r.ID {
		return true
	}
	for _, gr := range r.Groups {
		if gr.Planet == p.Number && gr.Dist == 0 && gr.Ships > 0 {
			return true
		}
	}
	return false
}

// production names what p produces: a product, or the ship type it builds.
func production(p *Planet) string {
	if p.Producing == SHIP {
		return p.Ship
	}
	return string(p.Producing)
}
