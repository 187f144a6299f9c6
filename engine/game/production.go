package game

import (
	"math"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// GalaxyNG's production constants (phase.c, galaxy.h).
const (
	IndPerCap = 5.0    // production points per unit of capital (besides materials)
	PopGrowth = 0.08   // population growth per turn
	PopPerCol = 8.0    // population condensed into one colonist
	TechCost  = 5000.0 // production points per 1.0 of drive, weapons or shields
	CargoCost = 2500.0 // production points per 1.0 of cargo tech
)

// Production returns a planet's production points for one turn: 0.75 × industry +
// 0.25 × population (GalaxyNG's producephase).
func Production(p *Planet) float64 { return p.Ind*0.75 + p.Pop*0.25 }

// produceMatCap spends points on CAP or MAT, as GalaxyNG's produceMatCap:
//
//   - MAT: materials += points × resources.
//   - CAP: one capital needs one unit of materials and IndPerCap points. Stocked
//     materials are used first (up to points/IndPerCap units); the remaining points
//     also mine the materials they need, so each further capital costs
//     IndPerCap + 1/resources points: capital += rest / (IndPerCap + 1/resources).
//
// Capital becomes industry later in the turn (convertCap).
func produceMatCap(p *Planet, points float64) {
	switch p.Producing {
	case MAT:
		p.Mat += points * p.Resources
	case CAP:
		demand := points / IndPerCap
		if demand > p.Mat {
			demand = p.Mat
		}
		points -= demand * IndPerCap
		p.Cap += demand
		p.Mat -= demand
		if p.Resources > 0 {
			p.Cap += points / (IndPerCap + 1/p.Resources)
		}
	}
}

// produceTech adds the points' worth of the planet's tech to t: points/TechCost for
// DRIVE, WEAPONS and SHIELDS, points/CargoCost for CARGO.
func produceTech(p *Planet, points float64, t *engine.Tech) {
	switch p.Producing {
	case DRIVE:
		t.Drive += points / TechCost
	case WEAPONS:
		t.Weapons += points / TechCost
	case SHIELDS:
		t.Shields += points / TechCost
	case CARGO:
		t.Cargo += points / CargoCost
	}
}

// growPopulation is GalaxyNG's producePopulation: population grows by PopGrowth up to
// the planet's size; the growth that does not fit becomes colonists (PopPerCol people
// each); then capital converts into industry (convertCap).
func growPopulation(p *Planet) {
	inc := p.Pop * PopGrowth
	room := p.Size - p.Pop
	if room > inc {
		room = inc
	}
	p.Pop += room
	p.Col += (inc - room) / PopPerCol
	convertCap(p)
}

// convertCap is GalaxyNG's convertcap: capital becomes industry one for one, until
// industry equals population; what is left stays as capital for later turns.
func convertCap(p *Planet) {
	inc := p.Pop - p.Ind
	if inc > p.Cap {
		inc = p.Cap
	}
	p.Cap -= inc
	p.Ind += inc
}

// produceShips spends points on ships of design d at p, as GalaxyNG's produceShip: n
// ships cost n × IndPerShip × mass in production plus n × mass in materials, which come
// from the stockpile first and are mined (1/resources points each) for the rest. As
// many whole ships as the points pay for are built (as a new group, with r's tech
// levels now); what is left carries over to the next turn as Progress.
func produceShips(p *Planet, points float64, r *Race, d *ShipDesign) {
	mass := d.Mass()
	cost := func(n int) float64 {
		c := float64(n) * mass * IndPerShip
		if need := float64(n)*mass - p.Mat; need > 0 {
			if p.Resources <= 0 {
				return math.Inf(1)
			}
			c += need / p.Resources
		}
		return c
	}
	n := int(points/(mass*IndPerShip)) + 1
	for n > 0 && cost(n) > points {
		n--
	}
	if n == 0 || len(r.Groups) >= MaxGroups {
		p.Progress = points
		return
	}
	p.Progress = points - cost(n)
	p.Mat = max(p.Mat-float64(n)*mass, 0)
	r.Groups = append(r.Groups, &Group{Number: r.nextNumber(), Design: d.Name, Ships: n, Tech: shipTech(d, r.Tech), Planet: p.Number, From: p.Number})
}

// setProduction switches p to product what (ship: the design, for SHIP), as GalaxyNG's
// setproduction: leaving a ship type keeps in the stockpile the materials its carried
// over production had paid for, the rest of that production is lost.
func (g *Game) setProduction(p *Planet, what Product, ship string) {
	if p.Producing == SHIP && (what != SHIP || p.Ship != ship) {
		if r := g.race(p.Owner); r != nil {
			if d := r.design(p.Ship); d != nil && p.Progress > 0 {
				mass := d.Mass()
				full := mass * IndPerShip
				if mass > p.Mat && p.Resources > 0 {
					full += (mass - p.Mat) / p.Resources
				}
				p.Mat += mass * math.Min(p.Progress/full, 1)
			}
		}
		p.Progress = 0
	}
	if what != SHIP {
		ship = ""
	}
	p.Producing, p.Ship = what, ship
}

// producePhase runs one turn of production on every owned planet, in GalaxyNG's order:
// first ships, CAP and MAT everywhere, then techs and population growth. A planet's
// points are its Production less what upgrades spent this turn, plus its Progress.
func (g *Game) producePhase() {
	points := func(p *Planet) float64 { return max(Production(p)-p.Spent, 0) + p.Progress }
	for _, p := range g.Planets {
		r := g.race(p.Owner)
		if r == nil {
			continue
		}
		switch p.Producing {
		case SHIP:
			if d := r.design(p.Ship); d != nil {
				produceShips(p, points(p), r, d)
			}
		case CAP, MAT:
			produceMatCap(p, points(p))
			p.Progress = 0
		}
	}
	for _, p := range g.Planets {
		r := g.race(p.Owner)
		if r == nil {
			continue
		}
		switch p.Producing {
		case DRIVE, WEAPONS, SHIELDS, CARGO:
			produceTech(p, points(p), &r.Tech)
			p.Progress = 0
		}
		p.Spent = 0
		growPopulation(p)
	}
}
