package nomad

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/consul/api"
	"github.com/hashicorp/go-hclog"
	nomadapi "github.com/hashicorp/nomad/api"
	"golang.org/x/time/rate"
)

// caller wraps every call to Nomad and Consul: a client-side rate limit (halved on
// 429, restored step by step on success), a cap on short calls in flight, a timeout,
// and bounded retries with backoff for 429, 5xx and network errors.
type caller struct {
	limiter  *rate.Limiter
	maxRate  rate.Limit
	sem      chan struct{}
	retries  int
	base     time.Duration
	max      time.Duration
	timeout  time.Duration
	clock    orchestrator.Clock
	logger   hclog.Logger
	secrets  []string
	onError  func(backend, call string, err error)
	mu       sync.Mutex // serialises limit changes
	calls    atomic.Int64
	retried  atomic.Int64
	throttle atomic.Int64
}

func newCaller(cfg Config, clock orchestrator.Clock, logger hclog.Logger) *caller {
	return &caller{
		limiter: rate.NewLimiter(rate.Limit(cfg.RateLimit), cfg.RateBurst),
		maxRate: rate.Limit(cfg.RateLimit),
		sem:     make(chan struct{}, cfg.MaxConcurrent),
		retries: cfg.MaxRetries,
		base:    cfg.RetryBaseDelay.Std(),
		max:     cfg.RetryMaxDelay.Std(),
		timeout: cfg.RequestTimeout.Std(),
		clock:   clock,
		logger:  logger,
		secrets: cfg.secrets(),
		onError: cfg.OnCallError,
	}
}

// Backends, for Config.OnCallError.
const (
	backendNomad  = "nomad"
	backendConsul = "consul"
)

// short runs one short call to Nomad (not a blocking query) under the concurrency
// cap and the request timeout. op is the call's fixed name, for logs and
// Config.OnCallError.
func (c *caller) short(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	return c.do(ctx, backendNomad, op, false, fn)
}

// blocking runs one blocking query to backend; it waits up to its own wait time, so
// it neither takes a concurrency slot nor gets the short timeout.
func (c *caller) blocking(ctx context.Context, backend, op string, fn func(ctx context.Context) error) error {
	return c.do(ctx, backend, op, true, fn)
}

// watch runs one attempt of a blocking query, without the retries: a watch loop
// retries by itself, with what it learnt from the failure (an index to forget).
func (c *caller) watch(ctx context.Context, backend, op string, fn func(ctx context.Context) error) error {
	if err := c.limiter.Wait(ctx); err != nil {
		return ctxErr(ctx, err)
	}
	err := c.once(ctx, true, fn)
	switch {
	case err == nil:
		c.recover()
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		if statusOf(err) == http.StatusTooManyRequests {
			c.slowDown()
		}
		if c.onError != nil && !isNotFound(err) {
			c.onError(backend, op, errors.New(c.scrub(errText(err))))
		}
	}
	return err
}

func (c *caller) do(ctx context.Context, backend, op string, blocking bool, fn func(ctx context.Context) error) error {
	for attempt := 0; ; attempt++ {
		if err := c.limiter.Wait(ctx); err != nil {
			return ctxErr(ctx, err)
		}
		err := c.once(ctx, blocking, fn)
		if err == nil {
			c.recover()
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if c.onError != nil && !isNotFound(err) {
			c.onError(backend, op, errors.New(c.scrub(errText(err))))
		}
		if !retryable(err) || attempt >= c.retries {
			return err
		}
		if statusOf(err) == http.StatusTooManyRequests {
			c.slowDown()
		}
		c.retried.Add(1)
		d := c.backoff(attempt)
		c.logger.Debug("retrying call", "op", op, "attempt", attempt+1, "delay", d, "error", c.scrub(err.Error()))
		t := c.clock.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

func (c *caller) once(ctx context.Context, blocking bool, fn func(ctx context.Context) error) error {
	c.calls.Add(1)
	if blocking {
		return fn(ctx)
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	return fn(ctx)
}

// backoff is exponential with full jitter: rand in [d/2, d).
func (c *caller) backoff(attempt int) time.Duration {
	d := c.base << min(attempt, 20)
	if d <= 0 || d > c.max {
		d = c.max
	}
	return d/2 + rand.N(d/2+1)
}

// slowDown halves the rate (down to a twentieth of the configured one) after a 429.
func (c *caller) slowDown() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.throttle.Add(1)
	l := c.limiter.Limit() / 2
	if floor := c.maxRate / 20; l < floor {
		l = floor
	}
	c.limiter.SetLimit(l)
	c.logger.Warn("nomad or consul is rate limiting, slowing down", "rate_per_second", float64(l))
}

// recover raises a lowered rate by a tenth of the configured one per success.
func (c *caller) recover() {
	if c.limiter.Limit() >= c.maxRate {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limiter.SetLimit(min(c.maxRate, c.limiter.Limit()+c.maxRate/10))
}

// scrub removes tokens from text bound for a log or an error.
func (c *caller) scrub(s string) string {
	for _, t := range c.secrets {
		s = strings.ReplaceAll(s, t, "<redacted>")
	}
	return s
}

// unavailable wraps a failed call for the orchestrator: EUNAVAILABLE with the
// operation and Nomad's own words, tokens scrubbed. An orchestrator error passes
// through as it is; a context error becomes a stepError, coded too.
func (c *caller) unavailable(op string, err error) error {
	var oe *orchestrator.Error
	if errors.As(err, &oe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return stepFailed("nomad: "+op, err)
	}
	return orchestrator.Errorf(orchestrator.EUNAVAILABLE, "nomad: %s: %s", op, c.scrub(errText(err)))
}

// errText is an api error's status and body, or the error's text.
func errText(err error) string {
	var ne nomadapi.UnexpectedResponseError
	if errors.As(err, &ne) {
		return fmt.Sprintf("%d %s", ne.StatusCode(), strings.TrimSpace(ne.Body()))
	}
	var ce api.StatusError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%d %s", ce.Code, strings.TrimSpace(ce.Body))
	}
	return err.Error()
}

// statusOf is the HTTP status of an api error, or 0.
func statusOf(err error) int {
	var ne nomadapi.UnexpectedResponseError
	if errors.As(err, &ne) {
		return ne.StatusCode()
	}
	var ce api.StatusError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return 0
}

func bodyOf(err error) string {
	var ne nomadapi.UnexpectedResponseError
	if errors.As(err, &ne) {
		return ne.Body()
	}
	var ce api.StatusError
	if errors.As(err, &ce) {
		return ce.Body
	}
	return ""
}

// permanent500 are Nomad answers that come as 500 but will not change on a retry
// (fixtures 01b and 05): Nomad sends most RPC errors as 500 text.
var permanent500 = []string{
	"Enforcing job modify index",
	"job already exists",
	"unknown mkdir parameter",
	"invalid value for",
	"alidation failed",
	"nonexistent node pool",
	"already exists",
	// HostVolume.Create when no node fits the volume's plugin, pool or constraints
	// (fixture 01's neighbours; the "no node meets constraints").
	"could not place volume",
	// A volume delete on a down node (it needs force=true) and client RPCs to a node
	// the servers cannot reach: not worth retrying at once; the caller decides.
	"cannot be removed from unknown node",
	"No path to node",
	// Node.UpdateDrain of an unknown node (fixture 33).
	"node not found",
}

// retryable reports whether a call may succeed if made again: 429, 5xx other than
// Nomad's deterministic refusals, and network errors.
func retryable(err error) bool {
	switch s := statusOf(err); {
	case s == http.StatusTooManyRequests:
		return true
	case s >= 500:
		b := bodyOf(err)
		for _, p := range permanent500 {
			if strings.Contains(b, p) {
				return false
			}
		}
		return true
	case s != 0:
		return false
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset")
}

func isNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

func isConflict(err error) bool {
	b := bodyOf(err)
	return statusOf(err) >= 400 && (strings.Contains(b, "Enforcing job modify index") || strings.Contains(b, "job already exists"))
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
