package http

import (
	"net/http"
	"strconv"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
)

// Paging bounds of the list routes.
const (
	DefaultListLimit = 100
	MaxListLimit     = orchestrator.MaxListLimit
)

// UserHeader carries the lobby user a player route acts for: a UUID the lobby vouches
// for (the lobby token authenticates the lobby, not the user).
const UserHeader = "X-Galaxy-User"

// pathUUID parses the path variable name as a UUID; a malformed one is EINVALID naming
// the variable (so a typo answers 400, not a misleading 404).
func pathUUID(r *http.Request, name string) (uuid.UUID, error) {
	id, err := uuid.Parse(mux.Vars(r)[name])
	if err != nil {
		return uuid.Nil, &orchestrator.Error{Code: orchestrator.EINVALID, Field: name, Message: name + " must be a UUID"}
	}
	return id, nil
}

// pathVersion returns the {version} path variable once it is a strict semver.
func pathVersion(r *http.Request) (string, error) {
	v := mux.Vars(r)["version"]
	if _, err := orchestrator.ParseVersion(v); err != nil {
		return "", err // EINVALID naming "version"
	}
	return v, nil
}

// userID returns the X-Galaxy-User header as a non-zero UUID.
func userID(r *http.Request) (uuid.UUID, error) {
	h := r.Header.Get(UserHeader)
	if h == "" {
		return uuid.Nil, &orchestrator.Error{Code: orchestrator.EINVALID, Field: UserHeader, Message: "the " + UserHeader + " header (the lobby user's UUID) is required"}
	}
	id, err := uuid.Parse(h)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, &orchestrator.Error{Code: orchestrator.EINVALID, Field: UserHeader, Message: "the " + UserHeader + " header must be a non-zero UUID"}
	}
	return id, nil
}

// queryInt parses an optional non-negative integer query parameter no larger than max.
func queryInt(r *http.Request, name string, def, max int) (int, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > max {
		return 0, &orchestrator.Error{Code: orchestrator.EINVALID, Field: name, Message: name + " must be an integer between 0 and " + strconv.Itoa(max)}
	}
	return n, nil
}

// queryLimit parses ?limit=, 1..MaxListLimit, DefaultListLimit when absent.
func queryLimit(r *http.Request) (int, error) {
	n, err := queryInt(r, "limit", DefaultListLimit, MaxListLimit)
	if err == nil && n == 0 {
		n = DefaultListLimit
	}
	return n, err
}
