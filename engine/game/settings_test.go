package game

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// mustSettingsSchema compiles SettingsSchema as draft 2020-12.
func mustSettingsSchema(tb testing.TB) *jsonschema.Schema {
	tb.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SettingsSchema))
	if err != nil {
		tb.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("settings.schema.json", doc); err != nil {
		tb.Fatal(err)
	}
	sch, err := c.Compile("settings.schema.json")
	if err != nil {
		tb.Fatal(err)
	}
	return sch
}

// settingsAgree decodes text as the server does (UseNumber) and reports whether
// ParseSettings and the schema agree; ok is false when text is not a JSON object.
func settingsAgree(tb testing.TB, sch *jsonschema.Schema, text string) (parsed, valid, ok bool) {
	tb.Helper()
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return false, false, false
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return false, false, false
	}
	_, perr := ParseSettings(m)
	return perr == nil, sch.Validate(inst) == nil, true
}

func TestSettingsSchema(t *testing.T) {
	sch := mustSettingsSchema(t)
	for text, want := range map[string]bool{
		`{}`: true, `{"seed":0}`: true, `{"seed":42,"maxTurns":50}`: true, `{"seed":null,"maxTurns":null}`: true,
		`{"seed":9007199254740991}`: true, `{"seed":1.0}`: true, `{"seed":1e3}`: true, `{"seed":-0}`: true,
		`{"maxTurns":1000000}`: true, `{"lobbyRef":"x","other":[1]}`: true, `{"seed":10E-1}`: true,
		`{"seed":-1}`: false, `{"seed":1.5}`: false, `{"seed":"1"}`: false, `{"seed":true}`: false,
		`{"seed":9007199254740992}`: false, `{"seed":9007199254740991.0000001}`: false, `{"seed":1e300}`: false,
		`{"seed":1e999999999}`: false, `{"maxTurns":1000001}`: false, `{"maxTurns":[]}`: false, `{"maxTurns":{}}`: false,
		`{"seed":0.1e1}`: true, `{"seed":100e-2}`: true, `{"seed":1e-999999999}`: false,
		`{"allianceVictory":true}`: true, `{"allianceVictory":false}`: true, `{"allianceVictory":null}`: true,
		`{"allianceVictory":1}`: false, `{"allianceVictory":"true"}`: false,
	} {
		parsed, valid, ok := settingsAgree(t, sch, text)
		if !ok {
			t.Fatalf("%s is not a JSON object", text)
		}
		if parsed != want || valid != want {
			t.Errorf("settings %s: ParseSettings accepts %v, the schema accepts %v, want %v", text, parsed, valid, want)
		}
	}
}

func TestParseSettingsDetails(t *testing.T) {
	_, err := ParseSettings(map[string]any{"seed": -1.0, "maxTurns": "x"})
	ge, ok := err.(*Error)
	if !ok || len(ge.Details) != 2 {
		t.Fatalf("err = %v, want one detail per bad key", err)
	}
	fields := map[string]bool{}
	for _, d := range ge.Details {
		fields[d.Field] = true
	}
	if !fields["settings.seed"] || !fields["settings.maxTurns"] {
		t.Fatalf("details = %+v, want settings.seed and settings.maxTurns", ge.Details)
	}
}

// FuzzSettings holds ParseSettings and SettingsSchema to the same answer on every
// settings object.
func FuzzSettings(f *testing.F) {
	for _, s := range []string{`{}`, `{"seed":1}`, `{"seed":1.5}`, `{"maxTurns":1e6}`, `{"seed":9007199254740991}`, `{"seed":-0.0e5}`, `{"x":null}`} {
		f.Add(s)
	}
	sch := mustSettingsSchema(f)
	f.Fuzz(func(t *testing.T, text string) {
		if parsed, valid, ok := settingsAgree(t, sch, text); ok && parsed != valid {
			t.Fatalf("settings %s: ParseSettings accepts %v, the schema accepts %v", text, parsed, valid)
		}
	})
}
