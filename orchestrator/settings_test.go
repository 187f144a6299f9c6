package orchestrator_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// A schema like the reference engine's: seed and maxTurns are integers in range.
const testSettingsSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "seed": {"type": "integer", "minimum": 0, "maximum": 9007199254740991},
    "maxTurns": {"type": "integer", "minimum": 0, "maximum": 1000000}
  }
}`

// Settings are checked at create against the version's schema: a 400 naming the
// setting, not a start that fails later.
func TestService_CreateGameSettings(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	if _, err := h.svc.CreateEngineVersion(ctx, &orchestrator.EngineVersion{Version: "2.0.0", Command: "/bin/engine", Enabled: true, SettingsSchema: json.RawMessage(testSettingsSchema)}); err != nil {
		t.Fatal(err)
	}
	create := func(settings string) error {
		var m map[string]any
		if err := json.Unmarshal([]byte(settings), &m); err != nil {
			t.Fatal(err)
		}
		_, _, err := h.svc.CreateGame(ctx, orchestrator.GameInput{EngineVersion: "2.0.0", Schedule: orchestrator.Schedule{Cron: "@every 1m"},
			Players: []orchestrator.PlayerInput{{UserID: uuid.New(), RaceName: "Gamma"}}, Settings: m}, "")
		return err
	}
	for settings, field := range map[string]string{
		`{"maxTurns": -1}`:            "settings.maxTurns",
		`{"maxTurns": 1.5}`:           "settings.maxTurns",
		`{"seed": "x"}`:               "settings.seed",
		`{"seed": -3, "maxTurns": 2}`: "settings.seed",
	} {
		err := create(settings)
		var e *orchestrator.Error
		if !errors.As(err, &e) || e.Code != orchestrator.EINVALID || e.Field != field || len(e.Details) == 0 {
			t.Errorf("settings %s: %v, want invalid naming %s with details", settings, err, field)
		}
	}
	for _, ok := range []string{`{}`, `{"seed": 42, "maxTurns": 50}`, `{"lobbyTag": "x"}`} {
		if err := create(ok); err != nil {
			t.Errorf("settings %s: %v, want accepted", ok, err)
		}
	}
}

// A version's schema is checked when it is registered; a schema that is not one, or
// that would make galaxyd load a file or URL, is a 400 naming settingsSchema.
func TestService_VersionSettingsSchema(t *testing.T) {
	ctx := context.Background()
	h := MustOpenHarness(t)
	for i, schema := range []string{
		`[1, 2]`,
		`{"type": "no-such-type"}`,
		`{"$ref": "file:///etc/passwd"}`,
		`{"$ref": "http://example.invalid/schema.json"}`,
	} {
		v := &orchestrator.EngineVersion{Version: "3.0." + string(rune('0'+i)), Command: "/bin/engine", Enabled: true, SettingsSchema: json.RawMessage(schema)}
		_, err := h.svc.CreateEngineVersion(ctx, v)
		var e *orchestrator.Error
		if !errors.As(err, &e) || e.Code != orchestrator.EINVALID || e.Field != "settingsSchema" {
			t.Errorf("schema %s: %v, want invalid naming settingsSchema", schema, err)
		}
	}
}
