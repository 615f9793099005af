package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/store"
)

// benchDB is the database the benchmarks read: the 100,000-account demo
// set, loaded once with
//
//	DATABASE_URL=postgres://…/bench pulse demo --size 100000
//
// and named by PULSE_BENCH_DATABASE_URL. The benchmarks migrate it and
// only read.
const benchDB = "PULSE_BENCH_DATABASE_URL"

// The queries a frontend team's two main pages send.
const (
	listPage = `{ accounts(first: 100, orderBy: {field: MRR, direction: DESC}, filter: {lifecycle: [CUSTOMER]}) {
		totalCount
		edges { cursor node {
			id name tier renewalDate
			team { role person { name } } mrr { amount currency }
			lastTouch { occurredAt team } openTicketCount
			timeline(first: 5) { edges { node { __typename occurredAt summary } } }
		} }
		pageInfo { hasNextPage endCursor }
	} }`
	accountPage = `query($id: ID!) { account(id: $id) {
		name domain tier segment lifecycle renewalDate
		team { role person { name email } }
		mrr { amount currency } subscriptions { plan amount currency interval startsAt endsAt }
		lastTouch { occurredAt team } csTouch: lastTouch(team: CS) { occurredAt }
		contacts(first: 20) { edges { node { name email title } } }
		timeline(first: 50) { edges { node { __typename occurredAt kind summary source { name } } } }
		tickets(first: 20) { edges { node { subject status priority openedAt } } }
		deals(first: 20) { edges { node { name status amount currency } } }
		surveys(first: 20) { edges { node { kind score respondedAt } } }
		externalRefs { externalId }
	} }`
)

func benchHandler(b *testing.B) http.Handler {
	url := os.Getenv(benchDB)
	if url == "" {
		b.Skipf("set %s to a database holding the 100,000-account demo set", benchDB)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close(db) })
	if _, err := store.Migrate(ctx, db); err != nil {
		b.Fatal(err)
	}
	st := store.New(db)
	return graph.NewHandler(st, &fakeSources{}, &fakeSyncs{}, graph.Options{
		Logger:  slog.New(slog.DiscardHandler),
		Revenue: st, Engagement: st, Health: st, Identity: st,
	})
}

// run sends one query to h and fails on any error.
func run(b *testing.B, h http.Handler, q string, vars map[string]any) []byte {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req := httptest.NewRequest(http.MethodPost, "/query", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out, _ := io.ReadAll(rec.Result().Body)
	if rec.Code != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
		b.Fatalf("status %d: %.500s", rec.Code, out)
	}
	return out
}

// timed runs f b.N times and reports the median and 99th percentile.
func timed(b *testing.B, f func()) {
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		f()
		durations = append(durations, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "ms-median")
	b.ReportMetric(float64(durations[min(len(durations)-1, len(durations)*99/100)].Microseconds())/1000, "ms-p99")
}

// BenchmarkAccountList is the first page of 100 customers by MRR with
// their team, MRR, last touch, open tickets and 5 timeline events.
func BenchmarkAccountList(b *testing.B) {
	h := benchHandler(b)
	run(b, h, listPage, nil)
	timed(b, func() { run(b, h, listPage, nil) })
}

// BenchmarkAccountPage is one account's page, cycling through the
// accounts of the first list page.
func BenchmarkAccountPage(b *testing.B) {
	h := benchHandler(b)
	var list struct {
		Data struct {
			Accounts struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	if err := json.Unmarshal(run(b, h, listPage, nil), &list); err != nil {
		b.Fatal(err)
	}
	edges := list.Data.Accounts.Edges
	i := 0
	timed(b, func() {
		run(b, h, accountPage, map[string]any{"id": edges[i%len(edges)].Node.ID})
		i++
	})
}
