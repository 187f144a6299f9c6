package game

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestReportVisibility checks what a race sees of others (the manual's "Locating
// Ships" and the report sections): planets and groups where it has ships, other
// planets by name and position only, ships flying to its planets, nothing else.
func TestReportVisibility(t *testing.T) {
	g, a, b := mini(t)
	give(g, a, drone, 1, 2)            // A's scout orbits B's home
	give(g, b, wall, 7, 2)             // B's ships there
	give(g, b, drone, 4, 4)            // B's ships at planet 4, where A has none
	raider := give(g, b, killer, 3, 2) // B's raiders flying to A's home
	raider.From, raider.Planet, raider.Dist = 2, 1, 12.3456
	ra, _ := g.Report(a.ID)
	if len(ra.AlienPlanets) != 1 || ra.AlienPlanets[0].Number != 2 || ra.AlienPlanets[0].Owner != "B" || ra.AlienPlanets[0].Pop != 1000 {
		t.Fatalf("alien planets %+v, want B's home in full", ra.AlienPlanets)
	}
	if len(ra.AlienGroups) != 1 || ra.AlienGroups[0].Ships != 7 || ra.AlienGroups[0].Design != "Wall" {
		t.Fatalf("alien groups %+v, want only the 7 Walls at planet 2", ra.AlienGroups)
	}
	if len(ra.AlienDesigns) != 1 || len(ra.AlienDesigns[0].Designs) != 1 || ra.AlienDesigns[0].Designs[0].Name != "Wall" {
		t.Fatalf("alien designs %+v, want B's Wall only", ra.AlienDesigns)
	}
	if len(ra.Incoming) != 1 || ra.Incoming[0].From != 2 || ra.Incoming[0].To != 1 || ra.Incoming[0].Dist != 12.35 || ra.Incoming[0].Mass != 3*41 {
		t.Fatalf("incoming %+v, want B's 3 raiders (mass 41 each) 12.35 ly from planet 1", ra.Incoming)
	}
	if len(ra.Uninhabited) != 2 || ra.Uninhabited[0].Size != nil {
		t.Fatalf("uninhabited %+v, want planets 3 and 4 by position only", ra.Uninhabited)
	}
	rb, _ := g.Report(b.ID)
	if len(rb.AlienGroups) != 1 || rb.AlienGroups[0].Race != "A" || len(rb.Incoming) != 0 || len(rb.Unidentified) != 1 || rb.Unidentified[0].Number != 1 {
		t.Fatalf("B's report: alien groups %+v, incoming %+v, unidentified %+v; want A's scout, nothing incoming, A's home unidentified", rb.AlienGroups, rb.Incoming, rb.Unidentified)
	}
	if u := rb.Uninhabited[1]; u.Number != 4 || u.Size == nil || *u.Size != 100 {
		t.Fatalf("B's view of planet 4 = %+v, want its size (B has ships there)", u)
	}
	// Rounded for display, exact in the state.
	a.Tech.Drive = 1.7999999999999998
	ra, _ = g.Report(a.ID)
	js, _ := json.Marshal(ra)
	if strings.Contains(string(js), "1.7999999999999998") || ra.Race.Tech.Drive != 1.8 {
		t.Fatalf("report tech %v, want 1.8", ra.Race.Tech.Drive)
	}
}
