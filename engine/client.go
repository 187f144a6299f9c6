package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// DefaultTimeout bounds one Client call (dial, request, answer) unless WithTimeout
// says otherwise. Turn generation is the slowest call; the reference engine needs
// milliseconds even for 50 races, so a minute only catches a wedged engine.
const DefaultTimeout = 60 * time.Second

// maxAnswerBytes bounds what the client reads from one answer, so that a confused
// engine cannot exhaust the orchestrator's memory. Reports and states are far smaller.
const maxAnswerBytes = 32 << 20

// DefaultTransport is the keep-alive transport every Client shares unless given its
// own *http.Client: one connection pool for all engines, so that creating a Client per
// request (as the orchestrator does) costs no new TCP connection. An engine keeps up to
// 32 idle connections: with 4, the bursts of a few hundred player calls a second closed
// and redialled connections, which showed at p99. Engines are reached directly, never
// through an environment proxy.
var DefaultTransport = &http.Transport{
	Proxy: nil,
	DialContext: (&net.Dialer{
		Timeout:   5 * time.Second,
		KeepAlive: 30 * time.Second,
	}).DialContext,
	MaxIdleConns:          256,
	MaxIdleConnsPerHost:   32,
	IdleConnTimeout:       90 * time.Second,
	TLSHandshakeTimeout:   5 * time.Second,
	ResponseHeaderTimeout: 0, // turn generation may take a while; the per-call timeout bounds it
	ExpectContinueTimeout: time.Second,
}

// DefaultHTTPClient is the *http.Client used by clients built without WithHTTPClient.
// It has no overall Timeout: each call is bounded by its context and the Client's
// per-call timeout instead. It never follows redirects, so the Authorization header
// cannot travel to another host.
var DefaultHTTPClient = &http.Client{
	Transport:     DefaultTransport,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Client calls one engine over its HTTP contract (openapi.yaml). It is cheap to build
// and safe for concurrent use. Every method returns an *Error for a non-2xx answer and
// an error wrapping ErrUnreachable when no answer arrived.
type Client struct {
	base    string // base URL without trailing slash
	token   string // admin token; empty sends no Authorization header
	http    *http.Client
	timeout time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the Client send its requests through hc instead of
// DefaultHTTPClient. A nil hc keeps the default.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithTimeout bounds each call to d (in addition to the caller's context). Zero or a
// negative d leaves calls bounded by the context alone.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// NewClient returns a client for the engine at baseURL (for example
// "http://127.0.0.1:8080"), sending adminToken as a Bearer token on every route except
// /healthz. An empty adminToken sends no Authorization header.
func NewClient(baseURL, adminToken string, opts ...Option) *Client {
	c := &Client{
		base:    strings.TrimRight(baseURL, "/"),
		token:   adminToken,
		http:    DefaultHTTPClient,
		timeout: DefaultTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL returns the engine's base URL as the Client uses it (no trailing slash).
func (c *Client) BaseURL() string { return c.base }

// Healthz returns nil when GET /healthz answers 200.
func (c *Client) Healthz(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", nil, nil, false)
}

// Init creates the game (POST /api/v1/admin/init) and returns its initial state
// (turn 0). A 409 *Error means a game already exists — possibly another one: read
// State and compare its GameID.
func (c *Client) Init(ctx context.Context, req InitRequest) (*State, error) {
	var st State
	if err := c.do(ctx, http.MethodPost, "/api/v1/admin/init", req, &st, true); err != nil {
		return nil, err
	}
	return &st, nil
}

// State returns the game's current state (GET /api/v1/admin/state); a 404 *Error
// before init.
func (c *Client) State(ctx context.Context) (*State, error) {
	var st State
	if err := c.do(ctx, http.MethodGet, "/api/v1/admin/state", nil, &st, true); err != nil {
		return nil, err
	}
	return &st, nil
}

// Turn asks the engine to generate turn (POST /api/v1/admin/turn) and returns the
// state after it. If the engine is already at turn, it answers the state without
// generating anything, so a retried call is harmless. A 409 *Error names the current
// turn when turn is neither the current one nor the next, or when the game finished.
func (c *Client) Turn(ctx context.Context, turn int) (*State, error) {
	var st State
	if err := c.do(ctx, http.MethodPost, "/api/v1/admin/turn", TurnRequest{Turn: turn}, &st, true); err != nil {
		return nil, err
	}
	return &st, nil
}

// SubmitOrders replaces the actor's orders for the open turn (POST /api/v1/orders).
// Errors: 400 with one FieldError per rejected order, 403 for an unknown actor, 409
// when req.Turn is not the open turn.
func (c *Client) SubmitOrders(ctx context.Context, req OrdersRequest) (*OrdersResult, error) {
	if req.Orders == nil {
		req.Orders = []json.RawMessage{} // "no orders" is [], not null
	}
	var res OrdersResult
	if err := c.do(ctx, http.MethodPost, "/api/v1/orders", req, &res, true); err != nil {
		return nil, err
	}
	return &res, nil
}

// Command runs an immediate action for the actor (POST /api/v1/commands) and returns
// the engine's answer as is.
func (c *Client) Command(ctx context.Context, req CommandRequest) (json.RawMessage, error) {
	var out json.RawMessage
	if err := c.do(ctx, http.MethodPost, "/api/v1/commands", req, &out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// Report returns the actor's report of turn (GET /api/v1/report) as is; a 404 *Error
// for a turn that has no report (not generated yet, or never).
func (c *Client) Report(ctx context.Context, actor uuid.UUID, turn int) (json.RawMessage, error) {
	q := url.Values{"actor": {actor.String()}, "turn": {strconv.Itoa(turn)}}
	var out json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/v1/report?"+q.Encode(), nil, &out, true); err != nil {
		return nil, err
	}
	return out, nil
}

// ReportText returns the actor's report of turn as plain text, in GalaxyNG's layout
// (GET /api/v1/report?format=text); errors as Report's.
func (c *Client) ReportText(ctx context.Context, actor uuid.UUID, turn int) ([]byte, error) {
	q := url.Values{"actor": {actor.String()}, "turn": {strconv.Itoa(turn)}, "format": {"text"}}
	_, data, err := c.roundTrip(ctx, http.MethodGet, "/api/v1/report?"+q.Encode(), nil, maxAnswerBytes, true)
	return data, err
}

// Snapshot returns the engine's snapshot document (GET /api/v1/admin/snapshot) as it
// was sent, with its ETag (the quoted hex SHA-256 of the document). withReports adds
// every race's report of the current turn. The document is checked against its ETag,
// so a truncated or altered answer is an error, never a half snapshot. Errors: a 404
// *Error with Code CodeNotInitialised before init; ErrNotSupported (wrapping the
// *Error) when the engine has no such route.
func (c *Client) Snapshot(ctx context.Context, withReports bool) (doc []byte, etag string, err error) {
	path := "/api/v1/admin/snapshot"
	if withReports {
		path += "?reports=true"
	}
	h, data, err := c.roundTrip(ctx, http.MethodGet, path, nil, MaxRestoreBytes, true)
	if err != nil {
		return nil, "", notSupported(err)
	}
	etag = h.Get("ETag")
	if etag != "" {
		sum := sha256.Sum256(data)
		if want := `"` + hex.EncodeToString(sum[:]) + `"`; etag != want {
			return nil, "", fmt.Errorf("engine: GET %s: the document does not match its ETag %s (it hashes to %s)", routeOf(path), etag, want)
		}
	}
	return data, etag, nil
}

// Restore gives the engine the game in doc, a document from Snapshot (POST
// /api/v1/admin/restore), and returns the state it now holds. Without replace the
// engine must have no game yet; with replace it may hold one, of the same gameId only
// (a rollback or a repair). doc is sent as is. Errors: 400 for a malformed document
// (the field named in Details), 409 when the engine holds a game (without replace) or
// another game (with replace), 413 past MaxRestoreBytes, ErrNotSupported (wrapping the
// *Error) when the engine has no such route.
func (c *Client) Restore(ctx context.Context, doc []byte, replace bool) (*State, error) {
	path := "/api/v1/admin/restore"
	if replace {
		path += "?replace=true"
	}
	_, data, err := c.roundTrip(ctx, http.MethodPost, path, doc, maxAnswerBytes, true)
	if err != nil {
		return nil, notSupported(err)
	}
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("engine: POST %s: undecodable answer: %w", routeOf(path), err)
	}
	return &st, nil
}

// ParseSnapshot decodes a snapshot document and checks what an archive relies on: a
// known SchemaVersion, a non-zero GameID, a turn that is not negative and a state.
func ParseSnapshot(doc []byte) (*Snapshot, error) {
	var s Snapshot
	if err := json.Unmarshal(doc, &s); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	switch {
	case s.SchemaVersion != SnapshotSchemaVersion:
		return nil, fmt.Errorf("snapshot: schemaVersion %d, want %d", s.SchemaVersion, SnapshotSchemaVersion)
	case s.GameID == uuid.Nil:
		return nil, errors.New("snapshot: gameId is missing or zero")
	case s.Turn < 0:
		return nil, errors.New("snapshot: turn is negative")
	case len(s.State) == 0 || string(s.State) == "null":
		return nil, errors.New("snapshot: state is missing")
	}
	return &s, nil
}

// notSupported wraps ErrNotSupported around an answer that says the route does not
// exist: 405, or a 404 that is not the engine's "no game yet".
func notSupported(err error) error {
	var e *Error
	if errors.As(err, &e) && (e.StatusCode == http.StatusMethodNotAllowed ||
		e.StatusCode == http.StatusNotFound && e.Code != CodeNotInitialised) {
		return fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return err
}

// do sends in as JSON (when non-nil) and decodes a 2xx answer into out (when non-nil).
func (c *Client) do(ctx context.Context, method, path string, in, out any, auth bool) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = encode(in); err != nil {
			return fmt.Errorf("engine: encode %s %s: %w", method, routeOf(path), err)
		}
	}
	_, data, err := c.roundTrip(ctx, method, path, body, maxAnswerBytes, auth)
	if err != nil || out == nil {
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("engine: %s %s: undecodable answer: %w", method, routeOf(path), err)
	}
	return nil
}

// encode is json.Marshal without HTML escaping: a player's "<" stays one byte instead
// of six ("\u003c"), so a body that fit the orchestrator's limit still fits the
// engine's after it is wrapped and forwarded.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// roundTrip sends one request (body, when non-nil, as JSON) and returns the headers
// and body of a 2xx answer, reading at most limit bytes (more is an error); a non-2xx
// answer is an *Error, no answer an ErrUnreachable error.
func (c *Client) roundTrip(ctx context.Context, method, path string, body []byte, limit int64, auth bool) (http.Header, []byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		// A malformed base URL: a configuration error, not an unreachable engine.
		return nil, nil, fmt.Errorf("engine: %s %s: bad base URL: %w", method, routeOf(path), err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, unreachable(method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		// The connection broke while the answer was read: the engine may have acted.
		return nil, nil, unreachable(method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, answerError(resp.StatusCode, data)
	}
	if int64(len(data)) > limit {
		return nil, nil, fmt.Errorf("engine: %s %s: answer larger than %d bytes", method, routeOf(path), limit)
	}
	return resp.Header, data, nil
}

// unreachable wraps ErrUnreachable and the transport's cause. The *url.Error is
// unwrapped so the message names the route, not the full URL.
func unreachable(method, path string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("engine: %s %s: %w: %w", method, routeOf(path), ErrUnreachable, err)
}

// answerError builds the *Error of a non-2xx answer from its ErrorBody, or from the
// status and a short excerpt of the body when it is not one (a proxy's error page).
func answerError(status int, data []byte) *Error {
	var eb ErrorBody
	if err := json.Unmarshal(data, &eb); err == nil && eb.Error.Code != "" {
		return &Error{StatusCode: status, Code: eb.Error.Code, Message: eb.Error.Message, Details: eb.Error.Details}
	}
	msg := strings.TrimSpace(string(data))
	if len(msg) > 200 {
		msg = msg[:200]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	return &Error{StatusCode: status, Code: "http_" + strconv.Itoa(status), Message: msg}
}

// routeOf drops the query string, which may carry ids that make log lines noisy.
func routeOf(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}
