package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client is a minimal client of galaxyd's HTTP API.
type Client struct {
	base  *url.URL
	token string
	http  *http.Client
}

// NewClient returns a client for the API at addr ("http://host:port"), sending token
// as a bearer token when it is not empty.
func NewClient(addr, token string) (*Client, error) {
	if !strings.Contains(addr, "://") {
		addr = "http://" + addr // like NOMAD_ADDR, a bare host:port means http
	}
	u, err := url.Parse(strings.TrimRight(addr, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("invalid address %q: want http(s)://host:port", addr)
	}
	return &Client{base: u, token: token, http: &http.Client{Timeout: 90 * time.Second}}, nil
}

// APIError is an error answer of the API.
type APIError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	Details []struct {
		Index   int    `json:"index"`
		Field   string `json:"field,omitempty"`
		Message string `json:"message"`
	} `json:"details,omitempty"`
}

// Error renders "<code>: <message> (field <f>)" followed by one line per detail.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Code, e.Message)
	if e.Field != "" {
		fmt.Fprintf(&b, " (field %s)", e.Field)
	}
	for _, d := range e.Details {
		fmt.Fprintf(&b, "\n  [%d]", d.Index)
		if d.Field != "" {
			fmt.Fprintf(&b, " %s:", d.Field)
		}
		fmt.Fprintf(&b, " %s", d.Message)
	}
	return b.String()
}

// request is one API call.
type request struct {
	method, path string
	query        url.Values
	body         any // marshalled as JSON unless it is json.RawMessage
	header       http.Header
}

// do sends req and returns the raw body of a 2xx answer, decoding it into out when out
// is not nil. Error answers become *APIError.
func (c *Client) do(ctx context.Context, req request, out any) ([]byte, int, error) {
	var body io.Reader
	if req.body != nil {
		b, ok := req.body.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(req.body); err != nil {
				return nil, 0, err
			}
		}
		body = bytes.NewReader(b)
	}
	u := *c.base
	u.Path += req.path
	u.RawQuery = req.query.Encode()
	hr, err := http.NewRequestWithContext(ctx, req.method, u.String(), body)
	if err != nil {
		return nil, 0, err
	}
	for k, vs := range req.header {
		hr.Header[k] = vs
	}
	hr.Header.Set("Accept", "application/json")
	if body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		hr.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(hr)
	if err != nil {
		return nil, 0, err // *url.Error: method and URL, never the token
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, resp.StatusCode, fmt.Errorf("read %s %s: %w", req.method, req.path, err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error *APIError `json:"error"`
		}
		if json.Unmarshal(raw, &e) != nil || e.Error == nil || e.Error.Code == "" {
			return nil, resp.StatusCode, fmt.Errorf("%s %s: unexpected answer %s", req.method, req.path, resp.Status)
		}
		e.Error.Status = resp.StatusCode
		return nil, resp.StatusCode, e.Error
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return nil, resp.StatusCode, fmt.Errorf("decode %s %s: %w", req.method, req.path, err)
		}
	}
	return raw, resp.StatusCode, nil
}
