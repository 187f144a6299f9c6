package store

import (
	"time"

	"github.com/google/uuid"
)

// MaxIdempotencyKeyLen bounds an Idempotency-Key. The HTTP layer should refuse longer
// ones first; the store refuses them too because bbolt keys are limited and a huge key
// is never a real client's.
const MaxIdempotencyKeyLen = 255

// idempotencyRecord is the value stored under an Idempotency-Key.
type idempotencyRecord struct {
	GameID      uuid.UUID `json:"gameId"`
	RequestHash string    `json:"requestHash"`
	CreatedAt   time.Time `json:"createdAt"`
}

// IdempotencyKey implements orchestrator.Tx. Errors: ENOTFOUND when the key is unused.
func (t *tx) IdempotencyKey(key string) (uuid.UUID, string, error) {
	var rec idempotencyRecord
	if key == "" {
		return uuid.Nil, "", notFound("idempotency key %q", key)
	}
	if ok, err := get(t.bucket(bucketIdempotency), []byte(key), &rec, "idempotency key"); err != nil {
		return uuid.Nil, "", err
	} else if !ok {
		// The key comes from a client header: quote it so it cannot forge log lines.
		return uuid.Nil, "", notFound("idempotency key %q", key)
	}
	return rec.GameID, rec.RequestHash, nil
}

// PutIdempotencyKey implements orchestrator.Tx: it records that key created gameID
// from a request hashing to requestHash, replacing any earlier record of the key. It
// refuses an empty or over-long key and a zero game ID. Keys are kept until the game is
// gone and beyond: there is no expiry yet.
func (t *tx) PutIdempotencyKey(key string, gameID uuid.UUID, requestHash string) error {
	if err := t.writable("put idempotency key"); err != nil {
		return err
	} else if key == "" {
		return errInvalid("put idempotency key: empty key")
	} else if len(key) > MaxIdempotencyKeyLen {
		return errInvalid("put idempotency key: key longer than %d bytes", MaxIdempotencyKeyLen)
	} else if gameID == uuid.Nil {
		return errInvalid("put idempotency key: zero game id")
	}
	rec := idempotencyRecord{GameID: gameID, RequestHash: requestHash, CreatedAt: time.Now().UTC()}
	return put(t.bucket(bucketIdempotency), []byte(key), &rec, "idempotency key")
}
