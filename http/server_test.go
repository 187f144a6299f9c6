package http_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/mock"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
	"github.com/hashicorp/go-hclog"
)

// Tokens the test servers are configured with.
const (
	LobbyToken = "lobby-token-3f9a"
	AdminToken = "admin-token-c71e"
)

// Server is a test wrapper around ghttp.Server with mock services and a log buffer.
type Server struct {
	*ghttp.Server
	GameService          mock.GameService
	PlayerService        mock.PlayerService
	EngineVersionService mock.EngineVersionService
	ReconcileService     mock.ReconcileService
	Log                  *SyncBuffer
}

// SyncBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// NewServer returns an unopened test server with both tokens configured, logging at
// trace level into s.Log.
func NewServer(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{Log: &SyncBuffer{}}
	s.Server = ghttp.NewServer(ghttp.Config{
		Addr:       "127.0.0.1:0",
		LobbyToken: LobbyToken,
		AdminToken: AdminToken,
		Logger:     hclog.New(&hclog.LoggerOptions{Output: s.Log, Level: hclog.Trace}),
	})
	s.Server.GameService = &s.GameService
	s.Server.PlayerService = &s.PlayerService
	s.Server.EngineVersionService = &s.EngineVersionService
	s.Server.ReconcileService = &s.ReconcileService
	return s
}

// MustOpenServer returns an open test server, closed at the end of the test.
func MustOpenServer(tb testing.TB) *Server {
	tb.Helper()
	s := NewServer(tb)
	MustOpen(tb, s)
	return s
}

// MustOpen opens s and registers its Close.
func MustOpen(tb testing.TB, s *Server) {
	tb.Helper()
	if err := s.Open(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
	})
}

// Request builds a request to the server with the given token ("" for none) and a
// body that is a string (sent as is) or any other value (sent as JSON).
func (s *Server) Request(tb testing.TB, method, path, token string, body any) *http.Request {
	tb.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.URL()+path, r)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

// MustDo sends req and returns the response with its body read.
func MustDo(tb testing.TB, req *http.Request) (*http.Response, []byte) {
	tb.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return resp, b
}

// Do sends method path as the admin, returning status and body.
func (s *Server) Do(tb testing.TB, method, path string, body any) (*http.Response, []byte) {
	tb.Helper()
	return MustDo(tb, s.Request(tb, method, path, AdminToken, body))
}

// MustUnmarshal decodes b into a new T.
func MustUnmarshal[T any](tb testing.TB, b []byte) T {
	tb.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// MustError decodes an error body and checks status, code and (if non-empty) field.
func MustError(tb testing.TB, resp *http.Response, body []byte, status int, code, field string) ghttp.ErrorBody {
	tb.Helper()
	if got, want := resp.StatusCode, status; got != want {
		tb.Fatalf("status: got %d, want %d (body %s)", got, want, body)
	}
	if got, want := resp.Header.Get("Content-Type"), "application/json"; got != want {
		tb.Errorf("content type: got %q, want %q", got, want)
	}
	e := MustUnmarshal[ghttp.ErrorResponse](tb, body).Error
	if got, want := e.Code, code; got != want {
		tb.Errorf("code: got %q, want %q (message %q)", got, want, e.Message)
	}
	if got, want := e.Field, field; field != "" && got != want {
		tb.Errorf("field: got %q, want %q (message %q)", got, want, e.Message)
	}
	if e.Message == "" {
		tb.Error("empty error message")
	}
	return e
}

// MustStatus fails unless resp has the wanted status.
func MustStatus(tb testing.TB, resp *http.Response, body []byte, status int) {
	tb.Helper()
	if got, want := resp.StatusCode, status; got != want {
		tb.Fatalf("status: got %d, want %d (body %s)", got, want, body)
	}
}

var (
	gameID = uuid.MustParse("0190f5d2-7a3b-7c4d-8e9f-a0b1c2d3e4f5")
	opID   = uuid.MustParse("0190f5d2-8000-7000-8000-000000000001")
	user1  = uuid.MustParse("11111111-1111-4111-8111-111111111111")
	user2  = uuid.MustParse("22222222-2222-4222-8222-222222222222")
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
)

func newGameView(id uuid.UUID) *orchestrator.GameView {
	return &orchestrator.GameView{
		Game: &orchestrator.Game{
			ID: id, EngineVersion: "1.2.3",
			Schedule: orchestrator.Schedule{Cron: "0 18 * * *", Timezone: "UTC"},
			Players: []orchestrator.Player{
				{UserID: user1, RaceName: "Zorg", EnginePlayerID: uuid.New()},
				{UserID: user2, RaceName: "Blip", EnginePlayerID: uuid.New()},
			},
			CreatedAt: now,
		},
		Runtime: &orchestrator.Runtime{GameID: id, Status: orchestrator.StatusCreated, UpdatedAt: now},
	}
}

func newOperation(gameID uuid.UUID, op orchestrator.Op, src orchestrator.Source) *orchestrator.Operation {
	return &orchestrator.Operation{ID: opID, GameID: gameID, Op: op, Source: src, Status: orchestrator.OpQueued, CreatedAt: now}
}

func TestServer_Open(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := NewServer(t)
		if got := s.URL(); got != "" {
			t.Fatalf("URL before Open: got %q, want empty", got)
		}
		MustOpen(t, s)
		if got := s.URL(); !strings.HasPrefix(got, "http://127.0.0.1:") || strings.HasSuffix(got, ":0") {
			t.Fatalf("URL: got %q, want http://127.0.0.1:<port>", got)
		}
		resp, body := MustDo(t, s.Request(t, "GET", "/healthz", "", nil))
		MustStatus(t, resp, body, http.StatusOK)
		if got, want := MustUnmarshal[ghttp.Status](t, body).Status, "ok"; got != want {
			t.Fatalf("status: got %q, want %q", got, want)
		}
	})
	t.Run("UnspecifiedHost", func(t *testing.T) {
		s := NewServer(t)
		s.Addr = ":0"
		MustOpen(t, s)
		if got := s.URL(); !strings.HasPrefix(got, "http://127.0.0.1:") {
			t.Fatalf("URL: got %q, want http://127.0.0.1:<port>", got)
		}
		resp, body := MustDo(t, s.Request(t, "GET", "/healthz", "", nil))
		MustStatus(t, resp, body, http.StatusOK)
	})
	t.Run("ErrAddrInUse", func(t *testing.T) {
		s := MustOpenServer(t)
		s2 := NewServer(t)
		s2.Addr = strings.TrimPrefix(s.URL(), "http://")
		if err := s2.Open(); err == nil {
			s2.Close()
			t.Fatal("Open on a used address: got nil error")
		}
	})
	t.Run("ErrTLSHalfConfigured", func(t *testing.T) {
		s := NewServer(t)
		s.TLSCertFile = "cert.pem"
		if err := s.Open(); err == nil {
			s.Close()
			t.Fatal("Open with a cert and no key: got nil error")
		}
	})
	t.Run("CloseTwice", func(t *testing.T) {
		s := NewServer(t)
		if err := s.Close(); err != nil {
			t.Fatalf("Close before Open: %v", err)
		}
		if err := s.Open(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := http.Get(s.URL() + "/healthz"); err == nil {
			t.Fatal("request after Close: got nil error")
		}
	})
}

func TestServer_TLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := MustWriteCert(t, dir)
	s := NewServer(t)
	s.TLSCertFile, s.TLSKeyFile = certFile, keyFile
	MustOpen(t, s)
	if got := s.URL(); !strings.HasPrefix(got, "https://127.0.0.1:") {
		t.Fatalf("URL: got %q, want https://127.0.0.1:<port>", got)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(s.URL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("status: got %d, want %d", got, want)
	}
}

// MustWriteCert writes a self-signed certificate for 127.0.0.1 into dir.
func MustWriteCert(tb testing.TB, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "galaxy test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestServer_RequestID(t *testing.T) {
	s := MustOpenServer(t)
	t.Run("Echoed", func(t *testing.T) {
		req := s.Request(t, "GET", "/healthz", "", nil)
		req.Header.Set("X-Request-Id", "lobby-req-42")
		resp, _ := MustDo(t, req)
		if got, want := resp.Header.Get("X-Request-Id"), "lobby-req-42"; got != want {
			t.Fatalf("X-Request-Id: got %q, want %q", got, want)
		}
	})
	t.Run("Minted", func(t *testing.T) {
		resp, _ := MustDo(t, s.Request(t, "GET", "/healthz", "", nil))
		if got := resp.Header.Get("X-Request-Id"); len(got) < 16 {
			t.Fatalf("X-Request-Id: got %q, want a minted ID", got)
		}
	})
	t.Run("Unsafe", func(t *testing.T) {
		req := s.Request(t, "GET", "/healthz", "", nil)
		req.Header.Set("X-Request-Id", "a b\"<script>")
		resp, _ := MustDo(t, req)
		if got := resp.Header.Get("X-Request-Id"); got == "a b\"<script>" || got == "" {
			t.Fatalf("X-Request-Id: got %q, want a minted ID", got)
		}
	})
	t.Run("Logged", func(t *testing.T) {
		s.GameService.GameFn = func(ctx context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
			return nil, errBoom
		}
		req := s.Request(t, "GET", "/api/v1/games/"+gameID.String(), AdminToken, nil)
		req.Header.Set("X-Request-Id", "trace-me-7")
		resp, body := MustDo(t, req)
		MustError(t, resp, body, http.StatusInternalServerError, "internal", "")
		if !strings.Contains(s.Log.String(), "request_id=trace-me-7") {
			t.Fatalf("log lacks the request id:\n%s", s.Log.String())
		}
	})
}

func TestServer_NotFound(t *testing.T) {
	s := MustOpenServer(t)
	t.Run("UnknownPath", func(t *testing.T) {
		resp, body := s.Do(t, "GET", "/api/v1/nope", nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
	t.Run("MethodNotAllowed", func(t *testing.T) {
		resp, body := s.Do(t, "PATCH", "/api/v1/games", nil)
		MustError(t, resp, body, http.StatusMethodNotAllowed, "invalid", "")
	})
}

func TestServer_Panic(t *testing.T) {
	s := MustOpenServer(t)
	s.GameService.GameFn = func(ctx context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
		panic("secret-panic-detail")
	}
	resp, body := s.Do(t, "GET", "/api/v1/games/"+gameID.String(), nil)
	e := MustError(t, resp, body, http.StatusInternalServerError, "internal", "")
	if got, want := e.Message, "internal error"; got != want {
		t.Fatalf("message: got %q, want %q", got, want)
	}
	if strings.Contains(string(body), "secret-panic-detail") {
		t.Fatalf("panic detail leaked: %s", body)
	}
	if !strings.Contains(s.Log.String(), "secret-panic-detail") {
		t.Fatalf("panic not logged:\n%s", s.Log.String())
	}
	// The server still serves.
	resp, body = MustDo(t, s.Request(t, "GET", "/healthz", "", nil))
	MustStatus(t, resp, body, http.StatusOK)
}

func TestServer_Readyz(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, body := MustDo(t, s.Request(t, "GET", "/readyz", "", nil))
		MustStatus(t, resp, body, http.StatusOK)
	})
	t.Run("ReadyNil", func(t *testing.T) {
		s := NewServer(t)
		s.Ready = func(ctx context.Context) error { return nil }
		MustOpen(t, s)
		resp, body := MustDo(t, s.Request(t, "GET", "/readyz", "", nil))
		MustStatus(t, resp, body, http.StatusOK)
	})
	t.Run("ErrNotReady", func(t *testing.T) {
		s := NewServer(t)
		s.Ready = func(ctx context.Context) error { return errBoom }
		MustOpen(t, s)
		resp, body := MustDo(t, s.Request(t, "GET", "/readyz", "", nil))
		e := MustError(t, resp, body, http.StatusServiceUnavailable, "unavailable", "")
		if strings.Contains(e.Message, errBoom.Error()) {
			t.Fatalf("internal reason leaked: %q", e.Message)
		}
	})
	t.Run("ErrCoded", func(t *testing.T) {
		s := NewServer(t)
		s.Ready = func(ctx context.Context) error {
			return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "store is opening")
		}
		MustOpen(t, s)
		resp, body := MustDo(t, s.Request(t, "GET", "/readyz", "", nil))
		e := MustError(t, resp, body, http.StatusServiceUnavailable, "unavailable", "")
		if !strings.Contains(e.Message, "store is opening") {
			t.Fatalf("message: got %q, want the reason", e.Message)
		}
	})
}

func TestServer_Metrics(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := NewServer(t)
		s.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "galaxy_up 1\n")
		})
		MustOpen(t, s)
		resp, body := s.Do(t, "GET", "/metrics", nil)
		MustStatus(t, resp, body, http.StatusOK)
		if got, want := string(body), "galaxy_up 1\n"; got != want {
			t.Fatalf("body: got %q, want %q", got, want)
		}
		resp, body = MustDo(t, s.Request(t, "GET", "/metrics", "", nil))
		MustError(t, resp, body, http.StatusUnauthorized, "unauthorized", "")
		resp, body = MustDo(t, s.Request(t, "GET", "/metrics", LobbyToken, nil))
		MustError(t, resp, body, http.StatusForbidden, "forbidden", "")
	})
	t.Run("ErrNotConfigured", func(t *testing.T) {
		s := MustOpenServer(t)
		resp, body := s.Do(t, "GET", "/metrics", nil)
		MustError(t, resp, body, http.StatusNotFound, "not_found", "")
	})
}

func TestServer_OpenAPI(t *testing.T) {
	s := MustOpenServer(t)
	resp, body := MustDo(t, s.Request(t, "GET", "/api/v1/openapi.yaml", "", nil))
	MustStatus(t, resp, body, http.StatusOK)
	if !bytes.Equal(body, ghttp.OpenAPI) {
		t.Fatal("body differs from the embedded document")
	}
	if got, want := resp.Header.Get("Content-Type"), "application/yaml"; got != want {
		t.Fatalf("content type: got %q, want %q", got, want)
	}
}

// TestServer_NoSecretsInLogs sends tokens in every way a client might and checks that
// none reaches the log.
func TestServer_NoSecretsInLogs(t *testing.T) {
	s := MustOpenServer(t)
	s.GameService.GameFn = func(ctx context.Context, id uuid.UUID) (*orchestrator.GameView, error) {
		return nil, errBoom
	}
	for _, token := range []string{AdminToken, LobbyToken, "wrong-token-zz"} {
		MustDo(t, s.Request(t, "GET", "/api/v1/games/"+gameID.String(), token, nil))
		MustDo(t, s.Request(t, "POST", "/api/v1/engine-versions", token, `{`))
	}
	log := s.Log.String()
	for _, secret := range []string{AdminToken, LobbyToken, "wrong-token-zz", "Bearer"} {
		if strings.Contains(log, secret) {
			t.Fatalf("log contains %q:\n%s", secret, log)
		}
	}
}
