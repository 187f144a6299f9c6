package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGameRollback(t *testing.T) {
	a := NewAPI(t)
	a.On("POST /api/v1/games/"+gameID+"/rollback", 202, opJSON("queued", ""))
	code, stdout, stderr := MustRun(t, a, "game", "rollback", gameID, "-turn", "0", "-line", "1")
	MustCode(t, code, exitOK, stdout, stderr)
	if body := MustJSON(t, a.Last(t).Body); body["turn"] != float64(0) || body["line"] != float64(1) {
		t.Fatalf("body: %s", a.Last(t).Body)
	}
	MustRun(t, a, "game", "rollback", gameID, "-turn", "4")
	if body := a.Last(t).Body; strings.Contains(body, "line") || !strings.Contains(body, `"turn":4`) {
		t.Fatalf("body without -line: %s", body)
	}
	code, stdout, stderr = MustRun(t, a, "game", "rollback", gameID)
	MustCode(t, code, exitError, stdout, stderr)
	if !strings.HasPrefix(stderr, "Error: game rollback needs -turn") {
		t.Fatalf("stderr: %q", stderr)
	}
}

func TestGameTransfer(t *testing.T) {
	a := NewAPI(t)
	a.On("POST /api/v1/games/"+gameID+"/transfer", 202, opJSON("queued", ""))
	a.On("GET /api/v1/operations/"+opID, 200, opJSON("succeeded", ""))
	code, stdout, stderr := MustRun(t, a, "game", "transfer", gameID, "-node", "node-2", "-wait")
	MustCode(t, code, exitOK, stdout, stderr)
	if !strings.Contains(stdout, "Operation succeeded") {
		t.Fatalf("stdout: %q", stdout)
	}
	for _, r := range a.Reqs {
		if r.Path == "/api/v1/games/"+gameID+"/transfer" && MustJSON(t, r.Body)["node"] != "node-2" {
			t.Fatalf("body: %s", r.Body)
		}
	}
}

func TestGameExportImport(t *testing.T) {
	dir := t.TempDir()
	a := NewAPI(t)
	a.Handle["GET /api/v1/games/"+gameID+"/export"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-tar")
		io.WriteString(w, "tar bytes")
	}
	file := filepath.Join(dir, "game.tar")
	code, stdout, stderr := MustRun(t, a, "game", "export", gameID, file)
	MustCode(t, code, exitOK, stdout, stderr)
	if b, err := os.ReadFile(file); err != nil || string(b) != "tar bytes" || !strings.Contains(stdout, "exported to "+file+" (9 bytes)") {
		t.Fatalf("file %q %v, stdout %q", b, err, stdout)
	}
	t.Run("CutShort", func(t *testing.T) {
		a.Handle["GET /api/v1/games/"+gameID+"/export"] = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.Header().Set("Content-Type", "application/x-tar")
			io.WriteString(w, "tar by")
		}
		cut := filepath.Join(dir, "cut.tar")
		code, stdout, stderr := MustRun(t, a, "game", "export", gameID, cut)
		MustCode(t, code, exitError, stdout, stderr)
		if _, err := os.Stat(cut); !os.IsNotExist(err) {
			t.Fatalf("an incomplete export was left at %s: %v", cut, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 1 {
			t.Fatalf("files left behind: %v", entries)
		}
	})
	t.Run("Import", func(t *testing.T) {
		a.On("POST /api/v1/games/import", 201, gameJSON)
		code, stdout, stderr := MustRun(t, a, "game", "import", file)
		MustCode(t, code, exitOK, stdout, stderr)
		req := a.Last(t)
		if req.Body != "tar bytes" || req.Header.Get("Content-Type") != "application/x-tar" {
			t.Fatalf("request: %q %v", req.Body, req.Header)
		}
		if !strings.HasPrefix(stdout, "Game "+gameID+" imported, created.") {
			t.Fatalf("stdout: %q", stdout)
		}
	})
}

func TestGameTurnsAndState(t *testing.T) {
	a := NewAPI(t)
	a.On("GET /api/v1/games/"+gameID+"/turns", 200, `{"turns":[{"turn":0,"players":[{"raceName":"Zorg","planets":1,"population":1000,"industry":1000,"tech":{"drive":1,"weapons":1,"shields":1,"cargo":1}}]},`+
		`{"turn":1,"players":[{"raceName":"Zorg","planets":2,"population":1100,"industry":1000,"tech":{"drive":1.2,"weapons":1,"shields":1,"cargo":1},"ships":3}]}]}`)
	a.On("GET /api/v1/games/"+gameID+"/state", 200, `{"turn":1,"planets":[{"number":1}]}`)
	code, stdout, stderr := MustRun(t, a, "game", "turns", gameID)
	MustCode(t, code, exitOK, stdout, stderr)
	MustLines(t, stdout, `^TURN +RACE +PLANETS`, `^0 +Zorg +1 +1000\.00 +1000\.00 +1\.00/1\.00/1\.00/1\.00 +0$`, `^1 +Zorg +2 +1100\.00 +1000\.00 +1\.20/1\.00/1\.00/1\.00 +3$`)
	code, stdout, stderr = MustRun(t, a, "game", "state", gameID)
	MustCode(t, code, exitOK, stdout, stderr)
	if !strings.Contains(stdout, "\n  \"turn\": 1,") {
		t.Fatalf("state: %q", stdout)
	}
	code, stdout, stderr = MustRun(t, a, "game", "state", gameID, "-json")
	MustCode(t, code, exitOK, stdout, stderr)
	if stdout != `{"turn":1,"planets":[{"number":1}]}`+"\n" {
		t.Fatalf("state -json: %q", stdout)
	}
}

func TestBackup(t *testing.T) {
	a := NewAPI(t)
	a.Handle["GET /api/v1/admin/backup"] = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		io.WriteString(w, "bolt file")
	}
	file := filepath.Join(t.TempDir(), "galaxy.db.bak")
	code, stdout, stderr := MustRun(t, a, "backup", file)
	MustCode(t, code, exitOK, stdout, stderr)
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 || fi.Size() != 9 || stdout != "Store copied to "+file+" (9 bytes).\n" {
		t.Fatalf("file %v %v, stdout %q", fi, err, stdout)
	}
	code, stdout, stderr = MustRun(t, a, "backup", "-")
	MustCode(t, code, exitOK, stdout, stderr)
	if stdout != "bolt file" {
		t.Fatalf("stdout: %q", stdout)
	}
}
