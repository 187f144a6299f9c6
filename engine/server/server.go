package server

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/game"
)

// Server is the reference engine's http.Handler. One mutex serialises every change of
// the game and its write to state.json, so a turn, an orders submission and a command
// never interleave, and an answer is sent only once its change is on disk.
type Server struct {
	store  *Store
	logger *slog.Logger
	token  [sha256.Size]byte // hash of the admin token; compared in constant time
	auth   bool              // whether a token is required
	routes map[string]map[string]http.HandlerFunc

	mu    sync.Mutex
	game  *game.Game // nil before init
	saved []byte     // the JSON of game as last written; restored when a write fails
}

// New returns a Server over store, loading its state.json when there is one so that a
// restarted engine continues the same game. An unreadable or corrupt state.json is an
// error (the file is left untouched). adminToken, when non-empty, is required as a
// Bearer token on every route except /healthz and /api/v1/settings-schema. A nil logger discards logs.
func New(store *Store, adminToken string, logger *slog.Logger) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{store: store, logger: logger}
	if adminToken != "" {
		s.auth, s.token = true, sha256.Sum256([]byte(adminToken))
	}
	g, data, err := store.Load()
	switch {
	case errors.Is(err, ErrNoState):
	case err != nil:
		return nil, err
	default:
		s.game, s.saved = g, data
		// A crash between a rollback's write and its pruning leaves later turns behind.
		if err := store.PruneTurns(g.Turn); err != nil {
			logger.Warn("cannot remove the history of turns after the current one", "turn", g.Turn, "err", err)
		}
		if !store.HasTurn(g.Turn) {
			// A crash between the write of a turn and its record.
			if err := store.SaveTurn(g.Turn, data); err != nil {
				logger.Warn("cannot record the current turn", "turn", g.Turn, "err", err)
			}
		}
		logger.Info("state loaded", "game_id", g.ID, "turn", g.Turn, "finished", g.Finished)
	}
	s.routes = map[string]map[string]http.HandlerFunc{
		"/healthz":                {http.MethodGet: s.handleHealthz},
		"/api/v1/admin/init":      {http.MethodPost: s.handleInit},
		"/api/v1/admin/state":     {http.MethodGet: s.handleState},
		"/api/v1/admin/turn":      {http.MethodPost: s.handleTurn},
		"/api/v1/orders":          {http.MethodPost: s.handleOrders},
		"/api/v1/commands":        {http.MethodPost: s.handleCommands},
		"/api/v1/report":          {http.MethodGet: s.handleReport},
		"/api/v1/settings-schema": {http.MethodGet: s.handleSettingsSchema},
		"/api/v1/admin/snapshot":  {http.MethodGet: s.handleSnapshot},
		"/api/v1/admin/restore":   {http.MethodPost: s.handleRestore},
	}
	return s, nil
}

// openRoutes lists the routes that need no admin token: nothing there is secret or changes
// the game.
var openRoutes = map[string]bool{"/healthz": true, "/api/v1/settings-schema": true}

// ServeHTTP routes a request, answering 404 and 405 in the ErrorBody shape too, and
// enforces the admin token on every route but the open ones. A panic in a handler becomes a
// 500 rather than a dropped connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.Error("panic in handler", "path", r.URL.Path, "panic", fmt.Sprint(v))
			writeError(w, http.StatusInternalServerError, engine.CodeInternal, "internal error", nil)
		}
	}()
	methods, ok := s.routes[r.URL.Path]
	if !ok {
		writeError(w, http.StatusNotFound, engine.CodeNotFound, "no route "+r.URL.Path, nil)
		return
	}
	h, ok := methods[r.Method]
	if !ok {
		for m := range methods {
			w.Header().Set("Allow", m)
		}
		writeError(w, http.StatusMethodNotAllowed, engine.CodeNotAllowed, "method "+r.Method+" not allowed on "+r.URL.Path, nil)
		return
	}
	if !openRoutes[r.URL.Path] && !s.authorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="galaxy-engine"`)
		writeError(w, http.StatusUnauthorized, engine.CodeUnauthorized, "missing or wrong admin token", nil)
		return
	}
	h(w, r)
}

// authorized reports whether r carries the admin token (always true without one).
// Both sides are hashed first so the comparison takes the same time whatever the
// length of the presented token.
func (s *Server) authorized(r *http.Request) bool {
	if !s.auth {
		return true
	}
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}

// commit writes the mutated game to state.json. When the write fails the in-memory
// game is put back as last saved, so memory never runs ahead of the disk. The caller
// holds s.mu.
func (s *Server) commit() error {
	data, err := json.Marshal(s.game)
	if err == nil {
		err = s.store.Save(data)
	}
	if err != nil {
		s.rollback()
		s.logger.Error("cannot write state", "path", s.store.Path(), "err", err)
		return err
	}
	s.saved = data
	return nil
}

// rollback restores the game as last saved (nil when nothing was saved yet).
func (s *Server) rollback() {
	if s.saved == nil {
		s.game = nil
		return
	}
	g, err := decodeGame(s.saved)
	if err != nil { // cannot happen: s.saved was produced by json.Marshal of a checked game
		panic(err)
	}
	s.game = g
}

// randomSeed picks a seed for a game created without one: a JSON-safe integer, so
// that it round-trips through settings exactly.
func randomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return binary.LittleEndian.Uint64(b[:]) & (1<<53 - 1)
}
