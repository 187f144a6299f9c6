package http

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gorilla/mux"
)

// uiFiles is the web console: plain HTML, CSS and JavaScript modules, embedded in the
// binary. Nothing is built, and nothing is fetched from anywhere but galaxyd.
//
//go:embed ui
var uiFiles embed.FS

// UIPath is where the console is served.
const UIPath = "/ui/"

// UIContentSecurityPolicy is sent with every answer under /ui/: the console loads
// only its own files and talks only to galaxyd's own origin; no inline script or
// style runs, no plugin loads, and no other site may frame it.
const UIContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// uiTypes are the content types of the console's files, by extension; a file of any
// other kind is not served.
var uiTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// uiFile is one embedded file, with the ETag of its content.
type uiFile struct {
	data []byte
	etag string
	typ  string
}

// uiRoutes registers the console: GET /ui/ and the files under it, and redirects from
// / and /ui to /ui/. No token is needed to load the console's files; everything it
// shows comes from the API, with the token the person signs in with.
func (s *Server) uiRoutes(r *mux.Router) {
	files := loadUI()
	r.Handle("/", http.RedirectHandler(UIPath, http.StatusFound)).Methods("GET", "HEAD")
	r.Handle("/ui", http.RedirectHandler(UIPath, http.StatusFound)).Methods("GET", "HEAD")
	r.PathPrefix(UIPath).Handler(s.uiHandler(files)).Methods("GET", "HEAD")
}

// loadUI reads every embedded file once, keyed by its path under ui/.
func loadUI() map[string]uiFile {
	files := map[string]uiFile{}
	err := fs.WalkDir(uiFiles, "ui", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		typ, ok := uiTypes[path.Ext(name)]
		if !ok {
			return nil
		}
		data, err := uiFiles.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		files[strings.TrimPrefix(name, "ui/")] = uiFile{data: data, etag: `"` + hex.EncodeToString(sum[:16]) + `"`, typ: typ}
		return nil
	})
	if err != nil {
		panic("http: read the embedded console: " + err.Error()) // the binary was built wrong
	}
	return files
}

// uiHandler serves the console's files: /ui/ is index.html. Every answer carries the
// Content-Security-Policy; files are revalidated by ETag (304 when unchanged). A path
// that names no file, a directory included, is a 404.
func (s *Server) uiHandler(files map[string]uiFile) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", UIContentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		name := strings.TrimPrefix(r.URL.Path, UIPath)
		if name == "" {
			name = "index.html"
		}
		f, ok := files[name]
		if !ok {
			s.handleNotFound(w, r)
			return
		}
		h.Set("Content-Type", f.typ)
		h.Set("ETag", f.etag)
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
	})
}
