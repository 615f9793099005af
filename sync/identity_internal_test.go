package sync

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// The links of records come from vendor connectors; these tests hand the
// applier such records directly, as the engine does with each batch.

func openStore(t testing.TB) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	require.NoError(t, err)
	t.Cleanup(func() { store.Close(db) })
	_, err = store.Migrate(ctx, db)
	require.NoError(t, err)
	return db
}

func addSource(t testing.TB, db *gorm.DB, kind, name string) uuid.UUID {
	t.Helper()
	src := domain.Source{ID: uuid.Must(uuid.NewV7()), Kind: kind, Name: name}
	require.NoError(t, db.Create(&src).Error)
	return src.ID
}

// applyBatch applies recs as one batch of source src, committed.
func applyBatch(t testing.TB, db *gorm.DB, src uuid.UUID, recs ...*connectorpb.Record) outcome {
	t.Helper()
	var out outcome
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error {
		a := &applier{tx: tx, sourceID: src, now: time.Now().UTC()}
		var err error
		out, err = a.apply(context.Background(), "accounts", recs, nil)
		return err
	}))
	require.Empty(t, out.rejected)
	require.Empty(t, out.deferred)
	return out
}

func account(ext, name, domain string, links ...*connectorpb.Link) *connectorpb.Record {
	r := sdk.NewAccount(ext, &connectorpb.Account{Name: name, Domain: domain})
	r.Links = links
	return r
}

func link(kind, ext string) *connectorpb.Link { return &connectorpb.Link{Kind: kind, ExternalId: ext} }

// refOf is the account and rule of a ref: "account name|matched_by|confidence".
func refOf(t *testing.T, db *gorm.DB, src uuid.UUID, ext string) string {
	t.Helper()
	var got string
	require.NoError(t, db.Raw(`SELECT a.name || '|' || r.matched_by || '|' || r.confidence FROM external_refs r JOIN accounts a ON a.id = r.entity_id
		WHERE r.source_id = ? AND r.entity_type = 'account' AND r.external_id = ?`, src, ext).Row().Scan(&got))
	return got
}

func TestExplicitLinksMatchBothWays(t *testing.T) {
	db := openStore(t)
	hubspot := addSource(t, db, "hubspot", "hubspot")
	stripe := addSource(t, db, "stripe", "stripe")
	zendesk := addSource(t, db, "zendesk", "zendesk")

	applyBatch(t, db, hubspot, account("co_1", "Acme", "acme.com"), account("co_2", "Globex", "globex.com"))
	// A Stripe customer's metadata names the HubSpot company; one naming
	// a Zendesk organisation not synced yet makes its own account.
	applyBatch(t, db, stripe,
		account("cus_1", "ACME billing", "", link("hubspot", "co_1")),
		account("cus_9", "Initech", "", link("zendesk", "org_7")),
		// co_1's account already has Stripe's cus_1: one source's two
		// records stay two, whatever they link to.
		account("cus_2", "Acme EU", "", link("hubspot", "co_1")))
	// The Zendesk organisation arrives: Stripe's stored link names it.
	applyBatch(t, db, zendesk, account("org_7", "Initech Support", ""))
	// A link naming a source's own kind never matches within the source.
	applyBatch(t, db, hubspot, account("co_3", "Acme Labs", "", link("hubspot", "co_1")))

	tests := []struct {
		src  uuid.UUID
		ext  string
		want string
	}{
		{hubspot, "co_1", "ACME billing|created|1"},
		{stripe, "cus_1", "ACME billing|link:hubspot|1"},
		{stripe, "cus_9", "Initech Support|created|1"},
		{zendesk, "org_7", "Initech Support|link:stripe|1"},
		{stripe, "cus_2", "Acme EU|created|1"},
		{hubspot, "co_3", "Acme Labs|created|1"},
	}
	for _, tc := range tests {
		t.Run(tc.ext, func(t *testing.T) {
			require.Equal(t, tc.want, refOf(t, db, tc.src, tc.ext))
		})
	}
	var n int64
	require.NoError(t, db.Table("identity_links").Count(&n).Error)
	require.EqualValues(t, 4, n, "every record's links are kept")

	// A record's links are replaced by those it carries now.
	applyBatch(t, db, stripe, account("cus_9", "Initech", ""))
	require.NoError(t, db.Table("identity_links").Where("source_id = ?", stripe).Count(&n).Error)
	require.EqualValues(t, 2, n)
}

// BenchmarkMatchAccounts measures one batch of 500 new accounts of a
// second source matched by domain against 100,000 accounts of a first,
// the size of a demo workspace. Each op is one batch: ns/op divided by 500
// is the cost per account.
func BenchmarkMatchAccounts(b *testing.B) {
	const existing, batch = 100_000, 500
	db := openStore(b)
	crm := addSource(b, db, "hubspot", "crm")
	billing := addSource(b, db, "stripe", "billing")
	start := time.Now()
	analyzeAt := firstAnalyze
	for i := 0; i < existing; i += batch {
		recs := make([]*connectorpb.Record, batch)
		for j := range recs {
			n := i + j
			recs[j] = account(fmt.Sprintf("co_%d", n), fmt.Sprintf("Company %d Inc", n), fmt.Sprintf("https://www.c%d.example/", n))
		}
		applyBatch(b, db, crm, recs...)
		// As the engine does: statistics refreshed each time the rows
		// stored double.
		if i+batch >= analyzeAt {
			require.NoError(b, db.Exec("ANALYZE accounts, external_refs, identity_links").Error)
			analyzeAt *= 2
		}
	}
	require.NoError(b, db.Exec("ANALYZE accounts, external_refs, identity_links").Error)
	b.Logf("loaded %d accounts of one source in %s (%s per batch of %d)", existing, time.Since(start).Round(time.Millisecond),
		(time.Since(start) / (existing / batch)).Round(time.Microsecond), batch)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		recs := make([]*connectorpb.Record, batch)
		for j := range recs {
			n := (i*batch + j) % existing
			recs[j] = account(fmt.Sprintf("cus_%d_%d", i, j), fmt.Sprintf("COMPANY %d", n), fmt.Sprintf("c%d.example", n))
		}
		applyBatch(b, db, billing, recs...)
	}
}
