package game

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// fields is an order object by field, each value still raw JSON.
type fields map[string]json.RawMessage

// has reports whether key is present and not null.
func (f fields) has(key string) bool {
	v, ok := f[key]
	return ok && string(bytes.TrimSpace(v)) != "null"
}

// decode reads key into dst, naming key in the error.
func (f fields) decode(key, what string, required bool, dst any) *engine.FieldError {
	if !f.has(key) {
		if required {
			return &engine.FieldError{Field: key, Message: key + " is required"}
		}
		return nil
	}
	if err := json.Unmarshal(f[key], dst); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) || strings.HasPrefix(err.Error(), "json:") {
			return &engine.FieldError{Field: key, Message: fmt.Sprintf("%s must be %s", key, what)}
		}
		return &engine.FieldError{Field: key, Message: err.Error()}
	}
	return nil
}

func (f fields) str(key string, required bool, dst *string) *engine.FieldError {
	if fe := f.decode(key, "a string", required, dst); fe != nil {
		return fe
	}
	if required && *dst == "" {
		return &engine.FieldError{Field: key, Message: key + " is required"}
	}
	return nil
}

func (f fields) number(key string, required bool, dst *float64) *engine.FieldError {
	return f.decode(key, "a number", required, dst)
}

// ships reads the optional ships: a whole number from 0 (0 or absent: the whole group).
func (f fields) ships(o *Order) *engine.FieldError {
	var n float64
	if fe := f.number("ships", false, &n); fe != nil {
		return fe
	}
	if n != math.Trunc(n) || n < 0 || n > math.MaxInt32 {
		return &engine.FieldError{Field: "ships", Message: "ships must be a whole number from 0 (0: the whole group)"}
	}
	o.Ships, o.HasShips = int(n), f.has("ships")
	return nil
}

// amount reads the optional amount per ship: at least AmountMin.
func (f fields) amount(o *Order) *engine.FieldError {
	if fe := f.number("amount", false, &o.Amount); fe != nil {
		return fe
	}
	if f.has("amount") && !(o.Amount >= AmountMin && o.Amount <= 1e9) {
		return &engine.FieldError{Field: "amount", Message: fmt.Sprintf("amount per ship must be at least %g", AmountMin)}
	}
	return nil
}

func (f fields) group(required bool, dst *GroupRef) *engine.FieldError {
	return f.decode("group", "a group number or MAX", required, dst)
}

// groupOrFleet reads exactly one of group and fleet.
func (f fields) groupOrFleet(o *Order) *engine.FieldError {
	switch {
	case f.has("group") && f.has("fleet"):
		return &engine.FieldError{Field: "fleet", Message: "give a group or a fleet, not both"}
	case f.has("fleet"):
		return f.str("fleet", true, &o.Fleet)
	case !f.has("group"):
		return &engine.FieldError{Field: "group", Message: "group (or fleet) is required"}
	}
	return f.group(true, &o.Group)
}

func (f fields) cargo(emp bool, dst *Cargo) *engine.FieldError {
	var s string
	if fe := f.str("cargo", true, &s); fe != nil {
		return fe
	}
	c, ok := parseCargo(s, emp)
	if !ok {
		want := "COL, CAP or MAT"
		if emp {
			want = "COL, CAP, MAT or EMP"
		}
		return &engine.FieldError{Field: "cargo", Message: fmt.Sprintf("unknown cargo %q (want %s)", s, want)}
	}
	*dst = c
	return nil
}

// planet resolves the planet named by key.
func (f fields) planet(g *Game, key string, required bool, ref *PlanetRef) (*Planet, *engine.FieldError) {
	if fe := f.decode(key, "a planet name or number", required, ref); fe != nil {
		return nil, fe
	}
	if *ref == "" {
		return nil, &engine.FieldError{Field: key, Message: key + " is required"}
	}
	p := g.planet(*ref)
	if p == nil {
		return nil, &engine.FieldError{Field: key, Message: fmt.Sprintf("unknown planet %q", string(*ref))}
	}
	return p, nil
}

// ownPlanet resolves the planet named by key, which must be r's.
func (f fields) ownPlanet(g *Game, r *Race, key string, ref *PlanetRef) (*Planet, *engine.FieldError) {
	p, fe := f.planet(g, key, true, ref)
	if fe != nil {
		return nil, fe
	}
	if p.Owner != r.ID {
		return nil, &engine.FieldError{Field: key, Message: fmt.Sprintf("planet %q is not yours", string(*ref))}
	}
	return p, nil
}

func sortedKeys(f fields) []string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
