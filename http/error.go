package http

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// statuses is the one table from the domain's error codes to HTTP statuses. A code
// missing here is a bug and is answered like EINTERNAL.
var statuses = map[string]int{
	orchestrator.EINVALID:           http.StatusBadRequest,
	orchestrator.ENOTFOUND:          http.StatusNotFound,
	orchestrator.ECONFLICT:          http.StatusConflict,
	orchestrator.EUNAUTHORIZED:      http.StatusUnauthorized,
	orchestrator.EFORBIDDEN:         http.StatusForbidden,
	orchestrator.ETOOLARGE:          http.StatusRequestEntityTooLarge,
	orchestrator.EMEDIATYPE:         http.StatusUnsupportedMediaType,
	orchestrator.EOVERLOADED:        http.StatusTooManyRequests,
	orchestrator.EUNAVAILABLE:       http.StatusServiceUnavailable,
	orchestrator.ESTORAGE:           http.StatusServiceUnavailable,
	orchestrator.EGAMEPAUSED:        http.StatusConflict,
	orchestrator.ETURNCLOSED:        http.StatusConflict,
	orchestrator.EGAMENOTRUNNING:    http.StatusConflict,
	orchestrator.EGAMEFINISHED:      http.StatusConflict,
	orchestrator.EENGINE:            http.StatusBadGateway,
	orchestrator.EENGINEUNREACHABLE: http.StatusGatewayTimeout,
	orchestrator.EINTERNAL:          http.StatusInternalServerError,
}

// RetryAfterSeconds is the Retry-After sent with 429 (overloaded), 503 (unavailable:
// e.g. the game's engine is restarting) and 504 (the engine did not answer): long
// enough for a queue to drain or an engine to come back, short enough for a player.
const RetryAfterSeconds = 5

// ErrorStatus returns the HTTP status for a domain error code; unknown codes are 500.
func ErrorStatus(code string) int {
	if st, ok := statuses[code]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// ErrorResponse is the body of every error answer: {"error":{...}}.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody carries the domain error's code, a message for people, the request field
// at fault (a JSON path such as "players[0].userId", a query parameter or a header
// name) and per-item details.
type ErrorBody struct {
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Field   string                `json:"field,omitempty"`
	Details []orchestrator.Detail `json:"details,omitempty"`
}

// Error writes err as an error response. Internal errors (anything that is not an
// *orchestrator.Error, or has code EINTERNAL) are answered with "internal error"; the
// real error goes to the log only, with the request ID to find it.
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	body := ErrorBody{Code: orchestrator.ErrorCode(err), Message: orchestrator.ErrorMessage(err)}
	var e *orchestrator.Error
	if errors.As(err, &e) {
		body.Field, body.Details = e.Field, e.Details
	}
	switch {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away; nobody reads the answer, and it is not a server fault.
		s.requestLogger(r).Debug("request canceled by the client")
		body = ErrorBody{Code: orchestrator.EUNAVAILABLE, Message: "request canceled"}
	case errors.Is(err, context.DeadlineExceeded) && body.Code == orchestrator.EINTERNAL:
		s.requestLogger(r).Warn("request timed out", "error", err)
		body = ErrorBody{Code: orchestrator.EUNAVAILABLE, Message: "the request timed out; retry later"}
	}
	status := ErrorStatus(body.Code)
	if status == http.StatusInternalServerError {
		s.requestLogger(r).Error("internal error", "error", err)
		body = ErrorBody{Code: orchestrator.EINTERNAL, Message: "internal error"}
	}
	switch status {
	case http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	}
	writeJSON(w, status, ErrorResponse{Error: body})
}

// handleNotFound answers unknown paths in the API's error shape.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, orchestrator.Errorf(orchestrator.ENOTFOUND, "no route for %s %s", r.Method, r.URL.Path))
}

// handleMethodNotAllowed answers a known path with a wrong method: 405, code invalid
// (the domain has no code of its own for it).
func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{Error: ErrorBody{
		Code: orchestrator.EINVALID, Message: "method " + r.Method + " is not allowed on " + r.URL.Path,
	}})
}
