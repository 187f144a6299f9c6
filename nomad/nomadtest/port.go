package nomadtest

import (
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Nomad's default dynamic port range (client min_dynamic_port and max_dynamic_port).
const minDynamicPort, maxDynamicPort = 20000, 32000

// ports walks the dynamic range from a random offset, so that one process never hands
// the same port to two allocations in a row and two processes rarely meet.
var ports struct {
	sync.Mutex
	next int
}

// freePort picks the port of an allocation as a Nomad client does: from the dynamic
// range, which lies below the kernel's ephemeral range. A port the kernel hands out
// for 127.0.0.1:0 is one that any outgoing connection on the machine may take as its
// source port before the engine binds it (a busy test run failed with "bind: address
// already in use"). Free means free when picked: nothing listens on it.
func freePort() (int, error) {
	lo, hi := minDynamicPort, maxDynamicPort
	if eph := ephemeralLow(); eph > 0 && eph <= hi {
		hi = eph - 1
	}
	if hi-lo >= 100 {
		ports.Lock()
		defer ports.Unlock()
		if ports.next < lo || ports.next > hi {
			ports.next = lo + rand.IntN(hi-lo+1)
		}
		for range 200 {
			port := ports.next
			if ports.next++; ports.next > hi {
				ports.next = lo
			}
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
			if err == nil {
				l.Close()
				return port, nil
			}
		}
	}
	// A machine whose ephemeral range covers Nomad's: let the kernel pick.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreePort is freePort for tests that start a server of their own on a port they pick
// (and restart it there): a port below the ephemeral range stays free meanwhile.
func FreePort() (int, error) { return freePort() }

// ephemeralLow is the first port of the kernel's ephemeral range (0 if unknown).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}
