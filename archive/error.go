package archive

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
	"gocloud.dev/gcerrors"
)

// credentialEnv names the SDKs' environment variables that hold secrets; their values
// are scrubbed from every error text.
var credentialEnv = []string{
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING",
	"AZURE_STORAGEBLOB_CONNECTIONSTRING", "AZURE_CLIENT_SECRET",
}

// credentialValues returns the non-trivial values of credentialEnv.
func credentialValues() []string {
	var out []string
	for _, name := range credentialEnv {
		if v := os.Getenv(name); len(v) >= 8 {
			out = append(out, v)
		}
	}
	return out
}

// urlQuery matches a URL's query inside an error text (SDK errors quote request URLs,
// whose query may carry a SAS token or a signature).
var urlQuery = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^\s?"'<>]*)\?[^\s"'<>]*`)

// scrub removes from s the archive's raw URL, its query, any URL's query and the
// credentials' values, so that s is fit for an error message or a log.
func (a *Archive) scrub(s string) string {
	if a.rawURL != "" {
		s = strings.ReplaceAll(s, a.rawURL, a.name)
	}
	if a.rawQuery != "" {
		s = strings.ReplaceAll(s, a.rawQuery, "…")
	}
	for _, v := range a.secrets {
		s = strings.ReplaceAll(s, v, "<redacted>")
	}
	return urlQuery.ReplaceAllString(s, "$1?…")
}

// backendError is a failure of the backend to do op on key ("" for the bucket itself)
// that is not a missing object (an error that is already coded is returned as is): EUNAVAILABLE naming the cause, scrubbed. A context's
// cancellation or deadline stays in the chain (errors.Is finds it); nothing else of
// the cause does, so no secret can be reached through it.
func (a *Archive) backendError(op, key string, err error) error {
	var coded *orchestrator.Error
	if errors.As(err, &coded) {
		return err // already the archive's own
	}
	what := "archive " + a.name + ": " + op
	if key != "" {
		what += " " + key
	}
	oe := orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s: %s", what, a.scrub(err.Error()))
	switch {
	case errors.Is(err, context.Canceled) || gcerrors.Code(err) == gcerrors.Canceled:
		return &causedError{oe: oe, cause: context.Canceled}
	case errors.Is(err, context.DeadlineExceeded) || gcerrors.Code(err) == gcerrors.DeadlineExceeded:
		return &causedError{oe: oe, cause: context.DeadlineExceeded}
	}
	return oe
}

// causedError is an *orchestrator.Error that also carries a context's error, so that
// both errors.As(err, **orchestrator.Error) and errors.Is(err, context.Canceled) hold.
type causedError struct {
	oe    *orchestrator.Error
	cause error
}

// Error is the orchestrator error's text.
func (e *causedError) Error() string { return e.oe.Error() }

// Unwrap returns the orchestrator error and the cause.
func (e *causedError) Unwrap() []error { return []error{e.oe, e.cause} }

// isNotFound reports whether err is the backend's "no such object".
func isNotFound(err error) bool { return gcerrors.Code(err) == gcerrors.NotFound }

// isExists reports whether err is a conditional write's "the object exists".
func isExists(err error) bool {
	c := gcerrors.Code(err)
	return c == gcerrors.FailedPrecondition || c == gcerrors.AlreadyExists
}

// isDamaged reports whether err is corrupt's.
func isDamaged(err error) bool {
	var oe *orchestrator.Error
	return errors.As(err, &oe) && oe.Code == orchestrator.EINTERNAL
}

// corrupt is the EINTERNAL of an object that is not what the archive wrote.
func corrupt(key, format string, args ...any) error {
	return orchestrator.Errorf(orchestrator.EINTERNAL, "archive object %s is damaged: %s", key, fmt.Sprintf(format, args...))
}
