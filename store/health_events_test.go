package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/events"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// TestRescoreAnnouncesBandChanges: a rescore announces on events.Health
// each account whose band is new or changed, and nothing when no band
// moved.
func TestRescoreAnnouncesBandChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := testdb.New(t)
	db, err := store.Open(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	insert(t, db, &[]domain.Account{{ID: id(1), Name: "A", Tier: "A"}, {ID: id(2), Name: "B", Tier: "C"}})

	l := events.NewListener(url, events.ListenerOptions{Topics: []events.Topic{events.Health}})
	go l.Run(ctx)
	<-l.Ready()
	sub, err := l.Subscribe(events.Health)
	require.NoError(t, err)

	s := store.New(db)
	asOf := ts("2025-06-01T00:00:00Z")
	_, err = s.Rescore(ctx, health.RescoreRequest{All: true, AsOf: asOf})
	require.NoError(t, err)
	got := map[string]events.HealthChanged{}
	for range 2 {
		select {
		case n := <-sub.C:
			var c events.HealthChanged
			require.NoError(t, n.Decode(&c))
			got[c.AccountID.String()] = c
		case <-time.After(10 * time.Second):
			t.Fatal("no health event")
		}
	}
	var bands []string
	require.NoError(t, db.Raw("SELECT band FROM account_health ORDER BY account_id").Scan(&bands).Error)
	a, b := got[id(1).String()], got[id(2).String()]
	require.Equal(t, []string{"", bands[0], "A"}, []string{a.From, a.To, a.Tier})
	require.Equal(t, []string{"", bands[1], "C"}, []string{b.From, b.To, b.Tier})
	require.True(t, a.At.Equal(asOf), a.At)

	// The same data scored again the next day: no band moved.
	_, err = s.Rescore(ctx, health.RescoreRequest{All: true, AsOf: asOf.Add(24 * time.Hour)})
	require.NoError(t, err)
	select {
	case n := <-sub.C:
		t.Fatalf("an event without a change: %s", n.Payload)
	case <-time.After(500 * time.Millisecond):
	}
}
