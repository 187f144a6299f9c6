package game

import (
	"math"
	"math/rand/v2"
	"strconv"
)

// Galaxy creation parameters, after GalaxyNG's create.c and its default .glx template.
const (
	areaPerRace    = 1600.0 // ly² of galaxy per race: a 40×40 square each
	edgeMargin     = 3.0    // no planet closer than this to the galaxy's edge
	homeSize       = 1000.0 // a home planet's size, population and industry
	homeResources  = 10.0
	emptyPerHome   = 2   // empty planets placed near each home planet
	emptyMinDist   = 3.0 // ...at this distance range from it, in ly
	emptyMaxDist   = 10.0
	emptyMinSize   = 80.0
	emptyMaxSize   = 1000.0
	stuffPerRace   = 3 // small planets placed anywhere, per race
	stuffMaxSize   = 50.0
	homeSpacingPct = 0.6 // minimum home distance as a share of side/sqrt(races)
)

// createGalaxy sizes the square galaxy for the races, places one home planet per race
// at least a minimum distance apart, empty planets around each home and small planets
// anywhere, then numbers all planets in a shuffled order so that a number says nothing
// about whose home it is. Everything derives from g.Seed.
func (g *Game) createGalaxy() {
	rng := rand.New(rand.NewPCG(g.Seed, g.Seed^0x9e3779b97f4a7c15))
	n := len(g.Races)
	side := math.Ceil(math.Sqrt(areaPerRace * float64(n)))
	g.Size = side
	spacing := homeSpacingPct * side / math.Sqrt(float64(n))

	var planets []*Planet
	homes := make([]*Planet, 0, n)
	// Rejection sampling: try hard for the full spacing, then relax it by 10% and
	// start over. The galaxy always fits n homes at spacing → 0, so this ends.
	for len(homes) < n {
		homes = homes[:0]
		for tries := 0; len(homes) < n && tries < 2000*n; tries++ {
			x, y := randomPoint(rng, side)
			if farFrom(homes, x, y, spacing) {
				homes = append(homes, &Planet{X: x, Y: y})
			}
		}
		if len(homes) < n {
			spacing *= 0.9
		}
	}
	for i, h := range homes {
		r := g.Races[i]
		h.Size, h.Resources, h.Owner = homeSize, homeResources, r.ID
		h.Pop, h.Ind, h.Producing = homeSize, homeSize, DRIVE
		planets = append(planets, h)
		for j := 0; j < emptyPerHome; j++ {
			d := emptyMinDist + rng.Float64()*(emptyMaxDist-emptyMinDist)
			a := rng.Float64() * 2 * math.Pi
			x := clamp(h.X+d*math.Cos(a), edgeMargin, side-edgeMargin)
			y := clamp(h.Y+d*math.Sin(a), edgeMargin, side-edgeMargin)
			size := emptyMinSize + rng.Float64()*(emptyMaxSize-emptyMinSize)
			planets = append(planets, &Planet{X: round2(x), Y: round2(y), Size: round2(size), Resources: randomResources(rng)})
		}
	}
	for j := 0; j < stuffPerRace*n; j++ {
		x, y := randomPoint(rng, side)
		size := 1 + rng.Float64()*(stuffMaxSize-1)
		planets = append(planets, &Planet{X: x, Y: y, Size: round2(size), Resources: randomResources(rng)})
	}
	rng.Shuffle(len(planets), func(i, j int) { planets[i], planets[j] = planets[j], planets[i] })
	for i, p := range planets {
		p.Number = i + 1
		p.Name = strconv.Itoa(p.Number)
		if p.Owned() {
			g.race(p.Owner).Home = p.Number
		}
	}
	g.Planets = planets
}

// randomResources is GalaxyNG's resource draw for a non-home planet: 0.3 + 8^U(-1,1),
// so between 0.425 and 8.3, with a median of 1.3.
func randomResources(rng *rand.Rand) float64 {
	return round2(0.3 + math.Pow(8, 2*rng.Float64()-1))
}

// randomPoint is a uniform point at least edgeMargin inside the galaxy, to 2 decimals.
func randomPoint(rng *rand.Rand, side float64) (float64, float64) {
	w := side - 2*edgeMargin
	return round2(edgeMargin + rng.Float64()*w), round2(edgeMargin + rng.Float64()*w)
}

// farFrom reports whether (x, y) is at least d from every planet in ps.
func farFrom(ps []*Planet, x, y, d float64) bool {
	for _, p := range ps {
		if math.Hypot(p.X-x, p.Y-y) < d {
			return false
		}
	}
	return true
}

// Distance returns the distance in light years between two planets.
func Distance(a, b *Planet) float64 { return math.Hypot(a.X-b.X, a.Y-b.Y) }

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
