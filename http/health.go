package http

import (
	"context"
	_ "embed"
	"net/http"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// OpenAPI is the API's OpenAPI 3.0.3 document, served at /api/v1/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte

// ReadyTimeout bounds one Ready check so a stuck dependency cannot hang the probe.
const ReadyTimeout = 2 * time.Second

// Status is the body of /healthz and of a successful /readyz.
type Status struct {
	Status string `json:"status"`
}

// handleHealthz answers 200 whenever the server serves: liveness only.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, Status{Status: "ok"})
}

// handleReadyz answers 200 when Ready reports nil and 503 otherwise. The probe needs no
// token, so the answer carries only the domain error's message, never internals.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), ReadyTimeout)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			s.requestLogger(r).Debug("not ready", "error", err)
			msg := "not ready"
			if m := orchestrator.ErrorMessage(err); orchestrator.ErrorCode(err) != orchestrator.EINTERNAL {
				msg = "not ready: " + m
			}
			writeJSON(w, http.StatusServiceUnavailable, ErrorResponse{Error: ErrorBody{Code: orchestrator.EUNAVAILABLE, Message: msg}})
			return
		}
	}
	writeJSON(w, http.StatusOK, Status{Status: "ready"})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(OpenAPI)
}

// handleMetrics serves the configured Metrics handler, or 404 when there is none.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		s.handleNotFound(w, r)
		return
	}
	s.Metrics.ServeHTTP(w, r)
}
