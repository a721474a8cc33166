package pacer

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// sleeps records the waits a pacer asked for instead of waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// linear waits n seconds before retry n.
type linear struct{}

func (linear) Calculate(s State) time.Duration { return time.Duration(s.Retry) * time.Second }

func TestPacer(t *testing.T) {
	tests := []struct {
		name     string
		results  []bool // per attempt: true fails with retry, false succeeds
		retries  int
		wantErr  bool
		attempts int
	}{
		{"success at once", []bool{false}, 3, false, 1},
		{"success on the last retry", []bool{true, true, true, false}, 3, false, 4},
		{"retries exhausted", []bool{true, true, true, true, true}, 3, true, 4},
		{"no retries", []bool{true, false}, 0, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s sleeps
			var retried []int
			p := Pacer{
				Retries:    tt.retries,
				Sleep:      s.sleep,
				Calculator: linear{},
				OnRetry:    func(n int, wait time.Duration, err error) { retried = append(retried, n) },
			}
			attempts := 0
			busy := errors.New("busy")
			err := p.Call(context.Background(), func() (bool, error) {
				fail := tt.results[attempts]
				attempts++
				if fail {
					return true, busy
				}
				return false, nil
			})
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error: %v", err, tt.wantErr)
			}
			var gaveUp *ExhaustedError
			if tt.wantErr && (!errors.As(err, &gaveUp) || !errors.Is(err, ErrRetriesExhausted) || !errors.Is(err, busy)) {
				t.Errorf("err = %v, want an *ExhaustedError wrapping ErrRetriesExhausted and the last error", err)
			}
			if attempts != tt.attempts {
				t.Errorf("%d attempts, want %d", attempts, tt.attempts)
			}
			if len(retried) != tt.attempts-1 || len(s.all()) != tt.attempts-1 {
				t.Errorf("retries %v, sleeps %v, want %d of each", retried, s.all(), tt.attempts-1)
			}
			for i, d := range s.all() {
				if d != time.Duration(i+1)*time.Second {
					t.Errorf("wait %d = %v, want the backoff %v", i+1, d, time.Duration(i+1)*time.Second)
				}
			}
		})
	}
}

func TestPacerDoesNotRetryAFailureNotWorthIt(t *testing.T) {
	var s sleeps
	p := Pacer{Retries: 5, Sleep: s.sleep}
	refused := errors.New("refused")
	attempts := 0
	err := p.Call(context.Background(), func() (bool, error) {
		attempts++
		return false, refused
	})
	if err != refused || attempts != 1 || len(s.all()) != 0 {
		t.Errorf("err %v after %d attempts and sleeps %v, want the error itself after one attempt", err, attempts, s.all())
	}
}

func TestPacerObeysRetryAfter(t *testing.T) {
	var s sleeps
	p := Pacer{Retries: 3, Sleep: s.sleep, Calculator: linear{}, MaxWait: time.Minute}
	attempts := 0
	err := p.Call(context.Background(), func() (bool, error) {
		attempts++
		switch attempts {
		case 1:
			return true, RetryAfterError(errors.New("429"), 42*time.Second)
		case 2:
			return true, RetryAfterError(errors.New("429"), 0) // no usable wait: back off
		}
		return false, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.all(); len(got) != 2 || got[0] != 42*time.Second || got[1] != 2*time.Second {
		t.Errorf("waits %v, want [42s 2s]: the asked wait, then the back-off", got)
	}
}

func TestPacerStopsAtATooLongRetryAfter(t *testing.T) {
	var s sleeps
	p := Pacer{Retries: 3, Sleep: s.sleep, MaxWait: 5 * time.Minute}
	tooMany := errors.New("429 Too Many Requests")
	attempts := 0
	err := p.Call(context.Background(), func() (bool, error) {
		attempts++
		return true, RetryAfterError(tooMany, 999999*time.Second)
	})
	var long *WaitTooLongError
	if !errors.As(err, &long) || !errors.Is(err, ErrWaitTooLong) || !errors.Is(err, tooMany) {
		t.Fatalf("err = %v, want a *WaitTooLongError wrapping the 429", err)
	}
	if long.Wait != 999999*time.Second || long.Max != 5*time.Minute {
		t.Errorf("wait %v, max %v, want 277h46m39s and 5m", long.Wait, long.Max)
	}
	if attempts != 1 || len(s.all()) != 0 {
		t.Errorf("%d attempts, sleeps %v: want one attempt and no wait", attempts, s.all())
	}
	if _, ok := IsRetryAfter(err); !ok {
		t.Errorf("the wait asked for is lost from %v", err)
	}
}

func TestPacerInterruptedWhileWaiting(t *testing.T) {
	cause := errors.New("interrupted by SIGTERM")
	ctx, cancel := context.WithCancelCause(context.Background())
	p := Pacer{Retries: 3, Calculator: linear{}, OnRetry: func(int, time.Duration, error) { cancel(cause) }}
	start := time.Now()
	err := p.Call(ctx, func() (bool, error) { return true, errors.New("503") })
	if !errors.Is(err, cause) {
		t.Errorf("err = %v, want the context's cause", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("took %v: the wait was not cut short", d)
	}
}

func TestExponential(t *testing.T) {
	for n := 1; n <= 12; n++ {
		full := min(DefaultMinBackoff<<(n-1), DefaultMaxBackoff)
		for range 50 {
			if d := (Exponential{}).Calculate(State{Retry: n}); d < full/2 || d > full {
				t.Fatalf("backoff %d = %v, want within [%v, %v]", n, d, full/2, full)
			}
		}
	}
	// Far retries stay at the maximum instead of overflowing.
	for _, n := range []int{40, 64, 1000} {
		if d := (Exponential{}).Calculate(State{Retry: n}); d < DefaultMaxBackoff/2 || d > DefaultMaxBackoff {
			t.Errorf("backoff %d = %v, want within [%v, %v]", n, d, DefaultMaxBackoff/2, DefaultMaxBackoff)
		}
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep = %v", err)
	}
	cause := errors.New("stop")
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(cause)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, cause) {
		t.Errorf("Sleep on a done context = %v, want its cause", err)
	}
}
