package engine

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnreachable is wrapped by every Client error for which no HTTP answer arrived:
// a refused or failed dial, a timeout, a reset connection, a cancelled context. The
// cause is wrapped as well, so errors.Is(err, context.DeadlineExceeded) still works.
// A retry may succeed; the engine may or may not have acted on the request.
var ErrUnreachable = errors.New("engine unreachable")

// ErrNotSupported is wrapped (together with the engine's *Error) by the errors of
// Client methods whose route the engine does not have: an older or third-party engine
// answering 405, or 404 with any code but CodeNotInitialised. The orchestrator turns
// it into "this engine version has no archive features" rather than a failure.
var ErrNotSupported = errors.New("engine does not support this route")

// IsNotSupported reports whether err says the engine lacks the route called.
func IsNotSupported(err error) bool { return errors.Is(err, ErrNotSupported) }

// Error is an error answer from an engine: any non-2xx status. StatusCode is the HTTP
// status; Code, Message and Details come from the ErrorBody when the engine sent one
// (Code is "http_<status>" and Message a short excerpt of the body otherwise).
// Error() never contains the admin token: the token is not part of any answer.
type Error struct {
	StatusCode int
	Code       string
	Message    string
	Details    []FieldError
}

// Error renders "engine: <status> <code>: <message>" followed by the details, if any.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "engine: %d %s: %s", e.StatusCode, e.Code, e.Message)
	for i, d := range e.Details {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString("; ")
		}
		if d.Index >= 0 {
			fmt.Fprintf(&b, "#%d ", d.Index)
		}
		if d.Field != "" {
			fmt.Fprintf(&b, "%s: ", d.Field)
		}
		b.WriteString(d.Message)
		if i == len(e.Details)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// IsStatus reports whether err is (or wraps) an *Error with the given HTTP status.
// It is false for nil and for ErrUnreachable errors.
func IsStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}

// Error codes the reference engine puts in ErrorDetail.Code. Other engines may use
// other codes; clients should branch on the HTTP status first.
const (
	CodeInvalid      = "invalid"      // 400: the request or some orders are invalid
	CodeBadJSON      = "bad_json"     // 400: the body is not the expected JSON
	CodeUnauthorized = "unauthorized" // 401: missing or wrong admin token
	CodeForbidden    = "forbidden"    // 403: the actor is not a race of this game
	CodeNotFound     = "not_found"    // 404: no such route
	CodeNotAllowed   = "not_allowed"  // 405: wrong method for the route
	CodeConflict     = "conflict"     // 409: wrong turn, already initialised, finished
	CodeTooLarge     = "too_large"    // 413: body over MaxBodyBytes (MaxRestoreBytes for restore)
	CodeInternal     = "internal"     // 500: the engine failed (e.g. cannot write state)

	// CodeNotInitialised is the 404 of every game route before admin/init or
	// admin/restore: the route exists, the game does not. (Reference engines before
	// snapshot/restore answered CodeNotFound here.)
	CodeNotInitialised = "not_initialised"
	// CodeNoReport is the 404 of GET /api/v1/report for a turn without a report: not
	// generated yet, negative, or no longer held by this engine.
	CodeNoReport = "no_report"
)
