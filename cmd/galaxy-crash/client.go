package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// outcome classifies the answer to a write, which is what the checks rely on.
type outcome int

const (
	// acked: the daemon answered the status that promises durability (§8).
	acked outcome = iota
	// rejected: the daemon answered something else, or the connection was refused
	// (nothing was sent, so nothing can have been written).
	rejected
	// unanswered: the request may or may not have been committed (the daemon died
	// while it ran). Such writes are never counted as acknowledged, but a bound that
	// must hold for every write that *may* have happened counts them.
	unanswered
)

// client talks to galaxyd's API on loopback. Keep-alives are off: a request on a
// connection to a killed daemon must fail as "refused" (not sent) rather than as a
// reset of a reused connection, which would be indistinguishable from a lost answer.
type client struct {
	base string // always http://127.0.0.1:<port>
	http *http.Client
}

func newClient(port int) *client {
	return &client{
		base: "http://127.0.0.1:" + strconv.Itoa(port),
		http: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		},
	}
}

// answer is one response.
type answer struct {
	status int
	body   []byte
	err    error
}

func (a answer) outcome(want ...int) outcome {
	if a.err != nil {
		if errors.Is(a.err, syscall.ECONNREFUSED) {
			return rejected
		}
		return unanswered
	}
	for _, w := range want {
		if a.status == w {
			return acked
		}
	}
	return rejected
}

// decode unmarshals the body into v.
func (a answer) decode(v any) error { return json.Unmarshal(a.body, v) }

func (c *client) do(ctx context.Context, method, path string, user uuid.UUID, header map[string]string, body any) answer {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{err: err}
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return answer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != uuid.Nil {
		req.Header.Set("X-Galaxy-User", user.String())
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return answer{err: err}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		// Headers came but the body did not: the daemon died mid-answer.
		return answer{err: err}
	}
	return answer{status: resp.StatusCode, body: out}
}

// ready reports whether /readyz answers 200.
func (c *client) ready(ctx context.Context) bool {
	a := c.do(ctx, "GET", "/readyz", uuid.Nil, nil, nil)
	return a.err == nil && a.status == http.StatusOK
}
