// Package pacer is migrate's one retry mechanism, in the shape of rclone's
// lib/pacer: an operation reports whether its failure is worth retrying, a
// Calculator decides how long to wait before the next try, and a server's
// Retry-After travels inside the error (RetryAfterError).
//
// A call that fails twice with a 503 and then succeeds:
//
//	p := &pacer.Pacer{Retries: 5}
//	err := p.Call(ctx, func() (bool, error) {
//		resp, err := get(ctx)
//		if err != nil {
//			return true, err // a network error: worth another try
//		}
//		if resp.StatusCode == 429 {
//			return true, pacer.RetryAfterError(errTooMany, 7*time.Second)
//		}
//		return false, nil
//	})
//
// waits about 0.5-1 s, then 1-2 s (Exponential), or 7 s after the 429.
package pacer

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Paced is one try of an operation. It returns whether a failure is worth
// another try; err nil means success, and retry is then ignored.
type Paced func() (retry bool, err error)

// State is what a Calculator knows when it decides the next wait.
type State struct {
	// Retry is the number of the retry about to be made, from 1.
	Retry int
	// LastError is the error of the try that just failed.
	LastError error
}

// Calculator decides how long to wait before a retry that the server gave
// no Retry-After for.
type Calculator interface {
	Calculate(s State) time.Duration
}

// Default back-off bounds: the first retry waits about a second, later ones
// double up to a minute.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = time.Minute
)

// Exponential is the default Calculator: the wait doubles with each retry,
// from Min up to Max, and is a random point in its upper half, so that
// clients that failed together do not retry together. Zero fields mean
// DefaultMinBackoff and DefaultMaxBackoff.
type Exponential struct {
	Min, Max time.Duration
}

// Calculate returns the wait before retry s.Retry.
func (e Exponential) Calculate(s State) time.Duration {
	lo, hi := e.Min, e.Max
	if lo <= 0 {
		lo = DefaultMinBackoff
	}
	if hi <= 0 {
		hi = DefaultMaxBackoff
	}
	// Doubling step by step, not by a shift, cannot overflow.
	d := lo
	for n := 1; n < s.Retry && d < hi; n++ {
		d *= 2
	}
	d = min(d, hi)
	half := d / 2
	return half + rand.N(half+1)
}

// retryAfterError carries the wait a server asked for.
type retryAfterError struct {
	error
	wait time.Duration
}

func (e *retryAfterError) Unwrap() error { return e.error }

// RetryAfterError returns err carrying the wait d a server asked for (a
// Retry-After header): the Pacer waits d instead of its back-off, or stops
// when d is longer than its MaxWait. The error reads as err.
func RetryAfterError(err error, d time.Duration) error {
	return &retryAfterError{error: err, wait: d}
}

// IsRetryAfter returns the wait carried by err, if any.
func IsRetryAfter(err error) (wait time.Duration, ok bool) {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.wait, true
	}
	return 0, false
}

// ErrRetriesExhausted is wrapped by the error of an operation that still
// failed after every retry.
var ErrRetriesExhausted = errors.New("retries exhausted")

// ExhaustedError is the error of an operation that failed after Retries
// retries; Err is the last try's error.
type ExhaustedError struct {
	Err     error
	Retries int
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("%v, still failing after %d retries", e.Err, e.Retries)
}

func (e *ExhaustedError) Unwrap() []error { return []error{ErrRetriesExhausted, e.Err} }

// ErrWaitTooLong is wrapped by the error of an operation whose server asked
// for a longer wait than MaxWait.
var ErrWaitTooLong = errors.New("asked to wait too long")

// WaitTooLongError is the error of an operation whose server asked to wait
// Wait, longer than Max; Err is the try's error.
type WaitTooLongError struct {
	Err  error
	Wait time.Duration
	Max  time.Duration
}

func (e *WaitTooLongError) Error() string {
	return fmt.Sprintf("%v, and the server asks to wait %s, more than %s", e.Err, e.Wait, e.Max)
}

func (e *WaitTooLongError) Unwrap() []error { return []error{ErrWaitTooLong, e.Err} }

// Pacer runs operations, retrying their failures. Its zero value retries
// nothing; its fields are read, never changed, so one Pacer serves
// concurrent calls.
type Pacer struct {
	// Retries is how often a failed operation is tried again; 0 never.
	Retries int
	// Calculator gives the wait before a retry the server asked no wait
	// for; nil means Exponential{}.
	Calculator Calculator
	// MaxWait bounds the wait a server may ask for: a longer one stops the
	// call at once with a *WaitTooLongError. 0 means no bound.
	MaxWait time.Duration
	// Sleep waits d or until ctx is done; nil means Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is told of every retry before its wait.
	OnRetry func(retry int, wait time.Duration, err error)
}

// Call runs fn until it succeeds, fails for good, or has been retried
// p.Retries times (then the error is an *ExhaustedError). A wait the server
// asked for (RetryAfterError) is obeyed as it is, up to MaxWait; otherwise
// the Calculator decides. When ctx is done, Call returns the error of the
// last try, or context.Cause(ctx) when it was cut short while waiting.
func (p *Pacer) Call(ctx context.Context, fn Paced) error {
	calc := p.Calculator
	if calc == nil {
		calc = Exponential{}
	}
	sleep := p.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	for retry := 1; ; retry++ {
		again, err := fn()
		if err == nil || !again {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
		if retry > p.Retries {
			return &ExhaustedError{Err: err, Retries: p.Retries}
		}
		wait, asked := IsRetryAfter(err)
		if asked && p.MaxWait > 0 && wait > p.MaxWait {
			return &WaitTooLongError{Err: err, Wait: wait, Max: p.MaxWait}
		}
		if !asked || wait <= 0 {
			wait = calc.Calculate(State{Retry: retry, LastError: err})
		}
		if p.OnRetry != nil {
			p.OnRetry(retry, wait, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Sleep waits d, or returns context.Cause(ctx) as soon as ctx is done.
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
