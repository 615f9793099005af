package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// replicas opens n pools of their own on one fresh, migrated database, as
// n processes would, and returns them with each one's allowances.
func replicas(t *testing.T, n int) ([]*gorm.DB, []*store.Allowances) {
	t.Helper()
	ctx := context.Background()
	url := testdb.New(t)
	var dbs []*gorm.DB
	var out []*store.Allowances
	for i := range n {
		db, err := store.Open(ctx, url)
		require.NoError(t, err)
		t.Cleanup(func() { store.Close(db) })
		if i == 0 {
			_, err = store.Migrate(ctx, db)
			require.NoError(t, err)
		}
		dbs = append(dbs, db)
		out = append(out, store.NewAllowances(db))
	}
	return dbs, out
}

// TestAllowancesSharedByReplicas: two processes' pools share a key's four
// slots: four requests are let in across them, a fifth is refused on
// either; a release frees a slot for the other; a replica that died
// holding slots keeps them until their leases expire, and its late release
// of an expired lease frees nothing another request took since.
func TestAllowancesSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	dbs, pools := replicas(t, 3)
	db := dbs[0]
	a, b, dead := pools[0], pools[1], pools[2]
	key, _, err := store.NewKeys(db).Create(ctx, "dashboard", domain.Viewer, "test")
	require.NoError(t, err)
	allow := domain.Allowance{PerMinute: 6000, Burst: 1000, InFlight: 4, Hold: 50 * time.Second}

	admit := func(l *store.Allowances) domain.Admission {
		t.Helper()
		ad, err := l.Admit(ctx, key.ID, allow)
		require.NoError(t, err)
		return ad
	}
	var held []domain.Lease
	for _, l := range []*store.Allowances{a, b, a, b} {
		ad := admit(l)
		require.True(t, ad.Admitted(), "%+v", ad)
		held = append(held, ad.Lease)
	}
	slots := map[int]bool{}
	for _, l := range held {
		slots[l.Slot] = true
	}
	require.Len(t, slots, 4, "each request holds a slot of its own: %+v", held)
	for name, l := range map[string]*store.Allowances{"a": a, "b": b} {
		ad := admit(l)
		require.True(t, ad.Busy, "a fifth request on %s: %+v", name, ad)
		require.Zero(t, ad.Lease)
	}

	require.NoError(t, a.Release(ctx, held[1]), "a releases what b took: the slot is the key's, not the process's")
	again := admit(b)
	require.True(t, again.Admitted())
	require.Equal(t, held[1].Slot, again.Lease.Slot)
	require.True(t, admit(a).Busy)

	// The dead replica's leases: every slot freed, then all four taken
	// by it, which never releases them.
	for _, l := range []domain.Lease{held[0], again.Lease, held[2], held[3]} {
		require.NoError(t, b.Release(ctx, l))
	}
	var orphans []domain.Lease
	for range 4 {
		ad := admit(dead)
		require.True(t, ad.Admitted())
		orphans = append(orphans, ad.Lease)
	}
	require.NoError(t, store.Close(dbs[2]))
	require.True(t, admit(b).Busy, "a dead replica's slots stay held while its requests could still be running")

	// Its longest request would have ended: the leases expire.
	require.NoError(t, db.Exec("UPDATE api_key_slots SET expires_at = now() - interval '1 microsecond' WHERE key_id = ? AND slot < 2", key.ID).Error)
	reclaimed := []domain.Admission{admit(b), admit(a)}
	for _, ad := range reclaimed {
		require.True(t, ad.Admitted(), "%+v", ad)
		require.Less(t, ad.Lease.Slot, 2)
	}
	require.True(t, admit(a).Busy, "the two leases still running stay held")
	for _, l := range orphans[:2] {
		require.NoError(t, b.Release(ctx, l), "the dead replica's late release")
	}
	require.True(t, admit(b).Busy, "a late release frees nothing another request took since")
	require.NoError(t, a.Release(ctx, reclaimed[0].Lease))
	require.True(t, admit(b).Admitted())
}

// TestAllowanceRateSharedByReplicas: a key's burst is spent across
// replicas; the request past it is refused on either with the wait until
// the next, a refusal spends nothing, and a WebSocket's connection, which
// takes no slot, spends the same rate.
func TestAllowanceRateSharedByReplicas(t *testing.T) {
	ctx := context.Background()
	dbs, pools := replicas(t, 2)
	a, b := pools[0], pools[1]
	keys := store.NewKeys(dbs[0])
	key, _, err := keys.Create(ctx, "dashboard", domain.Viewer, "test")
	require.NoError(t, err)
	other, _, err := keys.Create(ctx, "other", domain.Viewer, "test")
	require.NoError(t, err)
	// One request a minute, three at once: the burst is spent long before
	// a request's worth refills.
	allow := domain.Allowance{PerMinute: 1, Burst: 3, InFlight: 4, Hold: time.Minute}
	socket := allow
	socket.InFlight = 0

	steps := []struct {
		name     string
		replica  *store.Allowances
		key      uuid.UUID
		allow    domain.Allowance
		admitted bool
	}{
		{"first on a", a, key.ID, allow, true},
		{"second on b", b, key.ID, allow, true},
		{"a WebSocket on b", b, key.ID, socket, true},
		{"fourth on a", a, key.ID, allow, false},
		{"fourth on b", b, key.ID, socket, false},
		{"another key", b, other.ID, allow, true},
	}
	var waits []time.Duration
	for _, s := range steps {
		ad, err := s.replica.Admit(ctx, s.key, s.allow)
		require.NoError(t, err, s.name)
		require.Equal(t, s.admitted, ad.Admitted(), "%s: %+v", s.name, ad)
		require.False(t, ad.Busy, s.name)
		require.Equal(t, s.admitted && s.allow.InFlight > 0, ad.Lease != domain.Lease{}, "%s takes a slot when let in and asking for one", s.name)
		if !s.admitted {
			require.Positive(t, ad.RetryAfter, s.name)
			require.LessOrEqual(t, ad.RetryAfter, time.Minute, s.name)
			waits = append(waits, ad.RetryAfter)
		}
	}
	require.LessOrEqual(t, waits[1], waits[0], "the refusal spent nothing: the wait only shrinks")
}

// TestAllowanceProblems: an allowance that cannot be kept is refused,
// naming each field at fault.
func TestAllowanceProblems(t *testing.T) {
	_, pools := replicas(t, 1)
	tests := []struct {
		name  string
		allow domain.Allowance
		want  []string
	}{
		{"nothing", domain.Allowance{}, []string{"perMinute: must be at least 1, got 0", "burst: must be at least 1, got 0"}},
		{"negative slots", domain.Allowance{PerMinute: 1, Burst: 1, InFlight: -1}, []string{"inFlight: must not be negative, got -1"}},
		{"slots without a hold", domain.Allowance{PerMinute: 1, Burst: 1, InFlight: 2}, []string{"hold: must be positive, got 0s"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pools[0].Admit(context.Background(), uuid.New(), tc.allow)
			var input *domain.InputError
			require.ErrorAs(t, err, &input)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}
