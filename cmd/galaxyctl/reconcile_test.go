package main

import (
	"strings"
	"testing"
)

func TestReconcile(t *testing.T) {
	report := `{"startedAt":"2026-11-29T06:00:00Z","durationMs":12,"games":3,
		"restarted":["6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10"],"stopped":[],"refreshed":[],
		"orphans":[{"gameId":"11111111-1111-1111-1111-111111111111","jobId":"galaxy-game-11111111-1111-1111-1111-111111111111","running":true}],
		"orphansRemoved":0,"errors":[]}`
	t.Run("OK/Run", func(t *testing.T) {
		a := NewAPI(t)
		a.On("POST /api/v1/reconcile", 200, report)
		code, stdout, stderr := MustRun(t, a, "reconcile", "run")
		MustCode(t, code, exitOK, stdout, stderr)
		if req := a.Last(t); req.Method != "POST" || req.Path != "/api/v1/reconcile" {
			t.Fatalf("request: got %s %s", req.Method, req.Path)
		}
		for _, want := range []string{"6f1c0f37-9d3c-4a43-9a6b-6c7a8e1d2f10", "Orphans", "galaxy-game-11111111"} {
			if !strings.Contains(stdout, want) {
				t.Fatalf("stdout lacks %q: %q", want, stdout)
			}
		}
	})
	t.Run("OK/Last", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/reconcile", 200, report)
		code, stdout, stderr := MustRun(t, a, "reconcile", "-json")
		MustCode(t, code, exitOK, stdout, stderr)
		if !strings.Contains(stdout, `"games": 3,`) {
			t.Fatalf("stdout: got %q", stdout)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		a := NewAPI(t)
		a.On("GET /api/v1/reconcile", 404, `{"error":{"code":"not_found","message":"no reconciliation has run yet"}}`)
		code, stdout, stderr := MustRun(t, a, "reconcile")
		MustCode(t, code, exitError, stdout, stderr)
		if !strings.Contains(stderr, "not_found") {
			t.Fatalf("stderr: got %q", stderr)
		}
	})
}
