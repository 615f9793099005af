package sdk

import (
	"context"
	"fmt"
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
