package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// The store is what cmd/pulse serves the API from.
var _ graph.Backend = (*store.Store)(nil)

// server is the real handler over HTTP, on a database, with fresh fakes
// for sources and syncs.
type server struct {
	t       testing.TB
	url     string
	sources *fakeSources
	syncs   *fakeSyncs
	logs    *syncBuffer
}

func newServer(t testing.TB, db *gorm.DB) *server {
	t.Helper()
	return newServerWith(t, store.New(db), func(o *graph.Options) { o.APIKeys = store.NewKeys(db) })
}

// newServerWith serves backend; more, when not nil, sets more options.
func newServerWith(t testing.TB, backend graph.Backend, more func(*graph.Options)) *server {
	t.Helper()
	s := &server{t: t, sources: &fakeSources{sources: fixtureSources()}, syncs: &fakeSyncs{}, logs: &syncBuffer{}}
	opts := graph.Options{
		Logger: slog.New(slog.NewTextHandler(s.logs, nil)),
		Now:    func() time.Time { return fixtureNow },
	}
	// The store also scores health and keeps identity; a backend
	// wrapping it does not.
	if st, ok := backend.(*store.Store); ok {
		opts.Health, opts.Identity = st, st
	}
	if more != nil {
		more(&opts)
	}
	srv := httptest.NewServer(graph.NewHandler(backend, s.sources, s.syncs, opts))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// post sends a query and returns the response body, failing the test on
// anything but 200.
func (s *server) post(query string, variables map[string]any) []byte {
	s.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	resp, err := http.Post(s.url+"/query", "application/json", bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	return out
}

// response is a GraphQL response with data decoded into T.
type response[T any] struct {
	Data   T
	Errors []gqlError
}

type gqlError struct {
	Message    string
	Path       []any
	Extensions map[string]any
}

// query posts a query and decodes its response.
func query[T any](s *server, q string, variables map[string]any) response[T] {
	s.t.Helper()
	var r response[T]
	if err := json.Unmarshal(s.post(q, variables), &r); err != nil {
		s.t.Fatal(err)
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for the handler's goroutines to log to
// while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
