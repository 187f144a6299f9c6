package archive

import (
	"slices"
	"strings"
)

// drivers are the URL schemes of the backends built in besides file:// (which Open
// opens itself). Each driver_*.go file imports one gocloud driver, which registers
// with gocloud's default URL mux, and adds its scheme here. The Google Cloud and Azure
// drivers can be left out of a build to save their size (see driver_gcs.go and
// driver_azure.go).
var drivers = map[string]bool{}

// Schemes returns the URL schemes this build of Open supports, sorted.
func Schemes() []string {
	out := []string{"file"}
	for s := range drivers {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// schemeList is Schemes for a message.
func schemeList() string { return strings.Join(Schemes(), ", ") }
