package archive

import (
	"context"
	"encoding/json"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"gocloud.dev/blob"
)

// PutRecord implements orchestrator.Archive: the record is stored as given, replacing
// the last one atomically. Errors: EINVALID for a zero game ID or a record that is not
// JSON or is over MaxRecordBytes; EUNAVAILABLE when the backend fails.
func (a *Archive) PutRecord(ctx context.Context, gameID uuid.UUID, doc []byte) error {
	if err := checkRecord(gameID, doc); err != nil {
		return err
	}
	key := recordKey(gameID)
	if err := a.write(ctx, key, doc, &blob.WriterOptions{ContentType: "application/json"}); err != nil {
		return a.backendError("write", key, err)
	}
	return nil
}

// checkRecord refuses a zero game ID and a record PutRecord would not store.
func checkRecord(gameID uuid.UUID, doc []byte) error {
	if err := checkGame(gameID); err != nil {
		return err
	}
	switch {
	case len(doc) > MaxRecordBytes:
		return orchestrator.FieldErrorf("record", "the record is %d bytes, over the limit of %d", len(doc), MaxRecordBytes)
	case !json.Valid(doc):
		return orchestrator.FieldErrorf("record", "the record is not a JSON document")
	}
	return nil
}

// Record implements orchestrator.Archive. Errors: EINVALID for a zero game ID,
// ENOTFOUND, EUNAVAILABLE when the backend fails.
func (a *Archive) Record(ctx context.Context, gameID uuid.UUID) ([]byte, error) {
	if err := checkGame(gameID); err != nil {
		return nil, err
	}
	key := recordKey(gameID)
	doc, err := a.read(ctx, key, MaxRecordBytes)
	switch {
	case isNotFound(err):
		return nil, orchestrator.Errorf(orchestrator.ENOTFOUND, "the archive has no record of game %s", gameID)
	case err != nil:
		return nil, a.backendError("read", key, err)
	}
	return doc, nil
}
