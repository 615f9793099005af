package sdktest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

// Read runs a read of c through the SDK's server, as the host calls it over
// gRPC, with the given config, streams (nil for all) and state, and returns
// every message the read sent. It fails t when the server cannot be built,
// when the call itself fails, and when a message breaks one of rules.
func Read(t testing.TB, c *sdk.Connector, cfg []byte, streams []string, state map[string][]byte, rules ...Rule) []*connectorpb.ReadMessage {
	t.Helper()
	msgs, err := ReadContext(t.Context(), t, c, cfg, streams, state)
	require.NoError(t, err, "read")
	for _, m := range msgs {
		for _, rule := range rules {
			rule(t, m)
		}
	}
	return msgs
}

// ReadContext is Read on a stream whose context is ctx, returning the
// call's error with what was sent before it rather than failing t: for
// tests of cancellation.
func ReadContext(ctx context.Context, t testing.TB, c *sdk.Connector, cfg []byte, streams []string, state map[string][]byte) ([]*connectorpb.ReadMessage, error) {
	t.Helper()
	srv, err := sdk.NewServer(c)
	require.NoError(t, err, "sdk server")
	out := &readStream{ctx: ctx}
	err = srv.Read(&connectorpb.ReadRequest{ConfigJson: cfg, Streams: streams, State: state}, out)
	return out.msgs, err
}

// readStream is the host's end of a read, in memory: it keeps what is sent.
type readStream struct {
	grpc.ServerStream
	ctx  context.Context
	msgs []*connectorpb.ReadMessage
}

func (s *readStream) Send(m *connectorpb.ReadMessage) error {
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *readStream) Context() context.Context { return s.ctx }

// A Rule is a condition every message of a read must meet: it fails t on a
// message that does not.
type Rule func(t testing.TB, m *connectorpb.ReadMessage)

// NoError is the Rule that no Error message ends the read.
func NoError(t testing.TB, m *connectorpb.ReadMessage) {
	t.Helper()
	require.Nil(t, m.GetError(), "read error")
}

// NoRecordError is the Rule that the connector turns every source row into
// a record.
func NoRecordError(t testing.TB, m *connectorpb.ReadMessage) {
	t.Helper()
	require.Nil(t, m.GetRecordError(), "record error")
}

// SyncValid is the Rule that every live record passes the checks a sync
// makes before applying it (validate.ValidateRecord), so that a read a test
// accepts is one a sync would accept too.
func SyncValid(t testing.TB, m *connectorpb.ReadMessage) {
	t.Helper()
	for _, r := range m.GetBatch().GetRecords() {
		if !r.GetDeleted() {
			require.NoError(t, validate.ValidateRecord(r).Err(), "%s %s", r.GetEntityType(), r.GetExternalId())
		}
	}
}
