package http

import (
	"net/http"
	"time"
)

// handleBackup streams a consistent copy of the store (admin): a bbolt file to put in
// place of galaxy.db while galaxyd is stopped. The write timeout is lifted for it: a
// large store takes longer than an API answer.
func (s *Server) handleBackup(w http.ResponseWriter, r *http.Request) {
	if s.Backup == nil {
		s.handleNotFound(w, r)
		return
	}
	_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
	name := "galaxy-" + time.Now().UTC().Format("20060102T150405Z") + ".db"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	n, err := s.Backup(r.Context(), w)
	if err != nil {
		// Headers are gone; a short body is all a client can be told. It is logged.
		s.requestLogger(r).Error("backup failed", "error", err, "bytes", n)
		return
	}
	s.requestLogger(r).Info("store backed up", "bytes", n)
}
