package orchestrator_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/galaxy-orchestrator/galaxy/engine"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// mustCodedError fails unless err is an *orchestrator.Error with code and one of fields.
func mustCodedError(tb testing.TB, err error, code string, fields ...string) *orchestrator.Error {
	tb.Helper()
	var e *orchestrator.Error
	if !errors.As(err, &e) {
		tb.Fatalf("error %v (%T) is not an *orchestrator.Error", err, err)
	}
	if got, want := e.Code, code; got != want {
		tb.Fatalf("error %v: code %q, want %q", err, got, want)
	}
	for _, f := range fields {
		if e.Field == f {
			return e
		}
	}
	tb.Fatalf("error %v: field %q, want one of %q", err, e.Field, fields)
	return nil
}

// fuzzInstants are the moments a compiled schedule is asked for its next slots: the
// epoch, leap days, DST changes in both hemispheres, now-ish and the far future.
var fuzzInstants = []time.Time{
	time.Unix(0, 0),
	time.Date(2000, 2, 29, 23, 59, 59, 999999999, time.UTC),
	time.Date(2026, 3, 29, 0, 59, 59, 0, time.UTC),   // EU spring forward at 01:00 UTC
	time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC),   // EU fall back at 01:00 UTC
	time.Date(2026, 4, 5, 15, 45, 0, 0, time.UTC),    // Australia/Sydney fall back
	time.Date(2011, 12, 29, 10, 0, 0, 0, time.UTC),   // Pacific/Apia skipped 30 Dec 2011
	time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC), // cronexpr's last year
	time.Date(2200, 6, 15, 12, 0, 0, 0, time.UTC),
}

// lastNano is the last instant time.Time.UnixNano can represent (2262-04-11). Past it,
// CompiledSchedule.Next of an "@every" schedule overflows and returns a slot in 1969
// (found by this fuzzer with "@every 2562047h47m16.854775807s"): harmless before the
// 23rd century, so the fuzzer stops its walks there instead of failing.
var lastNano = time.Unix(0, math.MaxInt64)

func FuzzSchedule(f *testing.F) {
	for _, s := range []struct{ cron, tz string }{
		{"* * * * *", ""}, {"0 18 * * *", "Europe/Berlin"}, {"30 2 * * *", "America/New_York"},
		{"0 0 1 1 *", "UTC"}, {"@every 1s", ""}, {"@every 1h30m", "Asia/Kolkata"}, {"@every 999ms", ""},
		{"@every -5s", ""}, {"@every", ""}, {"@every 2562047h47m16.854775807s", "UTC"},
		{"0 0 30 2 *", ""}, {"0 0 0 1 1 * 2020", ""}, {"0 0 1 1 * 2099", "Pacific/Apia"},
		{"*/0 * * * *", ""}, {"61 * * * *", ""}, {"0 0 L * *", ""}, {"0 0 ? * 5#3", ""}, {"0 0 * * 7L", ""},
		{"@hourly", "Australia/Lord_Howe"}, {"@yearly", ""}, {"@reboot", ""}, {"", ""}, {"   ", ""},
		{"* * * * *", "Local"}, {"* * * * *", "Mars/Olympus"}, {"* * * * *", "../../etc/passwd"},
		{"* * * * *", "UTC\x00"}, {"* * * * *", "EST5EDT"}, {"* * * * *", "Etc/GMT+14"},
		{"1-59/7,3 */5 1,15 JAN-MAR MON-FRI", "Europe/Dublin"}, {"0 2 * * SUN", "Europe/London"},
	} {
		f.Add(s.cron, s.tz)
	}
	f.Fuzz(func(t *testing.T, cron, tz string) {
		s := orchestrator.Schedule{Cron: cron, Timezone: tz}
		cs, err := s.Compile()
		if err != nil {
			mustCodedError(t, err, orchestrator.EINVALID, "schedule.cron", "schedule.timezone")
			if cs != nil {
				t.Fatalf("Compile(%q, %q): a schedule and an error", cron, tz)
			}
			if verr := s.Validate(); verr == nil || verr.Error() != err.Error() {
				t.Fatalf("Validate(%q, %q) = %v, Compile said %v", cron, tz, verr, err)
			}
			return
		}
		// "@every d" slots are computed in UnixNano, which only covers years 1678-2262:
		// a walk that would step past that is not checked (see the note on
		// lastNano).
		var every time.Duration
		if rest, ok := strings.CutPrefix(strings.TrimSpace(cron), "@every"); ok {
			every, _ = time.ParseDuration(strings.TrimSpace(rest))
		}
		for _, at := range fuzzInstants {
			prev := at
			for i := 0; i < 5; i++ {
				if every > 0 && prev.After(lastNano.Add(-every)) {
					break
				}
				next := cs.Next(prev)
				if next.IsZero() {
					break
				}
				if !next.After(prev) {
					t.Fatalf("schedule (%q, %q): slot %d after %s is %s, not strictly later", cron, tz, i, prev, next)
				}
				prev = next
			}
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{
		"1.2.3", "0.0.0", "1.2.3-rc.1+build.5", "1.2.3-alpha.01", "01.2.3", "1.2", "1", "v1.2.3", "",
		"1.2.3-", "1.2.3+", "1.2.3-+", "99999999999999999999.0.0", "1.2.3-0A.is.legal", "1.2.3-🚀",
		"1.2.3\n", " 1.2.3", "1.2.3-a..b", "18446744073709551615.18446744073709551615.18446744073709551615",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := orchestrator.ParseVersion(s)
		if err != nil {
			mustCodedError(t, err, orchestrator.EINVALID, "version")
			return
		}
		// A version that parses is a canonical one: it prints back as given.
		if got := v.String(); got != s {
			t.Fatalf("ParseVersion(%q).String() = %q", s, got)
		}
		if err := orchestrator.CheckPatch(s, s); err == nil {
			t.Fatalf("CheckPatch(%q, %q) = nil, want a conflict (not forward)", s, s)
		}
	})
}

func FuzzCheckPatch(f *testing.F) {
	for _, p := range [][2]string{
		{"1.2.3", "1.2.4"}, {"1.2.3", "1.2.3"}, {"1.2.4", "1.2.3"}, {"1.2.3", "1.3.0"}, {"1.2.3", "2.2.3"},
		{"1.2.3-rc.1", "1.2.3"}, {"1.2.3", "1.2.3-rc.1"}, {"1.2.3", "1.2.3+build"}, {"1.2.3+a", "1.2.3+b"},
		{"1.2.3-alpha", "1.2.3-alpha.1"}, {"1.2.3-alpha.10", "1.2.3-alpha.9"}, {"x", "1.2.3"}, {"1.2.3", ""},
		{"0.0.0", "0.0.18446744073709551615"},
	} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		err := orchestrator.CheckPatch(a, b)
		va, erra := orchestrator.ParseVersion(a)
		vb, errb := orchestrator.ParseVersion(b)
		if erra != nil || errb != nil {
			if err == nil {
				t.Fatalf("CheckPatch(%q, %q) = nil although a version does not parse", a, b)
			}
			mustCodedError(t, err, orchestrator.EINVALID, "version")
			return
		}
		if err != nil {
			mustCodedError(t, err, orchestrator.ECONFLICT, "version")
			if va.Major() == vb.Major() && va.Minor() == vb.Minor() && vb.GreaterThan(va) {
				t.Fatalf("CheckPatch(%q, %q) = %v, but it is a forward patch within %d.%d", a, b, err, va.Major(), va.Minor())
			}
			return
		}
		if va.Major() != vb.Major() || va.Minor() != vb.Minor() {
			t.Fatalf("CheckPatch(%q, %q) = nil across major.minor", a, b)
		}
		if !vb.GreaterThan(va) {
			t.Fatalf("CheckPatch(%q, %q) = nil, but %s is not newer", a, b, b)
		}
		if back := orchestrator.CheckPatch(b, a); back == nil {
			t.Fatalf("CheckPatch(%q, %q) and CheckPatch(%q, %q) both nil: a patch back", a, b, b, a)
		}
	})
}

func FuzzGameInputValidate(f *testing.F) {
	for _, s := range []string{
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *","timezone":"UTC"},"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Zorg"}]}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"@every 1s"},"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Zorg"},{"userId":"22222222-2222-4222-8222-222222222222","raceName":"zorg"}]}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *"},"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Zorg"},{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Borg"}]}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *"},"players":[{"userId":"00000000-0000-0000-0000-000000000000","raceName":"Zorg"}]}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *"},"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"Zo rg"}]}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *"},"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"}],"settings":{"seed":1e308,"x":[null,{}]}}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *"},"players":[{"userId":"11111111-1111-4111-8111-111111111111","raceName":"A\u200bB"}],"earlyTurn":true}`,
		`{"engineVersion":"v1","schedule":{"cron":"61 * * * *","timezone":"Mars/Olympus"},"players":[]}`,
		`{"engineVersion":"1.2.3","schedule":{"cron":"* * * * *","timezone":"Local"},"players":[{}]}`,
		`{}`, `null`, `{"players":null}`, `{"settings":{}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in orchestrator.GameInput
		if json.Unmarshal([]byte(body), &in) != nil {
			return // the HTTP layer answers malformed JSON itself (http/fuzz_test.go)
		}
		err := in.Validate()
		if err != nil {
			e := mustCodedError(t, err, orchestrator.EINVALID, fieldOf(err))
			if e.Field == "" || e.Message == "" {
				t.Fatalf("Validate(%s) = %v: want a field and a message", body, err)
			}
			return
		}
		// What Validate lets through must hold what the create path relies on.
		if _, err := orchestrator.ParseVersion(in.EngineVersion); err != nil {
			t.Fatalf("valid input with a bad version %q", in.EngineVersion)
		}
		if err := in.Schedule.Validate(); err != nil {
			t.Fatalf("valid input with a bad schedule: %v", err)
		}
		if n := len(in.Players); n < 1 || n > orchestrator.MaxPlayers {
			t.Fatalf("valid input with %d players", n)
		}
		seen := map[string]bool{}
		for i, p := range in.Players {
			if err := engine.CheckName(p.RaceName); err != nil {
				t.Fatalf("valid input, player %d: race name %q: %v", i, p.RaceName, err)
			}
			if key := engine.FoldName(p.RaceName); seen[key] {
				t.Fatalf("valid input, player %d: race name %q twice", i, p.RaceName)
			} else {
				seen[key] = true
			}
		}
	})
}

// fieldOf returns the Field of an *orchestrator.Error, so mustCodedError accepts any.
func fieldOf(err error) string {
	var e *orchestrator.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
