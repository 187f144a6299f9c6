package engine

import (
	"errors"
	"strings"
	"unicode"
)

// MaxNameLen is the longest name of a race, planet, ship type or fleet, in runes.
const MaxNameLen = 20

// The reasons CheckName gives; their texts are the messages of the engine's errors.
var (
	ErrNameEmpty   = errors.New("name is required")
	ErrNameTooLong = errors.New("name must be at most 20 characters")
	ErrNameSpaces  = errors.New("name must not contain spaces or control characters")
)

// CheckName reports why name cannot name a race (nil when it can): it must be
// non-empty, at most MaxNameLen runes, and every rune printable and not white space.
// This is the one home of the rule: the engine applies it at init and to every rename
// (planets, ship types and fleets add their own rules on top), and the orchestrator
// can apply it at create so that a bad name fails there, not at start. Names are
// unique under FoldName.
func CheckName(name string) error {
	switch {
	case name == "":
		return ErrNameEmpty
	case len([]rune(name)) > MaxNameLen:
		return ErrNameTooLong
	}
	for _, r := range name {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return ErrNameSpaces
		}
	}
	return nil
}

// FoldName returns the key under which names (of races, of planets) are unique: two
// names have the same key exactly when strings.EqualFold says they are equal, so a
// uniqueness check with it and a lookup with EqualFold never disagree ("S" and "ſ",
// "Σ" and "ς" fold together).
func FoldName(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		min := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			if f < min {
				min = f
			}
		}
		b.WriteRune(min)
	}
	return b.String()
}
