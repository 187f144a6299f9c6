package orchestrator

import (
	"fmt"
	"time"
)

// Duration is a time.Duration that configuration files spell as text: "30s", "1m30s",
// "250ms" (Go's time.ParseDuration syntax). The empty string is zero, which every
// configuration field documents as "use the default". Negative durations are refused.
// It is a plain value type so that configuration structs of any package can use it
// with their own hcl or json tags.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.String ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. The error names the text, not
// the field: decoders add where it was.
func (d *Duration) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a number with a unit: 500ms, 30s, 5m, 1h)", b)
	}
	if v < 0 {
		return fmt.Errorf("invalid duration %q: must not be negative", b)
	}
	*d = Duration(v)
	return nil
}
