package http

import (
	"encoding/json"
	"net/http"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// EngineVersionInput is the body of POST /api/v1/engine-versions and of PUT
// /api/v1/engine-versions/{version}. Timestamps are the registry's, not the caller's.
// On POST, Enabled defaults to true (a version is usually added to be used); a PUT
// replaces the whole record, so there it is required.
type EngineVersionInput struct {
	Version        string          `json:"version"`
	ImageRef       string          `json:"imageRef,omitempty"`
	Command        string          `json:"command,omitempty"`
	Enabled        *bool           `json:"enabled,omitempty"`
	Notes          string          `json:"notes,omitempty"`
	SettingsSchema json.RawMessage `json:"settingsSchema,omitempty"`
}

func (in *EngineVersionInput) engineVersion() *orchestrator.EngineVersion {
	v := &orchestrator.EngineVersion{Version: in.Version, ImageRef: in.ImageRef, Command: in.Command, Enabled: true, Notes: in.Notes, SettingsSchema: in.SettingsSchema}
	if string(v.SettingsSchema) == "null" {
		v.SettingsSchema = nil
	}
	if in.Enabled != nil {
		v.Enabled = *in.Enabled
	}
	return v
}

// EngineVersionList is the body of GET /api/v1/engine-versions, ascending by semver.
type EngineVersionList struct {
	Versions []*orchestrator.EngineVersion `json:"versions"`
}

func (s *Server) handleListVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.EngineVersionService.EngineVersions(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if vs == nil {
		vs = []*orchestrator.EngineVersion{}
	}
	writeJSON(w, http.StatusOK, EngineVersionList{Versions: vs})
}

// handleCreateVersion answers 201 with the stored version; 409 when it exists.
func (s *Server) handleCreateVersion(w http.ResponseWriter, r *http.Request) {
	var in EngineVersionInput
	if err := decode(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	if _, err := orchestrator.ParseVersion(in.Version); err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.EngineVersionService.CreateEngineVersion(r.Context(), in.engineVersion())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.requestLogger(r).Info("engine version added", "version", v.Version)
	w.Header().Set("Location", "/api/v1/engine-versions/"+v.Version)
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) handleGetVersion(w http.ResponseWriter, r *http.Request) {
	version, err := pathVersion(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	v, err := s.EngineVersionService.EngineVersion(r.Context(), version)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// handlePutVersion creates or replaces a version: the body's version may be left out
// but must match the path when given, and enabled is required (a PUT replaces the
// record; leaving enabled out would silently re-enable a disabled version). 200 with
// the stored version.
func (s *Server) handlePutVersion(w http.ResponseWriter, r *http.Request) {
	version, err := pathVersion(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	var in EngineVersionInput
	if err := decode(r, &in); err != nil {
		s.Error(w, r, err)
		return
	}
	switch {
	case in.Version != "" && in.Version != version:
		s.Error(w, r, orchestrator.FieldErrorf("version", "the body's version %q differs from the path's %q", in.Version, version))
		return
	case in.Enabled == nil:
		s.Error(w, r, orchestrator.FieldErrorf("enabled", "enabled is required: a PUT replaces the whole record"))
		return
	}
	in.Version = version
	v, err := s.EngineVersionService.PutEngineVersion(r.Context(), in.engineVersion())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	s.requestLogger(r).Info("engine version stored", "version", v.Version, "enabled", v.Enabled)
	writeJSON(w, http.StatusOK, v)
}

// handleDeleteVersion answers 204; 409 while a game still uses the version.
func (s *Server) handleDeleteVersion(w http.ResponseWriter, r *http.Request) {
	version, err := pathVersion(r)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.EngineVersionService.DeleteEngineVersion(r.Context(), version); err != nil {
		s.Error(w, r, err)
		return
	}
	s.requestLogger(r).Info("engine version removed", "version", version)
	w.WriteHeader(http.StatusNoContent)
}
