package orchestrator

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// MaxSettingsSchemaSize bounds an engine version's settings schema (bytes of JSON).
const MaxSettingsSchemaSize = 64 << 10

// A game's settings are opaque to the orchestrator but not unchecked: an engine
// publishes a JSON Schema of the settings it accepts at init (the reference engine's
// `galaxy-engine -settings-schema`), its version record keeps it, and a create whose
// settings the schema refuses is a 400 naming the setting — not a start that fails
// later with "invalid settings". A version without a schema accepts any settings.

// schemas caches compiled settings schemas by the SHA-256 of their JSON: there are
// few versions, and compiling on every create would cost more than validating.
var schemas sync.Map // [sha256.Size]byte → *jsonschema.Schema

// noLoader refuses every external reference: a schema is one self-contained document,
// and galaxyd never reads a file or a URL because an admin's schema names one.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("settings schemas must be self-contained; %s is not loaded", url)
}

// compileSettingsSchema compiles raw (draft 2020-12 unless it says otherwise).
// Errors: EINVALID naming "settingsSchema".
func compileSettingsSchema(raw json.RawMessage) (*jsonschema.Schema, error) {
	key := sha256.Sum256(raw)
	if s, ok := schemas.Load(key); ok {
		return s.(*jsonschema.Schema), nil
	}
	if len(raw) > MaxSettingsSchemaSize {
		return nil, FieldErrorf("settingsSchema", "settingsSchema must be at most %d bytes of JSON", MaxSettingsSchemaSize)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, FieldErrorf("settingsSchema", "settingsSchema is not valid JSON: %v", err)
	}
	if _, ok := doc.(map[string]any); !ok {
		return nil, FieldErrorf("settingsSchema", "settingsSchema must be a JSON Schema object")
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noLoader{})
	const loc = "galaxy:settings.schema.json"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, FieldErrorf("settingsSchema", "settingsSchema: %v", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, FieldErrorf("settingsSchema", "settingsSchema is not a valid JSON Schema: %s", firstLine(err.Error()))
	}
	schemas.Store(key, s)
	return s, nil
}

// CheckSettings validates a game's settings against the version's schema. Errors:
// EINVALID naming the first setting at fault ("settings.maxTurns"), with one Detail
// per problem.
func (v *EngineVersion) CheckSettings(settings map[string]any) error {
	if len(v.SettingsSchema) == 0 {
		return nil
	}
	s, err := compileSettingsSchema(v.SettingsSchema)
	if err != nil {
		return err // a stored schema always compiled once; this is a bug
	}
	inst := map[string]any{}
	for k, val := range settings {
		inst[k] = val
	}
	verr := s.Validate(inst)
	if verr == nil {
		return nil
	}
	ve, ok := verr.(*jsonschema.ValidationError)
	if !ok {
		return FieldErrorf("settings", "settings: %v", verr)
	}
	var details []Detail
	var walk func(u jsonschema.OutputUnit)
	walk = func(u jsonschema.OutputUnit) {
		if len(u.Errors) == 0 && u.Error != nil {
			details = append(details, Detail{Index: -1, Field: settingsField(u.InstanceLocation), Message: u.Error.String()})
		}
		for _, c := range u.Errors {
			walk(c)
		}
	}
	walk(*ve.BasicOutput())
	if len(details) == 0 {
		details = []Detail{{Index: -1, Field: "settings", Message: firstLine(ve.Error())}}
	}
	sort.SliceStable(details, func(i, j int) bool { return details[i].Field < details[j].Field })
	e := FieldErrorf(details[0].Field, "settings refused by engine version %s: %s", v.Version, details[0].Message)
	e.Details = details
	return e
}

// settingsField turns a JSON pointer inside the settings into the request field.
func settingsField(pointer string) string {
	field := "settings"
	for _, p := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		if p != "" {
			field += "." + strings.NewReplacer("~1", "/", "~0", "~").Replace(p)
		}
	}
	return field
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
