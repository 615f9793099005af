package webapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// reply is one canned answer of the test server.
type reply struct {
	status  int
	headers map[string]string
	body    string
}

// serve answers requests with replies in turn, repeating the last.
func serve(t *testing.T, replies ...reply) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
		i := int(n.Add(1)) - 1
		if i >= len(replies) {
			i = len(replies) - 1
		}
		for k, v := range replies[i].headers {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(replies[i].status)
		fmt.Fprint(w, replies[i].body)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestGet(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	ok := reply{200, nil, `{"value": 42}`}
	tests := []struct {
		name     string
		replies  []reply
		pace     func(*http.Response) time.Duration
		calls    int32
		waits    []time.Duration
		wantErr  func(t *testing.T, err error)
		wantBody int
	}{
		{name: "ok", replies: []reply{ok}, calls: 1, wantBody: 42},
		{name: "429 with Retry-After seconds is waited out",
			replies: []reply{{429, map[string]string{"Retry-After": "7"}, `{"message":"slow down"}`}, ok},
			calls:   2, waits: []time.Duration{7 * time.Second}, wantBody: 42},
		{name: "429 with an HTTP date",
			replies: []reply{{429, map[string]string{"Retry-After": now.Add(30 * time.Second).Format(http.TimeFormat)}, ``}, ok},
			calls:   2, waits: []time.Duration{30 * time.Second}, wantBody: 42},
		{name: "5xx backs off exponentially",
			replies: []reply{{502, nil, `bad gateway`}, {503, nil, ``}, ok},
			calls:   3, waits: []time.Duration{500 * time.Millisecond, time.Second}, wantBody: 42},
		{name: "a long Retry-After ends the read as transient, with when",
			replies: []reply{{429, map[string]string{"Retry-After": "86400"}, `{"message":"daily limit"}`}},
			calls:   1,
			wantErr: func(t *testing.T, err error) {
				var te *sdk.TransientError
				require.ErrorAs(t, err, &te)
				require.Equal(t, now.Add(24*time.Hour), te.RetryAfter)
				require.Contains(t, err.Error(), "daily limit")
			}},
		{name: "5xx past the retries is transient",
			replies: []reply{{500, nil, `oops`}},
			calls:   6, waits: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
			wantErr: func(t *testing.T, err error) {
				var te *sdk.TransientError
				require.ErrorAs(t, err, &te)
			}},
		{name: "401 names the credential field",
			replies: []reply{{401, nil, `{"message":"invalid token"}`}},
			calls:   1,
			wantErr: func(t *testing.T, err error) {
				var ce *sdk.ConfigError
				require.ErrorAs(t, err, &ce)
				require.Equal(t, "access_token", ce.Field)
				require.Contains(t, err.Error(), "invalid token")
			}},
		{name: "404 is a status error",
			replies: []reply{{404, nil, `{"message":"no such object"}`}},
			calls:   1,
			wantErr: func(t *testing.T, err error) {
				require.True(t, webapi.NotFound(err))
				require.Contains(t, err.Error(), "no such object")
			}},
		{name: "Refine reclassifies a vendor's quota 403",
			replies: []reply{{403, nil, `[{"errorCode":"REQUEST_LIMIT_EXCEEDED"}]`}},
			calls:   1,
			wantErr: func(t *testing.T, err error) {
				var te *sdk.TransientError
				require.ErrorAs(t, err, &te)
			}},
		{name: "quota headers pace the next call",
			replies: []reply{{200, map[string]string{"X-Remaining": "0"}, `{"value": 1}`}, ok},
			pace: func(r *http.Response) time.Duration {
				if r.Header.Get("X-Remaining") == "0" {
					return 10 * time.Second
				}
				return 0
			},
			calls: 2, waits: []time.Duration{10 * time.Second}, wantBody: 42},
	}
	// Each case runs with the client pacing itself alone, and with the
	// host's rate limiter in the context, as a plugin's Read gives it: the
	// waits are the same, the limiter's holds taking the place of the
	// client's own.
	for _, limited := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			if limited {
				name += " (host limiter)"
			}
			t.Run(name, func(t *testing.T) {
				srv, calls := serve(t, tc.replies...)
				clock := now
				ctx := context.Background()
				if limited {
					h := host.New(host.Options{Now: func() time.Time { return clock }})
					ctx = sdk.WithLimiter(ctx, h.Limiter("source"))
				}
				var waits []time.Duration
				c := &webapi.Client{
					BaseURL:   srv.URL,
					Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") },
					AuthField: "access_token",
					Pace:      tc.pace,
					Refine: func(status int, _ http.Header, body []byte) error {
						if status == 403 && strings.Contains(string(body), "REQUEST_LIMIT_EXCEEDED") {
							return &sdk.TransientError{Err: errors.New("daily API limit")}
						}
						return nil
					},
					Now: func() time.Time { return clock },
					Sleep: func(_ context.Context, d time.Duration) error {
						waits = append(waits, d)
						clock = clock.Add(d)
						return nil
					},
				}
				var out struct{ Value int }
				err := c.Get(ctx, "/v1/things", nil, &out)
				if tc.pace != nil && err == nil {
					err = c.Get(ctx, "/v1/things", nil, &out)
				}
				if tc.wantErr != nil {
					require.Error(t, err)
					tc.wantErr(t, err)
				} else {
					require.NoError(t, err)
					require.Equal(t, tc.wantBody, out.Value)
				}
				require.Equal(t, tc.calls, calls.Load())
				require.Equal(t, tc.waits, waits)
			})
		}
	}
}

// limitedClient is a client of srv whose clock is *clock and whose waits
// move it on, recorded in *waits.
func limitedClient(srv *httptest.Server, clock *time.Time, waits *[]time.Duration) *webapi.Client {
	return &webapi.Client{
		BaseURL:   srv.URL,
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") },
		MaxWait:   time.Minute,
		Pace: func(r *http.Response) time.Duration {
			if r.Header.Get("X-Remaining") == "0" {
				return 10 * time.Second
			}
			return 0
		},
		Now: func() time.Time { return *clock },
		Sleep: func(_ context.Context, d time.Duration) error {
			*waits = append(*waits, d)
			*clock = clock.Add(d)
			return nil
		},
	}
}

func TestHostLimiterHoldsEveryClientOfTheSource(t *testing.T) {
	clock := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := host.New(host.Options{Now: func() time.Time { return clock }})
	ctx := sdk.WithLimiter(context.Background(), h.Limiter("source"))
	srv, calls := serve(t,
		reply{200, map[string]string{"X-Remaining": "0"}, `{"value": 1}`},
		reply{200, nil, `{"value": 2}`})
	// Two clients, as two streams each with its own would be: only the
	// host's limiter connects them.
	var waitsA, waitsB []time.Duration
	a := limitedClient(srv, &clock, &waitsA)
	b := limitedClient(srv, &clock, &waitsB)

	require.NoError(t, a.Get(ctx, "/v1/things", nil, nil))
	require.NoError(t, b.Get(ctx, "/v1/things", nil, nil))
	require.EqualValues(t, 2, calls.Load())
	require.Empty(t, waitsA)
	require.Equal(t, []time.Duration{10 * time.Second}, waitsB, "b waits out the quota a's answer said was spent")
}

func TestHostLimiterHoldWaitedOutLetsTheCallGoThoughTheHostsClockLags(t *testing.T) {
	// Neither clock moves while the client waits: the host would report
	// the hold in force for ever.
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := host.New(host.Options{Now: func() time.Time { return now }})
	ctx := sdk.WithLimiter(context.Background(), h.Limiter("source"))
	srv, calls := serve(t, reply{429, map[string]string{"Retry-After": "7"}, ``}, reply{200, nil, `{"value": 42}`})
	var waits []time.Duration
	c := &webapi.Client{
		BaseURL:   srv.URL,
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") },
		Now:       func() time.Time { return now },
		Sleep: func(_ context.Context, d time.Duration) error {
			waits = append(waits, d)
			return nil
		},
	}
	require.NoError(t, c.Get(ctx, "/v1/things", nil, nil))
	require.EqualValues(t, 2, calls.Load())
	require.Equal(t, []time.Duration{7 * time.Second}, waits)
}

func TestHostLimiterHoldBeyondMaxWaitEndsEveryClientsRead(t *testing.T) {
	clock := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := host.New(host.Options{Now: func() time.Time { return clock }})
	lim := h.Limiter("source")
	srv, calls := serve(t, reply{429, map[string]string{"Retry-After": "3600"}, `{"message":"daily limit"}`})
	var waitsA, waitsB []time.Duration
	a := limitedClient(srv, &clock, &waitsA)
	b := limitedClient(srv, &clock, &waitsB)
	until := clock.Add(time.Hour)

	err := a.Get(sdk.WithLimiter(context.Background(), lim), "/v1/things", nil, nil)
	var te *sdk.TransientError
	require.ErrorAs(t, err, &te)
	require.Equal(t, until, te.RetryAfter)

	// Another read of the source, later: it ends at once, calling nobody.
	clock = clock.Add(time.Minute)
	err = b.Get(sdk.WithLimiter(context.Background(), lim), "/v1/things", nil, nil)
	require.ErrorAs(t, err, &te)
	require.Equal(t, until, te.RetryAfter)
	require.ErrorContains(t, err, "daily limit")
	require.EqualValues(t, 1, calls.Load())
	require.Empty(t, waitsB)
}

func TestGetHonoursCancel(t *testing.T) {
	srv, _ := serve(t, reply{429, map[string]string{"Retry-After": "60"}, ``})
	ctx, cancel := context.WithCancel(context.Background())
	c := &webapi.Client{BaseURL: srv.URL, Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer tok") },
		Sleep: func(ctx context.Context, _ time.Duration) error { cancel(); return ctx.Err() }}
	err := c.Get(ctx, "/x", nil, nil)
	require.True(t, errors.Is(err, context.Canceled), strconv.Quote(fmt.Sprint(err)))
}

// A vendor that says in its own words that the day's quota is spent (a
// Refine turning the answer into a TransientError with its time) holds the
// other reads of the source as a Retry-After would.
func TestHostLimiterRefinedSpentQuotaHoldsEveryClient(t *testing.T) {
	clock := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	h := host.New(host.Options{Now: func() time.Time { return clock }})
	lim := h.Limiter("source")
	srv, calls := serve(t, reply{429, nil, `{"policyName":"DAILY"}`})
	midnight := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	refine := func(status int, _ http.Header, body []byte) error {
		if status == http.StatusTooManyRequests && strings.Contains(string(body), "DAILY") {
			return &sdk.TransientError{Err: errors.New("daily quota spent"), RetryAfter: midnight}
		}
		return nil
	}
	var waitsA, waitsB []time.Duration
	a := limitedClient(srv, &clock, &waitsA)
	b := limitedClient(srv, &clock, &waitsB)
	a.Refine, b.Refine = refine, refine

	var te *sdk.TransientError
	require.ErrorAs(t, a.Get(sdk.WithLimiter(context.Background(), lim), "/v1/things", nil, nil), &te)
	require.Equal(t, midnight, te.RetryAfter)

	err := b.Get(sdk.WithLimiter(context.Background(), lim), "/v1/things", nil, nil)
	require.ErrorAs(t, err, &te)
	require.Equal(t, midnight, te.RetryAfter)
	require.ErrorContains(t, err, "daily quota spent")
	require.EqualValues(t, 1, calls.Load(), "b asks the vendor nothing")
	require.Empty(t, waitsB)
}
