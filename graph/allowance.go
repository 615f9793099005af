package graph

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// Limiter keeps each API key's allowance, Limits.PerMinute, Burst and
// MaxInFlight: the handler asks it to admit each request once its key is
// checked, and gives the request's slot back as the request ends.
// *store.Allowances keeps them in PostgreSQL, where every replica on the
// database counts against the same allowance. Without one, NewHandler
// keeps them in its process, which lets a key through once per replica.
type Limiter interface {
	// Admit spends one of key's requests of a's rate and, when a.InFlight
	// is not zero, takes one of its slots for a.Hold at most, or says why
	// the request is refused.
	Admit(ctx context.Context, key uuid.UUID, a domain.Allowance) (domain.Admission, error)
	// Release gives back a slot Admit took.
	Release(ctx context.Context, lease domain.Lease) error
}

// releaseWithin bounds the release of a request's slot, which runs after
// the request's own context may have ended; a slot whose release fails
// frees when its lease expires.
const releaseWithin = 5 * time.Second

// allowance is what limits allow each key.
func (l Limits) allowance() domain.Allowance {
	return domain.Allowance{PerMinute: l.PerMinute, Burst: l.Burst, InFlight: l.MaxInFlight, Hold: l.longest()}
}

// admit asks for a request's admission, answering 429 RATE_LIMITED when
// its key has spent its rate or has its requests in flight running, and
// INTERNAL when the limiter cannot tell. It returns the slot the request
// holds, the zero Lease when it holds none.
func admit(ctx context.Context, limiter Limiter, a domain.Allowance, logger *slog.Logger, w http.ResponseWriter) (domain.Lease, bool) {
	key := keyOf(ctx)
	ad, err := limiter.Admit(ctx, key.ID, a)
	switch {
	case err != nil:
		if ctx.Err() == nil {
			logger.Error("admit a request", "key", key.Name, "err", err)
		}
		writeCoded(w, http.StatusInternalServerError, CodeInternal, "internal error")
	case ad.RetryAfter > 0:
		secs := retryAfter(ad.RetryAfter)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprintf(w, `{"errors":[{"message":"this API key made too many requests; retry in %d s","extensions":{"code":%q,"retryAfterSeconds":%d}}]}`, secs, CodeRateLimited, secs)
	case ad.Busy:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprintf(w, `{"errors":[{"message":"this API key has %d requests running, the most it may; retry when one has ended","extensions":{"code":%q,"retryAfterSeconds":1}}]}`, a.InFlight, CodeRateLimited)
	default:
		return ad.Lease, true
	}
	return domain.Lease{}, false
}

// retryAfter is a wait in whole seconds, rounded up.
func retryAfter(wait time.Duration) int { return int(math.Ceil(wait.Seconds())) }

// release gives a request's slot back, even when the request's context
// has ended.
func release(ctx context.Context, limiter Limiter, lease domain.Lease, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseWithin)
	defer cancel()
	if err := limiter.Release(ctx, lease); err != nil {
		logger.Warn("a request's slot was not released; it frees when its lease expires", "key", lease.Key, "err", err)
	}
}

// localLimiter keeps the allowances in this process: a token bucket and
// a count of the requests running for each key.
type localLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets map[uuid.UUID]*bucket
	running map[uuid.UUID]int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newLocalLimiter(now func() time.Time) *localLimiter {
	return &localLimiter{now: now, buckets: map[uuid.UUID]*bucket{}, running: map[uuid.UUID]int{}}
}

// Admit spends a token of key's bucket, refilled at a.PerMinute up to
// a.Burst, then counts the request in when a.InFlight allows it. Its
// leases never expire: they end with the process.
func (l *localLimiter) Admit(_ context.Context, key uuid.UUID, a domain.Allowance) (domain.Admission, error) {
	if probs := a.Problems(); len(probs) > 0 {
		return domain.Admission{}, &domain.InputError{Problems: probs}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rate, burst := float64(a.PerMinute)/60, float64(a.Burst)
	now := l.now()
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: burst, at: now}
		l.buckets[key] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.at).Seconds()*rate)
	b.at = now
	if b.tokens < 1 {
		return domain.Admission{RetryAfter: time.Duration((1 - b.tokens) / rate * float64(time.Second))}, nil
	}
	b.tokens--
	if a.InFlight == 0 {
		return domain.Admission{}, nil
	}
	if l.running[key] >= a.InFlight {
		return domain.Admission{Busy: true}, nil
	}
	l.running[key]++
	return domain.Admission{Lease: domain.Lease{Key: key}}, nil
}

// Release counts a request of the lease's key out.
func (l *localLimiter) Release(_ context.Context, lease domain.Lease) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.running[lease.Key]--; l.running[lease.Key] <= 0 {
		delete(l.running, lease.Key)
	}
	return nil
}
