package events_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// replica starts a Listener, as one `pulse serve` process would, and
// waits until it listens.
func replica(t *testing.T, url string, opts events.ListenerOptions) *events.Listener {
	t.Helper()
	l := events.NewListener(url, opts)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = l.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	select {
	case <-l.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not start listening")
	}
	return l
}

func openDB(t *testing.T) (string, *sql.DB) {
	t.Helper()
	url := testdb.New(t)
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return url, db
}

func receive(t *testing.T, s *events.Subscription) events.Notification {
	t.Helper()
	select {
	case n, ok := <-s.C:
		require.True(t, ok, "the subscription was closed")
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	return events.Notification{}
}

func TestTwoReplicasReceiveEveryNotification(t *testing.T) {
	url, db := openDB(t)
	a := replica(t, url, events.ListenerOptions{})
	b := replica(t, url, events.ListenerOptions{})
	subA, err := a.Subscribe(events.SyncRuns)
	require.NoError(t, err)
	subB, err := b.Subscribe(events.SyncRuns)
	require.NoError(t, err)
	health, err := b.Subscribe(events.Health)
	require.NoError(t, err)

	want := events.SyncRunChanged{RunID: uuid.New(), SourceID: uuid.New(), Status: "running"}
	require.NoError(t, events.PublishSyncRun(context.Background(), db, want))
	for _, s := range []*events.Subscription{subA, subB} {
		n := receive(t, s)
		require.Equal(t, events.SyncRuns, n.Topic)
		var got events.SyncRunChanged
		require.NoError(t, n.Decode(&got))
		require.Equal(t, want, got)
	}

	at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
	change := events.HealthChanged{AccountID: uuid.New(), Tier: "A", From: "green", To: "yellow", Score: 61.5, At: at}
	require.NoError(t, events.PublishHealthChange(context.Background(), db, change))
	var got events.HealthChanged
	require.NoError(t, receive(t, health).Decode(&got))
	require.Equal(t, change, got)
	select {
	case n := <-subA.C:
		t.Fatalf("a sync-run subscriber got a health notification: %s", n.Payload)
	default:
	}
}

func TestPublishInATransactionSendsOnCommitOnly(t *testing.T) {
	url, db := openDB(t)
	l := replica(t, url, events.ListenerOptions{})
	sub, err := l.Subscribe(events.SyncRuns)
	require.NoError(t, err)
	ctx := context.Background()

	tx, err := db.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, events.PublishSyncRun(ctx, tx, events.SyncRunChanged{Status: "rolled back"}))
	require.NoError(t, tx.Rollback())
	tx, err = db.BeginTx(ctx, nil)
	require.NoError(t, err)
	require.NoError(t, events.PublishSyncRun(ctx, tx, events.SyncRunChanged{Status: "committed"}))
	require.NoError(t, tx.Commit())

	var got events.SyncRunChanged
	require.NoError(t, receive(t, sub).Decode(&got))
	require.Equal(t, "committed", got.Status, "the rolled back notification never left")
}

func TestPublishRefusesBadInput(t *testing.T) {
	_, db := openDB(t)
	tests := []struct {
		name    string
		payload any
		want    string
	}{
		{"too large", map[string]string{"x": strings.Repeat("a", events.MaxPayload)}, "more than the 7999 NOTIFY allows"},
		{"not JSON", func() {}, "unsupported type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := events.Publish(context.Background(), db, events.SyncRuns, tt.payload)
			require.ErrorContains(t, err, "events: publish pulse_sync_runs")
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func TestSubscribeRefusesAnUnknownTopic(t *testing.T) {
	l := events.NewListener("postgres://unused", events.ListenerOptions{Topics: []events.Topic{events.Health}})
	_, err := l.Subscribe(events.SyncRuns)
	require.ErrorContains(t, err, `not listening on "pulse_sync_runs"`)
}

func TestASlowSubscriberIsDroppedNotWaitedFor(t *testing.T) {
	url, db := openDB(t)
	l := replica(t, url, events.ListenerOptions{Buffer: 2})
	slow, err := l.Subscribe(events.SyncRuns)
	require.NoError(t, err)
	fast, err := l.Subscribe(events.SyncRuns)
	require.NoError(t, err)
	for range 5 {
		require.NoError(t, events.PublishSyncRun(context.Background(), db, events.SyncRunChanged{Status: "run"}))
		receive(t, fast)
	}
	// slow read nothing: it got its two, then was closed.
	n := 0
	for range slow.C {
		n++
	}
	require.Equal(t, 2, n)
	slow.Close() // closing again does nothing
}

func TestTheListenerReconnects(t *testing.T) {
	url, db := openDB(t)
	l := replica(t, url, events.ListenerOptions{MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	sub, err := l.Subscribe(events.SyncRuns)
	require.NoError(t, err)
	ctx := context.Background()

	var killed int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database()`, events.ApplicationName).Scan(&killed))
	require.Equal(t, 1, killed)

	// Notifications sent while it was away are lost: publish until one
	// arrives over the new connection.
	deadline := time.After(30 * time.Second)
	for {
		require.NoError(t, events.PublishSyncRun(ctx, db, events.SyncRunChanged{Status: "after"}))
		select {
		case n, ok := <-sub.C:
			require.True(t, ok)
			var got events.SyncRunChanged
			require.NoError(t, n.Decode(&got))
			require.Equal(t, "after", got.Status)
			return
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification after the connection was killed")
		}
	}
}

func TestStoppingTheListenerClosesSubscriptions(t *testing.T) {
	url, _ := openDB(t)
	l := events.NewListener(url, events.ListenerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	<-l.Ready()
	sub, err := l.Subscribe(events.Health)
	require.NoError(t, err)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	_, ok := <-sub.C
	require.False(t, ok)
	late, err := l.Subscribe(events.Health)
	require.NoError(t, err)
	_, ok = <-late.C
	require.False(t, ok, "a subscription after the stop is closed at once")
}
