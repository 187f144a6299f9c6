package game

// Generate generates turn n, which must be the next turn (Turn+1): it applies the
// orders of the open turn, runs production and population growth, advances Turn and
// finishes the game when MaxTurns is reached. When Turn already equals n it does
// nothing and reports false, so a retried call never generates twice. Errors are
// Conflict — naming the current turn — when n is neither Turn nor Turn+1, or when the
// game has finished and n is past its last turn.
func (g *Game) Generate(n int) (bool, error) {
	switch {
	case n == g.Turn:
		return false, nil
	case g.Finished:
		return false, errorf(Conflict, "the game finished at turn %d; cannot generate turn %d", g.Turn, n)
	case n != g.Turn+1:
		return false, errorf(Conflict, "cannot generate turn %d: the current turn is %d", n, g.Turn)
	}
	g.applyOrders()
	g.producePhase()
	g.pruneMessages()
	g.Turn = n
	if g.MaxTurns > 0 && g.Turn >= g.MaxTurns {
		g.Finished = true
	}
	return true, nil
}
