package main

import (
	"errors"
	"net/http"
	"strconv"
	"syscall"
	"time"

	ghttp "github.com/galaxy-orchestrator/galaxy/http"
	"github.com/galaxy-orchestrator/galaxy/orchestrator"
)

// outcome classifies the answer to a write, which is what the checks rely on.
type outcome int

const (
	// acked: the daemon answered the status that promises durability (§8).
	acked outcome = iota
	// rejected: the daemon answered something else, or the connection was refused
	// (nothing was sent, so nothing can have been written).
	rejected
	// unanswered: the request may or may not have been committed (the daemon died
	// while it ran, or its answer could not be read). Such writes are never counted as
	// acknowledged, but a bound that must hold for every write that *may* have
	// happened counts them.
	unanswered
)

// newClient returns a client of galaxyd's API on loopback. Keep-alives are off: a
// request on a connection to a killed daemon must fail as "refused" (not sent) rather
// than as a reset of a reused connection, which would be indistinguishable from a
// lost answer.
func newClient(port int) *ghttp.Client {
	c, err := ghttp.NewClient("http://127.0.0.1:" + strconv.Itoa(port))
	if err != nil {
		panic(err) // a loopback address with a port always parses
	}
	c.HTTPClient = &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	return c
}

// outcomeOf classifies a write by the error the client returned for it: none is an
// acknowledgement (a 2xx answer, decoded), galaxyd's error answers and refused
// connections are rejections, and everything else — a timeout, a reset, an answer cut
// short or unreadable — may have been committed.
func outcomeOf(err error) outcome {
	switch {
	case err == nil:
		return acked
	case answered(err), errors.Is(err, syscall.ECONNREFUSED):
		return rejected
	}
	return unanswered
}

// answered reports whether err is an error answer of galaxyd.
func answered(err error) bool {
	var coded *orchestrator.Error
	return errors.As(err, &coded)
}

// serverError returns the error answer err carries when its status is a 5xx, or nil.
func serverError(err error) *orchestrator.Error {
	var coded *orchestrator.Error
	if errors.As(err, &coded) && ghttp.ErrorStatus(coded.Code) >= 500 {
		return coded
	}
	return nil
}
