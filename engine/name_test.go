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

func TestCheckName(t *testing.T) {
	for name, want := range map[string]error{
		"Zorg": nil, "Mutant_Camels": nil, "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9": nil,
		"": engine.ErrNameEmpty, "abcdefghijklmnopqrstu": engine.ErrNameTooLong,
		"a b": engine.ErrNameSpaces, "a\tb": engine.ErrNameSpaces, "x\u00a0y": engine.ErrNameSpaces, "\u0000": engine.ErrNameSpaces,
	} {
		if got := engine.CheckName(name); got != want {
			t.Errorf("CheckName(%q) = %v, want %v", name, got, want)
		}
	}
}
