package host_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/internal/testkit"
)

// readResult is what one read sent.
type readResult struct {
	ids     []string
	connErr *connectorpb.Error
	err     error
}

// readAPI reads streams from api on conn, serving lim (nil: none).
func readAPI(ctx context.Context, conn *host.Conn, lim sdk.Limiter, api *testkit.API, streams ...string) readResult {
	var res readResult
	cfg := fmt.Appendf(nil, `{"api_url": %q}`, api.URL)
	req := &connectorpb.ReadRequest{ConfigJson: cfg, Streams: streams}
	res.err = conn.ReadLimited(ctx, req, lim, func(m *connectorpb.ReadMessage) error {
		switch msg := m.GetMessage().(type) {
		case *connectorpb.ReadMessage_Batch:
			for _, r := range msg.Batch.GetRecords() {
				res.ids = append(res.ids, r.GetExternalId())
			}
		case *connectorpb.ReadMessage_Error:
			res.connErr = msg.Error
		}
		return nil
	})
	return res
}

func requireRead(t *testing.T, res readResult, ids ...string) {
	t.Helper()
	require.NoError(t, res.err)
	require.Nil(t, res.connErr)
	require.Equal(t, ids, res.ids)
}

func TestRateLimitHoldIsSharedByReadsOfTheSource(t *testing.T) {
	ctx := context.Background()
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	lim := h.Limiter("source-1")
	api := testkit.NewAPI(t, map[string][][]string{"accounts": {{"1", "2"}, {"3", "4"}}, "activities": {{"1", "2"}, {"3", "4"}}})
	api.Limit("accounts", 2, testkit.TooManyRequests(time.Second))
	// Two plugin processes, as the scheduler's run and one a user asked
	// for would be.
	connA, err := h.Launch(ctx, "testkit")
	require.NoError(t, err)
	defer connA.Close()
	connB, err := h.Launch(ctx, "testkit")
	require.NoError(t, err)
	defer connB.Close()

	doneA := make(chan readResult)
	go func() { doneA <- readAPI(ctx, connA, lim, api, "accounts") }()
	require.Eventually(t, func() bool {
		hold, err := lim.Acquire(ctx)
		return err == nil && !hold.Until.IsZero()
	}, 10*time.Second, 5*time.Millisecond, "the 429 to the first read holds the source")
	resB := readAPI(ctx, connB, lim, api, "activities")
	resA := <-doneA

	requireRead(t, resA, "acc-1", "acc-2", "acc-3", "acc-4")
	requireRead(t, resB, "act-1", "act-2", "act-3", "act-4")
	require.Equal(t, []int{1, 2, 2}, api.PagesCalled("accounts"))
	require.Equal(t, []int{1, 2}, api.PagesCalled("activities"))
	require.Empty(t, api.CallsDuringHolds())
}

func TestQuotaHoldOfOneStreamHoldsTheNext(t *testing.T) {
	ctx := context.Background()
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	api := testkit.NewAPI(t, map[string][][]string{"accounts": {{"1"}, {"2"}}, "activities": {{"1", "2"}}})
	// The accounts stream's last answer says the quota is spent for a
	// second; the activities stream, with a client of its own, would call
	// at once but for the host.
	api.Limit("accounts", 2, testkit.QuotaSpent(time.Second))
	conn, err := h.Launch(ctx, "testkit")
	require.NoError(t, err)
	defer conn.Close()

	res := readAPI(ctx, conn, h.Limiter("source-1"), api)

	requireRead(t, res, "acc-1", "acc-2", "act-1", "act-2")
	require.Equal(t, []int{1}, api.PagesCalled("activities"))
	require.Empty(t, api.CallsDuringHolds())
}

func TestPluginsWithoutTheLimiterPaceThemselves(t *testing.T) {
	ctx := context.Background()
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	tests := []struct {
		name string
		// args start the plugin; legacy-sdk serves it as an SDK from
		// before the limiter would.
		args []string
		// offered is whether the host offers the plugin a limiter.
		offered bool
	}{
		{name: "a plugin from an SDK before the limiter", args: []string{"legacy-sdk"}, offered: true},
		{name: "a read offered no limiter", offered: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			api := testkit.NewAPI(t, map[string][][]string{"accounts": {{"1"}, {"2"}}, "activities": {{"1"}}})
			api.Limit("accounts", 2, testkit.TooManyRequests(time.Second))
			p, err := h.Find("testkit")
			require.NoError(t, err)
			p.Args = tc.args
			conn, err := h.LaunchPlugin(ctx, p)
			require.NoError(t, err)
			defer conn.Close()
			var lim sdk.Limiter
			if tc.offered {
				lim = h.Limiter("source-" + tc.name)
			}

			res := readAPI(ctx, conn, lim, api)

			requireRead(t, res, "acc-1", "acc-2", "act-1")
			require.Equal(t, []int{1, 2, 2}, api.PagesCalled("accounts"))
			require.Empty(t, api.CallsDuringHolds(), "the plugin's own client waited out the 429")
			if lim != nil {
				hold, err := lim.Acquire(ctx)
				require.NoError(t, err)
				require.Zero(t, hold, "the plugin never reached the limiter")
			}
		})
	}
}

func TestLimiterHoldsOnlyLonger(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := host.New(host.Options{Now: func() time.Time { return now }})
	lim := h.Limiter("source-1")
	require.Same(t, lim, h.Limiter("source-1"))
	require.NotSame(t, lim, h.Limiter("source-2"))

	require.NoError(t, lim.Hold(ctx, now.Add(time.Hour), "daily quota"))
	require.NoError(t, lim.Hold(ctx, now.Add(time.Minute), "429"))
	hold, err := lim.Acquire(ctx)
	require.NoError(t, err)
	require.Equal(t, now.Add(time.Hour), hold.Until)
	require.Equal(t, "daily quota", hold.Reason)
	other, err := h.Limiter("source-2").Acquire(ctx)
	require.NoError(t, err)
	require.Zero(t, other)

	now = now.Add(time.Hour)
	hold, err = lim.Acquire(ctx)
	require.NoError(t, err)
	require.Zero(t, hold, "a hold ends at its time")
}
