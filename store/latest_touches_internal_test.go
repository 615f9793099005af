package store

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLatestTouchesFollowWrites writes activities as a sync and a user
// would, statement by statement, and checks after each that
// account_latest_touches holds, for each account, team, teammate and
// kind, the latest live activity: what reading the activities whole
// gives.
func TestLatestTouchesFollowWrites(t *testing.T) {
	_, db, exec := migratedStore(t)
	exec(`INSERT INTO accounts (id, name) VALUES ('00000000-0000-0000-0000-000000000001', 'A'), ('00000000-0000-0000-0000-000000000002', 'B')`)
	exec(`INSERT INTO people (id, name, team) VALUES ('00000000-0000-0000-0000-000000000011', 'Cid', 'cs'), ('00000000-0000-0000-0000-000000000012', 'Olly', 'onboarding')`)
	const a, b, cid, olly = "00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002",
		"00000000-0000-0000-0000-000000000011", "00000000-0000-0000-0000-000000000012"
	steps := []struct {
		name string
		sql  string
		args []any
	}{
		{"insert several at once", `INSERT INTO activities (id, account_id, person_id, team, kind, occurred_at, external_id) VALUES
			('00000000-0000-0000-0000-000000000101', ?, ?, 'cs', 'call', '2026-01-01T00:00:00Z', 'x1'),
			('00000000-0000-0000-0000-000000000102', ?, ?, 'cs', 'call', '2026-01-05T00:00:00Z', 'x2'),
			('00000000-0000-0000-0000-000000000103', ?, NULL, 'cs', 'email', '2026-01-07T00:00:00Z', 'x3'),
			('00000000-0000-0000-0000-000000000104', ?, ?, 'onboarding', 'call', '2026-01-03T00:00:00Z', 'x4'),
			('00000000-0000-0000-0000-000000000105', ?, ?, 'cs', 'note', '2026-01-09T00:00:00Z', 'x5')`,
			[]any{a, cid, a, cid, a, b, olly, a, cid}},
		{"insert an older one", `INSERT INTO activities (id, account_id, person_id, team, kind, occurred_at, external_id) VALUES
			('00000000-0000-0000-0000-000000000106', ?, ?, 'cs', 'call', '2025-12-01T00:00:00Z', 'x6')`, []any{a, cid}},
		{"move the latest back", `UPDATE activities SET occurred_at = '2025-11-01T00:00:00Z' WHERE external_id = 'x2'`, nil},
		{"soft-delete the latest", `UPDATE activities SET deleted_at = now() WHERE external_id = 'x1'`, nil},
		{"restore it", `UPDATE activities SET deleted_at = NULL WHERE external_id = 'x1'`, nil},
		{"hand it to another teammate", `UPDATE activities SET person_id = ? WHERE external_id = 'x1'`, []any{olly}},
		{"move it to another account", `UPDATE activities SET account_id = ? WHERE external_id = 'x1'`, []any{b}},
		{"upsert as a sync does", `INSERT INTO activities (id, account_id, person_id, team, kind, occurred_at, external_id) VALUES
			('00000000-0000-0000-0000-000000000107', ?, ?, 'cs', 'call', '2026-02-01T00:00:00Z', 'x7'),
			('00000000-0000-0000-0000-000000000104', ?, ?, 'onboarding', 'call', '2025-10-03T00:00:00Z', 'x4')
			ON CONFLICT (id) DO UPDATE SET occurred_at = excluded.occurred_at`, []any{a, cid, b, olly}},
		{"delete the latest", `DELETE FROM activities WHERE external_id = 'x7'`, nil},
		{"delete every one of a key", `DELETE FROM activities WHERE external_id = 'x4'`, nil},
		{"truncate", `TRUNCATE activities`, nil},
	}
	type row struct {
		AccountID, Team, PersonID, Kind string
		At                              string
	}
	read := func(sql string) []row {
		var rows []row
		require.NoError(t, db.Raw(sql).Scan(&rows).Error)
		return rows
	}
	for _, st := range steps {
		exec(st.sql, st.args...)
		want := read(`SELECT account_id::text AS account_id, team, COALESCE(person_id, '00000000-0000-0000-0000-000000000000')::text AS person_id, kind,
				max(occurred_at)::text AS at
			FROM activities WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`)
		got := read(`SELECT account_id::text AS account_id, team, person_id::text AS person_id, kind, occurred_at::text AS at
			FROM account_latest_touches ORDER BY 1, 2, 3, 4`)
		require.Equal(t, want, got, st.name)
	}
}
