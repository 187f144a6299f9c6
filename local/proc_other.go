//go:build unix && !linux

package local

import "syscall"

// sysProcAttr puts the engine in its own process group. There is no Pdeathsig outside
// Linux: an engine outlives a galaxyd killed with SIGKILL, and the pidfile is what
// finds it (Instances reports it, Start terminates it).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// procStat reports whether pid is alive. Without /proc there is no start time to
// check against pid reuse, so 0 is returned and pidfiles match on pid alone.
func procStat(pid int) (start uint64, alive bool) {
	err := syscall.Kill(pid, 0)
	return 0, err == nil || err == syscall.EPERM
}
