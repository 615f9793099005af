package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// Migration 18 gives the salesforce connector's stored sales memberships,
// and the demo connector's, the account-and-role key they now send: per
// account and role, the live membership synced last keeps the account;
// those of earlier holders end. Other sources' memberships are left as
// they are.
func TestMigrationRekeysSalesforceOwnerMemberships(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)

	for _, q := range []string{
		`INSERT INTO sources (id, kind, name) VALUES ('00000000-0000-0000-0000-00000000000a', 'salesforce', 'crm'), ('00000000-0000-0000-0000-00000000000b', 'csv', 'exports'), ('00000000-0000-0000-0000-00000000000c', 'demo', 'demo')`,
		`INSERT INTO accounts (id, name) VALUES ('00000000-0000-0000-0001-000000000001', 'Globex'), ('00000000-0000-0000-0001-000000000002', 'Initech')`,
		`INSERT INTO people (id, name) VALUES ('00000000-0000-0000-0002-000000000001', 'Carol'), ('00000000-0000-0000-0002-000000000002', 'Dave')`,
		// Globex moved from Carol to Dave, leaving Carol's membership behind;
		// Initech's owner, Carol, never changed; the csv membership keeps its key.
		`INSERT INTO account_team (id, account_id, person_id, role, source_id, external_id, synced_at) VALUES
		 ('00000000-0000-0000-0003-000000000001', '00000000-0000-0000-0001-000000000001', '00000000-0000-0000-0002-000000000001', 'sales', '00000000-0000-0000-0000-00000000000a', '001G|005C|sales', '2026-01-01'),
		 ('00000000-0000-0000-0003-000000000002', '00000000-0000-0000-0001-000000000001', '00000000-0000-0000-0002-000000000002', 'sales', '00000000-0000-0000-0000-00000000000a', '001G|005D|sales', '2026-02-01'),
		 ('00000000-0000-0000-0003-000000000003', '00000000-0000-0000-0001-000000000002', '00000000-0000-0000-0002-000000000001', 'sales', '00000000-0000-0000-0000-00000000000a', '001I|005C|sales', '2026-01-01'),
		 ('00000000-0000-0000-0003-000000000004', '00000000-0000-0000-0001-000000000002', '00000000-0000-0000-0002-000000000002', 'sales', '00000000-0000-0000-0000-00000000000b', 'acc-2|dave|sales', '2026-01-01'),
		 ('00000000-0000-0000-0003-000000000005', '00000000-0000-0000-0001-000000000002', '00000000-0000-0000-0002-000000000002', 'cs', '00000000-0000-0000-0000-00000000000c', 'demo-1|demo-p7|cs', '2026-01-01')`,
		`DELETE FROM schema_migrations WHERE version = 18`,
	} {
		require.NoError(t, db.Exec(q).Error, q)
	}
	applied, err := store.Migrate(ctx, db)
	require.NoError(t, err)
	require.Equal(t, []int{18}, applied)

	var got []string
	require.NoError(t, db.Raw(`SELECT external_id || ' ' || (deleted_at IS NULL)::text FROM account_team ORDER BY id`).Scan(&got).Error)
	require.Equal(t, []string{"001G|005C|sales false", "001G|sales true", "001I|sales true", "acc-2|dave|sales true", "demo-1|cs true"}, got)
}
