package game

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

// Product is what a planet spends its production on.
type Product string

// The products a planet can make (GalaxyNG's PR_CAP, PR_MAT and the four techs).
const (
	CAP     Product = "CAP"     // capital: becomes industry, up to the population
	MAT     Product = "MAT"     // materials: production × resources
	DRIVE   Product = "DRIVE"   // +production/5000 drive tech for the owner
	WEAPONS Product = "WEAPONS" // +production/5000 weapons tech
	SHIELDS Product = "SHIELDS" // +production/5000 shields tech
	CARGO   Product = "CARGO"   // +production/2500 cargo tech
	SHIP    Product = "SHIP"    // ships of the design Planet.Ship
)

// parseProduct returns the product named s (case-insensitive) and whether it exists.
func parseProduct(s string) (Product, bool) {
	switch p := Product(strings.ToUpper(s)); p {
	case CAP, MAT, DRIVE, WEAPONS, SHIELDS, CARGO:
		return p, true
	}
	return "", false
}

// Planet is one world. Number is its permanent identity (1-based, dense); Name starts as
// the number and may be changed by its owner. Coordinates are in light years from the
// galaxy's corner. Pop, Ind, Cap, Mat and Col are GalaxyNG's population, industry,
// capital, materials and colonists stockpiles. Owner is the zero UUID for a free planet
// (which may still have people: a planet bombed in a standoff belongs to nobody).
// Producing is SHIP for ships of the owner's design Ship; Progress is the production
// carried over towards the next of those ships. Routes are the owner's cargo routes.
type Planet struct {
	Number    int       `json:"number"`
	Name      string    `json:"name"`
	X         float64   `json:"x"`
	Y         float64   `json:"y"`
	Size      float64   `json:"size"`
	Resources float64   `json:"resources"`
	Owner     uuid.UUID `json:"owner"`
	Producing Product   `json:"producing,omitempty"`
	Ship      string    `json:"ship,omitempty"`
	Progress  float64   `json:"progress,omitempty"`
	Pop       float64   `json:"pop"`
	Ind       float64   `json:"ind"`
	Cap       float64   `json:"cap"`
	Mat       float64   `json:"mat"`
	Col       float64   `json:"col"`
	Routes    Routes    `json:"routes,omitzero"`

	// Spent is the production spent on upgrades during this turn's generation (0 in
	// state.json: it is used up by the production phase of the same turn).
	Spent float64 `json:"-"`
}

// Owned reports whether a race owns the planet.
func (p *Planet) Owned() bool { return p.Owner != uuid.Nil }

// PlanetRef names a planet in an order: its name, its number as a string ("12" or
// "#12") or its number as a JSON number.
type PlanetRef string

// UnmarshalJSON accepts a JSON string or a JSON number. A number always means a planet
// number (8, 8.0 and 8e0 alike) and is kept as "#8", so it can never be taken for a
// planet named like a number's spelling ("1e2").
func (r *PlanetRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
			return fmt.Errorf("planet number %s is not a whole number from 1", n)
		}
		*r = PlanetRef("#" + strconv.Itoa(int(f)))
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*r = PlanetRef(s)
	return nil
}

// planet resolves ref to a planet, or nil: "#N" and "N" are numbers, anything else a
// name (case-insensitive). Planet names never look like numbers, so this is unambiguous.
func (g *Game) planet(ref PlanetRef) *Planet {
	s := strings.TrimPrefix(string(ref), "#")
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= len(g.Planets) {
			return g.Planets[n-1]
		}
		return nil
	}
	for _, p := range g.Planets {
		if strings.EqualFold(p.Name, string(ref)) {
			return p
		}
	}
	return nil
}

// ownPlanetNo returns planet n if r owns it.
func (g *Game) ownPlanetNo(r *Race, n int) (*Planet, *engine.FieldError) {
	if n < 1 || n > len(g.Planets) {
		return nil, &engine.FieldError{Field: "planet", Message: "unknown planet"}
	}
	p := g.Planets[n-1]
	if p.Owner != r.ID {
		return nil, &engine.FieldError{Field: "planet", Message: fmt.Sprintf("planet %s is not yours", p.Name)}
	}
	return p, nil
}

// validPlanetName reports why name cannot name a planet ("" when it can): the race
// name rules, and it must not read as a planet number.
func validPlanetName(name string) string {
	if why := validName(name); why != "" {
		return why
	}
	if strings.HasPrefix(name, "#") {
		return "name must not start with #"
	}
	if _, err := strconv.Atoi(name); err == nil {
		return "name must not be a number"
	}
	return ""
}

// nameTaken reports whether a planet other than except is named name (case-insensitive).
func (g *Game) nameTaken(name string, except *Planet) bool {
	for _, p := range g.Planets {
		if p != except && strings.EqualFold(p.Name, name) {
			return true
		}
	}
	return false
}
