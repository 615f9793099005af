package graph_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// replica is one `pulse serve`: the real handler with its own events
// Listener, on a database it shares with the other replicas.
func replica(t *testing.T, db *gorm.DB, url string, keepAlive time.Duration) string {
	t.Helper()
	l := events.NewListener(url, events.ListenerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = l.Run(ctx); close(stopped) }()
	select {
	case <-l.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not start")
	}
	h := graph.NewHandler(store.New(db), &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return fixtureNow },
		Keys: store.NewKeys(db), Events: l, KeepAlive: keepAlive,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); cancel(); <-stopped })
	return srv.URL
}

// openDBAt is openDB, with the database's URL for the Listeners.
func openDBAt(t *testing.T) (*gorm.DB, string) {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	return db, url
}

// wsClient speaks graphql-transport-ws.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dial opens a WebSocket to /query and sends connection_init with payload.
func dial(t *testing.T, url string, payload map[string]any) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(url, "http")+"/query",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	require.NoError(t, err)
	t.Cleanup(func() { conn.CloseNow() })
	require.Equal(t, "graphql-transport-ws", conn.Subprotocol())
	c := &wsClient{t: t, conn: conn}
	c.send(map[string]any{"type": "connection_init", "payload": payload})
	return c
}

// connect dials with key and waits for connection_ack.
func connect(t *testing.T, url, key string) *wsClient {
	t.Helper()
	c := dial(t, url, map[string]any{"Authorization": "Bearer " + key})
	require.Equal(t, "connection_ack", c.read().Type)
	return c
}

func (c *wsClient) send(m any) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(c.t, wsjson.Write(ctx, c.conn, m))
}

// read returns the next message that is not a ping, answering pings as a
// client must.
func (c *wsClient) read() wsMessage {
	c.t.Helper()
	for {
		m, err := c.readRaw(10 * time.Second)
		require.NoError(c.t, err)
		if m.Type == "ping" {
			c.send(map[string]any{"type": "pong"})
			continue
		}
		return m
	}
}

// readRaw returns the next message, pings included, skipping the pongs the
// server sends unasked as keep-alives.
func (c *wsClient) readRaw(wait time.Duration) (wsMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c.conn, &m); err != nil || m.Type != "pong" {
			return m, err
		}
	}
}

func (c *wsClient) subscribe(id, query string, vars map[string]any) {
	c.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// next reads the next event of the subscription id and decodes its data.
func next[T any](c *wsClient, id string) T {
	c.t.Helper()
	m := c.read()
	require.Equal(c.t, id, m.ID)
	require.Equal(c.t, "next", m.Type, string(m.Payload))
	var r response[T]
	require.NoError(c.t, json.Unmarshal(m.Payload, &r))
	require.Empty(c.t, r.Errors)
	return r.Data
}

func newKey(t *testing.T, db *gorm.DB, role domain.Access) string {
	t.Helper()
	_, secret, err := store.NewKeys(db).Create(context.Background(), "ws "+string(role)+" "+uuid.NewString()[:8], role, "test")
	require.NoError(t, err)
	return secret
}

func TestSyncRunUpdatedReachesEveryReplica(t *testing.T) {
	db, dsn := openDBAt(t)
	seed(t, db)
	a := replica(t, db, dsn, 0)
	b := replica(t, db, dsn, 0)
	key := newKey(t, db, domain.Viewer)

	onA, onB := connect(t, a, key), connect(t, b, key)
	const q = `subscription($id: ID!) { syncRunUpdated(sourceId: $id) { id status recordsRead streams { stream } } }`
	onA.subscribe("1", q, map[string]any{"id": hubspot.String()})
	onB.subscribe("1", q, map[string]any{"id": hubspot.String()})
	// An event of another source is not for them.
	other := connect(t, b, key)
	other.subscribe("z", q, map[string]any{"id": zendesk.String()})
	time.Sleep(200 * time.Millisecond) // the subscriptions are registered

	// Any process (here: none of the two) publishes; both replicas
	// deliver the run as stored.
	sqlDB, err := db.DB()
	require.NoError(t, err)
	run := fid(runIDs, 1)
	require.NoError(t, events.PublishSyncRun(context.Background(), sqlDB, events.SyncRunChanged{RunID: run, SourceID: hubspot, Status: "succeeded"}))
	type runEvent struct {
		SyncRunUpdated struct {
			ID, Status  string
			RecordsRead int
			Streams     []struct{ Stream string }
		}
	}
	for _, c := range []*wsClient{onA, onB} {
		got := next[runEvent](c, "1").SyncRunUpdated
		require.Equal(t, run.String(), got.ID)
		require.Equal(t, "SUCCEEDED", got.Status)
		require.Equal(t, 120, got.RecordsRead)
		require.NotEmpty(t, got.Streams)
	}
	m, err := other.readRaw(300 * time.Millisecond)
	require.ErrorIs(t, err, context.DeadlineExceeded, "no event for zendesk: %+v", m)

	// Completing stops the events.
	onA.send(map[string]any{"id": "1", "type": "complete"})
	time.Sleep(100 * time.Millisecond)
	require.NoError(t, events.PublishSyncRun(context.Background(), sqlDB, events.SyncRunChanged{RunID: run, SourceID: hubspot, Status: "succeeded"}))
	next[runEvent](onB, "1")
	for {
		m, err := onA.readRaw(300 * time.Millisecond)
		if err != nil {
			require.ErrorIs(t, err, context.DeadlineExceeded)
			break
		}
		require.Equal(t, "complete", m.Type, "no event after complete")
	}
}

func TestSyncRunUpdatedRefusesAnUnknownSource(t *testing.T) {
	db, dsn := openDBAt(t)
	seed(t, db)
	c := connect(t, replica(t, db, dsn, 0), newKey(t, db, domain.Viewer))
	c.subscribe("1", `subscription($id: ID!) { syncRunUpdated(sourceId: $id) { id } }`, map[string]any{"id": uuid.NewString()})
	m := c.read()
	require.Equal(t, "next", m.Type)
	var r response[any]
	require.NoError(t, json.Unmarshal(m.Payload, &r))
	require.Len(t, r.Errors, 1)
	require.Equal(t, "NOT_FOUND", r.Errors[0].Extensions["code"])
	require.Equal(t, "complete", c.read().Type)
}

func TestHealthChangedFilters(t *testing.T) {
	db, dsn := openDBAt(t)
	seed(t, db)
	url := replica(t, db, dsn, 0)
	key := newKey(t, db, domain.Viewer)
	const q = `subscription($f: HealthChangeFilter) { healthChanged(filter: $f) { accountId account { name } from to score at } }`
	sqlDB, err := db.DB()
	require.NoError(t, err)
	at := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
	changes := []events.HealthChanged{
		{AccountID: bluth, Tier: "B", From: "green", To: "yellow", Score: 55, At: at},
		{AccountID: acme, Tier: "A", From: "", To: "red", Score: 31.5, At: at},
		{AccountID: uuid.New(), Tier: "A", From: "yellow", To: "green", Score: 80, At: at},
	}
	tests := []struct {
		name   string
		filter map[string]any
		want   []int // indexes into changes, in order
	}{
		{"no filter", nil, []int{0, 1, 2}},
		{"accounts", map[string]any{"accountIds": []string{acme.String()}}, []int{1}},
		{"bands in or out", map[string]any{"bands": []string{"YELLOW"}}, []int{0, 2}},
		{"tier", map[string]any{"tier": []string{"A"}}, []int{1, 2}},
		{"every list", map[string]any{"tier": []string{"A"}, "bands": []string{"RED"}}, []int{1}},
	}
	clients := make([]*wsClient, len(tests))
	for i, tt := range tests {
		clients[i] = connect(t, url, key)
		clients[i].subscribe("h", q, map[string]any{"f": tt.filter})
	}
	time.Sleep(200 * time.Millisecond)
	for _, c := range changes {
		require.NoError(t, events.PublishHealthChange(context.Background(), sqlDB, c))
	}
	type change struct {
		HealthChanged struct {
			AccountID string
			Account   *struct{ Name string }
			From      *string
			To        string
			Score     float64
			At        string
		}
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := clients[i]
			c.t = t
			for _, w := range tt.want {
				got := next[change](c, "h").HealthChanged
				want := changes[w]
				require.Equal(t, want.AccountID.String(), got.AccountID)
				require.Equal(t, strings.ToUpper(want.To), got.To)
				require.Equal(t, want.Score, got.Score)
				require.Equal(t, "2025-06-01T08:00:00Z", got.At)
				if want.From == "" {
					require.Nil(t, got.From)
				} else {
					require.Equal(t, strings.ToUpper(want.From), *got.From)
				}
				switch want.AccountID {
				case acme:
					require.Equal(t, "Acme Corp", got.Account.Name)
				case bluth:
					require.NotNil(t, got.Account)
				default:
					require.Nil(t, got.Account, "an account that is gone is null")
				}
			}
			_, err := c.readRaw(200 * time.Millisecond)
			require.ErrorIs(t, err, context.DeadlineExceeded, "nothing more")
		})
	}
}

func TestWebsocketNeedsAValidKey(t *testing.T) {
	db, dsn := openDBAt(t)
	seed(t, db)
	url := replica(t, db, dsn, 0)
	revoked := newKey(t, db, domain.Viewer)
	keys, err := store.NewKeys(db).List(context.Background())
	require.NoError(t, err)
	_, err = store.NewKeys(db).Revoke(context.Background(), keys[0].Name)
	require.NoError(t, err)
	tests := []struct {
		name    string
		payload map[string]any
		want    string
	}{
		{"no payload", nil, "UNAUTHENTICATED: send the payload"},
		{"not bearer", map[string]any{"Authorization": "Basic abc"}, "UNAUTHENTICATED: send the payload"},
		{"unknown key", map[string]any{"Authorization": "Bearer pulse_" + strings.Repeat("x", 43)}, "UNAUTHENTICATED: the API key is not valid"},
		{"revoked key", map[string]any{"Authorization": "Bearer " + revoked}, "UNAUTHENTICATED: the API key is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url, tt.payload)
			_, err := c.readRaw(10 * time.Second)
			var closed websocket.CloseError
			require.ErrorAs(t, err, &closed)
			require.Equal(t, websocket.StatusCode(4403), closed.Code)
			require.Contains(t, closed.Reason, tt.want)
		})
	}
	// The server keeps serving.
	c := connect(t, url, newKey(t, db, domain.Viewer))
	c.subscribe("1", `subscription($id: ID!) { syncRunUpdated(sourceId: $id) { id } }`, map[string]any{"id": hubspot.String()})
}

// TestWebsocketTakesTheKeyInHeaders: graphql-ws clients set up like an
// HTTP link send {"headers": {"Authorization": …}}; it is accepted as the
// top-level shape is, with the header's name in any case, and a bad key
// in it is refused the same way.
func TestWebsocketTakesTheKeyInHeaders(t *testing.T) {
	db, dsn := openDBAt(t)
	seed(t, db)
	url := replica(t, db, dsn, 0)
	key := newKey(t, db, domain.Viewer)
	tests := []struct {
		name    string
		payload map[string]any
		refused string
	}{
		{"headers", map[string]any{"headers": map[string]any{"Authorization": "Bearer " + key}}, ""},
		{"lower-case header", map[string]any{"headers": map[string]any{"authorization": "Bearer " + key}}, ""},
		{"unknown key in headers", map[string]any{"headers": map[string]any{"Authorization": "Bearer pulse_" + strings.Repeat("y", 43)}}, "UNAUTHENTICATED: the API key is not valid"},
		{"headers not an object", map[string]any{"headers": "Bearer " + key}, "UNAUTHENTICATED: send the payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, url, tt.payload)
			if tt.refused != "" {
				_, err := c.readRaw(10 * time.Second)
				var closed websocket.CloseError
				require.ErrorAs(t, err, &closed)
				require.Equal(t, websocket.StatusCode(4403), closed.Code)
				require.Contains(t, closed.Reason, tt.refused)
				return
			}
			require.Equal(t, "connection_ack", c.read().Type)
			c.subscribe("q", `{ sources { name } }`, nil)
			got := next[struct{ Sources []struct{ Name string } }](c, "q")
			require.Len(t, got.Sources, 3)
		})
	}
}

func TestWebsocketPingsTheClient(t *testing.T) {
	db, dsn := openDBAt(t)
	seed(t, db)
	url := replica(t, db, dsn, 100*time.Millisecond)
	c := connect(t, url, newKey(t, db, domain.Viewer))
	m, err := c.readRaw(5 * time.Second)
	require.NoError(t, err)
	require.Equal(t, "ping", m.Type)
	c.send(map[string]any{"type": "pong"})
	// Queries work over the socket too, with their own loaders.
	c.send(map[string]any{"id": "q", "type": "subscribe", "payload": map[string]any{"query": `{ sources { name lastRun { status } } }`}})
	got := next[struct{ Sources []struct{ Name string } }](c, "q")
	require.Len(t, got.Sources, 3)
	require.Equal(t, "complete", c.read().Type)
}

func TestRequestsAreLoggedWithoutTheirKey(t *testing.T) {
	db, _ := openDBAt(t)
	seed(t, db)
	logs := &syncBuffer{}
	h := graph.NewHandler(store.New(db), &fakeSources{sources: fixtureSources()}, &fakeSyncs{}, graph.Options{
		Logger: slog.New(slog.NewJSONHandler(logs, nil)), Now: func() time.Time { return fixtureNow }, Keys: store.NewKeys(db),
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	_, secret, err := store.NewKeys(db).Create(context.Background(), "dashboard", domain.Viewer, "test")
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/query", strings.NewReader(`{"query":"query Names { sources { name } }"}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	var line struct {
		Level, Msg, Method, Operation, Key string
		Status                             int
		DurationMS                         *float64 `json:"duration_ms"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(logs.String())), &line), logs.String())
	require.Equal(t, "INFO", line.Level)
	require.Equal(t, "request", line.Msg)
	require.Equal(t, "POST", line.Method)
	require.Equal(t, "Names", line.Operation)
	require.Equal(t, 200, line.Status)
	require.Equal(t, "dashboard", line.Key)
	require.NotNil(t, line.DurationMS)
	require.NotContains(t, logs.String(), secret)
}
