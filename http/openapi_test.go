package http_test

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"testing"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"github.com/getkin/kin-openapi/openapi3"
)

// MustLoadOpenAPI parses and validates the embedded document.
func MustLoadOpenAPI(tb testing.TB) *openapi3.T {
	tb.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(ghttp.OpenAPI)
	if err != nil {
		tb.Fatalf("parse openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		tb.Fatalf("validate openapi.yaml: %v", err)
	}
	return doc
}

func TestOpenAPI_Valid(t *testing.T) {
	doc := MustLoadOpenAPI(t)
	if got, want := doc.OpenAPI, "3.0.3"; got != want {
		t.Fatalf("openapi: got %q, want %q", got, want)
	}
}

// TestOpenAPI_CoversRoutes checks both directions: every route the router registers
// is documented, and the document describes no route the server lacks.
func TestOpenAPI_CoversRoutes(t *testing.T) {
	doc := MustLoadOpenAPI(t)
	s := ghttp.NewServer(ghttp.Config{})
	registered := map[string]bool{}
	for _, r := range s.Routes() {
		registered[r] = true
		method, path, _ := strings.Cut(r, " ")
		item := doc.Paths.Find(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s is not in openapi.yaml", r)
		}
	}
	var documented []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(documented)
	for _, r := range documented {
		if !registered[r] {
			t.Errorf("openapi.yaml documents %s, which the server does not register", r)
		}
	}
	if len(registered) < 25 {
		t.Fatalf("registered routes: got %d, want every route", len(registered))
	}
}

// TestOpenAPI_ErrorCodes checks that the Error schema lists exactly the codes of the
// status table, so a client generated from the document knows every code.
func TestOpenAPI_ErrorCodes(t *testing.T) {
	doc := MustLoadOpenAPI(t)
	code := doc.Components.Schemas["Error"].Value.Properties["error"].Value.Properties["code"].Value
	for _, c := range code.Enum {
		if ghttp.ErrorStatus(c.(string)) == http.StatusInternalServerError && c != "internal" {
			t.Errorf("code %q is documented but not in the status table", c)
		}
	}
	if got, want := len(code.Enum), 13; got != want {
		t.Fatalf("codes: got %d, want %d", got, want)
	}
}

// TestOpenAPI_Statuses checks that the document's status enum is the domain's list
// (orchestrator.Statuses is the one home of it; the document only mirrors it).
func TestOpenAPI_Statuses(t *testing.T) {
	doc := MustLoadOpenAPI(t)
	var got []string
	for _, v := range doc.Components.Schemas["RuntimeStatus"].Value.Enum {
		got = append(got, v.(string))
	}
	if strings.Join(got, ",") != strings.Join(orchestrator.Statuses, ",") {
		t.Fatalf("RuntimeStatus enum %v, want orchestrator.Statuses %v", got, orchestrator.Statuses)
	}
}
