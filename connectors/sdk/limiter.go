package sdk

import (
	"context"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// Limiter is the rate limit the host keeps for the source being read. There
// is one per source, shared by every stream of a read, by concurrent reads
// of the source and by later runs, so that what one call learns of the
// vendor's limits (a 429's Retry-After, a spent quota) holds back every
// other call to that vendor account, and outlives the plugin process.
//
// During Read the SDK puts the host's limiter in the context the streams
// get (see LimiterFrom), and webapi.Client asks it before each call, so a
// connector using webapi needs no code of its own for it.
type Limiter interface {
	// Acquire asks whether a call may go now: it returns the zero Hold when
	// it may, else the hold in force.
	Acquire(ctx context.Context) (Hold, error)
	// Hold stops every call for the source until until. A hold never
	// shortens one already in force.
	Hold(ctx context.Context, until time.Time, reason string) error
}

// Hold is a pause the host's rate limiter imposes on every call to a
// source's vendor.
type Hold struct {
	// Until is when calls may go again; zero means they may go now.
	Until time.Time
	// Reason is what the vendor said, as the caller that set the hold
	// gave it.
	Reason string
}

type limiterKey struct{}

// WithLimiter returns ctx carrying l, for LimiterFrom. Read does this with
// the host's limiter; a test running a connector in-process may do it with
// its own.
func WithLimiter(ctx context.Context, l Limiter) context.Context {
	return context.WithValue(ctx, limiterKey{}, l)
}

// LimiterFrom returns the limiter of the read ctx belongs to, or nil when
// there is none: the host predates it, or the connector runs in-process.
// Without one, a connector paces itself alone, as it always did.
func LimiterFrom(ctx context.Context) Limiter {
	l, _ := ctx.Value(limiterKey{}).(Limiter)
	return l
}

// remoteLimiter is the host's limiter, reached over go-plugin's broker.
type remoteLimiter struct {
	rpc connectorpb.RateLimiterClient
}

func (r remoteLimiter) Acquire(ctx context.Context) (Hold, error) {
	resp, err := r.rpc.Acquire(ctx, &connectorpb.AcquireRequest{})
	if err != nil {
		return Hold{}, fmt.Errorf("rate limiter: acquire: %w", err)
	}
	if resp.GetHoldUntil() == nil {
		return Hold{}, nil
	}
	return Hold{Until: resp.GetHoldUntil().AsTime(), Reason: resp.GetReason()}, nil
}

func (r remoteLimiter) Hold(ctx context.Context, until time.Time, reason string) error {
	if _, err := r.rpc.Hold(ctx, &connectorpb.HoldRequest{Until: timestamppb.New(until), Reason: reason}); err != nil {
		return fmt.Errorf("rate limiter: hold: %w", err)
	}
	return nil
}

// MemoryLimiter is a Limiter kept in this process's memory: the host keeps
// one per source, and a webapi.Client paces itself with its own when a read
// has none from the host. Its zero value is ready to use.
type MemoryLimiter struct {
	// Now is the clock a hold is judged over by; nil means time.Now.
	Now func() time.Time

	mu     sync.Mutex
	until  time.Time
	reason string
}

// Acquire returns the hold in force, or the zero Hold when a call may go.
func (l *MemoryLimiter) Acquire(context.Context) (Hold, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if !l.until.After(now()) {
		return Hold{}, nil
	}
	return Hold{Until: l.until, Reason: l.reason}, nil
}

// Hold keeps calls waiting until until, unless a longer hold is in force.
func (l *MemoryLimiter) Hold(_ context.Context, until time.Time, reason string) error {
	l.Extend(until, reason)
	return nil
}

// Extend is Hold, telling whether it lengthened the hold in force.
func (l *MemoryLimiter) Extend(until time.Time, reason string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !until.After(l.until) {
		return false
	}
	l.until, l.reason = until, reason
	return true
}
