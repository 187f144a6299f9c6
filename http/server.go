// Package http serves the orchestrator's HTTP API (DESIGN §7): the lobby's and the
// operators' routes under /api/v1, bearer-token auth, one table that maps the domain's
// error codes to statuses, strict JSON decoding, health and readiness probes, the
// optional Prometheus handler and the API's own OpenAPI document.
//
// The package only adapts HTTP to the orchestrator's service interfaces; it holds no
// state of its own besides the listener.
package http

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/gorilla/mux"
	"github.com/hashicorp/go-hclog"
)

// Limits and timeouts of the HTTP server. They bound what one client can hold: a slow
// client cannot keep a connection forever and a large body cannot exhaust memory.
const (
	// MaxBodyBytes is the largest request body accepted; larger bodies get 413.
	MaxBodyBytes = 1 << 20
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes = 64 << 10

	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	// DefaultWriteTimeout leaves room for a player call that waits on an engine
	// (the service bounds one engine call at 30 s by default).
	DefaultWriteTimeout    = 60 * time.Second
	DefaultIdleTimeout     = 120 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// Config is what NewServer needs. Every field is also a field of Server (Config is
// embedded), so a caller may equally set them on the Server before Open.
type Config struct {
	// Addr is the listen address, e.g. ":8080" or "127.0.0.1:0" (a free port; URL
	// reports the one bound).
	Addr string
	// TLSCertFile and TLSKeyFile enable HTTPS when both are set.
	TLSCertFile string
	TLSKeyFile  string

	// LobbyToken and AdminToken are the bearer tokens of the two callers; an empty
	// token is not configured and matches nothing. When both are empty, auth is off:
	// the daemon decides when that is allowed (dev mode), the server obeys.
	LobbyToken string
	AdminToken string

	// LoopbackOnly refuses (403) requests whose Host is not a loopback name or address:
	// galaxyd -dev sets it, against DNS rebinding.
	LoopbackOnly bool
	// AllowedOrigins lists browser origins ("https://console.example") allowed besides
	// galaxyd's own; requests with any other Origin are refused (403).
	AllowedOrigins []string

	// Logger receives request and error logs; NewServer names it "http". Tokens and
	// Authorization headers are never logged.
	Logger hclog.Logger

	GameService          orchestrator.GameService
	PlayerService        orchestrator.PlayerService
	EngineVersionService orchestrator.EngineVersionService
	// ReconcileService backs /api/v1/reconcile (admin); nil answers 503.
	ReconcileService orchestrator.ReconcileService

	// ViewService, when set, backs the console's reads: /games/{id}/turns (lobby) and
	// /games/{id}/state (admin). Nil answers 404.
	ViewService orchestrator.ViewService

	// ArchiveService, when set, backs rollback, transfer, export and import (admin);
	// nil answers 503 (no archive configured).
	ArchiveService orchestrator.ArchiveService

	// NodeService, when set, backs /api/v1/nodes (admin): the cluster's nodes and
	// their drains. Nil answers 503 (a driver without nodes).
	NodeService orchestrator.NodeService

	// EventFeed, when set, backs GET /api/v1/events (the live event stream); nil
	// answers 404.
	EventFeed orchestrator.EventFeed

	// Backup, when set, backs GET /api/v1/admin/backup (admin): it streams a consistent
	// copy of the store to w. Nil answers 404.
	Backup func(ctx context.Context, w io.Writer) (int64, error)

	// Ready backs /readyz: nil error means ready (200), any error 503. A nil Ready
	// means always ready.
	Ready func(ctx context.Context) error
	// Metrics, when set, is mounted at /metrics (admin token required when one is
	// configured).
	Metrics http.Handler

	// ShutdownTimeout bounds Close's graceful shutdown (default 10 s); requests still
	// running after it are cut.
	ShutdownTimeout time.Duration
}

// Server is the orchestrator's HTTP API server.
type Server struct {
	Config

	router *mux.Router
	server *http.Server
	ln     net.Listener
	tls    bool
	done   chan struct{} // closed when the serve goroutine returns
	once   sync.Once
}

// NewServer returns a server with its routes registered; it does not listen until
// Open. Services are looked up on every request, so they may be set after NewServer.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	cfg.Logger = cfg.Logger.Named("http")
	s := &Server{Config: cfg, router: mux.NewRouter()}
	s.routes()
	return s
}

// Handler returns the server's complete handler (middleware and routes). Open serves
// it; tests may call it directly.
func (s *Server) Handler() http.Handler {
	return s.withRequest(s.guard(s.recoverPanics(s.router)))
}

// Open listens on Addr and serves in the background. It returns once the listener is
// bound, so URL is valid and requests are accepted when Open returns nil.
func (s *Server) Open() error {
	if s.ln != nil {
		return errors.New("http: server already open")
	}
	if (s.TLSCertFile == "") != (s.TLSKeyFile == "") {
		return errors.New("http: TLS needs both a certificate and a key file")
	}
	var tlsConfig *tls.Config
	if s.TLSCertFile != "" {
		// Load the pair now, so a bad file fails Open instead of every handshake.
		cert, err := tls.LoadX509KeyPair(s.TLSCertFile, s.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("http: load TLS key pair: %w", err)
		}
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("http: listen: %w", err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
		s.tls = true
	}
	s.ln = ln
	s.server = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		WriteTimeout:      DefaultWriteTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          s.Logger.StandardLogger(&hclog.StandardLoggerOptions{InferLevels: true}),
	}
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("serve failed", "error", err)
		}
	}()
	s.Logger.Info("listening", "url", s.URL(), "auth", s.authEnabled())
	return nil
}

// URL returns the base URL of the bound listener ("http://127.0.0.1:41234"), or ""
// before Open. An unspecified host (":8080") is reported as 127.0.0.1 so the URL can
// be dialled.
func (s *Server) URL() string {
	if s.ln == nil {
		return ""
	}
	addr, ok := s.ln.Addr().(*net.TCPAddr)
	if !ok {
		return ""
	}
	host := addr.IP.String()
	if addr.IP == nil || addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	scheme := "http"
	if s.tls {
		scheme = "https"
	}
	return (&url.URL{Scheme: scheme, Host: net.JoinHostPort(host, fmt.Sprint(addr.Port))}).String()
}

// Close stops accepting connections and waits for running requests up to
// ShutdownTimeout, then cuts the rest. It is safe to call more than once and before
// Open.
func (s *Server) Close() error {
	if s.server == nil {
		return nil
	}
	var err error
	s.once.Do(func() {
		timeout := s.ShutdownTimeout
		if timeout <= 0 {
			timeout = DefaultShutdownTimeout
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err = s.server.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			s.Logger.Warn("graceful shutdown timed out; closing connections", "timeout", timeout)
			err = s.server.Close()
		}
		<-s.done
	})
	return err
}

// routes registers every route. Each handler is wrapped by its auth level; the list
// is mirrored by openapi.yaml (a test checks that every route here appears there).
func (s *Server) routes() {
	r := s.router
	r.NotFoundHandler = http.HandlerFunc(s.handleNotFound)
	r.MethodNotAllowedHandler = http.HandlerFunc(s.handleMethodNotAllowed)

	r.HandleFunc("/healthz", s.handleHealthz).Methods("GET", "HEAD")
	r.HandleFunc("/readyz", s.handleReadyz).Methods("GET", "HEAD")
	r.HandleFunc("/api/v1/openapi.yaml", s.handleOpenAPI).Methods("GET")
	r.Handle("/metrics", s.metrics(http.HandlerFunc(s.handleMetrics))).Methods("GET")
	s.uiRoutes(r) // the web console at /ui/; / and /ui redirect to it

	// Full paths on the root router rather than a /api/v1 subrouter: mux answers a
	// method mismatch inside a subrouter with 404 instead of 405.
	api := apiRouter{r}

	api.Handle("/games", s.lobby(s.handleCreateGame)).Methods("POST")
	api.Handle("/games", s.lobby(s.handleListGames)).Methods("GET")
	api.Handle("/games/{id}", s.lobby(s.handleGetGame)).Methods("GET")
	api.Handle("/games/{id}", s.admin(s.handleRemoveGame)).Methods("DELETE")
	api.Handle("/games/{id}/start", s.lobby(s.handleStart)).Methods("POST")
	api.Handle("/games/{id}/stop", s.lobby(s.handleStop)).Methods("POST")
	api.Handle("/games/{id}/pause", s.lobby(s.handlePause)).Methods("POST")
	api.Handle("/games/{id}/resume", s.lobby(s.handleResume)).Methods("POST")
	api.Handle("/games/{id}/restart", s.admin(s.handleRestart)).Methods("POST")
	api.Handle("/games/{id}/sleep", s.admin(s.handleSleep)).Methods("POST")
	api.Handle("/games/{id}/wake", s.admin(s.handleWake)).Methods("POST")
	api.Handle("/games/{id}/force-next-turn", s.admin(s.handleForceNextTurn)).Methods("POST")
	api.Handle("/games/{id}/patch", s.admin(s.handlePatch)).Methods("POST")
	api.Handle("/games/{id}/operations", s.admin(s.handleListOperations)).Methods("GET")
	api.Handle("/games/{id}/rollback", s.admin(s.handleRollback)).Methods("POST")
	api.Handle("/games/{id}/transfer", s.admin(s.handleTransfer)).Methods("POST")
	api.Handle("/games/{id}/export", s.admin(s.handleExport)).Methods("GET")
	api.Handle("/games/import", s.admin(s.handleImport)).Methods("POST")
	api.Handle("/operations/{operationId}", s.admin(s.handleGetOperation)).Methods("GET")

	api.Handle("/games/{id}/orders", s.lobby(s.handleSubmitOrders)).Methods("POST")
	api.Handle("/games/{id}/commands", s.lobby(s.handleCommand)).Methods("POST")
	api.Handle("/games/{id}/report", s.lobby(s.handleReport)).Methods("GET")
	api.Handle("/games/{id}/turns", s.lobby(s.handleTurnFigures)).Methods("GET")
	api.Handle("/games/{id}/state", s.admin(s.handleEngineState)).Methods("GET")

	api.Handle("/admin/backup", s.admin(s.handleBackup)).Methods("GET")
	api.Handle("/nodes", s.admin(s.handleListNodes)).Methods("GET")
	api.Handle("/nodes/{node}/drain", s.admin(s.handleDrainNode)).Methods("POST")
	api.Handle("/events", s.lobby(s.handleEvents)).Methods("GET")
	api.Handle("/reconcile", s.admin(s.handleGetReconcile)).Methods("GET")
	api.Handle("/reconcile", s.admin(s.handleRunReconcile)).Methods("POST")

	api.Handle("/engine-versions", s.admin(s.handleListVersions)).Methods("GET")
	api.Handle("/engine-versions", s.admin(s.handleCreateVersion)).Methods("POST")
	api.Handle("/engine-versions/{version}", s.admin(s.handleGetVersion)).Methods("GET")
	api.Handle("/engine-versions/{version}", s.admin(s.handlePutVersion)).Methods("PUT")
	api.Handle("/engine-versions/{version}", s.admin(s.handleDeleteVersion)).Methods("DELETE")
}

// apiRouter registers routes under /api/v1.
type apiRouter struct{ r *mux.Router }

func (a apiRouter) Handle(path string, h http.Handler) *mux.Route {
	return a.r.Handle("/api/v1"+path, h)
}

// Routes lists the registered routes as "METHOD /path/{template}", for the test that
// checks the OpenAPI document covers them all.
func (s *Server) Routes() []string {
	var out []string
	_ = s.router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err1 := route.GetPathTemplate()
		methods, err2 := route.GetMethods()
		if err1 != nil || err2 != nil {
			return nil // prefix-only routes (the /api/v1 subrouter) carry no method
		}
		for _, m := range methods {
			out = append(out, m+" "+path)
		}
		return nil
	})
	return out
}
