package game

import (
	"math/rand/v2"
	"slices"
)

// Generate generates turn n, which must be the next turn (Turn+1), in GalaxyNG's phase
// order (process.c's runTurn):
//
//  1. the orders of the open turn, phase 1 then phase 2, race by race in this turn's
//     race order (a random order each turn, as GalaxyNG's player list);
//  2. identical groups merge; battles; bombing;
//  3. routes load and send cargo ships; empty fleets disband; interceptors pick their
//     targets; everything in hyperspace moves;
//  4. groups merge; battles; bombing (of and by the ships that arrived);
//  5. production (ships, CAP, MAT, then research) and population growth;
//  6. cargo is unloaded; groups merge; empty fleets disband; groups are renumbered;
//  7. races without planets and ships are out; the game may be won.
//
// When Turn already equals n it does nothing and reports false, so a retried call never
// generates twice. Errors are Conflict — naming the current turn — when n is neither Turn
// nor Turn+1, or when the game has finished and n is past its last turn. The turn's
// random draws come from Seed and n only.
func (g *Game) Generate(n int) (bool, error) {
	switch {
	case n == g.Turn:
		return false, nil
	case g.Finished:
		return false, errorf(Conflict, "the game finished at turn %d; cannot generate turn %d", g.Turn, n)
	case n != g.Turn+1:
		return false, errorf(Conflict, "cannot generate turn %d: the current turn is %d", n, g.Turn)
	}
	rng := turnRand(g.Seed, n)
	order := g.alive()
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	g.Battles, g.Bombings = nil, nil

	g.applyOrders(order)
	order = slices.DeleteFunc(order, func(r *Race) bool { return r.Extinct }) // it quit

	g.joinPhase()
	g.fightPhase(1, order, rng)
	g.bombPhase(order)
	g.loadPhase()
	g.fleetPhase()
	g.interceptPhase(order)
	g.movePhase()
	g.joinPhase()
	g.fightPhase(2, order, rng)
	g.bombPhase(order)
	g.producePhase()
	g.unloadPhase(order)
	g.joinPhase()
	g.fleetPhase()
	g.sortPhase()
	for _, r := range g.Races {
		r.claims = nil
	}

	g.pruneMessages()
	g.Turn = n
	g.eliminate(n)
	g.decideVictory()
	return true, nil
}

// turnRand is the random source of turn n: a function of the game's seed and n alone,
// so that the same state, orders and seed always give the same next turn.
func turnRand(seed uint64, n int) *rand.Rand {
	return rand.New(rand.NewPCG(seed^0x6a09e667f3bcc908, uint64(n)*0x9e3779b97f4a7c15+0xbb67ae8584caa73b))
}
