// Package webhook delivers orchestrator events to the lobby over HTTP: one POST per
// event, JSON body, signed with HMAC-SHA256 so the lobby can tell them from forgeries.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// Headers set on every delivery.
const (
	HeaderEventID   = "X-Galaxy-Event-Id"
	HeaderEventType = "X-Galaxy-Event-Type"
	HeaderTimestamp = "X-Galaxy-Timestamp"
	// HeaderSignature is "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body)).
	HeaderSignature = "X-Galaxy-Signature"
)

// Notifier implements orchestrator.Notifier with a webhook.
type Notifier struct {
	// URL receives the POSTs. It may hold credentials, so it never appears in errors.
	URL string
	// Secret signs the body; empty disables the signature header.
	Secret string
	// Client defaults to one with a 30 s timeout.
	Client *http.Client
	// Now defaults to time.Now (for the timestamp header).
	Now func() time.Time
}

var _ orchestrator.Notifier = (*Notifier)(nil)

// Notify posts e. Any 2xx answer acknowledges it; anything else, or no answer, is an
// error, and the outbox tries again later with the same event id.
func (n *Notifier) Notify(ctx context.Context, e *orchestrator.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: invalid url")
	}
	now := time.Now
	if n.Now != nil {
		now = n.Now
	}
	ts := strconv.FormatInt(now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "galaxyd")
	req.Header.Set(HeaderEventID, e.ID.String())
	req.Header.Set(HeaderEventType, e.Type)
	req.Header.Set(HeaderTimestamp, ts)
	if n.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(n.Secret, ts, body))
	}
	client := n.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		// *url.Error repeats the URL; keep only the cause.
		return fmt.Errorf("webhook delivery: %w", unwrapURL(err))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

// Sign returns the signature header value for body sent at timestamp ts.
func Sign(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature in constant time; lobbies written in Go can use it.
func Verify(secret, ts string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(signature))
}

var defaultClient = &http.Client{Timeout: 30 * time.Second}

type urlError interface{ Unwrap() error }

func unwrapURL(err error) error {
	if u, ok := err.(urlError); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
