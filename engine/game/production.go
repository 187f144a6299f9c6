package game

import "github.com/galaxy-orchestrator/galaxy/engine"

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

// producePhase runs one turn of production on every owned planet, in GalaxyNG's
// order: first CAP and MAT everywhere, then techs and population growth.
func (g *Game) producePhase() {
	for _, p := range g.Planets {
		if p.Owned() && (p.Producing == CAP || p.Producing == MAT) {
			produceMatCap(p, Production(p))
		}
	}
	for _, p := range g.Planets {
		if !p.Owned() {
			continue
		}
		if r := g.race(p.Owner); r != nil {
			produceTech(p, Production(p), &r.Tech)
		}
		growPopulation(p)
	}
}
