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

// DeleteGame implements orchestrator.Tx. It removes everything keyed by the game so
// nothing dangles: the game, its runtime, its secret, its operations (rows, game_ops
// index and pending entries). It keeps the game's outbox events (the lobby must still
// hear that the game was removed) and the idempotency keys that created it (a replayed
// create must not mint a second game). Everything is removed even when the game row
// itself is missing, and then ENOTFOUND is returned; inside Update the caller may ignore
// it and still commit the clean-up.
func (t *tx) DeleteGame(id uuid.UUID) error {
	if err := t.writable("delete game"); err != nil {
		return err
	}
	key := id[:]
	found := t.bucket(bucketGames).Get(key) != nil
	if err := del(t.bucket(bucketGames), key, "game "+id.String()); err != nil {
		return err
	}
	if err := del(t.bucket(bucketRuntimes), key, "runtime of game "+id.String()); err != nil {
		return err
	}
	if err := del(t.bucket(bucketSecrets), key, "secret of game "+id.String()); err != nil {
		return err
	}
	if err := t.deleteGameOperations(id); err != nil {
		return err
	}
	if !found {
		return notFound("game %s", id)
	}
	return nil
}
