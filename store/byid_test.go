package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// TestByIDTakesAnyNumberOfIDs: a report's tens of thousands of ids are one
// parameter, not one each, which PostgreSQL caps at 65,535.
func TestByIDTakesAnyNumberOfIDs(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	st := store.New(db)
	ids := make([]uuid.UUID, 70_000)
	for i := range ids {
		ids[i] = uuid.New()
	}
	accounts, err := st.AccountsByID(ctx, ids)
	require.NoError(t, err)
	require.Empty(t, accounts)
	people, err := st.People(ctx, ids)
	require.NoError(t, err)
	require.Empty(t, people)
	team, err := st.TeamMembers(ctx, ids)
	require.NoError(t, err)
	require.Empty(t, team)
	mrr, err := st.MRR(ctx, ids, time.Now())
	require.NoError(t, err)
	require.Len(t, mrr, len(ids), "every account asked for has an MRR, zero when it bills nothing")
	health, err := st.LatestHealth(ctx, ids)
	require.NoError(t, err)
	require.Empty(t, health)
}
