package steps

import (
	"errors"
	"fmt"
)

// Exit statuses (SPEC section 10).
const (
	ExitOK       = 0
	ExitFailure  = 1 // failure while running: I/O, network
	ExitUsage    = 2 // bad usage or unreadable input
	ExitConflict = 3 // an identity conflict that needs a decision
	ExitVerify   = 4 // verify found violations
)

// Error is an error meant for the user: what went wrong, where, and what to
// do, with the exit status main should return. Errors that are not *Error are
// internal and exit with ExitFailure.
type Error struct {
	Code int
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil && e.Msg == "" {
		return e.Err.Error()
	}
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// Usagef is a bad-usage or unreadable-input error (exit status 2).
func Usagef(format string, args ...any) error {
	return &Error{Code: ExitUsage, Msg: fmt.Sprintf(format, args...)}
}

// Failf is a failure while running (exit status 1).
func Failf(format string, args ...any) error {
	return &Error{Code: ExitFailure, Msg: fmt.Sprintf(format, args...)}
}

// ExitCode maps an error to the process exit status.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ExitFailure
}
