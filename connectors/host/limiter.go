package host

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// Limiter is the rate limit of one source. The host keeps one per source
// (see Host.Limiter) for as long as it runs, so every stream of a read,
// every concurrent read of the source and every later run share it: a hold
// one call sets because the vendor answered 429 or said its quota is spent
// keeps every other call to that vendor account waiting, even after the
// plugin process that learnt it has ended.
//
// It implements sdk.Limiter; ReadLimited serves it to the plugin.
type Limiter struct {
	sdk.MemoryLimiter
	source string
	logger *slog.Logger
}

var _ sdk.Limiter = (*Limiter)(nil)

// Limiter returns the rate limit of the source key names (the sync engine
// uses the source's id): the same Limiter for every call with that key.
func (h *Host) Limiter(key string) *Limiter {
	h.limitsMu.Lock()
	defer h.limitsMu.Unlock()
	l, ok := h.limits[key]
	if !ok {
		l = &Limiter{MemoryLimiter: sdk.MemoryLimiter{Now: h.opts.Now}, source: key, logger: h.opts.Logger}
		h.limits[key] = l
	}
	return l
}

// Hold keeps every call for the source waiting until until, unless a
// longer hold is already in force, and logs a hold it sets that is still
// to come: a new process is handed the last paused run's time on every
// run of the source, long after it has passed.
func (l *Limiter) Hold(ctx context.Context, until time.Time, reason string) error {
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if l.Extend(until, reason) && until.After(now()) {
		l.logger.InfoContext(ctx, "rate limit hold", "source", l.source, "until", until.UTC(), "reason", reason)
	}
	return nil
}

// limiterServer serves a Limiter to a plugin.
type limiterServer struct {
	connectorpb.UnimplementedRateLimiterServer
	lim *Limiter
}

func (s limiterServer) Acquire(ctx context.Context, _ *connectorpb.AcquireRequest) (*connectorpb.AcquireResponse, error) {
	h, err := s.lim.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	if h.Until.IsZero() {
		return &connectorpb.AcquireResponse{}, nil
	}
	return &connectorpb.AcquireResponse{HoldUntil: timestamppb.New(h.Until), Reason: h.Reason}, nil
}

func (s limiterServer) Hold(ctx context.Context, req *connectorpb.HoldRequest) (*connectorpb.HoldResponse, error) {
	if err := req.GetUntil().CheckValid(); err != nil {
		return nil, fmt.Errorf("hold: %w", err)
	}
	if err := s.lim.Hold(ctx, req.GetUntil().AsTime(), req.GetReason()); err != nil {
		return nil, err
	}
	return &connectorpb.HoldResponse{}, nil
}

// serveLimiter serves lim on a new broker id for the length of one read and
// returns the id and a function that stops serving it. It returns once the
// plugin has been sent the address to dial, ahead of the read that names
// the id.
func (c *Conn) serveLimiter(lim *Limiter) (id uint32, stop func(), err error) {
	id = c.broker.NextId()
	started := make(chan *grpc.Server, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// AcceptAndServe sends the plugin the address, then asks for the
		// server; it returns once the server stops.
		c.broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			connectorpb.RegisterRateLimiterServer(s, limiterServer{lim: lim})
			started <- s
			return s
		})
	}()
	select {
	case s := <-started:
		return id, func() { s.Stop(); <-done }, nil
	case <-done:
		// go-plugin logs why it could not accept; it returns no error.
		return 0, nil, fmt.Errorf("host: connector %s: could not serve the rate limiter on the plugin broker", c.plugin.Name)
	}
}
