// Package fail holds the errors migrate shows a user and the exit status
// each one means (SPEC section 10).
//
// An *Error is meant for the user: what went wrong, where, and what to do,
// with the exit status main returns. Any other error is internal and exits
// with Failure. Errors are built with fmt.Errorf, so %w keeps the cause and
// callers test with errors.Is and errors.As, not with substrings.
package fail

import (
	"context"
	"errors"
	"fmt"
)

// Exit statuses (SPEC section 10).
const (
	OK             = 0
	Failure        = 1   // failure while running: I/O, network, a locked work dir
	Usage          = 2   // bad usage or unreadable input
	Conflict       = 3   // an identity conflict that needs a decision
	Violations     = 4   // verify found violations
	TooManyRejects = 5   // too many rejects, archive not written
	Interrupted    = 130 // SIGINT
	Terminated     = 143 // SIGTERM
)

// Error is an error for the user with the exit status it means.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

// New wraps err with an exit status; a nil err stays nil.
func New(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Usagef is a bad-usage or unreadable-input error (exit status 2).
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Err: fmt.Errorf(format, args...)}
}

// Failf is a failure while running (exit status 1).
func Failf(format string, args ...any) error {
	return &Error{Code: Failure, Err: fmt.Errorf(format, args...)}
}

// Conflictf is an identity conflict that needs a decision (exit status 3).
func Conflictf(format string, args ...any) error {
	return &Error{Code: Conflict, Err: fmt.Errorf(format, args...)}
}

// Code maps an error to the process exit status. A context cancelled by a
// signal carries the signal's status (see Signal).
func Code(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	var s *signalError
	if errors.As(err, &s) {
		return s.code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Failure
}

// signalError is the cause of a context cancelled by a signal.
type signalError struct {
	name string
	code int
}

func (e *signalError) Error() string { return "interrupted by " + e.name }

// Signal returns the cancellation cause for a signal named name ("SIGINT",
// "SIGTERM"); Code maps an error that wraps it to 130 or 143.
func Signal(name string) error {
	code := Interrupted
	if name == "SIGTERM" {
		code = Terminated
	}
	return &signalError{name: name, code: code}
}

// Because is an error for the user with exit status code whose message is
// format: it wraps cause for errors.Is and errors.As without printing it,
// for a message that already says in words what cause would.
func Because(code int, cause error, format string, args ...any) error {
	return &Error{Code: code, Err: &quiet{msg: fmt.Sprintf(format, args...), cause: cause}}
}

type quiet struct {
	msg   string
	cause error
}

func (e *quiet) Error() string { return e.msg }
func (e *quiet) Unwrap() error { return e.cause }
