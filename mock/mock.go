// Package mock holds function-field mocks of the orchestrator's service interfaces for
// tests of the adapters that sit on top of them (http/, cmd/). Each method calls the
// field of the same name with an "Fn" suffix; a test sets only the fields it expects to
// be called, so an unexpected call panics with a message naming the missing field.
package mock

import "fmt"

// unset panics for a call that the test did not expect. Panicking (rather than
// returning an error) makes the mistake impossible to miss: the HTTP layer's recover
// middleware turns it into a 500 that any test checking the status notices, and the
// log names the field.
func unset(typ, fn string) {
	panic(fmt.Sprintf("mock: %s.%s not set", typ, fn))
}
