package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/hashicorp/go-hclog"
)

// RequestIDHeader carries the request ID: taken from the client when it is a sane
// token, minted otherwise, echoed in the response and logged with every line.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the request ID stored in ctx by the server, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// statusWriter remembers the status and whether anything was written, for the access
// log and for the panic handler (which can only answer if nothing was sent yet).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequest assigns the request ID, sets headers common to every answer, bounds the
// body and writes the access log line. The log holds method, path, status and timing;
// never headers (Authorization) or query strings.
func (s *Server) withRequest(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id))
		h := w.Header()
		h.Set(RequestIDHeader, id)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")

		sw, _ := w.(*statusWriter)
		if sw == nil {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			s.requestLogger(r).Debug("request", "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "duration_ms", time.Since(start).Milliseconds())
		}()

		// Refuse a declared oversize body before reading it; MaxBytesReader catches
		// bodies that lie about (or omit) their length while they are decoded.
		if r.ContentLength > MaxBodyBytes {
			s.Error(sw, r, tooLarge(MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(sw, r.Body, MaxBodyBytes)
		next.ServeHTTP(sw, r)
	})
}

// recoverPanics turns a handler panic into a logged 500 without details, so a bug
// never takes the connection (or the daemon) down.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw, _ := w.(*statusWriter)
		if sw == nil {
			sw = &statusWriter{ResponseWriter: w}
		}
		defer func() {
			rec := recover()
			if rec == nil {
				return
			}
			if rec == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(rec)
			}
			s.requestLogger(r).Error("panic serving request", "method", r.Method, "path", r.URL.Path,
				"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeJSON(sw, http.StatusInternalServerError, ErrorResponse{Error: ErrorBody{
					Code: orchestrator.EINTERNAL, Message: "internal error"}})
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

// requestLogger returns the server's logger carrying the request ID.
func (s *Server) requestLogger(r *http.Request) hclog.Logger {
	if id := RequestID(r.Context()); id != "" {
		return s.Logger.With("request_id", id)
	}
	return s.Logger
}

// validRequestID accepts client IDs of up to 128 visible ASCII characters from a
// conservative set, so an ID can be logged and echoed without escaping concerns.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func tooLarge(limit int64) error {
	return orchestrator.Errorf(orchestrator.ETOOLARGE, "request body must be at most %d bytes", limit)
}
