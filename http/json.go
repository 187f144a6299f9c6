package http

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/google/uuid"
)

// writeJSON writes v with status. An encoding failure can only be a bug in a response
// type; the status is already sent, so nothing better than dropping the body remains.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads one JSON value from the request body into dst (a pointer to a struct)
// strictly: the body is required, unknown fields, wrong types, malformed JSON and
// trailing data are all EINVALID errors naming the field ("players[0].userId") or the
// byte offset; an oversize body is ETOOLARGE. It never returns an internal error for
// bad input.
//
// encoding/json alone names neither array indexes nor the field of a failing
// UnmarshalText (a bad UUID), so the body is first decoded generically and checked
// against dst's type by check; the final strict decode then cannot fail on input that
// check accepted, save for a mismatch between check and encoding/json, which is still
// answered as a 400.
func decode(r *http.Request, dst any) error {
	body, err := io.ReadAll(r.Body)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return tooLarge(maxErr.Limit)
	} else if err != nil {
		return orchestrator.Errorf(orchestrator.EINVALID, "cannot read the request body")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return orchestrator.Errorf(orchestrator.EINVALID, "a JSON request body is required")
	}

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return syntaxError(err, len(body))
	}
	if off := dec.InputOffset(); len(bytes.TrimSpace(body[off:])) != 0 {
		return orchestrator.Errorf(orchestrator.EINVALID, "unexpected data after the JSON value at offset %d", off)
	}
	if generic == nil {
		return orchestrator.Errorf(orchestrator.EINVALID, "the request body must be a JSON object, not null")
	}
	if err := check(generic, reflect.TypeOf(dst).Elem(), ""); err != nil {
		return err
	}

	dec = json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return &orchestrator.Error{Code: orchestrator.EINVALID, Field: te.Field, Message: "wrong type for " + te.Field}
		}
		return orchestrator.Errorf(orchestrator.EINVALID, "invalid request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

// syntaxError describes a failure of the generic decode (which only fails on syntax).
func syntaxError(err error, size int) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return orchestrator.Errorf(orchestrator.EINVALID, "malformed JSON at offset %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return orchestrator.Errorf(orchestrator.EINVALID, "malformed JSON at offset %d: unexpected end of input", size)
	}
	return orchestrator.Errorf(orchestrator.EINVALID, "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	uuidType        = reflect.TypeFor[uuid.UUID]()
	timeType        = reflect.TypeFor[time.Time]()
)

// check verifies that v (a value decoded with UseNumber) fits type t the way
// encoding/json with DisallowUnknownFields would accept it, and names the first field
// that does not. null fits everything, as in encoding/json.
func check(v any, t reflect.Type, path string) error {
	if v == nil {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == rawMessageType:
		return nil
	case t == timeType:
		if s, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return nil
			}
		}
		return typeError(path, "an RFC 3339 timestamp")
	case reflect.PointerTo(t).Implements(jsonUnmarshaler):
		// A custom JSON decoding this checker cannot mirror: try it.
		b, _ := json.Marshal(v)
		if err := reflect.New(t).Interface().(json.Unmarshaler).UnmarshalJSON(b); err != nil {
			return typeError(path, "a valid value")
		}
		return nil
	case reflect.PointerTo(t).Implements(textUnmarshaler):
		want := "a valid " + t.String()
		if t == uuidType {
			want = "a UUID"
		}
		s, ok := v.(string)
		if !ok {
			return typeError(path, want)
		}
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return typeError(path, want)
		}
		return nil
	}

	switch t.Kind() {
	case reflect.Interface:
		return nil
	case reflect.String:
		if _, ok := v.(string); !ok {
			return typeError(path, "a string")
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return typeError(path, "true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := v.(json.Number)
		if !ok {
			return typeError(path, "an integer")
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			return typeError(path, fmt.Sprintf("an integer of at most %d bits", t.Bits()))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := v.(json.Number)
		if !ok {
			return typeError(path, "a non-negative integer")
		}
		if _, err := strconv.ParseUint(string(n), 10, t.Bits()); err != nil {
			return typeError(path, fmt.Sprintf("a non-negative integer of at most %d bits", t.Bits()))
		}
	case reflect.Float32, reflect.Float64:
		n, ok := v.(json.Number)
		if !ok {
			return typeError(path, "a number")
		}
		if _, err := strconv.ParseFloat(string(n), t.Bits()); err != nil {
			return typeError(path, "a number in range")
		}
	case reflect.Slice, reflect.Array:
		a, ok := v.([]any)
		if !ok {
			return typeError(path, "an array")
		}
		for i, e := range a {
			if err := check(e, t.Elem(), path+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return typeError(path, "an object")
		}
		for k, e := range m {
			if err := check(e, t.Elem(), join(path, k)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			if path == "" {
				return orchestrator.Errorf(orchestrator.EINVALID, "the request body must be a JSON object")
			}
			return typeError(path, "an object")
		}
		fields := jsonFields(t)
		for k, e := range m {
			f, ok := lookupField(fields, k)
			if !ok {
				return &orchestrator.Error{Code: orchestrator.EINVALID, Field: join(path, k), Message: fmt.Sprintf("unknown field %q", join(path, k))}
			}
			if err := check(e, f.typ, join(path, f.name)); err != nil {
				return err
			}
		}
	default:
		return typeError(path, "absent") // no request type has such a field
	}
	return nil
}

func typeError(path, want string) error {
	if path == "" {
		return orchestrator.Errorf(orchestrator.EINVALID, "the request body must be %s", want)
	}
	return &orchestrator.Error{Code: orchestrator.EINVALID, Field: path, Message: path + " must be " + want}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

type jsonField struct {
	name string
	typ  reflect.Type
}

// jsonFields lists the JSON names of t's exported fields, following embedded structs
// as encoding/json does (the request types use no name conflicts).
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, typ: f.Type})
	}
	return out
}

// lookupField matches a key exactly. encoding/json would also accept a key that
// differs in case ("UserID"); the API is stricter so that a misspelt field is reported
// instead of silently merged or shadowed.
func lookupField(fields []jsonField, key string) (jsonField, bool) {
	for _, f := range fields {
		if f.name == key {
			return f, true
		}
	}
	return jsonField{}, false
}
