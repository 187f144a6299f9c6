package game

import (
	"math"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/google/uuid"
)

var owner = uuid.MustParse("11111111-1111-1111-1111-111111111111")

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

func TestProduction(t *testing.T) {
	p := &Planet{Pop: 1000, Ind: 500}
	if got, want := Production(p), 0.75*500+0.25*1000.0; !near(got, want) {
		t.Fatalf("Production = %v, want %v", got, want)
	}
}

func TestProduceMatCap(t *testing.T) {
	t.Run("OK/MAT", func(t *testing.T) {
		p := &Planet{Producing: MAT, Resources: 2.5, Mat: 1}
		produceMatCap(p, 100)
		if got, want := p.Mat, 1+100*2.5; !near(got, want) {
			t.Fatalf("mat = %v, want %v", got, want)
		}
	})
	t.Run("OK/CAPWithoutMaterials", func(t *testing.T) {
		// 1000 points, resources 10: each capital costs 5 + 1/10 = 5.1 points.
		p := &Planet{Producing: CAP, Resources: 10}
		produceMatCap(p, 1000)
		if got, want := p.Cap, 1000/5.1; !near(got, want) {
			t.Fatalf("cap = %v, want %v", got, want)
		}
	})
	t.Run("OK/CAPUsesStockFirst", func(t *testing.T) {
		// 62.5 points want 12.5 MAT; only 10 stocked: 10 CAP for 50 points, the other
		// 12.5 points buy 12.5/(5+1/2) = 2.2727... CAP.
		p := &Planet{Producing: CAP, Resources: 2, Mat: 10}
		produceMatCap(p, 62.5)
		if got, want := p.Cap, 10+12.5/5.5; !near(got, want) {
			t.Fatalf("cap = %v, want %v", got, want)
		}
		if got, want := p.Mat, 0.0; !near(got, want) {
			t.Fatalf("mat = %v, want %v", got, want)
		}
	})
	t.Run("OK/CAPStockCovers", func(t *testing.T) {
		p := &Planet{Producing: CAP, Resources: 1, Mat: 100}
		produceMatCap(p, 50) // wants 10 MAT, has 100
		if got, want := p.Cap, 10.0; !near(got, want) {
			t.Fatalf("cap = %v, want %v", got, want)
		}
		if got, want := p.Mat, 90.0; !near(got, want) {
			t.Fatalf("mat = %v, want %v", got, want)
		}
	})
}

func TestProduceTech(t *testing.T) {
	for _, tc := range []struct {
		what Product
		want engine.Tech
	}{
		{DRIVE, engine.Tech{Drive: 1.2, Weapons: 1, Shields: 1, Cargo: 1}},
		{WEAPONS, engine.Tech{Drive: 1, Weapons: 1.2, Shields: 1, Cargo: 1}},
		{SHIELDS, engine.Tech{Drive: 1, Weapons: 1, Shields: 1.2, Cargo: 1}},
		{CARGO, engine.Tech{Drive: 1, Weapons: 1, Shields: 1, Cargo: 1.4}},
	} {
		t.Run("OK/"+string(tc.what), func(t *testing.T) {
			tech := engine.Tech{Drive: 1, Weapons: 1, Shields: 1, Cargo: 1}
			produceTech(&Planet{Producing: tc.what}, 1000, &tech)
			if !near(tech.Drive, tc.want.Drive) || !near(tech.Weapons, tc.want.Weapons) || !near(tech.Shields, tc.want.Shields) || !near(tech.Cargo, tc.want.Cargo) {
				t.Fatalf("tech = %+v, want %+v", tech, tc.want)
			}
		})
	}
}

func TestGrowPopulation(t *testing.T) {
	t.Run("OK/Room", func(t *testing.T) {
		p := &Planet{Size: 500, Pop: 100}
		growPopulation(p)
		if got, want := p.Pop, 108.0; !near(got, want) {
			t.Fatalf("pop = %v, want %v", got, want)
		}
		if got, want := p.Col, 0.0; !near(got, want) {
			t.Fatalf("col = %v, want %v", got, want)
		}
	})
	t.Run("OK/FullBecomesColonists", func(t *testing.T) {
		p := &Planet{Size: 1000, Pop: 1000, Ind: 1000}
		growPopulation(p)
		if got, want := p.Pop, 1000.0; !near(got, want) {
			t.Fatalf("pop = %v, want %v", got, want)
		}
		if got, want := p.Col, 80.0/8; !near(got, want) {
			t.Fatalf("col = %v, want %v", got, want)
		}
	})
	t.Run("OK/PartlyFull", func(t *testing.T) {
		// 950 grows by 76; 50 fit, 26 people become 3.25 colonists.
		p := &Planet{Size: 1000, Pop: 950}
		growPopulation(p)
		if got, want := p.Pop, 1000.0; !near(got, want) {
			t.Fatalf("pop = %v, want %v", got, want)
		}
		if got, want := p.Col, 26.0/8; !near(got, want) {
			t.Fatalf("col = %v, want %v", got, want)
		}
	})
}

func TestConvertCap(t *testing.T) {
	t.Run("OK/CappedByPopulation", func(t *testing.T) {
		p := &Planet{Pop: 100, Ind: 90, Cap: 50}
		convertCap(p)
		if got, want := p.Ind, 100.0; !near(got, want) {
			t.Fatalf("ind = %v, want %v", got, want)
		}
		if got, want := p.Cap, 40.0; !near(got, want) {
			t.Fatalf("cap = %v, want %v", got, want)
		}
	})
	t.Run("OK/CappedByCapital", func(t *testing.T) {
		p := &Planet{Pop: 100, Ind: 10, Cap: 5}
		convertCap(p)
		if got, want := p.Ind, 15.0; !near(got, want) {
			t.Fatalf("ind = %v, want %v", got, want)
		}
		if got, want := p.Cap, 0.0; !near(got, want) {
			t.Fatalf("cap = %v, want %v", got, want)
		}
	})
}

// TestProducePhase runs one whole turn of a small colony by hand: production first,
// then growth, then capital into industry.
func TestProducePhase(t *testing.T) {
	g := &Game{
		Races:   []*Race{{ID: owner, Tech: engine.Tech{Drive: 1, Weapons: 1, Shields: 1, Cargo: 1}}},
		Planets: []*Planet{{Number: 1, Owner: owner, Producing: CAP, Size: 500, Pop: 100, Ind: 50, Resources: 2, Mat: 10}},
	}
	g.producePhase()
	p := g.Planets[0]
	// points = 37.5 + 25 = 62.5 → cap 10 + 12.5/5.5; pop 108; ind += min(108-50, cap).
	cap := 10 + 12.5/5.5
	if got, want := p.Pop, 108.0; !near(got, want) {
		t.Fatalf("pop = %v, want %v", got, want)
	}
	if got, want := p.Ind, 50+cap; !near(got, want) {
		t.Fatalf("ind = %v, want %v", got, want)
	}
	if got, want := p.Cap, 0.0; !near(got, want) {
		t.Fatalf("cap = %v, want %v", got, want)
	}
}

// TestProduceShips checks the manual's ship-building examples.
func TestProduceShips(t *testing.T) {
	r := &Race{ID: owner, Tech: engine.Tech{Drive: 1.234, Weapons: 1, Shields: 1, Cargo: 1}}
	drone, cruiser := ShipDesign{"Drone", 1, 0, 0, 0, 0}, ShipDesign{"Cruiser", 16.5, 30, 1.5, 9.75, 0}
	t.Run("OK/Drones", func(t *testing.T) {
		// 1000 points, resources 10, no materials: 99 drones (990 + 9.9 for their materials).
		p := &Planet{Number: 1, Owner: owner, Resources: 10}
		r.Groups = nil
		produceShips(p, 1000, r, &drone)
		if len(r.Groups) != 1 || r.Groups[0].Ships != 99 || !near(p.Progress, 0.1) || p.Mat != 0 {
			t.Fatalf("groups %+v, progress %v; want 99 drones and 0.1 carried over", r.Groups, p.Progress)
		}
		if got, want := r.Groups[0].Tech, (engine.Tech{Drive: 1.23}); got != want {
			t.Fatalf("tech = %+v, want %+v (rounded, zero for missing parts)", got, want)
		}
	})
	t.Run("OK/PoorPlanet", func(t *testing.T) {
		p := &Planet{Number: 1, Owner: owner, Resources: 0.1}
		r.Groups = nil
		produceShips(p, 1000, r, &drone)
		if r.Groups[0].Ships != 50 {
			t.Fatalf("ships = %d, want 50 at resources 0.1", r.Groups[0].Ships)
		}
	})
	t.Run("OK/StockedMaterials", func(t *testing.T) {
		p := &Planet{Number: 1, Owner: owner, Resources: 0.1, Mat: 500}
		r.Groups = nil
		produceShips(p, 1000, r, &drone)
		if r.Groups[0].Ships != 100 || p.Mat != 400 {
			t.Fatalf("ships %d, mat %v; want 100 ships using 100 of the stocked materials", r.Groups[0].Ships, p.Mat)
		}
	})
	t.Run("OK/CarriedOver", func(t *testing.T) {
		// 750 points a turn at resources 10: 1.5 cruisers a turn, so 1, then 2.
		g := &Game{Races: []*Race{r}, Planets: []*Planet{{Number: 1, Owner: owner, Size: 750, Pop: 750, Ind: 750, Resources: 10, Producing: SHIP, Ship: "Cruiser"}}}
		r.Groups, r.Designs = nil, []ShipDesign{cruiser}
		g.producePhase()
		if len(r.Groups) != 1 || r.Groups[0].Ships != 1 {
			t.Fatalf("turn 1: groups %+v, want 1 cruiser", r.Groups)
		}
		g.Planets[0].Pop, g.Planets[0].Ind = 750, 750 // no growth past the size anyway
		g.producePhase()
		if len(r.Groups) != 2 || r.Groups[1].Ships != 2 {
			t.Fatalf("turn 2: groups %+v, want 2 more cruisers", r.Groups)
		}
	})
	t.Run("OK/ChangeKeepsMaterials", func(t *testing.T) {
		// Leaving a ship type half built keeps half a ship's materials.
		g := &Game{Races: []*Race{r}, Planets: []*Planet{{Number: 1, Owner: owner, Resources: 10, Producing: SHIP, Ship: "Cruiser"}}}
		r.Designs = []ShipDesign{cruiser}
		p := g.Planets[0]
		p.Progress = (495 + 4.95) / 2
		g.setProduction(p, CAP, "")
		if !near(p.Mat, 49.5/2) || p.Progress != 0 || p.Ship != "" {
			t.Fatalf("mat %v, progress %v, ship %q; want 24.75 materials and nothing carried", p.Mat, p.Progress, p.Ship)
		}
	})
}
