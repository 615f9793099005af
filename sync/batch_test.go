package sync_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/sources"
)

// storedRow is a synced row as a test compares it: what was stored, and
// whether its timestamps moved.
type storedRow struct {
	ExternalID string
	Content    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// stored reads every account (with what its ref last sent) and activity,
// by external id.
func (f *fixture) stored(t *testing.T) map[string]storedRow {
	t.Helper()
	var rows []storedRow
	require.NoError(t, f.db.Raw(`
		SELECT 'account ' || r.external_id AS external_id,
		       concat_ws('|', a.name, a.domain, a.tier, a.lifecycle, a.custom::text, a.deleted_at IS NULL, r.sent::text, r.matched_by) AS content,
		       a.created_at, a.updated_at
		FROM accounts a JOIN external_refs r ON r.entity_id = a.id
		UNION ALL
		SELECT 'activity ' || x.external_id, concat_ws('|', r.external_id, x.kind, x.occurred_at, x.subject, x.custom::text, x.deleted_at IS NULL),
		       x.created_at, x.updated_at
		FROM activities x JOIN external_refs r ON r.entity_id = x.account_id`).Scan(&rows).Error)
	out := map[string]storedRow{}
	for _, r := range rows {
		out[r.ExternalID] = r
	}
	return out
}

// TestBatchOfNewUnchangedAndChangedRows syncs twice: the second read
// carries changed accounts, unchanged activities and new ones of both.
// Whether records are written batch by batch or gathered, the stored rows
// are the same, a changed row alone takes a new updated_at, and what each
// ref last sent is what its record carried.
func TestBatchOfNewUnchangedAndChangedRows(t *testing.T) {
	results := map[int]map[string]string{}
	for _, commitEvery := range []int{0, 1000} {
		t.Run(fmt.Sprintf("commit every %d", commitEvery), func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, host.Options{})
			f.engine.CommitEvery = commitEvery
			src := f.source(t, "testkit", "kit", map[string]any{"accounts": 20, "checkpoint_every": 7})
			run, err := f.engine.Run(ctx, src, "test")
			require.NoError(t, err)
			require.EqualValues(t, 40, run.RecordsWritten)
			first := f.stored(t)
			require.Len(t, first, 40)

			// Read again from the start: 20 accounts renamed, 10 new; 20
			// activities as they were, 10 new.
			_, err = f.sources.Update(ctx, src.ID, sources.Patch{Config: map[string]any{"accounts": 30, "name": "Renamed "}})
			require.NoError(t, err)
			require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error)
			src, err = f.sources.Get(ctx, src.ID)
			require.NoError(t, err)
			run, err = f.engine.Run(ctx, src, "test")
			require.NoError(t, err)
			require.EqualValues(t, 60, run.RecordsRead)
			require.EqualValues(t, 40, run.RecordsWritten, "20 changed accounts, 10 new accounts, 10 new activities")
			second := f.stored(t)
			require.Len(t, second, 60)
			for i := range 30 {
				acc, act := second[fmt.Sprintf("account acc-%d", i)], second[fmt.Sprintf("activity act-%d", i)]
				require.Contains(t, acc.Content, fmt.Sprintf("Renamed Account %d|", i))
				require.Contains(t, acc.Content, fmt.Sprintf(`"name": "Renamed Account %d"`, i), "the ref keeps what its record last sent")
				if i >= 20 {
					require.Equal(t, acc.CreatedAt, acc.UpdatedAt, "a new account")
					require.Equal(t, act.CreatedAt, act.UpdatedAt, "a new activity")
					continue
				}
				before := first[fmt.Sprintf("account acc-%d", i)]
				require.Equal(t, before.CreatedAt, acc.CreatedAt)
				require.True(t, acc.UpdatedAt.After(before.UpdatedAt), "a changed account takes a new updated_at")
				require.Equal(t, first[fmt.Sprintf("activity act-%d", i)], act, "an unchanged activity is not rewritten")
			}

			// A third read of the same records writes nothing.
			require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error)
			run, err = f.engine.Run(ctx, src, "test")
			require.NoError(t, err)
			require.EqualValues(t, 0, run.RecordsWritten)
			require.Equal(t, second, f.stored(t))

			contents := map[string]string{}
			for k, r := range second {
				contents[k] = r.Content
			}
			results[commitEvery] = contents
		})
	}
	require.Equal(t, results[0], results[1000], "gathering records stores the same rows")
}
