package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// snapshotDoc is the part of a snapshot document the tests read.
type snapshotDoc struct {
	SchemaVersion int                        `json:"schemaVersion"`
	GameID        string                     `json:"gameId"`
	Turn          int                        `json:"turn"`
	Finished      bool                       `json:"finished"`
	State         json.RawMessage            `json:"state"`
	Reports       map[string]json.RawMessage `json:"reports"`
}

// MustSnapshot takes the engine's snapshot and checks its ETag.
func MustSnapshot(tb testing.TB, p *proc, reports bool) ([]byte, snapshotDoc) {
	tb.Helper()
	path := "/api/v1/admin/snapshot"
	if reports {
		path += "?reports=true"
	}
	a := p.call(tb, "GET", path, nil)
	MustStatus(tb, a, http.StatusOK)
	sum := sha256.Sum256(a.Body)
	if got, want := a.Header.Get("ETag"), `"`+hex.EncodeToString(sum[:])+`"`; got != want {
		tb.Fatalf("ETag = %s, want the sha256 of the body %s", got, want)
	}
	return a.Body, decode[snapshotDoc](tb, a)
}

// MustTurns generates turns from..to on p.
func MustTurns(tb testing.TB, p *proc, from, to int) {
	tb.Helper()
	for n := from; n <= to; n++ {
		MustStatus(tb, p.call(tb, "POST", "/api/v1/admin/turn", map[string]int{"turn": n}), http.StatusOK)
	}
}

// MustCode fails unless a is an error answer with status and code.
func MustCode(tb testing.TB, a answer, status int, code string) {
	tb.Helper()
	MustStatus(tb, a, status)
	if got, _, _ := a.errorBody(tb); got != code {
		tb.Fatalf("code = %q, want %q; body %s", got, code, a.Body)
	}
}

func TestSnapshot(t *testing.T) {
	t.Run("ErrBeforeInit", func(t *testing.T) {
		p := MustStart(t, t.TempDir(), "")
		MustCode(t, p.call(t, "GET", "/api/v1/admin/snapshot", nil), http.StatusNotFound, "not_initialised")
	})
	p, dir := MustInit(t, "tok", map[string]any{"seed": 9})
	t.Run("OK/AfterInit", func(t *testing.T) {
		_, doc := MustSnapshot(t, p, false)
		if doc.SchemaVersion != 1 || doc.GameID != testGameID || doc.Turn != 0 || doc.Finished || doc.Reports != nil {
			t.Fatalf("snapshot = %+v, want schema 1 of game %s at turn 0 without reports", doc, testGameID)
		}
		file, err := os.ReadFile(filepath.Join(dir, "state.json"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(doc.State, file) {
			t.Fatalf("snapshot state differs from state.json:\n%s\n%s", doc.State, file)
		}
	})
	t.Run("OK/AfterTurns", func(t *testing.T) {
		MustTurns(t, p, 1, 2)
		_, doc := MustSnapshot(t, p, true)
		if doc.Turn != 2 || len(doc.Reports) != 2 {
			t.Fatalf("snapshot at turn %d with %d reports, want turn 2 with 2", doc.Turn, len(doc.Reports))
		}
		for _, actor := range []string{actorA, actorB} {
			rep := p.call(t, "GET", "/api/v1/report?turn=2&actor="+actor, nil)
			if got, want := string(doc.Reports[actor]), strings.TrimSpace(string(rep.Body)); got != want {
				t.Fatalf("report of %s in the snapshot:\n%s\nwant what GET report answers:\n%s", actor, got, want)
			}
		}
	})
	t.Run("ErrBadParam", func(t *testing.T) {
		a := p.call(t, "GET", "/api/v1/admin/snapshot?reports=maybe", nil)
		MustStatus(t, a, http.StatusBadRequest)
		if _, msg, _ := a.errorBody(t); !strings.Contains(msg, "reports") {
			t.Fatalf("message %q does not name reports", msg)
		}
	})
}

func TestRestore(t *testing.T) {
	src, _ := MustInit(t, "tok", map[string]any{"seed": 21})
	MustStatus(t, src.call(t, "POST", "/api/v1/orders", map[string]any{"actor": actorA, "turn": 0, "orders": []any{
		map[string]any{"type": "produce", "planet": homeOf(t, src, actorA), "what": "CAP"},
	}}), http.StatusOK)
	MustTurns(t, src, 1, 1)
	at1, _ := MustSnapshot(t, src, false)
	MustTurns(t, src, 2, 2)
	at2, doc2 := MustSnapshot(t, src, true)
	state2 := src.call(t, "GET", "/api/v1/admin/state", nil).Body
	report2 := src.call(t, "GET", "/api/v1/report?turn=2&actor="+actorA, nil).Body

	dir := t.TempDir()
	p := MustStart(t, dir, "tok")
	t.Run("OK/IntoEmpty", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/admin/restore", at2)
		MustStatus(t, a, http.StatusCreated)
		if !bytes.Equal(a.Body, state2) {
			t.Fatalf("restore answered %s, want the source's state %s", a.Body, state2)
		}
		if got := p.call(t, "GET", "/api/v1/report?turn=2&actor="+actorA, nil); !bytes.Equal(got.Body, report2) {
			t.Fatalf("report of the restored turn = %s, want %s", got.Body, report2)
		}
		if _, doc := MustSnapshot(t, p, false); !bytes.Equal(doc.State, doc2.State) {
			t.Fatal("a snapshot of the restored game differs from the snapshot restored")
		}
		MustCode(t, p.call(t, "GET", "/api/v1/report?turn=1&actor="+actorA, nil), http.StatusNotFound, "no_report")
		MustTurns(t, p, 3, 3)
		MustStatus(t, p.call(t, "GET", "/api/v1/report?turn=3&actor="+actorB, nil), http.StatusOK)
	})
	t.Run("ErrExists", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/admin/restore", at2)
		MustCode(t, a, http.StatusConflict, "conflict")
		if _, msg, _ := a.errorBody(t); !strings.Contains(msg, testGameID) || !strings.Contains(msg, "replace") {
			t.Fatalf("message %q should name the game held and the replace parameter", msg)
		}
	})
	t.Run("OK/ReplaceRollback", func(t *testing.T) {
		a := p.call(t, "POST", "/api/v1/admin/restore?replace=true", at1)
		MustStatus(t, a, http.StatusOK)
		if got := decode[state](t, a); got.Turn != 1 || got.GameID != testGameID {
			t.Fatalf("state after rollback = %+v, want turn 1", got)
		}
		for _, turn := range []int{2, 3} {
			MustCode(t, p.call(t, "GET", fmt.Sprintf("/api/v1/report?turn=%d&actor=%s", turn, actorA), nil), http.StatusNotFound, "no_report")
			if _, err := os.Stat(filepath.Join(dir, "turns", fmt.Sprintf("%d.json", turn))); !os.IsNotExist(err) {
				t.Fatalf("turns/%d.json still there after the rollback to turn 1 (err %v)", turn, err)
			}
		}
		MustStatus(t, p.call(t, "GET", "/api/v1/report?turn=1&actor="+actorA, nil), http.StatusOK)
		MustCode(t, p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 3}), http.StatusConflict, "conflict")
		// The same state and (no) orders give the same turn 2 as the source's.
		if got := p.call(t, "POST", "/api/v1/admin/turn", map[string]int{"turn": 2}); !bytes.Equal(got.Body, state2) {
			t.Fatalf("turn 2 after the rollback = %s, want the source's %s", got.Body, state2)
		}
		if got := p.call(t, "GET", "/api/v1/report?turn=2&actor="+actorA, nil); !bytes.Equal(got.Body, report2) {
			t.Fatalf("report of turn 2 after the rollback = %s, want %s", got.Body, report2)
		}
	})
	t.Run("ErrReplaceOtherGame", func(t *testing.T) {
		other := initBody(map[string]any{"seed": 1})
		otherID := "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
		other["gameId"] = otherID
		q := MustStart(t, t.TempDir(), "tok")
		MustStatus(t, q.call(t, "POST", "/api/v1/admin/init", other), http.StatusCreated)
		doc, _ := MustSnapshot(t, q, false)
		a := p.call(t, "POST", "/api/v1/admin/restore?replace=true", doc)
		MustCode(t, a, http.StatusConflict, "conflict")
		if _, msg, _ := a.errorBody(t); !strings.Contains(msg, testGameID) || !strings.Contains(msg, otherID) {
			t.Fatalf("message %q should name both games", msg)
		}
	})
	t.Run("OK/ReplaceIntoEmpty", func(t *testing.T) {
		q := MustStart(t, t.TempDir(), "tok")
		MustStatus(t, q.call(t, "POST", "/api/v1/admin/restore?replace=true", at1), http.StatusCreated)
	})
	t.Run("OK/LargerThanOtherRoutes", func(t *testing.T) {
		var doc map[string]any
		json.Unmarshal(at1, &doc)
		doc["reports"] = map[string]any{actorA: map[string]any{"pad": strings.Repeat("x", 2<<20)}}
		q := MustStart(t, t.TempDir(), "tok")
		MustStatus(t, q.call(t, "POST", "/api/v1/admin/restore", doc), http.StatusCreated)
	})
	t.Run("ErrTooLarge", func(t *testing.T) {
		q := MustStart(t, t.TempDir(), "tok")
		MustCode(t, q.call(t, "POST", "/api/v1/admin/restore", bytes.Repeat([]byte(" "), 64<<20+1)), http.StatusRequestEntityTooLarge, "too_large")
	})
	t.Run("ErrBadBody", func(t *testing.T) {
		q := MustStart(t, t.TempDir(), "tok")
		var good map[string]any
		json.Unmarshal(at1, &good)
		with := func(key string, v any) map[string]any {
			m := map[string]any{}
			for k, x := range good {
				m[k] = x
			}
			if v == nil {
				delete(m, key)
			} else {
				m[key] = v
			}
			return m
		}
		innerTurn := with("state", nil)
		var st map[string]any
		json.Unmarshal(doc2.State, &st)
		innerTurn["state"] = st // the state of turn 2 in a document of turn 1
		for name, tc := range map[string]struct {
			body  any
			field string
		}{
			"Malformed":          {`{"schemaVersion":1,`, "malformed JSON"},
			"NotAnObject":        {`[]`, "malformed JSON"},
			"MissingGameID":      {with("gameId", nil), "gameId"},
			"ZeroGameID":         {with("gameId", "00000000-0000-0000-0000-000000000000"), "gameId"},
			"BadGameID":          {with("gameId", 12), "gameId"},
			"MissingSchema":      {with("schemaVersion", nil), "schemaVersion"},
			"UnknownSchema":      {with("schemaVersion", 2), "schemaVersion"},
			"MissingState":       {with("state", nil), "state"},
			"BadState":           {with("state", map[string]any{"version": 1}), "state"},
			"StateOfOtherGame":   {with("gameId", "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"), "state.gameId"},
			"StateOfOtherTurn":   {innerTurn, "state.turn"},
			"StateNotFinished":   {with("finished", true), "state.finished"},
			"TurnNotAnInteger":   {with("turn", "1"), "turn"},
			"NegativeTurn":       {with("turn", -1), "turn"},
			"EmptyBody":          {``, "empty"},
			"TrailingData":       {string(at1) + "{}", "after the JSON"},
			"ReplaceNotABoolean": {good, "replace"},
		} {
			t.Run(name, func(t *testing.T) {
				path := "/api/v1/admin/restore"
				if name == "ReplaceNotABoolean" {
					path += "?replace=maybe"
				}
				a := q.call(t, "POST", path, tc.body)
				MustStatus(t, a, http.StatusBadRequest)
				if _, msg, details := a.errorBody(t); !strings.Contains(fmt.Sprint(msg, details), tc.field) {
					t.Fatalf("error %s should name %q", a.Body, tc.field)
				}
			})
		}
		MustCode(t, q.call(t, "GET", "/api/v1/admin/state", nil), http.StatusNotFound, "not_initialised")
	})
	t.Run("OK/KillAfterRestore", func(t *testing.T) {
		dir := t.TempDir()
		q := MustStart(t, dir, "tok")
		MustStatus(t, q.call(t, "POST", "/api/v1/admin/restore", at2), http.StatusCreated)
		q.cmd.Process.Signal(syscall.SIGKILL)
		MustExit(t, q)
		r := MustStart(t, dir, "tok")
		if got := r.call(t, "GET", "/api/v1/admin/state", nil); !bytes.Equal(got.Body, state2) {
			t.Fatalf("state after SIGKILL = %s, want %s", got.Body, state2)
		}
		MustStatus(t, r.call(t, "GET", "/api/v1/report?turn=2&actor="+actorA, nil), http.StatusOK)
		MustTurns(t, r, 3, 3)
	})
	// SIGKILL right after the request is on the wire, so that the engine dies at some
	// point of reading, checking or writing it: whatever the point, a restarted engine
	// has either no game or the whole restored one, with the old game intact until then.
	for _, replace := range []bool{false, true} {
		t.Run(fmt.Sprintf("OK/KillDuringRestore/replace=%v", replace), func(t *testing.T) {
			for i := 0; i < 5; i++ {
				dir := t.TempDir()
				q := MustStart(t, dir, "tok")
				if replace {
					MustStatus(t, q.call(t, "POST", "/api/v1/admin/restore", at1), http.StatusCreated)
				}
				MustSendRaw(t, q, "POST", "/api/v1/admin/restore?replace="+fmt.Sprint(replace), at2)
				q.cmd.Process.Signal(syscall.SIGKILL)
				MustExit(t, q)
				r := MustStart(t, dir, "tok")
				a := r.call(t, "GET", "/api/v1/admin/state", nil)
				switch st := a.Status; {
				case st == http.StatusNotFound && !replace:
				case st == http.StatusOK && decode[state](t, a).Turn == 1 && replace:
				case st == http.StatusOK && bytes.Equal(a.Body, state2):
				default:
					t.Fatalf("after SIGKILL during restore: %d %s", a.Status, a.Body)
				}
				if a.Status == http.StatusOK {
					turn := decode[state](t, a).Turn
					MustStatus(t, r.call(t, "GET", fmt.Sprintf("/api/v1/report?turn=%d&actor=%s", turn, actorA), nil), http.StatusOK)
					MustTurns(t, r, turn+1, turn+1)
				}
				if tmps, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmps) > 0 {
					t.Fatalf("temporary files left after restart: %v", tmps)
				}
				r.cmd.Process.Kill()
				MustExit(t, r)
			}
		})
	}
}

// MustSendRaw writes one HTTP request on a new connection and returns as soon as it is
// written, without waiting for the answer.
func MustSendRaw(tb testing.TB, p *proc, method, path string, body []byte) {
	tb.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.base, "http://"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: engine\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		method, path, p.token, len(body))
	if _, err := conn.Write(append([]byte(req), body...)); err != nil {
		tb.Fatal(err)
	}
}
