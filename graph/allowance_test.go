package graph_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// replicaStack is one replica's handler: its own pool on the shared
// database, its own store and allowances, and a backend that blocks in
// Accounts until the test releases it.
func replicaStack(t *testing.T, db *gorm.DB, blocked blockingBackend, limits graph.Limits) string {
	t.Helper()
	blocked.Backend = store.New(db)
	srv := httptest.NewServer(graph.NewHandler(blocked, &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
		Keys: store.NewKeys(db), Limiter: store.NewAllowances(db), Limits: limits,
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// twoReplicas serves one database from two replicas, each its own
// handler, pool, store and allowances, with limits; it returns their
// addresses, a viewer key, and the backend both block in, which tells of
// up to room requests entering it without being read.
func twoReplicas(t *testing.T, limits graph.Limits, room int) ([]string, string, blockingBackend) {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	var dbs []*gorm.DB
	for range 2 {
		db, err := store.Open(ctx, url)
		require.NoError(t, err)
		t.Cleanup(func() { store.Close(db) })
		dbs = append(dbs, db)
	}
	_, err := store.Migrate(ctx, dbs[0])
	require.NoError(t, err)
	seed(t, dbs[0])
	_, key, err := store.NewKeys(dbs[0]).Create(ctx, "dashboard", domain.Viewer, "test")
	require.NoError(t, err)
	blocked := newBlocking(nil)
	blocked.entered = make(chan struct{}, room)
	return []string{replicaStack(t, dbs[0], blocked, limits), replicaStack(t, dbs[1], blocked, limits)}, key, blocked
}

// TestInFlightAcrossReplicas: two replicas share a key's requests in
// flight. Ten requests of one key, split between them, all sent at once
// while the admitted ones are held in the backend: exactly four are let
// in, the six others are refused with 429 RATE_LIMITED; once the four
// end, each replica lets the key in again.
func TestInFlightAcrossReplicas(t *testing.T) {
	const sent, limit = 10, 4
	urls, key, blocked := twoReplicas(t, graph.Limits{MaxInFlight: limit}, sent)
	// Before the servers close, which waits for the requests held, even
	// when the test fails.
	var released sync.Once
	release := func() { released.Do(func() { close(blocked.release) }) }
	t.Cleanup(release)

	type answer struct {
		status int
		out    map[string]any
	}
	answers := make(chan answer, sent)
	page := queryBody("{ accounts(first: 1) { edges { node { name } } } }")
	for i := range sent {
		go func() {
			status, _, out := (&guarded{url: urls[i%2], key: key}).ask(t, page)
			answers <- answer{status, out}
		}()
	}
	// Each request is either let in, and waits in the backend, or
	// refused, and answered: count both until every one is one or the
	// other.
	var entered int
	var refused []answer
	for entered+len(refused) < sent {
		select {
		case <-blocked.entered:
			entered++
		case a := <-answers:
			refused = append(refused, a)
		}
	}
	require.Equal(t, limit, entered, "let in across both replicas")
	for _, a := range refused {
		require.Equal(t, http.StatusTooManyRequests, a.status, a.out)
		msg, code := firstError(a.out)
		require.Equal(t, "RATE_LIMITED", code)
		require.Contains(t, msg, "4 requests running")
	}

	release()
	for range limit {
		a := <-answers
		require.Equal(t, http.StatusOK, a.status, a.out)
		require.Nil(t, a.out["errors"])
	}
	for _, u := range urls {
		status, _, out := (&guarded{url: u, key: key}).ask(t, queryBody("{ sources { name } }"))
		require.Equal(t, http.StatusOK, status, "the slots are free again: %v", out)
	}
}

// TestRateAcrossReplicas: two replicas share a key's rate: its burst of
// three is spent over both, and the next request is refused on either
// with the wait until one more is due.
func TestRateAcrossReplicas(t *testing.T) {
	// One request a minute: none refills while the test runs.
	urls, key, _ := twoReplicas(t, graph.Limits{PerMinute: 1, Burst: 3}, 0)
	steps := []struct {
		replica int
		status  int
	}{
		{0, http.StatusOK}, {1, http.StatusOK}, {0, http.StatusOK},
		{1, http.StatusTooManyRequests}, {0, http.StatusTooManyRequests},
	}
	for i, s := range steps {
		status, h, out := (&guarded{url: urls[s.replica], key: key}).ask(t, queryBody("{ sources { name } }"))
		require.Equal(t, s.status, status, "request %d on replica %d: %v", i+1, s.replica, out)
		if s.status == http.StatusTooManyRequests {
			msg, code := firstError(out)
			require.Equal(t, "RATE_LIMITED", code)
			require.Contains(t, msg, "this API key made too many requests; retry in")
			secs, err := strconv.Atoi(h.Get("Retry-After"))
			require.NoError(t, err)
			require.True(t, secs >= 1 && secs <= 60, "Retry-After %d", secs)
		}
	}
}

// BenchmarkAllowance measures what keeping a key's allowance in
// PostgreSQL adds to a request: the same cheap authenticated request
// through two handlers, one keeping the allowance in the process and one
// in the database, taken in turns so that both see the same load.
// It reports each one's mean, the ratio, and the time added.
func BenchmarkAllowance(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	seed(b, db)
	keys := store.NewKeys(db)
	_, secret, err := keys.Create(ctx, "bench", domain.Viewer, "test")
	if err != nil {
		b.Fatal(err)
	}
	handler := func(l graph.Limiter) http.Handler {
		return graph.NewHandler(store.New(db), &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
			Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
			Keys: keys, Limiter: l, Limits: graph.Limits{PerMinute: 1 << 30, Burst: 1 << 30},
		})
	}
	local, shared := handler(nil), handler(store.NewAllowances(db))
	body := queryBody("{ sources { name } }")
	serve := func(h http.Handler) time.Duration {
		req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+secret)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		took := time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		return took
	}
	// The key's slots are made by its first request.
	serve(shared)
	var inProcess, inPostgres time.Duration
	b.ResetTimer()
	for range b.N {
		inProcess += serve(local)
		inPostgres += serve(shared)
	}
	n := float64(b.N)
	b.ReportMetric(float64(inProcess.Microseconds())/n, "µs-in-process")
	b.ReportMetric(float64(inPostgres.Microseconds())/n, "µs-postgres")
	b.ReportMetric(float64(inPostgres-inProcess)/float64(time.Microsecond)/n, "µs-added")
	b.ReportMetric(float64(inPostgres)/float64(inProcess), "ratio")
}
