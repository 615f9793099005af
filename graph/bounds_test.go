package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// estimated estimates the workspace at the size last stored.
type estimated struct{ n atomic.Int64 }

func (e *estimated) EstimateAccounts(context.Context) (int, error) { return int(e.n.Load()), nil }

// countedHealth is the real health service, counting healthSummary's calls.
type countedHealth struct {
	graph.HealthService
	summaries atomic.Int64
}

func (h *countedHealth) HealthSummary(ctx context.Context, q health.SummaryQuery) (*health.Summary, error) {
	h.summaries.Add(1)
	return h.HealthService.HealthSummary(ctx, q)
}

// newPriced is a handler with a viewer key, the real store behind it, and
// a workspace estimated at accounts.
func newPriced(t *testing.T, limits graph.Limits, accounts *estimated) (*guarded, *countedHealth) {
	t.Helper()
	db := openDB(t)
	seed(t, db)
	keys := store.NewKeys(db)
	_, secret, err := keys.Create(context.Background(), "viewer", domain.Viewer, "test")
	require.NoError(t, err)
	st := store.New(db)
	h := &countedHealth{HealthService: st}
	srv := httptest.NewServer(graph.NewHandler(st, &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
		Keys: keys, Limits: limits, Health: h, Revenue: st, Engagement: st, Accounts: accounts,
	}))
	t.Cleanup(srv.Close)
	return &guarded{url: srv.URL, key: secret}, h
}

// aliases repeats field n times, each under an alias of its own.
func aliases(n int, field string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, field)
	}
	return b.String() + " }"
}

// TestReportAliasAttack is item 2 of issue 10: on 3,000 accounts, 500
// aliases of healthSummary ran for 10.7 s. They are refused before any
// resolver runs, while one healthSummary, and a dashboard's handful of
// reports, are answered.
func TestReportAliasAttack(t *testing.T) {
	accounts := &estimated{}
	accounts.n.Store(3_000)
	g, h := newPriced(t, graph.Limits{}, accounts)
	status, _, out := g.ask(t, queryBody(aliases(500, "healthSummary { all { green } }")))
	require.Equal(t, http.StatusOK, status)
	msg, code := firstError(out)
	require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", code, msg)
	require.Contains(t, msg, "the query costs 66500; the limit is 10000")
	require.Nil(t, out["data"])
	require.Zero(t, h.summaries.Load(), "no resolver ran")

	status, _, out = g.ask(t, queryBody(`{ healthSummary { all { green } }
		retention(from: "2025-01-01", to: "2026-01-01") { endMrr }
		coverage(team: CS) { touched } nps { score } }`))
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, out["errors"], "a dashboard's reports fit: %v", out)
	require.EqualValues(t, 1, h.summaries.Load())
}

// TestCostOfReports checks what reports cost: ReportCost plus 1 for each
// AccountsPerCost accounts, times 1 + their window in years, every alias
// counted; and accounts' totalCount costs what it counts, once.
func TestCostOfReports(t *testing.T) {
	tests := []struct {
		accounts int
		query    string
		cost     int
	}{
		{3_000, "{ healthSummary { day } }", 1 + 100 + 30 + 1},
		{100_000, "{ healthSummary { day } }", 1 + 100 + 1_000 + 1},
		{0, "{ healthSummary { day } }", 1 + 100 + 1},
		{3_000, aliases(3, "healthSummary { day }"), 3 * (1 + 100 + 30 + 1)},
		{3_000, `{ retention(from: "2025-01-01", to: "2026-01-01") { endMrr } }`, 1 + 100 + 60 + 1},
		{3_000, `{ retention(from: "2023-01-01", to: "2026-01-01") { endMrr } }`, 1 + 100 + ceil(3_000*(365+1_096), 36_500) + 1},
		{3_000, `query($f: Date!, $t: Date!) { mrrMovements(from: $f, to: $t) { interval } }`, 1 + 100 + 60 + 1},
		{3_000, "{ coverage(team: CS, days: 365) { touched } }", 1 + 100 + 60 + 1},
		{3_000, "{ handoffGaps { rules { asOf } } }", 1 + 100 + ceil(3_000*(365+7), 36_500) + 1 + 1},
		{3_000, `{ healthBacktest(from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z", leadDays: 0) { leadDays } }`, 1 + 100 + 60 + 1},
		{3_000, "{ accounts(first: 100) { totalCount } }", 1 + 1 + 30},
		{100_000, "{ accounts(first: 1) { totalCount edges { node { name } } } }", 1 + 1 + 1_000 + 1*3},
	}
	accounts := &estimated{}
	g, _ := newPriced(t, graph.Limits{MaxCost: 1}, accounts)
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			accounts.n.Store(int64(tc.accounts))
			b := queryBody(tc.query)
			if strings.HasPrefix(tc.query, "query(") {
				b, _ = json.Marshal(map[string]any{"query": tc.query, "variables": map[string]any{"f": "2025-01-01", "t": "2026-01-01"}})
			}
			_, _, out := g.ask(t, b)
			msg, code := firstError(out)
			require.Equal(t, "COMPLEXITY_LIMIT_EXCEEDED", code, msg)
			require.Contains(t, msg, fmt.Sprintf("the query costs %d;", tc.cost))
		})
	}
}

func ceil(a, b int) int { return (a + b - 1) / b }

// blockingBackend is the real store whose Accounts waits for release,
// telling entered each time one starts waiting, and keeping the most that
// waited at once.
type blockingBackend struct {
	graph.Backend
	entered chan struct{}
	release chan struct{}
	active  *atomic.Int64
	most    *atomic.Int64
}

func newBlocking(b graph.Backend) blockingBackend {
	return blockingBackend{Backend: b, entered: make(chan struct{}, 8), release: make(chan struct{}),
		active: &atomic.Int64{}, most: &atomic.Int64{}}
}

func (b blockingBackend) Accounts(ctx context.Context, q domain.AccountQuery) (domain.AccountPage, error) {
	n := b.active.Add(1)
	for m := b.most.Load(); n > m && !b.most.CompareAndSwap(m, n); m = b.most.Load() {
	}
	b.entered <- struct{}{}
	<-b.release
	b.active.Add(-1)
	return b.Backend.Accounts(ctx, q)
}

// TestInFlightPerKey: a key with MaxInFlight requests running has one more
// refused with 429 RATE_LIMITED at once, while another key gets through;
// once they end, the key may ask again.
func TestInFlightPerKey(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	keys := store.NewKeys(db)
	_, busy, err := keys.Create(context.Background(), "busy", domain.Viewer, "test")
	require.NoError(t, err)
	_, other, err := keys.Create(context.Background(), "other", domain.Viewer, "test")
	require.NoError(t, err)
	backend := newBlocking(store.New(db))
	srv := httptest.NewServer(graph.NewHandler(backend, &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
		Keys: keys, Limits: graph.Limits{MaxInFlight: 2},
	}))
	t.Cleanup(srv.Close)
	page := queryBody("{ accounts(first: 1) { edges { node { name } } } }")

	var wg sync.WaitGroup
	statuses := make(chan int, 2)
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, _ := (&guarded{url: srv.URL, key: busy}).ask(t, page)
			statuses <- status
		}()
	}
	<-backend.entered
	<-backend.entered

	status, h, out := (&guarded{url: srv.URL, key: busy}).ask(t, page)
	require.Equal(t, http.StatusTooManyRequests, status)
	msg, code := firstError(out)
	require.Equal(t, "RATE_LIMITED", code)
	require.Contains(t, msg, "2 requests running")
	require.Equal(t, "1", h.Get("Retry-After"))

	status, _, out = (&guarded{url: srv.URL, key: other}).ask(t, queryBody("{ sources { name } }"))
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, out["errors"], "another key gets through")

	close(backend.release)
	wg.Wait()
	require.Equal(t, http.StatusOK, <-statuses)
	require.Equal(t, http.StatusOK, <-statuses)
	status, _, out = (&guarded{url: srv.URL, key: busy}).ask(t, page)
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, out["errors"])
}

// TestParallelRootFields: the top-level fields of one request, aliases
// included, are resolved at most MaxParallel at a time, so that one request
// holds few of the pool's connections; they are all answered.
func TestParallelRootFields(t *testing.T) {
	db := openDB(t)
	seed(t, db)
	backend := newBlocking(store.New(db))
	srv := httptest.NewServer(graph.NewHandler(backend, &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow }, Limits: graph.Limits{MaxParallel: 2},
	}))
	t.Cleanup(srv.Close)
	answered := make(chan map[string]any, 1)
	go func() {
		_, _, out := (&guarded{url: srv.URL}).ask(t, queryBody(aliases(5, "accounts(first: 1) { edges { node { name } } }")))
		answered <- out
	}()
	<-backend.entered
	<-backend.entered
	for range 3 {
		backend.release <- struct{}{}
		<-backend.entered
	}
	backend.release <- struct{}{}
	backend.release <- struct{}{}
	out := <-answered
	require.Nil(t, out["errors"])
	require.Len(t, out["data"], 5)
	require.EqualValues(t, 2, backend.most.Load(), "two at a time")
}

// TestStatementTimeout: a statement that runs past the pool's statement
// timeout (here, waiting on a lock another session holds) is cut, and the
// field answers TIMEOUT without the database's words.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	url := testdb.New(t)
	db, err := store.Open(ctx, url, store.Pool{StatementTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	seed(t, db)
	var logs bytes.Buffer
	srv := httptest.NewServer(graph.NewHandler(store.New(db), &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return fixtureNow },
	}))
	t.Cleanup(srv.Close)

	holder, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(holder) })
	lock := holder.Begin()
	require.NoError(t, lock.Exec("LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE").Error)
	defer lock.Rollback()

	_, _, out := (&guarded{url: srv.URL}).ask(t, queryBody("{ accounts(first: 1) { totalCount } }"))
	msg, code := firstError(out)
	require.Equal(t, "TIMEOUT", code, out)
	require.Equal(t, "the request ran out of time: ask for less, such as a shorter window or fewer reports", msg)
	require.NotContains(t, logs.String(), "level=ERROR", "a request that asks too much is the client's doing")
	require.Contains(t, logs.String(), "statement timeout", "the cause is logged")

	require.NoError(t, lock.Rollback().Error)
	_, _, out = (&guarded{url: srv.URL}).ask(t, queryBody("{ accounts(first: 1) { totalCount } }"))
	require.Nil(t, out["errors"], "the pool serves on")
}
