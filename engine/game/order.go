package game

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// MaxOrders bounds one race's orders for a turn.
const MaxOrders = 1000

// Order types: one JSON object per order, {"type": ..., fields}. engine/README.md shows
// each with an example; orderSpecs lists their fields.
const (
	OrderProduce      = "produce"       // P: planet, what (CAP MAT DRIVE WEAPONS SHIELDS CARGO or a ship type)
	OrderRenamePlanet = "rename_planet" // N: planet, name
	OrderDesign       = "design"        // D: name, drive, attacks, weapons, shields, cargo
	OrderEraseDesign  = "erase_design"  // E: name
	OrderRenameDesign = "rename_design" // T: name, newName
	OrderCreateFleet  = "create_fleet"  // D FLEET: fleet
	OrderEraseFleet   = "erase_fleet"   // E: fleet
	OrderRenameFleet  = "rename_fleet"  // T: fleet, newName
	OrderJoinFleet    = "join_fleet"    // J: group, fleet, ships?
	OrderMergeFleet   = "merge_fleet"   // J: fleet, into
	OrderLeaveFleet   = "leave_fleet"   // B group FLEET: group
	OrderBreak        = "break"         // B: group, ships
	OrderUpgrade      = "upgrade"       // G: group, ships?
	OrderScrap        = "scrap"         // X: group, ships?
	OrderLoad         = "load"          // L: group, cargo (COL CAP MAT), ships?, amount?
	OrderUnload       = "unload"        // U: group, ships?, amount?
	OrderRoute        = "route"         // R: planet, cargo (COL CAP MAT EMP), to? (absent: cancel)
	OrderSend         = "send"          // S: group (ships?) or fleet, planet
	OrderIntercept    = "intercept"     // I: group (ships?) or fleet, planet
	OrderRecall       = "recall"        // H: group or fleet
	OrderWar          = "war"           // W: race
	OrderPeace        = "peace"         // A: race
	OrderClaim        = "claim"         // V: planet
	OrderQuit         = "quit"          // Q: race (your own)
)

// Order is one validated order, as kept in state.json until its turn is generated.
// References that cannot change before then are resolved at submission: PlanetNo and
// ToNo are the planets Planet and To named, RaceID the race Race named. Groups, ship
// types and fleets are resolved when the order runs, since earlier orders of the same
// turn may create them.
type Order struct {
	Type     string      `json:"type"`
	Planet   PlanetRef   `json:"planet,omitempty"`
	PlanetNo int         `json:"planetNo,omitempty"`
	What     Product     `json:"what,omitempty"`
	Ship     string      `json:"ship,omitempty"`
	Name     string      `json:"name,omitempty"`
	NewName  string      `json:"newName,omitempty"`
	Design   *ShipDesign `json:"design,omitempty"`
	Group    GroupRef    `json:"group,omitempty"`
	Fleet    string      `json:"fleet,omitempty"`
	Into     string      `json:"into,omitempty"`
	Ships    int         `json:"ships,omitempty"`
	HasShips bool        `json:"hasShips,omitempty"`
	Cargo    Cargo       `json:"cargo,omitempty"`
	Amount   float64     `json:"amount,omitempty"`
	To       PlanetRef   `json:"to,omitempty"`
	ToNo     int         `json:"toNo,omitempty"`
	Race     string      `json:"race,omitempty"`
	RaceID   uuid.UUID   `json:"raceId,omitzero"`
}

// orderSpec says how one order type reads and runs: in which phase of the turn (1 with
// GalaxyNG's movement, cargo and diplomacy orders, 2 with its upgrades and renames),
// which fields it takes, how they become an Order, and what it does.
type orderSpec struct {
	phase  int
	fields []string
	parse  func(g *Game, r *Race, f fields, o *Order) *engine.FieldError
	apply  func(g *Game, r *Race, o *Order) *engine.FieldError
}

var orderSpecs map[string]orderSpec

func init() {
	groupShips := func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
		if fe := f.group(true, &o.Group); fe != nil {
			return fe
		}
		return f.ships(o)
	}
	orderSpecs = map[string]orderSpec{
		OrderProduce:      {1, []string{"planet", "what"}, parseProduce, (*Game).produceOrder},
		OrderRenamePlanet: {2, []string{"planet", "name"}, parseRenamePlanet, (*Game).renamePlanetOrder},
		OrderDesign:       {1, []string{"name", "drive", "attacks", "weapons", "shields", "cargo"}, parseDesign, (*Game).designOrder},
		OrderEraseDesign:  {1, []string{"name"}, needs("name"), (*Game).eraseDesignOrder},
		OrderRenameDesign: {2, []string{"name", "newName"}, needs("name", "newName"), (*Game).renameDesignOrder},
		OrderCreateFleet:  {1, []string{"fleet"}, needs("fleet"), (*Game).createFleetOrder},
		OrderEraseFleet:   {1, []string{"fleet"}, needs("fleet"), (*Game).eraseFleetOrder},
		OrderRenameFleet:  {2, []string{"fleet", "newName"}, needs("fleet", "newName"), (*Game).renameFleetOrder},
		OrderJoinFleet: {1, []string{"group", "fleet", "ships"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			if fe := needs("fleet")(g, r, f, o); fe != nil {
				return fe
			}
			return groupShips(g, r, f, o)
		}, (*Game).joinFleetOrder},
		OrderMergeFleet: {1, []string{"fleet", "into"}, needs("fleet", "into"), (*Game).mergeFleetOrder},
		OrderLeaveFleet: {1, []string{"group"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			return f.group(true, &o.Group)
		}, (*Game).leaveFleetOrder},
		OrderBreak: {1, []string{"group", "ships"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			if fe := groupShips(g, r, f, o); fe != nil {
				return fe
			}
			if !o.HasShips || o.Ships < 1 {
				return &engine.FieldError{Field: "ships", Message: "ships is required (at least 1)"}
			}
			return nil
		}, (*Game).breakOrder},
		OrderUpgrade: {2, []string{"group", "ships"}, groupShips, (*Game).upgradeOrder},
		OrderScrap:   {1, []string{"group", "ships"}, groupShips, (*Game).scrapOrder},
		OrderLoad: {1, []string{"group", "cargo", "ships", "amount"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			if fe := groupShips(g, r, f, o); fe != nil {
				return fe
			}
			if fe := f.cargo(false, &o.Cargo); fe != nil {
				return fe
			}
			return f.amount(o)
		}, (*Game).loadOrder},
		OrderUnload: {1, []string{"group", "ships", "amount"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			if fe := groupShips(g, r, f, o); fe != nil {
				return fe
			}
			return f.amount(o)
		}, (*Game).unloadOrder},
		OrderRoute:     {1, []string{"planet", "cargo", "to"}, parseRoute, (*Game).routeOrder},
		OrderSend:      {1, []string{"group", "fleet", "planet", "ships"}, parseMove, (*Game).sendOrder},
		OrderIntercept: {1, []string{"group", "fleet", "planet", "ships"}, parseMove, (*Game).interceptOrder},
		OrderRecall: {1, []string{"group", "fleet"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			return f.groupOrFleet(o)
		}, (*Game).recallOrder},
		OrderWar:   {1, []string{"race"}, parseRace, (*Game).warOrder},
		OrderPeace: {1, []string{"race"}, parseRace, (*Game).peaceOrder},
		OrderClaim: {1, []string{"planet"}, func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
			p, fe := f.planet(g, "planet", true, &o.Planet)
			if fe != nil {
				return fe
			}
			o.PlanetNo = p.Number
			return nil
		}, (*Game).claimOrder},
		OrderQuit: {1, []string{"race"}, parseRace, (*Game).quitOrder},
	}
}

// SetOrders replaces the actor's orders for turn, the open turn, and marks them final
// or not. It returns the number of orders accepted (all of them, or none). Every order
// is checked as it will run: first on its own (fields, planets and races it names),
// then by running the whole list — phase 1 orders, then phase 2 — on a copy of the
// game, so that an order that builds on an earlier one (a design, then its production;
// a break, then a send of MAX) is judged with it. Errors: Forbidden for an actor who is
// not a race of the game (or is out of it), Conflict when turn is not the open turn or
// the game finished, Invalid with one detail per bad order (Index is its position,
// Field the field at fault).
func (g *Game) SetOrders(actor uuid.UUID, turn int, raw []json.RawMessage, final bool) (int, error) {
	r := g.race(actor)
	switch {
	case r == nil:
		return 0, errorf(Forbidden, "actor %s is not a race of this game", actor)
	case g.Finished:
		return 0, errorf(Conflict, "the game finished at turn %d; no turn is open", g.Turn)
	case turn != g.Turn:
		return 0, errorf(Conflict, "turn %d is not open; the open turn is %d", turn, g.Turn)
	case r.Extinct:
		return 0, errorf(Conflict, "race %s is out of the game", r.Name)
	case len(raw) > MaxOrders:
		return 0, errorf(Invalid, "at most %d orders per turn", MaxOrders)
	}
	orders := make([]Order, 0, len(raw))
	index := make([]int, 0, len(raw)) // orders[i] is raw[index[i]]
	var details []engine.FieldError
	for i, b := range raw {
		o, fe := g.parseOrder(r, b)
		if fe != nil {
			fe.Index = i
			details = append(details, *fe)
			continue
		}
		orders, index = append(orders, o), append(index, i)
	}
	// The well-formed orders are tried even when others are not, so that one answer
	// lists every problem (an order after a broken one it depends on fails too).
	sim := g.clone()
	for i, fe := range sim.runOrders(sim.race(actor), orders) {
		fe.Index = index[i]
		details = append(details, fe)
	}
	slices.SortFunc(details, func(a, b engine.FieldError) int { return a.Index - b.Index })
	if len(details) > 0 {
		return 0, &Error{Kind: Invalid, Message: fmt.Sprintf("%d of %d orders are invalid", len(details), len(raw)), Details: details}
	}
	r.Orders, r.Final = orders, final
	return len(orders), nil
}

// runOrders runs r's orders alone, phase by phase, and returns the problems by index.
func (g *Game) runOrders(r *Race, orders []Order) map[int]engine.FieldError {
	bad := map[int]engine.FieldError{}
	for phase := 1; phase <= 2; phase++ {
		for i := range orders {
			if spec := orderSpecs[orders[i].Type]; spec.phase == phase {
				if fe := spec.apply(g, r, &orders[i]); fe != nil {
					bad[i] = *fe
				}
			}
		}
	}
	return bad
}

// AllFinal reports whether every race still in the game has marked its orders final
// for the open turn.
func (g *Game) AllFinal() bool {
	for _, r := range g.Races {
		if !r.Final && !r.Extinct {
			return false
		}
	}
	return true
}

// parseOrder decodes one order of race r and checks what does not depend on the
// orders before it: a known type, only that type's fields, each of the right kind, and
// the planets and races named.
func (g *Game) parseOrder(r *Race, b json.RawMessage) (Order, *engine.FieldError) {
	var f fields
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&f); err != nil || f == nil {
		return Order{}, &engine.FieldError{Message: "order is not a valid order object (a JSON object with a type)"}
	}
	if dec.More() {
		return Order{}, &engine.FieldError{Message: "order is not a valid order object: data after it"}
	}
	var o Order
	if fe := f.str("type", true, &o.Type); fe != nil {
		return Order{}, fe
	}
	spec, ok := orderSpecs[o.Type]
	if !ok {
		return Order{}, &engine.FieldError{Field: "type", Message: fmt.Sprintf("unknown order type %q", o.Type)}
	}
	for _, k := range sortedKeys(f) {
		if k != "type" && !slices.Contains(spec.fields, k) {
			return Order{}, &engine.FieldError{Field: k, Message: fmt.Sprintf("unknown field %q for a %s order (it takes %s)", k, o.Type, strings.Join(spec.fields, ", "))}
		}
	}
	if fe := spec.parse(g, r, f, &o); fe != nil {
		return Order{}, fe
	}
	return o, nil
}

// applyOrders runs the closing turn's orders (GalaxyNG's order phases): phase 1 orders
// of every race in this turn's order, each race's in submission order, then phase 2
// orders likewise. Orders that no longer hold (another race took the name first, the
// group was destroyed) are skipped and listed in the race's Rejected for its report.
func (g *Game) applyOrders(order []*Race) {
	for _, r := range g.Races {
		r.Rejected = nil
	}
	for phase := 1; phase <= 2; phase++ {
		for _, r := range order {
			for i := range r.Orders {
				o := &r.Orders[i]
				spec := orderSpecs[o.Type]
				if spec.phase != phase || r.Extinct {
					continue
				}
				if fe := spec.apply(g, r, o); fe != nil {
					r.Rejected = append(r.Rejected, Rejection{Order: *o, Reason: fe.Message})
				}
			}
		}
	}
	for _, r := range g.Races {
		r.Orders, r.Final = nil, false
	}
}

// produceOrder sets a planet's production (P).
func (g *Game) produceOrder(r *Race, o *Order) *engine.FieldError {
	p, fe := g.ownPlanetNo(r, o.PlanetNo)
	if fe != nil {
		return fe
	}
	if o.What == SHIP {
		d := r.design(o.Ship)
		if d == nil {
			return &engine.FieldError{Field: "what", Message: fmt.Sprintf("unknown product or ship type %q (want CAP, MAT, DRIVE, WEAPONS, SHIELDS, CARGO or one of your ship types)", o.Ship)}
		}
		if p.Producing == SHIP && p.Ship == d.Name {
			return nil // the same ship type: production carries on
		}
		g.setProduction(p, SHIP, d.Name)
		return nil
	}
	g.setProduction(p, o.What, "")
	return nil
}

// renamePlanetOrder renames one of r's planets (N, phase 2).
func (g *Game) renamePlanetOrder(r *Race, o *Order) *engine.FieldError {
	p, fe := g.ownPlanetNo(r, o.PlanetNo)
	if fe != nil {
		return fe
	}
	if g.nameTaken(o.Name, p) {
		return &engine.FieldError{Field: "name", Message: fmt.Sprintf("planet name %q was taken first", o.Name)}
	}
	p.Name = o.Name
	return nil
}

func parseProduce(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	p, fe := f.ownPlanet(g, r, "planet", &o.Planet)
	if fe != nil {
		return fe
	}
	o.PlanetNo = p.Number
	var what string
	if fe := f.str("what", true, &what); fe != nil {
		return fe
	}
	if prod, ok := parseProduct(what); ok && prod != SHIP {
		o.What = prod
		return nil
	}
	if engine.CheckName(what) != nil {
		return &engine.FieldError{Field: "what", Message: fmt.Sprintf("unknown product %q (want CAP, MAT, DRIVE, WEAPONS, SHIELDS, CARGO or a ship type)", what)}
	}
	o.What, o.Ship = SHIP, what // a ship type, maybe designed by an earlier order
	return nil
}

func parseRenamePlanet(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	p, fe := f.ownPlanet(g, r, "planet", &o.Planet)
	if fe != nil {
		return fe
	}
	o.PlanetNo = p.Number
	if fe := f.str("name", true, &o.Name); fe != nil {
		return fe
	}
	if why := validPlanetName(o.Name); why != "" {
		return &engine.FieldError{Field: "name", Message: why}
	}
	return nil
}

func parseDesign(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	d := &ShipDesign{}
	if fe := f.str("name", true, &d.Name); fe != nil {
		return fe
	}
	for _, c := range []struct {
		key string
		dst *float64
	}{{"drive", &d.Drive}, {"weapons", &d.Weapons}, {"shields", &d.Shields}, {"cargo", &d.Cargo}} {
		if fe := f.number(c.key, true, c.dst); fe != nil {
			return fe
		}
	}
	var attacks float64
	if fe := f.number("attacks", true, &attacks); fe != nil {
		return fe
	}
	if attacks != math.Trunc(attacks) || attacks < 0 || attacks > MaxAttacks {
		return &engine.FieldError{Field: "attacks", Message: fmt.Sprintf("attacks must be a whole number between 0 and %d", MaxAttacks)}
	}
	d.Attacks = int(attacks)
	o.Name, o.Design = d.Name, d
	return nil
}

func parseRoute(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	p, fe := f.ownPlanet(g, r, "planet", &o.Planet)
	if fe != nil {
		return fe
	}
	o.PlanetNo = p.Number
	if fe := f.cargo(true, &o.Cargo); fe != nil {
		return fe
	}
	if f.has("to") {
		q, fe := f.planet(g, "to", true, &o.To)
		if fe != nil {
			return fe
		}
		o.ToNo = q.Number
	}
	return nil
}

func parseMove(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	if fe := f.groupOrFleet(o); fe != nil {
		return fe
	}
	if o.Fleet != "" && f.has("ships") {
		return &engine.FieldError{Field: "ships", Message: "ships goes with group, not fleet"}
	}
	if fe := f.ships(o); fe != nil {
		return fe
	}
	p, fe := f.planet(g, "planet", true, &o.Planet)
	if fe != nil {
		return fe
	}
	o.PlanetNo = p.Number
	return nil
}

func parseRace(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	if fe := f.str("race", true, &o.Race); fe != nil {
		return fe
	}
	other := g.raceByName(o.Race)
	switch {
	case other == nil:
		return &engine.FieldError{Field: "race", Message: fmt.Sprintf("unknown race %q", o.Race)}
	case o.Type == OrderQuit && other != r:
		return &engine.FieldError{Field: "race", Message: "quit names your own race, to make sure"}
	case o.Type != OrderQuit && other == r:
		return &engine.FieldError{Field: "race", Message: "that is your own race"}
	}
	o.RaceID = other.ID
	return nil
}

// needs returns a parser of required string fields (name, newName, fleet, into).
func needs(keys ...string) func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
	return func(g *Game, r *Race, f fields, o *Order) *engine.FieldError {
		for _, k := range keys {
			var dst *string
			switch k {
			case "name":
				dst = &o.Name
			case "newName":
				dst = &o.NewName
			case "fleet":
				dst = &o.Fleet
			case "into":
				dst = &o.Into
			}
			if fe := f.str(k, true, dst); fe != nil {
				return fe
			}
		}
		return nil
	}
}
