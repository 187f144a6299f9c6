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

// Fleet is a named set of a race's groups that fly together at the speed of the
// slowest. A fleet left without groups at the end of a turn's orders disappears.
type Fleet struct {
	Name string `json:"name"`
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
