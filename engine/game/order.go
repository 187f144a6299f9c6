package game

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// MaxOrders bounds one race's orders for a turn.
const MaxOrders = 1000

// Order types.
const (
	OrderProduce      = "produce"       // {"type":"produce","planet":P,"what":"CAP|MAT|DRIVE|WEAPONS|SHIELDS|CARGO"}
	OrderRenamePlanet = "rename_planet" // {"type":"rename_planet","planet":P,"name":"NewName"}
)

// Order is one validated order, as kept in state.json until its turn is generated.
// Planet is the planet as the player named it; PlanetNo the planet it resolved to at
// submission.
type Order struct {
	Type     string    `json:"type"`
	Planet   PlanetRef `json:"planet,omitempty"`
	PlanetNo int       `json:"planetNo,omitempty"`
	What     Product   `json:"what,omitempty"`
	Name     string    `json:"name,omitempty"`
}

// rawOrder is an order as a player writes it; unknown fields are refused so that a
// typo ("wat") is an error rather than an order that silently does nothing.
type rawOrder struct {
	Type   string    `json:"type"`
	Planet PlanetRef `json:"planet"`
	What   string    `json:"what"`
	Name   string    `json:"name"`
}

// SetOrders replaces the actor's orders for turn, the open turn, and marks them final
// or not. It returns the number of orders accepted (all of them, or none). Errors:
// Forbidden for an actor who is not a race of the game, Conflict when turn is not the
// open turn or the game finished, Invalid with one detail per bad order (Index is its
// position): malformed, unknown type, unknown planet, planet not the actor's, unknown
// product, bad or taken name.
func (g *Game) SetOrders(actor uuid.UUID, turn int, raw []json.RawMessage, final bool) (int, error) {
	r := g.race(actor)
	if r == nil {
		return 0, errorf(Forbidden, "actor %s is not a race of this game", actor)
	}
	if g.Finished {
		return 0, errorf(Conflict, "the game finished at turn %d; no turn is open", g.Turn)
	}
	if turn != g.Turn {
		return 0, errorf(Conflict, "turn %d is not open; the open turn is %d", turn, g.Turn)
	}
	if len(raw) > MaxOrders {
		return 0, errorf(Invalid, "at most %d orders per turn", MaxOrders)
	}
	orders := make([]Order, 0, len(raw))
	var details []engine.FieldError
	renamed := map[string]int{} // new name (lower case) → planet number, within this batch
	for i, b := range raw {
		o, fe := g.parseOrder(r, b, renamed)
		if fe != nil {
			fe.Index = i
			details = append(details, *fe)
			continue
		}
		orders = append(orders, o)
	}
	if len(details) > 0 {
		return 0, &Error{Kind: Invalid, Message: fmt.Sprintf("%d of %d orders are invalid", len(details), len(raw)), Details: details}
	}
	r.Orders, r.Final = orders, final
	return len(orders), nil
}

// AllFinal reports whether every race has marked its orders final for the open turn.
func (g *Game) AllFinal() bool {
	for _, r := range g.Races {
		if !r.Final && !r.Extinct {
			return false
		}
	}
	return true
}

// parseOrder decodes and validates one order of race r against the current state.
// renamed collects the batch's new planet names, so that two orders of one batch
// cannot pick the same name.
func (g *Game) parseOrder(r *Race, b json.RawMessage, renamed map[string]int) (Order, *engine.FieldError) {
	var ro rawOrder
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ro); err != nil {
		return Order{}, &engine.FieldError{Message: "order is not a valid order object: " + err.Error()}
	}
	switch ro.Type {
	case OrderProduce, OrderRenamePlanet:
	case "":
		return Order{}, &engine.FieldError{Field: "type", Message: "type is required"}
	default:
		return Order{}, &engine.FieldError{Field: "type", Message: fmt.Sprintf("unknown order type %q", ro.Type)}
	}
	o := Order{Type: ro.Type, Planet: ro.Planet}
	p, fe := g.ownPlanet(r, ro.Planet)
	if fe != nil {
		return Order{}, fe
	}
	o.PlanetNo = p.Number
	switch ro.Type {
	case OrderProduce:
		if ro.Name != "" {
			return Order{}, &engine.FieldError{Field: "name", Message: "produce takes no name"}
		}
		what, ok := parseProduct(ro.What)
		if !ok {
			return Order{}, &engine.FieldError{Field: "what", Message: fmt.Sprintf("unknown product %q (want CAP, MAT, DRIVE, WEAPONS, SHIELDS or CARGO)", ro.What)}
		}
		o.What = what
	case OrderRenamePlanet:
		if ro.What != "" {
			return Order{}, &engine.FieldError{Field: "what", Message: "rename_planet takes no what"}
		}
		if why := validPlanetName(ro.Name); why != "" {
			return Order{}, &engine.FieldError{Field: "name", Message: why}
		}
		key := engine.FoldName(ro.Name)
		if n, dup := renamed[key]; (dup && n != p.Number) || g.nameTaken(ro.Name, p) {
			return Order{}, &engine.FieldError{Field: "name", Message: fmt.Sprintf("planet name %q is taken", ro.Name)}
		}
		renamed[key] = p.Number
		o.Name = ro.Name
	}
	return o, nil
}

// ownPlanet resolves ref to a planet owned by r.
func (g *Game) ownPlanet(r *Race, ref PlanetRef) (*Planet, *engine.FieldError) {
	if ref == "" {
		return nil, &engine.FieldError{Field: "planet", Message: "planet is required"}
	}
	p := g.planet(ref)
	if p == nil {
		return nil, &engine.FieldError{Field: "planet", Message: fmt.Sprintf("unknown planet %q", string(ref))}
	}
	if p.Owner != r.ID {
		return nil, &engine.FieldError{Field: "planet", Message: fmt.Sprintf("planet %q is not yours", string(ref))}
	}
	return p, nil
}

// applyOrders carries out every race's orders of the closing turn, race by race in
// creation order, each race's in submission order. Orders that no longer hold (the
// name was taken by a race that came first, the planet changed hands) are skipped and
// recorded in the race's Rejected list for its next report.
func (g *Game) applyOrders() {
	for _, r := range g.Races {
		r.Rejected = nil
		for _, o := range r.Orders {
			if why := g.applyOrder(r, o); why != "" {
				r.Rejected = append(r.Rejected, Rejection{Order: o, Reason: why})
			}
		}
		r.Orders, r.Final = nil, false
	}
}

// applyOrder carries out one order and returns why it could not ("" when it did).
func (g *Game) applyOrder(r *Race, o Order) string {
	if o.PlanetNo < 1 || o.PlanetNo > len(g.Planets) {
		return "unknown planet"
	}
	p := g.Planets[o.PlanetNo-1]
	if p.Owner != r.ID {
		return "the planet is no longer yours"
	}
	switch o.Type {
	case OrderProduce:
		p.Producing = o.What
	case OrderRenamePlanet:
		if g.nameTaken(o.Name, p) {
			return fmt.Sprintf("planet name %q was taken first", o.Name)
		}
		p.Name = o.Name
	default:
		return "unknown order type"
	}
	return ""
}
