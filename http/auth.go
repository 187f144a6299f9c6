package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// role is what a request's bearer token proves.
type role int

const (
	roleNone  role = iota // no token, or a token that matches nothing
	roleLobby             // the lobby token
	roleAdmin             // the admin token
)

type roleKey struct{}

// authEnabled reports whether any token is configured. With none, every route is
// open: the daemon only allows that in dev mode.
func (s *Server) authEnabled() bool { return s.LobbyToken != "" || s.AdminToken != "" }

// roleOf matches the request's bearer token against the configured tokens.
func (s *Server) roleOf(r *http.Request) role {
	token, ok := bearer(r.Header.Get("Authorization"))
	if !ok {
		return roleNone
	}
	// The admin token is checked first so that, were both tokens configured to the
	// same value, the caller gets the wider role rather than a confusing 403.
	if tokenEqual(token, s.AdminToken) {
		return roleAdmin
	}
	if tokenEqual(token, s.LobbyToken) {
		return roleLobby
	}
	return roleNone
}

// bearer extracts the token of an "Authorization: Bearer <token>" header; the scheme
// is case-insensitive (RFC 7235).
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// tokenEqual compares in constant time. Both sides are hashed first so that neither
// the comparison's duration nor an early length check reveals the configured token's
// length. An unconfigured (empty) token never matches.
func tokenEqual(given, want string) bool {
	if want == "" {
		return false
	}
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

// lobby wraps a route the lobby may call: the lobby token or the admin token.
func (s *Server) lobby(h http.HandlerFunc) http.Handler { return s.authorize(roleLobby, h) }

// admin wraps an operators' route: only the admin token.
func (s *Server) admin(h http.HandlerFunc) http.Handler { return s.authorize(roleAdmin, h) }

// authorize answers 401 for a missing or unknown token and 403 for a token whose role
// is too narrow, then runs h with the caller's role in the context.
func (s *Server) authorize(need role, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := need // auth off: every caller acts in the route's own role
		if s.authEnabled() {
			got = s.roleOf(r)
			switch {
			case got == roleNone:
				s.unauthorized(w, r)
				return
			case got < need:
				s.Error(w, r, orchestrator.Errorf(orchestrator.EFORBIDDEN, "this route needs the admin token"))
				return
			}
		}
		h(w, r.WithContext(context.WithValue(r.Context(), roleKey{}, got)))
	})
}

// metrics guards /metrics with the admin token when one is configured; Prometheus
// scrapers are configured with that token (bearer_token_file).
func (s *Server) metrics(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.AdminToken != "" && s.roleOf(r) != roleAdmin {
			if s.roleOf(r) == roleLobby {
				s.Error(w, r, orchestrator.Errorf(orchestrator.EFORBIDDEN, "this route needs the admin token"))
				return
			}
			s.unauthorized(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) unauthorized(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="galaxy"`)
	s.Error(w, r, orchestrator.Errorf(orchestrator.EUNAUTHORIZED, "a valid bearer token is required"))
}

// source is the operation source recorded for the caller: the admin token acts as
// "admin", the lobby token as "lobby". With auth off, the route's role decides.
func source(r *http.Request) orchestrator.Source {
	if got, _ := r.Context().Value(roleKey{}).(role); got == roleAdmin {
		return orchestrator.SourceAdmin
	}
	return orchestrator.SourceLobby
}
