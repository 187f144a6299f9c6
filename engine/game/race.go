package game

import (
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Race is one player of a game. Tech levels start at 1.0 and only grow. Orders are the
// race's orders for the open turn (replaced as a whole by SetOrders); Rejected lists
// the orders that could not be applied at the last generation, for the race's report.
type Race struct {
	ID       uuid.UUID    `json:"id"`
	Name     string       `json:"name"`
	Home     int          `json:"home"` // number of the home planet
	Tech     engine.Tech  `json:"tech"`
	Orders   []Order      `json:"orders,omitempty"`
	Final    bool         `json:"final,omitempty"`
	Rejected []Rejection  `json:"rejected,omitempty"`
	Extinct  bool         `json:"extinct,omitempty"` // no planets left (reserved for combat)
	Ships    []ShipGroup  `json:"ships,omitempty"`
	Designs  []ShipDesign `json:"designs,omitempty"`
}

// ShipDesign is reserved for ship types (GalaxyNG's drive/attacks/weapons/shields/cargo
// masses). No order creates one yet; the field keeps state.json's shape stable.
type ShipDesign struct {
	Name    string  `json:"name"`
	Drive   float64 `json:"drive"`
	Attacks int     `json:"attacks"`
	Weapons float64 `json:"weapons"`
	Shields float64 `json:"shields"`
	Cargo   float64 `json:"cargo"`
}

// ShipGroup is reserved for ships in flight or at a planet: Ships ships of Design at
// planet From heading to planet To, Dist light years away. Movement and combat will
// work on these; no rule creates them yet.
type ShipGroup struct {
	Design string  `json:"design"`
	Ships  int     `json:"ships"`
	From   int     `json:"from"`
	To     int     `json:"to"`
	Dist   float64 `json:"dist"`
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
