package main

import (
	"bytes"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/galaxy-orchestrator/galaxy/engine/game"
)

func TestSettingsSchema(t *testing.T) {
	t.Run("OK/Route", func(t *testing.T) {
		p := MustStart(t, t.TempDir(), "tok")
		a := p.callAs(t, "", "GET", "/api/v1/settings-schema", nil) // no token needed
		MustStatus(t, a, http.StatusOK)
		if got := a.Header.Get("Content-Type"); got != "application/schema+json" {
			t.Fatalf("Content-Type = %q, want application/schema+json", got)
		}
		if !bytes.Equal(a.Body, game.SettingsSchema) {
			t.Fatalf("schema = %s, want game.SettingsSchema", a.Body)
		}
		if !bytes.Contains(a.Body, []byte(`"https://json-schema.org/draft/2020-12/schema"`)) {
			t.Fatal("the schema does not declare draft 2020-12")
		}
	})
	t.Run("OK/Flag", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(binary, "-settings-schema")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("galaxy-engine -settings-schema: %v\n%s", err, stderr.String())
		}
		if !bytes.Equal(stdout.Bytes(), game.SettingsSchema) {
			t.Fatalf("stdout = %s, want game.SettingsSchema", stdout.String())
		}
	})
	t.Run("ErrUnknownFlag", func(t *testing.T) {
		var stderr bytes.Buffer
		cmd := exec.Command(binary, "-no-such-flag")
		cmd.Stderr = &stderr
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "no-such-flag") {
			t.Fatalf("err = %v, stderr %q; want exit code 2 naming the flag", err, stderr.String())
		}
	})
	t.Run("ErrBadSetting", func(t *testing.T) {
		p := MustStart(t, t.TempDir(), "")
		for key, v := range map[string]any{"seed": 1.5, "maxTurns": -1} {
			a := p.call(t, "POST", "/api/v1/admin/init", initBody(map[string]any{key: v}))
			MustCode(t, a, http.StatusBadRequest, "invalid")
			if _, _, details := a.errorBody(t); len(details) != 1 || details[0]["field"] != "settings."+key {
				t.Fatalf("error %s should name settings.%s", a.Body, key)
			}
		}
		a := p.call(t, "POST", "/api/v1/admin/init", `{"gameId":"`+testGameID+`","races":[{"raceName":"A","playerId":"`+actorA+`"}],"settings":[1]}`)
		MustStatus(t, a, http.StatusBadRequest)
		if _, _, details := a.errorBody(t); len(details) != 1 || details[0]["field"] != "settings" {
			t.Fatalf("error %s should name settings", a.Body)
		}
	})
}
