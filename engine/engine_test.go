package engine_test

import (
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

func TestFoldName(t *testing.T) {
	for _, tc := range []struct{ a, b string }{
		{"Zorg", "zORG"}, {"S", "ſ"}, {"Σίσυφος", "σίσυφοσ"}, {"Kelvin", "\u212aelvin"}, {"Ωmega", "ωmega"},
	} {
		if engine.FoldName(tc.a) != engine.FoldName(tc.b) {
			t.Errorf("FoldName(%q) != FoldName(%q), but EqualFold says they are equal", tc.a, tc.b)
		}
	}
	for _, tc := range []struct{ a, b string }{{"Zorg", "Zorgs"}, {"ss", "ß"}} {
		if got, want := engine.FoldName(tc.a) == engine.FoldName(tc.b), strings.EqualFold(tc.a, tc.b); got != want {
			t.Errorf("FoldName(%q) == FoldName(%q) is %v, EqualFold says %v", tc.a, tc.b, got, want)
		}
	}
}

func FuzzFoldName(f *testing.F) {
	f.Add("S", "ſ")
	f.Add("Σ", "ς")
	f.Add("Zorg", "ZORG")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := engine.FoldName(a) == engine.FoldName(b), strings.EqualFold(a, b); got != want {
			t.Fatalf("FoldName(%q) == FoldName(%q) is %v, EqualFold says %v", a, b, got, want)
		}
	})
}
