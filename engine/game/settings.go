package game

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// SettingsSchema is the JSON Schema (draft 2020-12) of the settings ParseSettings
// accepts: what GET /api/v1/settings-schema and galaxy-engine -settings-schema publish.
// The two agree on every input (a test and a fuzzer hold them to it).
//
//go:embed settings.schema.json
var SettingsSchema []byte

// Settings are the rules' knobs read from admin/init's settings. Seed drives galaxy
// creation and every turn's random draws (a random one is chosen and kept when absent);
// MaxTurns ends the game after that many turns (0: never); AllianceVictory lets a game
// end when every race left is at peace with every other.
type Settings struct {
	Seed            uint64
	HasSeed         bool
	MaxTurns        int
	AllianceVictory bool // the game may end with an alliance of races, all winners
}

// maxSafeInt is the largest integer a JSON number (a float64) carries exactly: seeds
// above it would not survive a round trip through settings.
const maxSafeInt = 1<<53 - 1

// ParseSettings reads the settings of an init request, as SettingsSchema describes
// them: "seed" (an integer in [0, 2^53)), "maxTurns" (an integer in [0, 1000000]) and
// "allianceVictory" (a boolean); null is absent. Other keys are ignored, so the orchestrator may pass its own. Numbers
// may be json.Number (decoded with UseNumber, checked exactly) or float64. Errors are
// Invalid with one detail per bad key, its Field "settings.<key>".
func ParseSettings(m map[string]any) (Settings, error) {
	var s Settings
	var details []engine.FieldError
	intSetting := func(key string, max int64) (int64, bool) {
		v, ok := m[key]
		if !ok || v == nil {
			return 0, false
		}
		n, ok := integer(v, max)
		if !ok {
			details = append(details, engine.FieldError{Index: -1, Field: "settings." + key,
				Message: fmt.Sprintf("%s must be an integer between 0 and %d", key, max)})
		}
		return n, ok
	}
	if n, ok := intSetting("seed", maxSafeInt); ok {
		s.Seed, s.HasSeed = uint64(n), true
	}
	if n, ok := intSetting("maxTurns", 1e6); ok {
		s.MaxTurns = int(n)
	}
	if v, ok := m["allianceVictory"]; ok && v != nil {
		b, isBool := v.(bool)
		if !isBool {
			details = append(details, engine.FieldError{Index: -1, Field: "settings.allianceVictory", Message: "allianceVictory must be true or false"})
		}
		s.AllianceVictory = b
	}
	if len(details) > 0 {
		return s, &Error{Kind: Invalid, Message: "invalid settings", Details: details}
	}
	return s, nil
}

// integer returns v as an integer in [0, max], if it is one: a JSON number with no
// fractional part (1.0 and 1e2 are integers, as JSON Schema says; -0 is 0).
func integer(v any, max int64) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		return exactInteger(string(n), max)
	case float64:
		if n != math.Trunc(n) || n < 0 || n > float64(max) {
			return 0, false
		}
		return int64(n), true
	}
	return 0, false
}

// exactInteger reads a JSON number's text exactly — no float rounding, and no work
// that grows with its exponent (1e999999999 is simply too large) — and returns it when
// it is an integer in [0, max].
func exactInteger(s string, limit int64) (int64, bool) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mant, ".")
	e := 0
	if hasExp {
		x, err := strconv.Atoi(exp)
		if err != nil { // beyond int: far too large or far too small
			x = math.MaxInt32
			if strings.HasPrefix(exp, "-") {
				x = math.MinInt32
			}
		}
		e = max(min(x, math.MaxInt32), math.MinInt32) // no overflow below
	}
	digits := strings.TrimLeft(whole+frac, "0")
	e -= len(frac)
	trimmed := strings.TrimRight(digits, "0")
	e += len(digits) - len(trimmed)
	digits = trimmed
	switch {
	case digits == "":
		return 0, true // zero, whatever its sign or exponent
	case neg || e < 0 || len(digits)+e > 19:
		return 0, false
	}
	n, err := strconv.ParseInt(digits+strings.Repeat("0", e), 10, 64)
	if err != nil || n > limit {
		return 0, false
	}
	return n, true
}
