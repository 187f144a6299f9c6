package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// TestDecode drives the strict decoder through POST /api/v1/games: every case must be
// refused with 400 (or 413) before the service is called (the mock is unset, so a call
// would answer 500).
func TestDecode(t *testing.T) {
	s := MustOpenServer(t)
	cases := []struct {
		name, body string
		status     int
		field      string
		msg        string
	}{
		{"ErrEmpty", ``, 400, "", "required"},
		{"ErrWhitespace", "  \n", 400, "", "required"},
		{"ErrSyntax", `{"engineVersion":}`, 400, "", "offset 18"},
		{"ErrTruncated", `{"engineVersion":"1.2.3"`, 400, "", "offset"},
		{"ErrTrailing", `{"engineVersion":"1.2.3"} {}`, 400, "", "after the JSON value"},
		{"ErrTrailingGarbage", `{"engineVersion":"1.2.3"}x`, 400, "", ""},
		{"ErrNotObject", `[1,2]`, 400, "", "JSON object"},
		{"ErrNull", `null`, 400, "", ""},
		{"ErrUnknownField", `{"engineVersion":"1.2.3","colour":"red"}`, 400, "colour", "unknown field"},
		{"ErrUnknownNestedField", `{"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"A","hat":1}]}`, 400, "players[0].hat", "unknown field"},
		{"ErrWrongCase", `{"EngineVersion":"1.2.3"}`, 400, "EngineVersion", "unknown field"},
		{"ErrType", `{"engineVersion":123}`, 400, "engineVersion", "string"},
		{"ErrTypeNested", `{"schedule":{"cron":5}}`, 400, "schedule.cron", "string"},
		{"ErrBadUUID", `{"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"A"},{"userId":"nope","raceName":"B"}]}`, 400, "players[1].userId", "UUID"},
		{"ErrUUIDNumber", `{"players":[{"userId":7}]}`, 400, "players[0].userId", "UUID"},
		{"ErrPlayersNotArray", `{"players":{}}`, 400, "players", "array"},
		{"ErrSettingsNotObject", `{"settings":[1]}`, 400, "settings", "object"},
		{"ErrBool", `{"earlyTurn":"yes"}`, 400, "earlyTurn", ""},
		{"ErrTooLarge", `{"settings":{"x":"` + strings.Repeat("a", 1<<20) + `"}}`, 413, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := s.Do(t, "POST", "/api/v1/games", tc.body)
			code := "invalid"
			if tc.status == 413 {
				code = "too_large"
			}
			e := MustError(t, resp, body, tc.status, code, tc.field)
			if !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("message: got %q, want it to contain %q", e.Message, tc.msg)
			}
		})
	}
}

// TestDecode_TooLargeChunked sends an oversize body without a Content-Length, so only
// the MaxBytesReader can catch it.
func TestDecode_TooLargeChunked(t *testing.T) {
	s := MustOpenServer(t)
	body := `{"settings":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`
	req := s.Request(t, "POST", "/api/v1/games", AdminToken, nil)
	req.Body = readCloser{strings.NewReader(body)}
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	resp, b := MustDo(t, req)
	MustError(t, resp, b, http.StatusRequestEntityTooLarge, "too_large", "")
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

// TestDecode_Accepts checks what the strict decoder still lets through: nulls and
// values that exactly fit, as encoding/json would.
func TestDecode_Accepts(t *testing.T) {
	s := MustOpenServer(t)
	var got orchestrator.GameInput
	s.GameService.CreateGameFn = func(_ context.Context, in orchestrator.GameInput, _ string) (*orchestrator.GameView, bool, error) {
		got = in
		return newGameView(gameID), true, nil
	}
	body := `{"engineVersion":"1.2.3","schedule":{"cron":"@every 1m","timezone":null},` +
		`"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Zorg"}],` +
		`"settings":{"seed":42,"nested":{"a":[1,"b",null]}},"earlyTurn":true}`
	resp, b := s.Do(t, "POST", "/api/v1/games", body)
	MustStatus(t, resp, b, http.StatusCreated)
	if got.EngineVersion != "1.2.3" || got.Schedule.Cron != "@every 1m" || len(got.Players) != 1 ||
		got.Players[0].UserID != user1 || !got.EarlyTurn || got.Settings["seed"] != float64(42) {
		t.Fatalf("decoded: got %+v", got)
	}
}
