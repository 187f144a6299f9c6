package game

import (
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Race is one player of a game. Tech levels start at 1.0 and only grow. Orders are the
// race's orders for the open turn (replaced as a whole by SetOrders); Rejected lists
// the orders that could not be applied at the last generation, for the race's report.
// Designs are its ship types, Groups its ships (by Number), Fleets its fleets. Allies
// are the races it declared peace with (it is at war with every other race). Extinct
// is set when the race is out of the game: no planets and no ships left, or it quit.
type Race struct {
	ID       uuid.UUID    `json:"id"`
	Name     string       `json:"name"`
	Home     int          `json:"home"` // number of the home planet
	Tech     engine.Tech  `json:"tech"`
	Orders   []Order      `json:"orders,omitempty"`
	Final    bool         `json:"final,omitempty"`
	Rejected []Rejection  `json:"rejected,omitempty"`
	Extinct  bool         `json:"extinct,omitempty"`
	Quit     bool         `json:"quit,omitempty"`
	OutTurn  int          `json:"outTurn,omitempty"` // the turn at which it went out
	Designs  []ShipDesign `json:"designs,omitempty"`
	Groups   []*Group     `json:"groups,omitempty"`
	Fleets   []Fleet      `json:"fleets,omitempty"`
	Allies   []uuid.UUID  `json:"allies,omitempty"`

	claims map[int]bool // planets claimed (V) by this turn's orders; generation only
}

// Rejection is an order that passed validation at submission but could not be applied
// at generation (another race took the name first, the planet changed hands).
type Rejection struct {
	Order  Order  `json:"order"`
	Reason string `json:"reason"`
}

// validName reports why name cannot name a race or a planet ("" when it can): the
// rule of engine.CheckName. Planet names also must not look like planet numbers, which
// validPlanetName checks.
func validName(name string) string {
	if err := engine.CheckName(name); err != nil {
		return err.Error()
	}
	return ""
}

// race returns the race with id, or nil.
func (g *Game) race(id uuid.UUID) *Race {
	for _, r := range g.Races {
		if r.ID == id {
			return r
		}
	}
	return nil
}

// raceByName returns the race named name (case-insensitive), or nil.
func (g *Game) raceByName(name string) *Race {
	for _, r := range g.Races {
		if strings.EqualFold(r.Name, name) {
			return r
		}
	}
	return nil
}
