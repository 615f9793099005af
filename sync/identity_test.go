package sync_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
)

func TestMatchingKeys(t *testing.T) {
	f := newFixture(t, host.Options{})
	tests := []struct {
		fn, in, want string
	}{
		{"identity_domain_key", "acme.com", "acme.com"},
		{"identity_domain_key", "https://www.Acme.com/about?x=1", "acme.com"},
		{"identity_domain_key", "acme.com:8443", "acme.com"},
		{"identity_domain_key", "HTTP://user@WWW.acme.com.", "acme.com"},
		{"identity_domain_key", "  www2.acme.co.uk/#top ", "acme.co.uk"},
		{"identity_domain_key", "shop.acme.com", "shop.acme.com"},
		{"identity_domain_key", "", ""},
		{"identity_name_key", "Acme, Inc.", "acme"},
		{"identity_name_key", "ACME Corp", "acme"},
		{"identity_name_key", "The Acme Company Ltd", "acme"},
		{"identity_name_key", "Acme GmbH & Co. KG", "acme"},
		{"identity_name_key", "Globex S.A.", "globex"},
		{"identity_name_key", "McDonald's Corp.", "mcdonalds"},
		{"identity_name_key", "Acme Labs", "acme labs"},
		{"identity_name_key", "Cooperative Bank", "cooperative bank"},
		{"identity_name_key", "Inc", ""},
		{"identity_email_key", " Wile@ACME.com ", "wile@acme.com"},
	}
	for _, tc := range tests {
		t.Run(tc.fn+"/"+tc.in, func(t *testing.T) {
			var got string
			require.NoError(t, f.db.Raw("SELECT "+tc.fn+"(?)", tc.in).Scan(&got).Error)
			require.Equal(t, tc.want, got)
		})
	}
}

// identityFixture is two csv sources, a CRM and billing, over the
// folders of testdata/identity.
type identityFixture struct {
	*fixture
	crm, billing *domain.Source
}

func newIdentityFixture(t *testing.T) *identityFixture {
	t.Helper()
	f := newFixture(t, host.Options{})
	return &identityFixture{fixture: f,
		crm:     f.source(t, "csv", "crm", map[string]any{"path": testdataDir(t, "crm")}),
		billing: f.source(t, "csv", "billing", map[string]any{"path": testdataDir(t, "billing")}),
	}
}

func testdataDir(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("testdata", "identity", name))
	require.NoError(t, err)
	return dir
}

// sync runs src and returns how many records it wrote.
func (f *identityFixture) sync(t *testing.T, src *domain.Source, fromScratch bool) int64 {
	t.Helper()
	if fromScratch {
		require.NoError(t, f.db.Exec("DELETE FROM stream_states WHERE source_id = ?", src.ID).Error)
	}
	run, err := f.engine.Run(context.Background(), src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status, run.Error)
	require.Zero(t, run.RecordsRejected+run.RecordsDeferred)
	return run.RecordsWritten
}

// refs lists "source/external id -> account name (matched_by confidence)"
// for every account ref.
func (f *identityFixture) refs(t *testing.T) map[string]string {
	t.Helper()
	var rows []struct{ Ref, Account string }
	require.NoError(t, f.db.Raw(`SELECT s.name || '/' || r.external_id AS ref,
			a.name || ' (' || r.matched_by || ' ' || r.confidence || ')' AS account
		FROM external_refs r JOIN sources s ON s.id = r.source_id JOIN accounts a ON a.id = r.entity_id
		WHERE r.entity_type = 'account'`).Scan(&rows).Error)
	out := map[string]string{}
	for _, r := range rows {
		out[r.Ref] = r.Account
	}
	return out
}

func (f *identityFixture) accountOf(t *testing.T, src *domain.Source, ext string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, f.db.Raw(`SELECT entity_id FROM external_refs WHERE source_id = ? AND entity_type = 'account' AND external_id = ?`,
		src.ID, ext).Row().Scan(&id))
	require.NotEqual(t, uuid.Nil, id)
	return id
}

// placement is where every row of every table belonging to accounts is:
// "table/row id -> account id", and which accounts are live.
func (f *identityFixture) placement(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, q := range []string{
		`SELECT 'ref/' || id AS k, entity_id::text AS v FROM external_refs WHERE entity_type = 'account'`,
		`SELECT 'account/' || id, 'live' FROM accounts WHERE deleted_at IS NULL`,
		`SELECT 'contact/' || id, account_id::text FROM contacts`,
		`SELECT 'activity/' || id, account_id::text FROM activities`,
		`SELECT 'subscription/' || id, account_id::text FROM subscription_items`,
	} {
		var rows []struct{ K, V string }
		require.NoError(t, f.db.Raw(q).Scan(&rows).Error)
		for _, r := range rows {
			out[r.K] = r.V
		}
	}
	return out
}

func TestAccountsMatchAcrossSources(t *testing.T) {
	f := newIdentityFixture(t)
	f.sync(t, f.crm, false)
	f.sync(t, f.billing, false)

	require.Equal(t, map[string]string{
		"crm/crm-1": "ACME Corp (created 1)",
		// The domain matches once normalised: acme.com:443 is https://www.acme.com/.
		"billing/bill-1": "ACME Corp (domain 0.9)",
		"crm/crm-2":      "Globex Corporation (created 1)",
		// A name alone is below the threshold: an account of its own.
		"billing/bill-2": "Globex GmbH (created 1)",
		"crm/crm-3":      "Initech LLC (created 1)",
		"billing/bill-3": "Hooli (created 1)",
		// Umbrella and Umbrella Labs share a domain in one source: they
		// stay two, and billing's Umbrella joins the older one.
		"crm/crm-4":      "Umbrella Corporation (created 1)",
		"crm/crm-5":      "Umbrella Labs (created 1)",
		"billing/bill-4": "Umbrella Corporation (domain 0.9)",
	}, f.refs(t))
	require.EqualValues(t, 7, f.count(t, "accounts", "deleted_at IS NULL"))

	var sug []struct{ A, B, MatchedBy, Key string }
	require.NoError(t, f.db.Raw(`SELECT a.name AS a, b.name AS b, s.matched_by, s.key FROM identity_suggestions s
		JOIN accounts a ON a.id = s.account_a JOIN accounts b ON b.id = s.candidate_b`).Scan(&sug).Error)
	require.Equal(t, []struct{ A, B, MatchedBy, Key string }{{"Globex GmbH", "Globex Corporation", "name", "globex"}}, sug)

	// Contacts match by email within their account; teammates by email.
	require.EqualValues(t, 3, f.count(t, "contacts", ""))
	require.EqualValues(t, 1, f.count(t, "contacts", "email_key = 'wile@acme.com'"))
	require.EqualValues(t, 2, f.count(t, "contacts", "email_key = 'hank@globex.com'"), "one per account: the accounts are not merged")
	require.EqualValues(t, 1, f.count(t, "people", ""))
	require.EqualValues(t, 1, f.count(t, "external_refs", "entity_type = 'person' AND matched_by = 'email' AND confidence = 0.95"))

	// Billing's subscription and the CRM's QBR are on the one Acme.
	acme := f.accountOf(t, f.crm, "crm-1")
	require.EqualValues(t, 1, f.count(t, "subscription_items", "account_id = ?", acme))
	require.EqualValues(t, 1, f.count(t, "activities", "account_id = ?", acme))

	// Which source set each field, and empty values took nothing.
	var acc struct {
		Tier         string
		FieldSources []byte
	}
	require.NoError(t, f.db.Raw("SELECT tier, field_sources FROM accounts WHERE id = ?", acme).Scan(&acc).Error)
	require.Equal(t, "A", acc.Tier, "billing sends no tier")
	var fs map[string]struct {
		SourceID uuid.UUID `json:"source_id"`
		Kind     string    `json:"kind"`
	}
	require.NoError(t, json.Unmarshal(acc.FieldSources, &fs))
	require.Equal(t, f.billing.ID, fs["name"].SourceID)
	require.Equal(t, f.crm.ID, fs["tier"].SourceID)
	require.Equal(t, "csv", fs["tier"].Kind)

	// Syncing both again from scratch writes nothing and matches nothing anew.
	before := f.refs(t)
	require.Zero(t, f.sync(t, f.crm, true))
	require.Zero(t, f.sync(t, f.billing, true))
	require.Equal(t, before, f.refs(t))
	require.EqualValues(t, 1, f.count(t, "identity_suggestions", ""))
}

func TestMatchThresholdIsASetting(t *testing.T) {
	f := newIdentityFixture(t)
	low := 0.5
	_, err := store.New(f.db).UpdateIdentitySettings(context.Background(), identity.SettingsPatch{MergeThreshold: &low})
	require.NoError(t, err)
	f.sync(t, f.crm, false)
	f.sync(t, f.billing, false)
	require.Equal(t, "Globex GmbH (name 0.6)", f.refs(t)["billing/bill-2"], "at 0.5 a name match merges")
	require.EqualValues(t, 0, f.count(t, "identity_suggestions", ""))
}

func TestFieldPrecedence(t *testing.T) {
	tests := []struct {
		name       string
		precedence []identity.FieldPrecedence
		wantName   string
		wantTier   string
		nameKind   string
	}{
		{"last writer wins", nil, "Zero Csv", "C", "csv"},
		{"name from testkit", []identity.FieldPrecedence{{Field: "name", Kinds: []string{"testkit", "csv"}}}, "Account 0", "C", "testkit"},
		{"tier from testkit, name from csv", []identity.FieldPrecedence{
			{Field: "tier", Kinds: []string{"testkit"}}, {Field: "name", Kinds: []string{"csv"}}}, "Zero Csv", "A", "csv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, host.Options{})
			ctx := context.Background()
			_, err := store.New(f.db).UpdateIdentitySettings(ctx, identity.SettingsPatch{Precedence: tc.precedence})
			require.NoError(t, err)
			kit := f.source(t, "testkit", "kit", map[string]any{"accounts": 2})
			csv := f.source(t, "csv", "sheet", map[string]any{"path": testdataDir(t, "kit")})
			for _, src := range []*domain.Source{kit, csv} {
				_, err := f.engine.Run(ctx, src, "test")
				require.NoError(t, err)
			}
			var acc struct {
				Name, Tier, Kind string
				Accounts         int
			}
			require.NoError(t, f.db.Raw(`SELECT a.name, a.tier, a.field_sources->'name'->>'kind' AS kind,
				(SELECT count(*) FROM accounts) AS accounts
				FROM accounts a WHERE a.domain_key = 'a0.example'`).Scan(&acc).Error)
			require.Equal(t, 2, acc.Accounts, "the csv account joined testkit's acc-0")
			require.Equal(t, tc.wantName, acc.Name)
			require.Equal(t, tc.wantTier, acc.Tier)
			require.Equal(t, tc.nameKind, acc.Kind)

			// testkit sending what it sent before takes nothing back.
			require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error)
			run, err := f.engine.Run(ctx, kit, "test")
			require.NoError(t, err)
			require.Zero(t, run.RecordsWritten)

			// A name testkit changes is written unless csv outranks it.
			_, err = f.sources.Update(ctx, kit.ID, sources.Patch{Config: map[string]any{"accounts": 2, "name": "New "}})
			require.NoError(t, err)
			kit, err = f.sources.Get(ctx, kit.ID)
			require.NoError(t, err)
			require.NoError(t, f.db.Exec("DELETE FROM stream_states").Error)
			_, err = f.engine.Run(ctx, kit, "test")
			require.NoError(t, err)
			var name string
			require.NoError(t, f.db.Raw(`SELECT name FROM accounts WHERE domain_key = 'a0.example'`).Scan(&name).Error)
			want := "New Account 0"
			if tc.nameKind == "csv" && tc.precedence != nil {
				want = tc.wantName
			}
			require.Equal(t, want, name)
		})
	}
}

func TestMergeSplitUndoSurviveSyncs(t *testing.T) {
	f := newIdentityFixture(t)
	ctx := context.Background()
	st := store.New(f.db)
	f.sync(t, f.crm, false)
	f.sync(t, f.billing, false)
	globex, globexGmbH := f.accountOf(t, f.crm, "crm-2"), f.accountOf(t, f.billing, "bill-2")
	acme := f.accountOf(t, f.crm, "crm-1")

	t.Run("merge survives a sync", func(t *testing.T) {
		before := f.placement(t)
		change, err := st.MergeAccounts(ctx, identity.MergeRequest{IDs: []uuid.UUID{globex, globexGmbH}, Reason: "same company", Actor: "cli"})
		require.NoError(t, err)
		require.Equal(t, identity.ChangeMerge, change.Kind)
		require.Equal(t, []identity.Moved{{Table: "contacts", Rows: 1}, {Table: "external_refs", Rows: 1}, {Table: "subscription_items", Rows: 1}}, change.Moved)
		require.Equal(t, globex, f.accountOf(t, f.billing, "bill-2"))
		require.EqualValues(t, 1, f.count(t, "accounts", "merged_into = ? AND deleted_at IS NOT NULL", globex))
		require.EqualValues(t, 0, f.count(t, "identity_suggestions", "resolved_at IS NULL"), "the suggestion was taken")

		require.Zero(t, f.sync(t, f.billing, true))
		require.Zero(t, f.sync(t, f.crm, true))
		require.Equal(t, globex, f.accountOf(t, f.billing, "bill-2"), "the sync does not re-split")
		require.EqualValues(t, 6, f.count(t, "accounts", "deleted_at IS NULL"))

		undone, err := st.UndoIdentityChange(ctx, change.ID, "cli")
		require.NoError(t, err)
		require.NotNil(t, undone.UndoneAt)
		require.Equal(t, before, f.placement(t), "undo puts back exactly what moved")
		_, err = st.UndoIdentityChange(ctx, change.ID, "cli")
		require.ErrorIs(t, err, domain.ErrConflict)
	})

	t.Run("split survives a sync", func(t *testing.T) {
		before := f.placement(t)
		change, err := st.SplitAccount(ctx, identity.SplitRequest{AccountID: acme, Refs: []identity.RefKey{{SourceID: f.billing.ID, ExternalID: "bill-1"}},
			Reason: "billing entity of a reseller", Actor: "cli"})
		require.NoError(t, err)
		require.NotNil(t, change.NewAccountID)
		split := *change.NewAccountID
		require.Equal(t, split, f.accountOf(t, f.billing, "bill-1"))
		var name string
		require.NoError(t, f.db.Raw("SELECT name FROM accounts WHERE id = ?", split).Scan(&name).Error)
		require.Equal(t, "ACME Corp", name, "made from what billing sent")
		require.EqualValues(t, 1, f.count(t, "subscription_items", "account_id = ?", split), "billing's rows follow its ref")
		require.EqualValues(t, 1, f.count(t, "activities", "account_id = ?", acme), "the CRM's stay")

		require.Zero(t, f.sync(t, f.billing, true))
		require.Zero(t, f.sync(t, f.crm, true))
		require.Equal(t, split, f.accountOf(t, f.billing, "bill-1"), "the sync does not re-merge")
		require.Equal(t, acme, f.accountOf(t, f.crm, "crm-1"))
		require.EqualValues(t, 1, f.count(t, "identity_rejections", ""))

		changes, err := st.IdentityChanges(ctx, acme)
		require.NoError(t, err)
		require.Len(t, changes, 1)
		require.Equal(t, "billing entity of a reseller", changes[0].Reason)
		require.Equal(t, "cli", changes[0].Actor)

		_, err = st.UndoIdentityChange(ctx, change.ID, "cli")
		require.NoError(t, err)
		require.Equal(t, before, f.placement(t), "undo puts back exactly what moved")
		require.EqualValues(t, 0, f.count(t, "identity_rejections", ""))
		require.Zero(t, f.sync(t, f.billing, true))
	})

	t.Run("a later change must be undone first", func(t *testing.T) {
		first, err := st.MergeAccounts(ctx, identity.MergeRequest{IDs: []uuid.UUID{globex, globexGmbH}, Reason: "one", Actor: "cli"})
		require.NoError(t, err)
		second, err := st.SplitAccount(ctx, identity.SplitRequest{AccountID: globex, Refs: []identity.RefKey{{SourceID: f.billing.ID, ExternalID: "bill-2"}}, Reason: "two", Actor: "cli"})
		require.NoError(t, err)
		_, err = st.UndoIdentityChange(ctx, first.ID, "cli")
		require.ErrorIs(t, err, domain.ErrConflict)
		require.ErrorContains(t, err, second.ID.String())
		_, err = st.UndoIdentityChange(ctx, second.ID, "cli")
		require.NoError(t, err)
		_, err = st.UndoIdentityChange(ctx, first.ID, "cli")
		require.NoError(t, err)
	})
}
