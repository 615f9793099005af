package main_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// subscribe opens a graphql-transport-ws connection to s with its key and
// starts the subscription q.
func (s *server) subscribe(t *testing.T, q string, vars map[string]any) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(s.url, "http")+"/query",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": "Bearer " + s.key}}))
	for {
		var m map[string]any
		require.NoError(t, wsjson.Read(ctx, conn, &m))
		if m["type"] == "connection_ack" {
			break
		}
	}
	require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{"query": q, "variables": vars}}))
	return conn
}

// TestReplicasDeliverSyncRunEvents runs two `pulse serve` on one database,
// B with no workers:
// a client subscribed on B sees the run started through A, from RUNNING
// to SUCCEEDED. A's /metrics then count the query, the run, its records
// and the plugin it launched.
func TestReplicasDeliverSyncRunEvents(t *testing.T) {
	c := newCLI(t)
	c.ok(t, demoSource...)
	a := startServe(t, c.env)
	// B serves the API only: the run is A's, its events reach B.
	b := startServe(t, c.env, "--workers", "0")
	src := a.query(t, `{ sources { id } }`)["sources"].([]any)[0].(map[string]any)["id"].(string)

	conn := b.subscribe(t, `subscription($id: ID!) { syncRunUpdated(sourceId: $id) { id status recordsRead } }`, map[string]any{"id": src})
	time.Sleep(300 * time.Millisecond) // B registers the subscription
	run := a.post(t, `mutation Sync($id: ID!) { runSync(sourceId: $id) { id } }`, map[string]any{"id": src})
	require.Nil(t, run["errors"], run)
	runID := run["data"].(map[string]any)["runSync"].(map[string]any)["id"].(string)

	var statuses []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for len(statuses) == 0 || statuses[len(statuses)-1] == "RUNNING" {
		var m struct {
			Type    string
			Payload struct {
				Data struct {
					SyncRunUpdated struct{ ID, Status string }
				}
				Errors []any
			}
		}
		require.NoError(t, wsjson.Read(ctx, conn, &m))
		switch m.Type {
		case "ping":
			require.NoError(t, wsjson.Write(ctx, conn, map[string]any{"type": "pong"}))
		case "next":
			require.Empty(t, m.Payload.Errors)
			require.Equal(t, runID, m.Payload.Data.SyncRunUpdated.ID)
			statuses = append(statuses, m.Payload.Data.SyncRunUpdated.Status)
		}
	}
	require.Equal(t, "RUNNING", statuses[0])
	require.Equal(t, "SUCCEEDED", statuses[len(statuses)-1])

	require.Eventually(t, func() bool {
		return strings.Contains(scrape(t, a), `pulse_sync_runs_total{source="d",status="succeeded"} 1`)
	}, 10*time.Second, 100*time.Millisecond)
	metrics := scrape(t, a)
	for _, want := range []string{
		`pulse_graphql_requests_total{operation="(anonymous)",outcome="ok"} 1`,
		`pulse_graphql_requests_total{operation="Sync",outcome="ok"} 1`,
		`pulse_graphql_request_duration_seconds_count{operation="Sync"} 1`,
		`pulse_sync_records_read_total{source="d",stream="accounts"} 120`,
		`pulse_sync_records_written_total{source="d",stream="accounts"} 120`,
		`pulse_plugin_launches_total{connector="demo"} 1`,
	} {
		require.Contains(t, metrics, want)
	}
}

func scrape(t *testing.T, s *server) string {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// collector is an OTLP/HTTP trace collector keeping the names of the
// spans it receives.
type collector struct {
	mu    gosync.Mutex
	spans map[string]string // name -> service
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/traces" {
		http.NotFound(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.GetResourceSpans() {
		service := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				service = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				c.spans[sp.GetName()] = service
			}
		}
	}
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Write(out)
}

func (c *collector) has(name string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.spans[name]
	return s, ok
}

// TestServeTracesToOTLP points serve at an OTLP collector: a named query
// arrives as an operation span with its resolver and SQL spans, from the
// service pulse.
func TestServeTracesToOTLP(t *testing.T) {
	col := &collector{spans: map[string]string{}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	c := newCLI(t)
	c.ok(t, demoSource...)
	env := append(append([]string{}, c.env...), "OTEL_EXPORTER_OTLP_ENDPOINT="+srv.URL, "OTEL_BSP_SCHEDULE_DELAY=100")
	s := startServe(t, env)
	body, _ := json.Marshal(map[string]any{"query": `query SourceList { sources { name lastRun { status } } }`})
	resp, err := s.send(body)
	require.NoError(t, err)
	resp.Body.Close()
	for _, name := range []string{"query SourceList", "Query.sources", "Source.lastRun", "sql query sources"} {
		require.Eventually(t, func() bool { _, ok := col.has(name); return ok }, 20*time.Second, 100*time.Millisecond, "span %q", name)
		service, _ := col.has(name)
		require.Equal(t, "pulse", service)
	}
}
