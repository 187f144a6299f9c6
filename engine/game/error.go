package game

import (
	"fmt"

	"github.com/galaxy-orchestrator/galaxy/engine"
)

// Kind classifies a rules error so that the HTTP layer can choose a status without
// parsing messages.
type Kind int

// The kinds of Error. The zero Kind is Invalid.
const (
	Invalid   Kind = iota // the input breaks a rule (HTTP 400)
	Forbidden             // the actor is not a race of the game (HTTP 403)
	NotFound              // the thing asked for does not exist (HTTP 404)
	Conflict              // the input is fine but not now: wrong turn, finished (HTTP 409)
)

// Error is every error the rules return. Details lists per-item problems (one per
// rejected order, or per rejected race at creation).
type Error struct {
	Kind    Kind
	Message string
	Details []engine.FieldError
}

// Error returns the message; the details are for machines.
func (e *Error) Error() string { return e.Message }

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}
