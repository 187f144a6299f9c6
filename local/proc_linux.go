//go:build linux

package local

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
)

// sysProcAttr puts the engine in its own process group, so that Stop can signal the
// engine and anything it spawned at once, and asks the kernel to send it SIGTERM when
// its parent dies (Pdeathsig), so that a galaxyd killed with SIGKILL leaves no engine
// behind.
//
// Pdeathsig is Linux-only and fires when the OS *thread* that forked the child exits,
// not the process: the Go runtime only retires threads whose goroutine exits while
// locked with runtime.LockOSThread, which this package never does. Go's fork code
// re-checks the parent after prctl, so a parent dying during the fork is covered too.
// The pidfile (pidfile.go) is the second line of defence for engines that survive.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// procStat returns the start time of pid (clock ticks since boot, field 22 of
// /proc/<pid>/stat) and whether the process is alive, i.e. exists and is not a
// zombie. The start time tells a recycled pid from the process we started.
func procStat(pid int) (start uint64, alive bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces or ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, false
	}
	if f[0][0] == 'Z' || f[0][0] == 'X' {
		return 0, false
	}
	start, err = strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return 0, false
	}
	return start, true
}
