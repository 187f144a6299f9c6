package http

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// guard refuses what a web page on another site could make a browser send to galaxyd
// (DESIGN §9): the API speaks JSON only, so a body of any other type — a "simple"
// cross-site POST of text/plain or a form — is 415 before it is read; a request whose
// Origin is not galaxyd's own is 403; and, when LoopbackOnly is set (galaxyd -dev), so
// is one whose Host is not a loopback name or address, which is what a DNS-rebinding
// page sends. Without this, `-dev` (no tokens) would let any page the operator visits
// register an engine command and run it.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case s.LoopbackOnly && !loopbackHost(r.Host):
			s.Error(w, r, orchestrator.Errorf(orchestrator.EFORBIDDEN, "host %q is not a loopback name: this galaxyd answers loopback names only", r.Host))
			return
		case r.Header.Get("Origin") != "" && !s.sameOrigin(r):
			s.Error(w, r, &orchestrator.Error{Code: orchestrator.EFORBIDDEN, Field: "Origin", Message: "cross-origin requests are refused"})
			return
		case hasBody(r) && !isJSON(r.Header.Get("Content-Type")) && !isImport(r):
			s.Error(w, r, &orchestrator.Error{Code: orchestrator.EMEDIATYPE, Field: "Content-Type", Message: "request bodies must be Content-Type: application/json"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// sameOrigin reports whether the request's Origin is galaxyd's own origin (the scheme
// it serves and the Host the browser addressed) or one of AllowedOrigins.
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	for _, o := range s.AllowedOrigins {
		if strings.EqualFold(o, origin) {
			return true
		}
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes "null": sandboxed frames, file:// pages
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return u.Scheme == scheme && strings.EqualFold(u.Host, r.Host)
}

// loopbackHost reports whether a Host header names this machine's loopback: localhost
// (or a name under .localhost) or a loopback IP, with or without a port.
func loopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isImport reports whether r is a game import: its body is a tar file. application/
// x-tar is no type a page can send cross-site without the browser asking first.
func isImport(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-tar" && r.Method == http.MethodPost && r.URL.Path == "/api/v1/games/import"
}

// hasBody reports whether the request carries a body (declared or chunked).
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody
}

// isJSON reports whether a Content-Type is application/json (parameters such as
// charset allowed).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}
