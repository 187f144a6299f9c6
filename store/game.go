package store

import (
	"bytes"
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// Game implements orchestrator.Tx. Errors: ENOTFOUND.
func (t *tx) Game(id uuid.UUID) (*orchestrator.Game, error) {
	var g orchestrator.Game
	if ok, err := get(t.bucket(bucketGames), id[:], &g, "game "+id.String()); err != nil {
		return nil, err
	} else if !ok {
		return nil, notFound("game %s", id)
	}
	return &g, nil
}

// Games implements orchestrator.Tx: up to limit games (limit <= 0 = all) whose ID sorts
// strictly after `after`, in ID (byte) order. Pass the last ID of a page to get the next.
func (t *tx) Games(after uuid.UUID, limit int) ([]*orchestrator.Game, error) {
	var games []*orchestrator.Game
	c := t.bucket(bucketGames).Cursor()
	for k, v := c.Seek(after[:]); k != nil; k, v = c.Next() {
		if bytes.Equal(k, after[:]) {
			continue // the cursor is exclusive
		}
		var g orchestrator.Game
		if err := decode(v, &g, fmt.Sprintf("game %x", k)); err != nil {
			return nil, err
		}
		games = append(games, &g)
		if limit > 0 && len(games) == limit {
			break
		}
	}
	return games, nil
}

// PutGame implements orchestrator.Tx: it creates or replaces the game. It refuses a nil
// game or a zero ID.
func (t *tx) PutGame(g *orchestrator.Game) error {
	if err := t.writable("put game"); err != nil {
		return err
	} else if g == nil {
		return errInvalid("put game: nil game")
	} else if g.ID == uuid.Nil {
		return errInvalid("put game: zero id")
	}
	return put(t.bucket(bucketGames), idKey(g.ID), g, "game "+g.ID.String())
}
