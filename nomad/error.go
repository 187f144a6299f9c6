package nomad

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// stepError is the EUNAVAILABLE error of a step that ran out of time or was
// abandoned. Its message names the step and the cause; it still unwraps to the
// context error, so a caller can tell a timeout with errors.Is.
type stepError struct {
	coded *orchestrator.Error
	cause error
}

func (e *stepError) Error() string   { return e.coded.Error() }
func (e *stepError) Unwrap() []error { return []error{e.coded, e.cause} }

// stepFailed wraps a context error (or a context's cause) met during step.
func stepFailed(step string, err error) error {
	how := "gave up"
	if errors.Is(err, context.Canceled) {
		how = "abandoned"
	}
	return &stepError{coded: orchestrator.Errorf(orchestrator.EUNAVAILABLE, "%s: %s: %v", step, how, err), cause: err}
}

// timeoutCause is the cause of a context that ran out of its configured time: it
// names the setting, and it is a context.DeadlineExceeded.
func timeoutCause(setting string, d time.Duration) error {
	return fmt.Errorf("%s (%s) passed: %w", setting, d, context.DeadlineExceeded)
}

// engineFailure marks an error that says the engine did not come up (placement
// failed, the allocation failed, its health check never passed in time), as opposed
// to Nomad being unreachable or the caller giving up. Only after one does a Start
// clean up after itself (stop the job, or revert a replacement).
type engineFailure struct{ error }

func (e engineFailure) Unwrap() error { return e.error }

func isEngineFailure(err error) bool {
	var ef engineFailure
	return errors.As(err, &ef)
}

// plain drops the engineFailure mark, for the error a caller sees.
func plain(err error) error {
	var ef engineFailure
	if errors.As(err, &ef) {
		return ef.error
	}
	return err
}
