package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// DefaultClientTimeout bounds one API call of a Client (streams excepted): longer than
// the server's own write timeout, so the server's answer comes first.
const DefaultClientTimeout = 90 * time.Second

// maxAnswerBytes bounds the answers a Client reads into memory (a list of 1000 games
// with their settings is well below it).
const maxAnswerBytes = 64 << 20

// Client is a client of galaxyd's HTTP API. It implements the domain's service
// interfaces over HTTP (GameService, PlayerService, EngineVersionService,
// ReconcileService, ViewService, ArchiveService), so callers see the same values and the same coded errors as
// in-process: every error answer is decoded into an *orchestrator.Error with its code,
// message, field and details. Errors that are not answers (galaxyd unreachable, an
// answer cut short) are returned as net/http gives them, wrapped; they never hold the
// token, which travels only in the Authorization header.
//
// The Source argument of the lifecycle calls is not sent: galaxyd records the
// source from the token (admin token: admin, lobby token: lobby).
//
// A Client is safe for concurrent use; set its fields before the first call.
type Client struct {
	// Token is the bearer token (lobby or admin); empty sends no Authorization header.
	Token string
	// HTTPClient sends the requests (default: a client with no timeout of its own:
	// calls are bounded by Timeout, streams only by their context). A Timeout set on
	// it also cuts the event and backup streams.
	HTTPClient *http.Client
	// Timeout bounds every call but the streams (Events, Backup); 0 means
	// DefaultClientTimeout, a negative value no bound.
	Timeout time.Duration

	base *url.URL
}

// Interfaces the Client implements.
var (
	_ orchestrator.GameService          = (*Client)(nil)
	_ orchestrator.PlayerService        = (*Client)(nil)
	_ orchestrator.EngineVersionService = (*Client)(nil)
	_ orchestrator.NodeService          = (*Client)(nil)
	_ orchestrator.ReconcileService     = (*Client)(nil)
	_ orchestrator.ViewService          = (*Client)(nil)
	_ orchestrator.ArchiveService       = (*Client)(nil)
)

// NewClient returns a client of the galaxyd at addr: "http(s)://host:port" with an
// optional path prefix, or a bare "host:port" meaning http (as NOMAD_ADDR does). A
// malformed address is an EINVALID error naming "addr".
func NewClient(addr string) (*Client, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr
	}
	u, err := url.Parse(strings.TrimRight(addr, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		if strings.Contains(addr, "@") {
			addr = "with user information" // a password has no place in a message
		} else {
			addr = quote(addr)
		}
		return nil, orchestrator.FieldErrorf("addr", "invalid address %s: want http(s)://host:port", addr)
	}
	return &Client{base: u}, nil
}

// URL returns the API's base URL, e.g. "http://127.0.0.1:8080".
func (c *Client) URL() string { return c.base.String() }

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	header       http.Header
	body         any // sent as JSON; nil sends no body
	// upload, when set, is sent as the body instead, as contentType.
	upload      io.Reader
	contentType string
	// stream: the caller reads and closes the body of a 2xx answer. Streams and
	// uploads are not bounded by Timeout, only by their context.
	stream bool
	accept string // default application/json
}

// answer is a 2xx answer, read unless the request is a stream.
type answer struct {
	status int
	header http.Header
	body   []byte
	stream io.ReadCloser // stream requests only
}

// do sends req and returns its 2xx answer. Error answers become *orchestrator.Error;
// a failure to send or to read the answer is returned wrapped, as net/http gives it.
func (c *Client) do(ctx context.Context, req request) (*answer, error) {
	var body io.Reader
	if req.body != nil {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false) // what the server forwards to engines stays the same size
		if err := enc.Encode(req.body); err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", req.method, req.path, err)
		}
		body = &buf
	}
	if req.upload != nil {
		body = req.upload
	}
	u := *c.base
	u.Path += req.path
	u.RawQuery = req.query.Encode()

	cancel := context.CancelFunc(func() {})
	if timeout := c.timeout(); !req.stream && req.upload == nil && timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		cancel()
		return nil, err
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	hr.Header.Set("Accept", "application/json")
	if req.accept != "" {
		hr.Header.Set("Accept", req.accept)
	}
	if req.upload != nil {
		hr.Header.Set("Content-Type", req.contentType)
	} else if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.httpClient().Do(hr)
	if err != nil {
		cancel()
		return nil, err // *url.Error: the method and URL, never the token
	}
	if resp.StatusCode >= 300 || !req.stream {
		defer cancel()
		defer resp.Body.Close()
		raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
		if err != nil {
			return nil, fmt.Errorf("read the answer to %s %s: %w", req.method, req.path, err)
		}
		if resp.StatusCode >= 300 {
			return nil, answerError(resp, raw)
		}
		return &answer{status: resp.StatusCode, header: resp.Header, body: raw}, nil
	}
	return &answer{status: resp.StatusCode, header: resp.Header, stream: cancelOnClose{resp.Body, cancel}}, nil
}

// call sends req and decodes a 2xx answer's JSON into out (nil: ignored). It returns
// the status, which tells a create (201) from its replay (200).
func (c *Client) call(ctx context.Context, req request, out any) (int, error) {
	a, err := c.do(ctx, req)
	if err != nil {
		return 0, err
	}
	if out != nil {
		if err := json.Unmarshal(a.body, out); err != nil {
			return a.status, fmt.Errorf("decode the answer to %s %s: %w", req.method, req.path, err)
		}
	}
	return a.status, nil
}

func (c *Client) timeout() time.Duration {
	if c.Timeout == 0 {
		return DefaultClientTimeout
	}
	return c.Timeout
}

func (c *Client) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return http.DefaultClient
}

// cancelOnClose releases a stream's context when its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// answerError decodes an error answer into the domain's error. An answer without the
// API's error body (a proxy's page, a truncated body) gets the code its status stands
// for and a message naming the status.
func answerError(resp *http.Response, raw []byte) error {
	var body ErrorResponse
	if json.Unmarshal(raw, &body) == nil && body.Error.Code != "" {
		return &orchestrator.Error{Code: body.Error.Code, Message: body.Error.Message, Field: body.Error.Field, Details: body.Error.Details}
	}
	return orchestrator.Errorf(statusCode(resp.StatusCode), "galaxyd answered %s %s with %s and no API error", resp.Request.Method, resp.Request.URL.Path, resp.Status)
}

// statusCode is the domain code an HTTP status stands for: the inverse of statuses,
// for answers that carry no code of their own.
func statusCode(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusMethodNotAllowed:
		return orchestrator.EINVALID
	case http.StatusUnauthorized:
		return orchestrator.EUNAUTHORIZED
	case http.StatusForbidden:
		return orchestrator.EFORBIDDEN
	case http.StatusNotFound:
		return orchestrator.ENOTFOUND
	case http.StatusConflict:
		return orchestrator.ECONFLICT
	case http.StatusRequestEntityTooLarge:
		return orchestrator.ETOOLARGE
	case http.StatusUnsupportedMediaType:
		return orchestrator.EMEDIATYPE
	case http.StatusTooManyRequests:
		return orchestrator.EOVERLOADED
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return orchestrator.EUNAVAILABLE // a proxy in front of galaxyd, or galaxyd restarting
	case http.StatusInternalServerError:
		return orchestrator.EINTERNAL
	}
	if status >= 500 {
		return orchestrator.EINTERNAL
	}
	return orchestrator.EINVALID
}

// Ready reports whether galaxyd is ready (GET /readyz): nil when it is, the reason as
// an *orchestrator.Error (EUNAVAILABLE) when it is not.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.call(ctx, request{method: "GET", path: "/readyz"}, nil)
	return err
}

// Backup streams a consistent copy of the store (GET /api/v1/admin/backup, admin) to
// w and returns the bytes written. An error means the copy is incomplete; a nil one
// that galaxyd sent all it had (a failure on its side after the first byte can only
// cut the stream short, which the answer does not tell apart from its end).
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return c.download(ctx, "/api/v1/admin/backup", "application/octet-stream", w)
}

// download streams a GET's 2xx answer to w.
func (c *Client) download(ctx context.Context, path, accept string, w io.Writer) (int64, error) {
	a, err := c.do(ctx, request{method: "GET", path: path, stream: true, accept: accept})
	if err != nil {
		return 0, err
	}
	defer a.stream.Close()
	n, err := io.Copy(w, a.stream)
	if err != nil {
		return n, fmt.Errorf("GET %s cut short after %d bytes: %w", path, n, err)
	}
	return n, nil
}

// isMediaType reports whether a Content-Type header names the media type want.
func isMediaType(header, want string) bool {
	mt, _, err := mime.ParseMediaType(header)
	return err == nil && mt == want
}

// errNotAnswered is returned for a 2xx answer of the wrong kind.
var errNotAnswered = errors.New("unexpected answer")
