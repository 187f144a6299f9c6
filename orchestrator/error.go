// Package orchestrator is the domain of the Galaxy orchestrator: games, their runtime
// records, the operation log, the engine-version registry, coded errors, the interfaces
// of every dependency (Store, Driver, Discovery, EngineConnector, Notifier) and the
// services built only on those interfaces.
package orchestrator

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one HTTP status in http/error.go; the codes are part of
// the public API and never change meaning.
const (
	EINVALID           = "invalid"                // bad input; Field names the culprit
	ENOTFOUND          = "not_found"              // no such game, operation or version
	ECONFLICT          = "conflict"               // the request contradicts the current state
	EUNAUTHORIZED      = "unauthorized"           // missing or wrong bearer token
	EFORBIDDEN         = "forbidden"              // authenticated but not allowed (e.g. not a player)
	ETOOLARGE          = "too_large"              // request body over the limit
	EMEDIATYPE         = "unsupported_media_type" // a request body that is not JSON
	EOVERLOADED        = "overloaded"             // the worker queue is full; retry later
	EUNAVAILABLE       = "unavailable"            // a dependency (driver, engine) cannot serve now
	EGAMEPAUSED        = "game_paused"            // orders refused: the game is paused
	ETURNCLOSED        = "turn_already_closed"    // orders refused: a turn is being generated (or failed)
	EGAMENOTRUNNING    = "game_not_running"       // player calls refused: the game is not started, stopped or failed to start
	EGAMEFINISHED      = "game_finished"          // the game has finished: no more orders or turns
	EENGINE            = "engine_error"           // the engine answered with an error
	EENGINEUNREACHABLE = "engine_unreachable"     // the engine did not answer
	ESTORAGE           = "storage_unavailable"    // the store cannot write (disk full, I/O error); retry later
	EINTERNAL          = "internal"               // a bug or an I/O failure; details are logged only
)

// Error is the one error type of the domain. Code is machine-readable (one of the E*
// constants), Message is for people and never holds secrets or internals. Field, when
// set, names the request field at fault (JSON path such as "schedule.cron"). Details
// carries per-item problems, e.g. one per rejected order.
type Error struct {
	Code    string
	Message string
	Field   string
	Details []Detail
}

// Detail is one per-item problem inside an Error.
type Detail struct {
	Index   int    `json:"index"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an EINVALID *Error naming field.
func FieldErrorf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the message of the first *Error in err's chain, and a generic
// text for any other error so that internals never reach a client.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
