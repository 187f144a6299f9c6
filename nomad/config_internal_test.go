package nomad

import (
	"testing"
	"time"
)

// The point 2: the default blocking wait stays short, so a reset of the
// servers' index that the watch missed costs little.
func TestConfig_WaitTimeDefault(t *testing.T) {
	if got := (Config{}).withDefaults().WaitTime.Std(); got > time.Minute {
		t.Errorf("default wait time: got %s, want at most 1m", got)
	}
	if maxWatchWait > time.Minute {
		t.Errorf("watch wait cap: got %s, want at most 1m", maxWatchWait)
	}
}
