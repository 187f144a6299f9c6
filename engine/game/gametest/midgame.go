// Package gametest builds reference-engine games for tests and benchmarks elsewhere.
package gametest

import (
	"fmt"
	"math/rand/v2"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/game"
	"github.com/google/uuid"
)

// MidGame returns a game of races races as it might look in mid-game: tech around 2,
// every race with its home building warships, its two nearby planets colonised
// (producing CAP and MAT, with a route between them), and groups per race groups of
// ships — a quarter each of warships at home, loaded cargo ships and scouts flying
// (most of them to other races' planets), and warships at the next race's home, where
// they will fight and bomb. Groups differ in tech so that none merge. The same
// arguments give the same game.
func MidGame(races, groups int, seed uint64) (*game.Game, error) {
	rs := make([]engine.Race, races)
	for i := range rs {
		rs[i] = engine.Race{RaceName: fmt.Sprintf("Race%d", i), PlayerID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "race-%d", i))}
	}
	g, err := game.New(uuid.NewSHA1(uuid.NameSpaceOID, []byte("midgame")), rs, game.Settings{Seed: seed})
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	designs := []game.ShipDesign{
		{Name: "Gun", Drive: 6, Attacks: 2, Weapons: 3, Shields: 3},
		{Name: "Col", Drive: 2, Cargo: 1},
		{Name: "Drone", Drive: 1},
		{Name: "Fort", Attacks: 3, Weapons: 5, Shields: 10},
	}
	g.Turn = 40
	for i, r := range g.Races {
		r.Tech = engine.Tech{Drive: 2.1, Weapons: 1.8, Shields: 1.9, Cargo: 1.5}
		r.Designs = append([]game.ShipDesign(nil), designs...)
		home := g.Planets[r.Home-1]
		home.Producing, home.Ship, home.Progress = game.SHIP, "Gun", 40
		var colonies []*game.Planet
		for _, p := range g.Planets {
			if !p.Owned() && len(colonies) < 2 && game.Distance(p, home) <= 10 {
				colonies = append(colonies, p)
			}
		}
		for j, p := range colonies {
			p.Owner, p.Pop, p.Ind, p.Col = r.ID, p.Size/2, p.Size/4, 3
			p.Producing = game.CAP
			if j == 1 {
				p.Producing, p.Routes.MAT = game.MAT, colonies[0].Number
			}
		}
		next := g.Planets[g.Races[(i+1)%len(g.Races)].Home-1]
		for k := range groups {
			t := engine.Tech{Drive: 1 + float64(k)*0.01, Weapons: 1.5, Shields: 1.5, Cargo: 1}
			gr := &game.Group{Number: k + 1, Ships: 10 + rng.IntN(40), Tech: t, Planet: home.Number, From: home.Number}
			switch k % 4 {
			case 0:
				gr.Design = "Gun"
			case 1:
				dest := g.Planets[rng.IntN(len(g.Planets))]
				gr.Design, gr.Cargo, gr.Load, gr.Tech.Weapons, gr.Tech.Shields = "Col", game.COL, 1, 0, 0
				fly(g, gr, home, dest, rng)
			case 2:
				dest := g.Planets[rng.IntN(len(g.Planets))]
				gr.Design, gr.Tech.Weapons, gr.Tech.Shields, gr.Tech.Cargo = "Drone", 0, 0, 0
				fly(g, gr, home, dest, rng)
			case 3:
				gr.Design, gr.Planet, gr.From = "Gun", next.Number, next.Number
			}
			if gr.Design == "Gun" {
				gr.Tech.Cargo = 0
			}
			r.Groups = append(r.Groups, gr)
		}
	}
	return g, g.Check()
}

// fly puts gr somewhere between from and to, on its way to to.
func fly(g *game.Game, gr *game.Group, from, to *game.Planet, rng *rand.Rand) {
	if from == to {
		return
	}
	gr.From, gr.Planet = from.Number, to.Number
	gr.Dist = game.Distance(from, to) * (0.2 + 0.7*rng.Float64())
}
