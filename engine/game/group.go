package game

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// MaxGroups bounds one race's groups, so that orders cannot split a race into more
// groups than a turn can handle (GalaxyNG has no limit; a busy race has hundreds).
const MaxGroups = 20000

// Group is a number of identical ships of one race (GalaxyNG's group): one design, the
// same tech levels (rounded to 2 decimals when built or upgraded; 0 for a component the
// design lacks), the same cargo, at the same place. Planet is the planet the group
// orbits, or the one it is flying to; From the one it left (equal to Planet once
// arrived); Dist the light years still to fly (0 at a planet). Load is cargo units per
// ship. Number is unique within the race and changes at the end of every turn, when
// groups are renumbered.
type Group struct {
	Number int         `json:"number"`
	Design string      `json:"design"`
	Ships  int         `json:"ships"`
	Tech   engine.Tech `json:"tech"`
	Cargo  Cargo       `json:"cargo,omitempty"`
	Load   float64     `json:"load,omitempty"`
	Planet int         `json:"planet"`
	From   int         `json:"from"`
	Dist   float64     `json:"dist,omitempty"`
	Fleet  string      `json:"fleet,omitempty"`

	// Within one turn's generation only (never in state.json, where both are false):
	launched  bool // sent this turn and not moved yet: still at From, and fights there
	intercept bool // sent by an intercept order; its destination is decided before moving
}

// CargoSpace is what one ship of design d in group g can carry: cargo tech × cargo mass
// × (1 + cargo mass / 10).
func CargoSpace(d *ShipDesign, g *Group) float64 {
	return g.Tech.Cargo * d.Cargo * (1 + d.Cargo/10)
}

// ShipMass is the mass of one ship of g including its cargo, which weighs load / cargo
// tech (cargo tech makes cargo lighter, not only bays larger).
func ShipMass(d *ShipDesign, g *Group) float64 {
	load := g.Load
	if g.Tech.Cargo > 0 {
		load /= g.Tech.Cargo
	}
	return d.Mass() + load
}

// Speed is how many light years per turn a ship of g flies: 20 × drive tech × drive
// mass / ship mass (cargo included). 0 for a design without drive.
func Speed(d *ShipDesign, g *Group) float64 {
	m := ShipMass(d, g)
	if m == 0 {
		return 0
	}
	return DriveMagic * g.Tech.Drive * d.Drive / m
}

// Attack is the strength of one gun of g: weapons mass × weapons tech.
func Attack(d *ShipDesign, g *Group) float64 { return d.Weapons * g.Tech.Weapons }

// Defence is how well one ship of g resists a gun: shields mass × shields tech ×
// 30^(1/3) / (ship mass, cargo included)^(1/3) — big ships need big shields.
func Defence(d *ShipDesign, g *Group) float64 {
	m := ShipMass(d, g)
	if m == 0 {
		return 0
	}
	return d.Shields * g.Tech.Shields * BattleMagic / math.Cbrt(m)
}

// KillProbability is the chance that one shot of strength attack destroys a ship of
// defence defence: (log4(attack/defence) + 1) / 2, clipped to [0, 1] — certain at four
// times the defence, impossible at a quarter. An undefended ship is always destroyed.
func KillProbability(attack, defence float64) float64 {
	if defence <= 0 {
		return 1
	}
	if attack <= 0 {
		return 0
	}
	return math.Max(0, math.Min(1, (math.Log(attack/defence)/math.Log(4)+1)/2))
}

// shipTech is the tech a ship of d gets from levels t: rounded to 2 decimals (as
// GalaxyNG's cktech), 0 for a component d lacks.
func shipTech(d *ShipDesign, t engine.Tech) engine.Tech {
	t = engine.Tech{Drive: round2(t.Drive), Weapons: round2(t.Weapons), Shields: round2(t.Shields), Cargo: round2(t.Cargo)}
	if d.Drive == 0 {
		t.Drive = 0
	}
	if d.Attacks == 0 {
		t.Weapons = 0
	}
	if d.Shields == 0 {
		t.Shields = 0
	}
	if d.Cargo == 0 {
		t.Cargo = 0
	}
	return t
}

// location is the planet g is at for battles and bombing — its planet once arrived,
// its origin when sent this turn and not moved yet — or 0 in hyperspace.
func (g *Group) location() int {
	switch {
	case g.Dist == 0:
		return g.Planet
	case g.launched:
		return g.From
	}
	return 0
}

// GroupRef names a group in an order: its number (a JSON number or a string of
// digits), or MAX, the group with the highest number at the time the order runs.
type GroupRef string

// UnmarshalJSON accepts a whole JSON number from 1, a string of one, or "MAX" (any case).
func (ref *GroupRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("group must be a group number or MAX")
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
			return fmt.Errorf("group number %s is not a whole number from 1", n)
		}
		*ref = GroupRef(strconv.Itoa(int(f)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("group must be a group number or MAX")
	}
	if strings.EqualFold(s, "MAX") {
		*ref = "MAX"
		return nil
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "#"))
	if err != nil || n < 1 {
		return fmt.Errorf("group %q is not a group number or MAX", s)
	}
	*ref = GroupRef(strconv.Itoa(n))
	return nil
}

// group resolves ref to one of r's groups, or nil.
func (r *Race) group(ref GroupRef) *Group {
	if ref == "MAX" {
		var max *Group
		for _, g := range r.Groups {
			if max == nil || g.Number > max.Number {
				max = g
			}
		}
		return max
	}
	n, _ := strconv.Atoi(string(ref))
	for _, g := range r.Groups {
		if g.Number == n {
			return g
		}
	}
	return nil
}

// orderGroup resolves an order's group (at a planet, unless inSpace is allowed) and
// its design.
func (r *Race) orderGroup(o *Order, inSpace bool) (*Group, *ShipDesign, *engine.FieldError) {
	if o.Group == "" {
		return nil, nil, &engine.FieldError{Field: "group", Message: "group is required"}
	}
	g := r.group(o.Group)
	if g == nil || g.Ships == 0 {
		return nil, nil, &engine.FieldError{Field: "group", Message: fmt.Sprintf("you have no group %s", o.Group)}
	}
	if !inSpace && g.Dist > 0 {
		return nil, nil, &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d is in hyperspace", g.Number)}
	}
	d := r.design(g.Design)
	if d == nil { // cannot happen: a design with ships cannot be erased
		return nil, nil, &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d has no ship type", g.Number)}
	}
	return g, d, nil
}

// nextNumber is the number of a new group of r: one more than the highest.
func (r *Race) nextNumber() int {
	n := 0
	for _, g := range r.Groups {
		n = max(n, g.Number)
	}
	return n + 1
}

// split returns the group an order on ships ships of g acts on: g itself for 0 or all
// of its ships, else a new group of that many ships broken off g, in g's fleet (as
// for upgrades, loads and unloads; break and send take it out of the fleet).
func (r *Race) split(g *Group, ships int) (*Group, *engine.FieldError) {
	switch {
	case ships < 0:
		return nil, &engine.FieldError{Field: "ships", Message: "ships must not be negative"}
	case ships > g.Ships:
		return nil, &engine.FieldError{Field: "ships", Message: fmt.Sprintf("group %d has only %d ships", g.Number, g.Ships)}
	case ships == 0 || ships == g.Ships:
		return g, nil
	case len(r.Groups) >= MaxGroups:
		return nil, &engine.FieldError{Field: "ships", Message: fmt.Sprintf("at most %d groups per race", MaxGroups)}
	}
	n := *g
	n.Number, n.Ships = r.nextNumber(), ships
	g.Ships -= ships
	r.Groups = append(r.Groups, &n)
	return &n, nil
}

// breakOrder breaks ships off a group into a new group, out of any fleet (B n).
func (g *Game) breakOrder(r *Race, o *Order) *engine.FieldError {
	gr, _, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	if o.Ships < 1 {
		return &engine.FieldError{Field: "ships", Message: "ships must be at least 1"}
	}
	if o.Ships == gr.Ships { // the whole group: it only leaves its fleet, under a new number
		gr.Fleet, gr.Number = "", r.nextNumber()
		return nil
	}
	n, fe := r.split(gr, o.Ships)
	if fe != nil {
		return fe
	}
	n.Fleet = "" // ships broken off a group leave its fleet
	return nil
}

// upgradeOrder brings a group at one of r's planets up to r's tech levels (G),
// spending that planet's production of this turn. Cost per ship: 10 × Σ (1 − ship tech
// / race tech) × component mass (weapons: all guns' mass). Without ships, as many ships
// as the planet can fully upgrade are (broken off and) upgraded, or — when it cannot
// pay for one — the whole group partly; with ships (0: all), exactly that many, partly
// when production is short: each tech rises by (available / full cost) × (race tech −
// ship tech).
func (g *Game) upgradeOrder(r *Race, o *Order) *engine.FieldError {
	gr, d, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	p := g.Planets[gr.Planet-1]
	if p.Owner != r.ID {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d is not at one of your planets", gr.Number)}
	}
	cost := UpgradeCost(d, gr.Tech, r.Tech)
	if cost <= 0 {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d is at your tech levels already", gr.Number)}
	}
	avail := Production(p) - p.Spent
	if avail <= 0 {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("planet %s has no production left this turn", p.Name)}
	}
	ships := o.Ships
	if !o.HasShips {
		ships = gr.Ships
		if n := int(avail / cost); n >= 1 && n < gr.Ships {
			ships = n
		}
	}
	if gr, fe = r.split(gr, ships); fe != nil {
		return fe
	}
	full := cost * float64(gr.Ships)
	frac := 1.0
	if avail < full {
		frac = avail / full
	}
	t := gr.Tech
	gr.Tech = shipTech(d, engine.Tech{
		Drive:   t.Drive + (r.Tech.Drive-t.Drive)*frac,
		Weapons: t.Weapons + (r.Tech.Weapons-t.Weapons)*frac,
		Shields: t.Shields + (r.Tech.Shields-t.Shields)*frac,
		Cargo:   t.Cargo + (r.Tech.Cargo-t.Cargo)*frac,
	})
	p.Spent += full * frac
	return nil
}

// UpgradeCost is the production one ship of d needs to go from tech levels ship to
// race's: 10 × Σ (1 − ship / race) × component mass, over the components d has.
func UpgradeCost(d *ShipDesign, ship, race engine.Tech) float64 {
	part := func(s, r, mass float64) float64 {
		if mass == 0 || r <= 0 || s >= r {
			return 0
		}
		return (1 - s/r) * mass
	}
	return IndPerShip * (part(ship.Drive, race.Drive, d.Drive) + part(ship.Weapons, race.Weapons, d.WeaponMass()) +
		part(ship.Shields, race.Shields, d.Shields) + part(ship.Cargo, race.Cargo, d.Cargo))
}

// scrapOrder turns ships into materials at the planet they orbit (X): their cargo is
// unloaded first, then the planet gains their mass in materials. Not at another race's
// planet (the manual forbids it).
func (g *Game) scrapOrder(r *Race, o *Order) *engine.FieldError {
	gr, d, fe := r.orderGroup(o, false)
	if fe != nil {
		return fe
	}
	p := g.Planets[gr.Planet-1]
	if p.Owned() && p.Owner != r.ID {
		return &engine.FieldError{Field: "group", Message: fmt.Sprintf("group %d orbits another race's planet", gr.Number)}
	}
	if gr, fe = r.split(gr, o.Ships); fe != nil {
		return fe
	}
	g.unload(r, gr, gr.Load)
	p.Mat += d.Mass() * float64(gr.Ships)
	gr.Ships = 0
	r.dropEmptyGroups()
	return nil
}

// dropEmptyGroups removes groups without ships.
func (r *Race) dropEmptyGroups() {
	r.Groups = slices.DeleteFunc(r.Groups, func(g *Group) bool { return g.Ships <= 0 })
}

// groupKey is what two groups must share to be merged.
type groupKey struct {
	design, fleet  string
	tech           engine.Tech
	cargo          Cargo
	load, dist     float64
	planet, from   int
	launched, icpt bool
}

// joinPhase merges each race's identical groups — same design, tech, cargo, place,
// course and fleet — into the one with the lowest number, and drops empty groups
// (GalaxyNG's joinphase).
func (g *Game) joinPhase() {
	for _, r := range g.Races {
		slices.SortFunc(r.Groups, func(a, b *Group) int { return cmp.Compare(a.Number, b.Number) })
		first := make(map[groupKey]*Group, len(r.Groups))
		for _, gr := range r.Groups {
			if gr.Ships <= 0 {
				continue
			}
			k := groupKey{gr.Design, gr.Fleet, gr.Tech, gr.Cargo, gr.Load, gr.Dist, gr.Planet, gr.From, gr.launched, gr.intercept}
			if f, ok := first[k]; ok {
				f.Ships += gr.Ships
				gr.Ships = 0
				continue
			}
			first[k] = gr
		}
		r.dropEmptyGroups()
	}
}

// sortPhase renumbers each race's groups from 1 (GalaxyNG's sortphase, whose
// SortGroups option is always on here): groups at or bound for the race's own planets
// first, then other races' planets, then uninhabited ones (each by planet number), then
// the groups of fleets, fleet by fleet.
func (g *Game) sortPhase() {
	for _, r := range g.Races {
		fleetRank := map[string]int{}
		for i, f := range r.Fleets {
			fleetRank[f.Name] = i
		}
		rank := func(gr *Group) (int, int) {
			if gr.Fleet != "" {
				return 3, fleetRank[gr.Fleet]
			}
			p := g.Planets[gr.Planet-1]
			switch {
			case p.Owner == r.ID:
				return 0, p.Number
			case p.Owned():
				return 1, p.Number
			}
			return 2, p.Number
		}
		slices.SortStableFunc(r.Groups, func(a, b *Group) int {
			ca, pa := rank(a)
			cb, pb := rank(b)
			return cmp.Or(cmp.Compare(ca, cb), cmp.Compare(pa, pb), cmp.Compare(a.Number, b.Number))
		})
		for i, gr := range r.Groups {
			gr.Number = i + 1
		}
	}
}
