package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/engine/game"
)

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "cannot encode the answer", nil)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// writeError answers status with an ErrorBody.
func writeError(w http.ResponseWriter, status int, code, msg string, details []engine.FieldError) {
	data, _ := json.Marshal(engine.ErrorBody{Error: engine.ErrorDetail{Code: code, Message: msg, Details: details}})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

// writeGameError maps a rules error to its status: Invalid 400, Forbidden 403,
// NotFound 404, Conflict 409; anything else is the engine's fault (500).
func writeGameError(w http.ResponseWriter, err error) {
	var ge *game.Error
	if !errors.As(err, &ge) {
		writeError(w, http.StatusInternalServerError, engine.CodeInternal, "internal error", nil)
		return
	}
	switch ge.Kind {
	case game.Forbidden:
		writeError(w, http.StatusForbidden, engine.CodeForbidden, ge.Message, ge.Details)
	case game.NotFound:
		writeError(w, http.StatusNotFound, engine.CodeNotFound, ge.Message, ge.Details)
	case game.Conflict:
		writeError(w, http.StatusConflict, engine.CodeConflict, ge.Message, ge.Details)
	default:
		writeError(w, http.StatusBadRequest, engine.CodeInvalid, ge.Message, ge.Details)
	}
}

// decodeBody reads r's JSON body into v. It answers the error itself and returns
// false: 413 past engine.MaxBodyBytes, 400 (with the decoder's reason) for an empty
// body, malformed JSON, a wrong type or trailing data. Unknown fields are ignored so
// that a newer orchestrator can talk to an older engine.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	return decodeBodyLimit(w, r, v, engine.MaxBodyBytes)
}

// decodeBodyLimit is decodeBody with its own size limit (admin/restore's is larger).
// A value of the wrong JSON type is a 400 whose detail names the field.
func decodeBodyLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	tooLarge := func() bool {
		writeError(w, http.StatusRequestEntityTooLarge, engine.CodeTooLarge, fmt.Sprintf("body larger than %d bytes", limit), nil)
		return false
	}
	if r.ContentLength > limit {
		return tooLarge()
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge()
		}
		writeError(w, http.StatusBadRequest, engine.CodeBadJSON, "cannot read the body: "+err.Error(), nil)
		return false
	}
	if len(bytes.TrimSpace(data)) == 0 {
		writeError(w, http.StatusBadRequest, engine.CodeBadJSON, "the body is empty; a JSON object is required", nil)
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) && ute.Field != "" {
			why := fmt.Sprintf("must be %s, not a JSON %s", jsonKind(ute.Type), ute.Value)
			writeError(w, http.StatusBadRequest, engine.CodeBadJSON, "malformed JSON: "+ute.Field+" "+why,
				[]engine.FieldError{{Index: -1, Field: ute.Field, Message: why}})
			return false
		}
		writeError(w, http.StatusBadRequest, engine.CodeBadJSON, "malformed JSON: "+err.Error(), nil)
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, engine.CodeBadJSON, "malformed JSON: data after the JSON object", nil)
		return false
	}
	return true
}

// jsonKind names the JSON kind a Go type decodes from, for error messages.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return jsonKind(t.Elem())
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Array && t.Elem().Kind() == reflect.Uint8 { // uuid.UUID
			return "a string"
		}
		return "an array"
	}
	return "an object"
}

// writeFieldError answers 400 invalid for a bad request field: msg for people, and a
// detail naming field with why.
func writeFieldError(w http.ResponseWriter, field, msg, why string) {
	writeError(w, http.StatusBadRequest, engine.CodeInvalid, msg, []engine.FieldError{{Index: -1, Field: field, Message: why}})
}
