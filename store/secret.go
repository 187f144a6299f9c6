package store

import (
	"fmt"

	"github.com/google/uuid"
)

// GameSecret implements orchestrator.Tx: the game's engine admin token. It is kept in
// its own bucket as raw bytes so no JSON of a Game or Runtime can ever carry it.
// Errors: ENOTFOUND.
func (t *tx) GameSecret(gameID uuid.UUID) (string, error) {
	v := t.bucket(bucketSecrets).Get(gameID[:])
	if v == nil {
		return "", notFound("secret of game %s", gameID)
	}
	return string(v), nil // string() copies out of bbolt memory
}

// PutGameSecret implements orchestrator.Tx: it creates or replaces the game's token.
// It refuses a zero game ID or an empty token.
func (t *tx) PutGameSecret(gameID uuid.UUID, token string) error {
	if err := t.writable("put game secret"); err != nil {
		return err
	} else if gameID == uuid.Nil {
		return errInvalid("put game secret: zero game id")
	} else if token == "" {
		return errInvalid("put game secret: empty token for game %s", gameID)
	}
	if err := t.bucket(bucketSecrets).Put(idKey(gameID), []byte(token)); err != nil {
		return fmt.Errorf("store: put secret of game %s: %w", gameID, err)
	}
	return nil
}
