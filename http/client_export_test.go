package http

import (
	"io"
	"time"
)

// SetEventIdle shortens the event stream's idle limit until the returned func runs.
func SetEventIdle(d time.Duration) (restore func()) {
	old := eventIdle
	eventIdle = d
	return func() { eventIdle = old }
}

// ReadSSE exposes readSSE to the package's external tests.
func ReadSSE(r io.Reader, fn func(id, event, data string, retryMS int64) bool) error {
	return readSSE(r, func(ev sseEvent) bool { return fn(ev.id, ev.event, ev.data, ev.retry.Milliseconds()) })
}
