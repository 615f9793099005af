package launch

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// limiterServer serves a Limiter to a plugin.
type limiterServer struct {
	connectorpb.UnimplementedRateLimiterServer
	lim sdk.Limiter
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
func (c *Conn) serveLimiter(lim sdk.Limiter) (id uint32, stop func(), err error) {
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
		return 0, nil, fmt.Errorf("launch: connector %s: could not serve the rate limiter on the plugin broker", c.plugin.Name)
	}
}
