package main

import (
	"strings"
	"testing"
)

func TestEngineAdd(t *testing.T) {
	a := NewAPI(t)
	a.On("POST /api/v1/engine-versions", 201, `{"version":"1.2.3","command":"/usr/local/bin/galaxy-engine","enabled":true}`)
	code, stdout, stderr := MustRun(t, a, "engine", "add", "1.2.3", "-command", "/usr/local/bin/galaxy-engine", "-image", "ghcr.io/g/engine:1.2.3", "-notes", "first")
	MustCode(t, code, exitOK, stdout, stderr)
	body := MustJSON(t, a.Last(t).Body)
	if body["version"] != "1.2.3" || body["command"] != "/usr/local/bin/galaxy-engine" || body["imageRef"] != "ghcr.io/g/engine:1.2.3" ||
		body["notes"] != "first" || body["enabled"] != true {
		t.Fatalf("body: got %s", a.Last(t).Body)
	}
	if !strings.Contains(stdout, "1.2.3 added") {
		t.Fatalf("stdout: got %q", stdout)
	}
	t.Run("ErrConflict", func(t *testing.T) {
		a.On("POST /api/v1/engine-versions", 409, `{"error":{"code":"conflict","message":"engine version 1.2.3 already exists","field":"version"}}`)
		code, stdout, stderr := MustRun(t, a, "engine", "add", "1.2.3", "-command", "/x")
		MustCode(t, code, exitError, stdout, stderr)
		if got, want := stderr, "Error: conflict: engine version 1.2.3 already exists (field version)\n"; got != want {
			t.Fatalf("stderr: got %q, want %q", got, want)
		}
	})
}

func TestEngineList(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/engine-versions", 200, `{"versions":[{"version":"1.2.3","command":"/x","enabled":true},{"version":"1.3.0","imageRef":"img","enabled":false}]}`)
	code, stdout, stderr := MustRun(t, a, "engine", "list")
	MustCode(t, code, exitOK, stdout, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "VERSION") || !strings.Contains(lines[2], "1.3.0") || !strings.Contains(lines[2], "false") {
		t.Fatalf("stdout: got %q", stdout)
	}
}

func TestEngineRemove(t *testing.T) {
	a := NewAPI(t)
	a.On("DELETE /api/v1/engine-versions/1.2.3", 204, ``)
	code, stdout, stderr := MustRun(t, a, "engine", "rm", "1.2.3")
	MustCode(t, code, exitOK, stdout, stderr)
	if req := a.Last(t); req.Method != "DELETE" || req.Path != "/api/v1/engine-versions/1.2.3" {
		t.Fatalf("request: got %s %s", req.Method, req.Path)
	}
	t.Run("ErrInUse", func(t *testing.T) {
		a.On("DELETE /api/v1/engine-versions/1.2.3", 409, `{"error":{"code":"conflict","message":"in use"}}`)
		code, stdout, stderr := MustRun(t, a, "engine", "rm", "1.2.3")
		MustCode(t, code, exitError, stdout, stderr)
	})
}

func TestEngineStatus(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/engine-versions/1.2.3", 200, `{"version":"1.2.3","command":"/x","enabled":true,"settingsSchema":{"type":"object"},"createdAt":"2026-03-01T12:00:00Z","updatedAt":"2026-03-01T12:00:00Z"}`)
	code, stdout, stderr := MustRun(t, a, "engine", "status", "1.2.3")
	MustCode(t, code, exitOK, stdout, stderr)
	for _, want := range []string{"Version   = 1.2.3", "Enabled   = true", "Command   = /x", "Settings  = 17 bytes of JSON Schema"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = MustRun(t, a, "engine", "status", "1.2.3", "-t", "{{.Version}} {{.Enabled}}")
	MustCode(t, code, exitOK, stdout, stderr)
	if stdout != "1.2.3 true\n" {
		t.Fatalf("-t: got %q", stdout)
	}
}

// TestVersionRenamed: the registry's old spellings still work, saying what replaced
// them.
func TestVersionRenamed(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/engine-versions", 200, `{"versions":[{"version":"1.2.3","command":"/x","enabled":true}]}`)
	code, stdout, stderr := MustRun(t, a, "version", "list")
	MustCode(t, code, exitOK, stdout, stderr)
	if !strings.Contains(stdout, "1.2.3") || stderr != "Note: \"galaxyctl version list\" is now \"galaxyctl engine list\".\n" {
		t.Fatalf("stdout %q, stderr %q", stdout, stderr)
	}
}
