package graph_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/internal/testdb"
	"github.com/pulseproject/pulse/store"
)

// fixtureNow is "now" for every handler under test, so that mrr and the
// orders that depend on the clock give the same answer on every run.
var fixtureNow = at("2025-06-01T00:00:00Z")

// Ids read as what they name: 000000a1-…-000000000003 is account 3.
func fid(prefix string, n int) uuid.UUID {
	return uuid.MustParse(fmt.Sprintf("%s-0000-0000-0000-%012d", prefix, n))
}

const (
	accountIDs      = "000000a1"
	personIDs       = "000000b1"
	contactIDs      = "000000c1"
	activityIDs     = "000000d1"
	ticketIDs       = "000000e1"
	dealIDs         = "000000f1"
	subscriptionIDs = "0000a0a1"
	surveyIDs       = "0000b0b1"
	sourceIDs       = "0000c0c1"
	runIDs          = "0000d0d1"
	memberIDs       = "0000e0e1"
	refIDs          = "0000f0f1"
	fxIDs           = "0000a1a1"
	suggestionIDs   = "0000b1b1"
)

var (
	hubspot = fid(sourceIDs, 1)
	stripe  = fid(sourceIDs, 2)
	zendesk = fid(sourceIDs, 3)

	acme   = fid(accountIDs, 1)
	bluth  = fid(accountIDs, 2)
	globex = fid(accountIDs, 3)
	// GLOBEX is a second Globex, entered by hand: the same name ignoring
	// case, so ordering by name ties and falls back on the id.
	globexDup = fid(accountIDs, 4)
	initech   = fid(accountIDs, 5)

	alice = fid(personIDs, 1) // sales
	bob   = fid(personIDs, 2) // cs
	carol = fid(personIDs, 3) // support
	dan   = fid(personIDs, 4) // onboarding
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// openDB gives the test a migrated database of its own.
func openDB(t testing.TB) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	return db
}

// fixtureSources are the sources of the fixture, secrets "sealed" the way
// fakeSources does.
func fixtureSources() []domain.Source {
	created := at("2025-01-01T00:00:00Z")
	return []domain.Source{
		{ID: hubspot, Kind: "hubspot", Name: "hubspot", Schedule: "1h",
			Config: domain.Custom{"portal_id": "4242"}, SecretConfig: []byte(`{"token":"s3cr3t-hubspot-token"}`),
			CreatedAt: created, UpdatedAt: at("2025-02-01T00:00:00Z")},
		{ID: stripe, Kind: "stripe", Name: "stripe", Schedule: "",
			Config: domain.Custom{"account": "acct_1"}, SecretConfig: []byte(`{"webhook_secret":"s3cr3t-whsec","api_key":"s3cr3t-sk-live"}`),
			CreatedAt: created, UpdatedAt: created},
		{ID: zendesk, Kind: "zendesk", Name: "zendesk", Schedule: "30m",
			Config: domain.Custom{"subdomain": "acme-support"}, CreatedAt: created, UpdatedAt: created},
	}
}

// seed fills db with the fixture: five accounts, their teams, contacts,
// touches, tickets, deals, subscription items (an annual plan upgraded, a
// quarterly add-on, a EUR plan with its rate, a GBP plan without one),
// surveys and external ids, sync runs with their issues, and identity
// suggestions.
func seed(t testing.TB, db *gorm.DB) {
	t.Helper()
	created := at("2025-01-01T00:00:00Z")
	ts := domain.Timestamps{CreatedAt: created, UpdatedAt: created}
	from := func(src uuid.UUID, ext string) domain.Provenance {
		return domain.Provenance{SourceID: &src, ExternalID: ext, SyncedAt: ptr(at("2025-05-31T02:00:00Z"))}
	}
	rows := []any{
		ptr(fixtureSources()),
		&[]domain.Account{
			{ID: acme, Name: "Acme Corp", Domain: "acme.com", Tier: "A", Segment: "enterprise", Industry: "manufacturing",
				Lifecycle: "customer", RenewalDate: ptr(at("2025-09-30T00:00:00Z")), Custom: domain.Custom{"hubspot_score": 87},
				Provenance: from(hubspot, "hs-1001"), Timestamps: ts},
			{ID: bluth, Name: "Bluth Company", Domain: "bluth.com", Tier: "B", Segment: "mid-market", Industry: "real estate",
				Lifecycle: "onboarding", Provenance: from(hubspot, "hs-1002"), Timestamps: ts},
			{ID: globex, Name: "Globex", Domain: "globex.com", Tier: "B", Segment: "enterprise", Industry: "energy",
				Lifecycle: "customer", RenewalDate: ptr(at("2025-06-30T00:00:00Z")), Provenance: from(hubspot, "hs-1003"), Timestamps: ts},
			{ID: globexDup, Name: "GLOBEX", Tier: "C", Segment: "smb", Lifecycle: "prospect", Timestamps: ts},
			{ID: initech, Name: "Initech", Domain: "initech.com", Tier: "C", Segment: "smb", Industry: "software",
				Lifecycle: "churned", RenewalDate: ptr(at("2025-06-30T00:00:00Z")), Provenance: from(hubspot, "hs-1005"), Timestamps: ts},
		},
		&[]domain.Person{
			{ID: alice, Name: "Alice Archer", Email: "alice@pulse.example", Team: "sales", Provenance: from(hubspot, "u-1"), Timestamps: ts},
			{ID: bob, Name: "Bob Baker", Email: "bob@pulse.example", Team: "cs", Provenance: from(hubspot, "u-2"), Timestamps: ts},
			{ID: carol, Name: "Carol Chen", Email: "carol@pulse.example", Team: "support", Provenance: from(zendesk, "agent-3"), Timestamps: ts},
			{ID: dan, Name: "Dan Diaz", Email: "dan@pulse.example", Team: "onboarding", Provenance: from(hubspot, "u-4"), Timestamps: ts},
		},
		&[]domain.AccountTeamMember{
			{ID: fid(memberIDs, 1), AccountID: acme, PersonID: alice, Role: "sales", Provenance: from(hubspot, "t-1"), Timestamps: ts},
			{ID: fid(memberIDs, 2), AccountID: acme, PersonID: bob, Role: "cs", Provenance: from(hubspot, "t-2"), Timestamps: ts},
			{ID: fid(memberIDs, 3), AccountID: acme, PersonID: dan, Role: "onboarding", Provenance: from(hubspot, "t-3"), Timestamps: ts},
			{ID: fid(memberIDs, 4), AccountID: bluth, PersonID: alice, Role: "sales", Provenance: from(hubspot, "t-4"), Timestamps: ts},
			{ID: fid(memberIDs, 5), AccountID: bluth, PersonID: dan, Role: "onboarding", Provenance: from(hubspot, "t-5"), Timestamps: ts},
			{ID: fid(memberIDs, 6), AccountID: globex, PersonID: bob, Role: "cs", Provenance: from(hubspot, "t-6"), Timestamps: ts},
			{ID: fid(memberIDs, 7), AccountID: initech, PersonID: bob, Role: "cs", Provenance: from(hubspot, "t-7"), Timestamps: ts},
			{ID: fid(memberIDs, 8), AccountID: initech, PersonID: alice, Role: "exec_sponsor", Provenance: from(hubspot, "t-8"), Timestamps: ts},
			// A membership that ended: it must not show.
			{ID: fid(memberIDs, 9), AccountID: globex, PersonID: carol, Role: "support", Provenance: from(zendesk, "t-9"),
				Timestamps: domain.Timestamps{CreatedAt: created, UpdatedAt: created, DeletedAt: ptr(at("2025-03-01T00:00:00Z"))}},
		},
		&[]domain.Contact{
			{ID: fid(contactIDs, 1), AccountID: acme, Name: "Cara Cole", Email: "cara@acme.com", Title: "CFO", Provenance: from(hubspot, "c-1"), Timestamps: ts},
			{ID: fid(contactIDs, 2), AccountID: acme, Name: "Anna Ames", Email: "anna@acme.com", Title: "VP Operations", Provenance: from(hubspot, "c-2"), Timestamps: ts},
			{ID: fid(contactIDs, 3), AccountID: acme, Name: "Ben Brook", Email: "ben@acme.com", Title: "IT Lead", Custom: domain.Custom{"linkedin": "benbrook"}, Provenance: from(hubspot, "c-3"), Timestamps: ts},
			{ID: fid(contactIDs, 4), AccountID: bluth, Name: "George Bluth", Email: "george@bluth.com", Title: "CEO", Provenance: from(hubspot, "c-4"), Timestamps: ts},
		},
		&[]domain.Activity{
			{ID: fid(activityIDs, 1), AccountID: acme, PersonID: &dan, Team: "onboarding", Kind: "onboarding_session", Direction: "outbound",
				OccurredAt: at("2025-01-10T16:00:00Z"), DurationSeconds: 5400, Subject: "Kickoff", Provenance: from(hubspot, "a-1"), Timestamps: ts},
			{ID: fid(activityIDs, 2), AccountID: acme, PersonID: &carol, Team: "support", Kind: "support_reply", Direction: "outbound",
				OccurredAt: at("2025-04-01T09:00:00Z"), Subject: "Re: SSO login fails", Provenance: from(zendesk, "a-2"), Timestamps: ts},
			{ID: fid(activityIDs, 3), AccountID: acme, PersonID: &alice, ContactID: ptr(fid(contactIDs, 1)), Team: "sales", Kind: "email", Direction: "outbound",
				OccurredAt: at("2025-05-20T15:00:00Z"), Subject: "Renewal pricing", Provenance: from(hubspot, "a-3"), Timestamps: ts},
			{ID: fid(activityIDs, 4), AccountID: acme, PersonID: &bob, Team: "cs", Kind: "qbr", Direction: "outbound",
				OccurredAt: at("2025-05-28T10:00:00Z"), DurationSeconds: 3600, Subject: "QBR Q2", Provenance: from(hubspot, "a-4"), Timestamps: ts},
			// Booked, not yet held: first on the timeline, not a touch yet.
			{ID: fid(activityIDs, 5), AccountID: acme, PersonID: &alice, Team: "sales", Kind: "call", Direction: "outbound",
				OccurredAt: at("2025-06-15T14:00:00Z"), DurationSeconds: 1800, Subject: "Renewal call", Provenance: from(hubspot, "a-5"), Timestamps: ts},
			{ID: fid(activityIDs, 6), AccountID: bluth, Team: "marketing", Kind: "campaign_email", Direction: "outbound",
				OccurredAt: at("2025-03-03T08:00:00Z"), Subject: "Spring webinar", Provenance: from(hubspot, "a-6"), Timestamps: ts},
			{ID: fid(activityIDs, 7), AccountID: globex, PersonID: &bob, Team: "cs", Kind: "call", Direction: "inbound",
				OccurredAt: at("2024-12-12T11:00:00Z"), DurationSeconds: 900, Subject: "Check-in", Provenance: from(hubspot, "a-7"), Timestamps: ts},
			{ID: fid(activityIDs, 8), AccountID: initech, PersonID: &bob, Team: "cs", Kind: "note",
				OccurredAt: at("2024-02-01T10:00:00Z"), Subject: "Budget cut, will not renew", Provenance: from(hubspot, "a-8"), Timestamps: ts},
		},
		&[]domain.Ticket{
			{ID: fid(ticketIDs, 1), AccountID: acme, AssigneeID: &carol, Subject: "SSO login fails", Priority: "high", Status: "solved",
				OpenedAt: at("2025-04-01T08:00:00Z"), FirstResponseAt: ptr(at("2025-04-01T09:00:00Z")), ResolvedAt: ptr(at("2025-04-02T12:00:00Z")),
				CSAT: 4, Provenance: from(zendesk, "z-1"), Timestamps: ts},
			{ID: fid(ticketIDs, 2), AccountID: acme, AssigneeID: &carol, Subject: "Export times out", Priority: "normal", Status: "open",
				OpenedAt: at("2025-05-30T12:00:00Z"), Provenance: from(zendesk, "z-2"), Timestamps: ts},
			{ID: fid(ticketIDs, 3), AccountID: globex, Subject: "Invoice address", Priority: "low", Status: "closed",
				OpenedAt: at("2025-02-14T10:00:00Z"), ResolvedAt: ptr(at("2025-02-14T15:00:00Z")), CSAT: 5, Provenance: from(zendesk, "z-3"), Timestamps: ts},
		},
		&[]domain.Deal{
			{ID: fid(dealIDs, 1), AccountID: acme, Name: "Acme Enterprise upgrade", Stage: "closedwon", Status: "won", Kind: "expansion",
				Amount: dec("25000"), Currency: "USD", ClosedAt: ptr(at("2024-12-20T17:00:00Z")), Provenance: from(hubspot, "d-1"), Timestamps: ts},
			// Open: on the timeline when it was created; its closed_at is
			// the expected close.
			{ID: fid(dealIDs, 2), AccountID: acme, Name: "Acme renewal 2026", Stage: "negotiation", Status: "open", Kind: "renewal",
				Amount: dec("26200.50"), Currency: "USD", ClosedAt: ptr(at("2025-09-30T00:00:00Z")), Provenance: from(hubspot, "d-2"),
				Timestamps: domain.Timestamps{CreatedAt: at("2025-05-15T09:30:00Z"), UpdatedAt: at("2025-05-15T09:30:00Z")}},
			{ID: fid(dealIDs, 3), AccountID: initech, Name: "Initech renewal", Stage: "closedlost", Status: "lost", Kind: "renewal",
				Amount: dec("1200"), Currency: "USD", ClosedAt: ptr(at("2024-03-15T12:00:00Z")), LostReason: "budget", Provenance: from(hubspot, "d-3"), Timestamps: ts},
		},
		&[]domain.SubscriptionItem{
			// Acme upgrades on 2025-01-01: Pro ends, Enterprise starts.
			{ID: fid(subscriptionIDs, 1), AccountID: acme, Plan: "Pro", Amount: dec("12000"), Currency: "USD", Interval: "year",
				StartsAt: at("2024-01-01T00:00:00Z"), EndsAt: ptr(at("2025-01-01T00:00:00Z")), ChurnReason: "upgraded", Provenance: from(stripe, "si-1"), Timestamps: ts},
			{ID: fid(subscriptionIDs, 2), AccountID: acme, Plan: "Enterprise", Amount: dec("25000"), Currency: "USD", Interval: "year",
				StartsAt: at("2025-01-01T00:00:00Z"), Provenance: from(stripe, "si-2"), Timestamps: ts},
			{ID: fid(subscriptionIDs, 3), AccountID: acme, Plan: "Extra seats", Amount: dec("300"), Currency: "USD", Interval: "quarter",
				StartsAt: at("2024-01-01T00:00:00Z"), Provenance: from(stripe, "si-3"), Timestamps: ts},
			{ID: fid(subscriptionIDs, 4), AccountID: bluth, Plan: "Team", Amount: dec("499.99"), Currency: "EUR", Interval: "month",
				StartsAt: at("2024-11-15T00:00:00Z"), Provenance: from(stripe, "si-4"), Timestamps: ts},
			{ID: fid(subscriptionIDs, 5), AccountID: globex, Plan: "Basic", Amount: dec("200"), Currency: "USD", Interval: "month",
				StartsAt: at("2024-06-01T00:00:00Z"), Provenance: from(stripe, "si-5"), Timestamps: ts},
			{ID: fid(subscriptionIDs, 6), AccountID: globex, Plan: "UK office", Amount: dec("1000"), Currency: "GBP", Interval: "quarter",
				StartsAt: at("2024-06-01T00:00:00Z"), Provenance: from(stripe, "si-6"), Timestamps: ts},
			{ID: fid(subscriptionIDs, 7), AccountID: initech, Plan: "Basic", Amount: dec("100"), Currency: "USD", Interval: "month",
				StartsAt: at("2023-01-01T00:00:00Z"), EndsAt: ptr(at("2024-03-31T00:00:00Z")), ChurnReason: "budget", Provenance: from(stripe, "si-7"), Timestamps: ts},
		},
		&[]domain.FxRate{
			// Bluth's item started on 2024-11-15: the rate of 11-01
			// applies, not the later one.
			{ID: fid(fxIDs, 1), Date: at("2024-11-01T00:00:00Z"), Currency: "EUR", Rate: dec("1.0825"), Provenance: from(stripe, "fx-1"), Timestamps: ts},
			{ID: fid(fxIDs, 2), Date: at("2024-12-01T00:00:00Z"), Currency: "EUR", Rate: dec("1.05"), Provenance: from(stripe, "fx-2"), Timestamps: ts},
		},
		&[]domain.SurveyResponse{
			{ID: fid(surveyIDs, 1), AccountID: acme, ContactID: ptr(fid(contactIDs, 2)), Kind: "csat", Score: 5, Touchpoint: "onboarding_complete",
				RespondedAt: at("2025-02-01T12:00:00Z"), Provenance: from(hubspot, "s-1"), Timestamps: ts},
			{ID: fid(surveyIDs, 2), AccountID: acme, ContactID: ptr(fid(contactIDs, 3)), Kind: "nps", Score: 9, Touchpoint: "support",
				Comment: "Great support", RespondedAt: at("2025-04-05T08:00:00Z"), Provenance: from(zendesk, "s-2"), Timestamps: ts},
		},
		&[]domain.ExternalRef{
			{ID: fid(refIDs, 1), SourceID: hubspot, EntityType: "account", ExternalID: "hs-1001", EntityID: acme, MatchedBy: "created", Confidence: 1,
				SyncedAt: ptr(at("2025-05-31T02:00:00Z")), Timestamps: ts},
			{ID: fid(refIDs, 2), SourceID: stripe, EntityType: "account", ExternalID: "cus_A1", EntityID: acme, MatchedBy: "domain", Confidence: 0.9,
				SyncedAt: ptr(at("2025-05-31T03:00:00Z")), Timestamps: ts},
			{ID: fid(refIDs, 3), SourceID: zendesk, EntityType: "account", ExternalID: "org-77", EntityID: acme, MatchedBy: "name", Confidence: 0.75,
				SyncedAt: ptr(at("2025-05-31T04:00:00Z")), Timestamps: ts},
		},
		&[]domain.SyncRun{
			{ID: fid(runIDs, 1), SourceID: hubspot, Status: domain.RunSucceeded, Trigger: "schedule",
				StartedAt: at("2025-05-30T02:00:00Z"), FinishedAt: ptr(at("2025-05-30T02:04:10Z")),
				RecordsRead: 120, RecordsWritten: 118, RecordsRejected: 1, RecordsDeferred: 1,
				Streams: []domain.SyncRunStream{
					{Stream: "companies", RecordsRead: 20, RecordsWritten: 20, StartedAt: at("2025-05-30T02:00:01Z"), FinishedAt: ptr(at("2025-05-30T02:01:00Z"))},
					{Stream: "engagements", RecordsRead: 100, RecordsWritten: 98, RecordsRejected: 1, RecordsDeferred: 1,
						StartedAt: at("2025-05-30T02:01:00Z"), FinishedAt: ptr(at("2025-05-30T02:04:10Z"))},
				}},
			{ID: fid(runIDs, 2), SourceID: hubspot, Status: domain.RunFailed, Trigger: "schedule",
				StartedAt: at("2025-05-31T02:00:00Z"), FinishedAt: ptr(at("2025-05-31T02:00:30Z")), Error: "hubspot: list companies: 401 Unauthorized",
				RecordsRead: 3, RecordsRejected: 2,
				Streams: []domain.SyncRunStream{
					{Stream: "companies", RecordsRead: 3, RecordsRejected: 2, StartedAt: at("2025-05-31T02:00:01Z"), FinishedAt: ptr(at("2025-05-31T02:00:30Z"))},
				}},
			{ID: fid(runIDs, 3), SourceID: stripe, Status: domain.RunSucceeded, Trigger: "cli",
				StartedAt: at("2025-05-31T03:00:00Z"), FinishedAt: ptr(at("2025-05-31T03:00:20Z")), RecordsRead: 9, RecordsWritten: 9,
				Streams: []domain.SyncRunStream{
					{Stream: "subscription_items", RecordsRead: 9, RecordsWritten: 9, StartedAt: at("2025-05-31T03:00:01Z"), FinishedAt: ptr(at("2025-05-31T03:00:20Z"))},
				}},
		},
		&[]domain.SyncIssue{
			{RunID: fid(runIDs, 1), Stream: "engagements", Kind: domain.IssueRejected, ExternalID: "e-77", Field: "kind",
				Message: `kind: "sms" is not one of email, call, meeting, qbr, onboarding_session, note, campaign_email, support_reply`, CreatedAt: at("2025-05-30T02:03:00Z")},
			{RunID: fid(runIDs, 1), Stream: "engagements", Kind: domain.IssueDeferred, ExternalID: "e-78",
				Message: "account hs-9999 not found", CreatedAt: at("2025-05-30T02:03:01Z")},
			{RunID: fid(runIDs, 2), Stream: "companies", Kind: domain.IssueRejected, ExternalID: "hs-2001", Field: "tier",
				Message: `tier: "Gold" is not one of A, B, C`, CreatedAt: at("2025-05-31T02:00:10Z")},
			{RunID: fid(runIDs, 2), Stream: "companies", Kind: domain.IssueRejected, ExternalID: "hs-2002", Field: "name",
				Message: "name: is required", CreatedAt: at("2025-05-31T02:00:11Z")},
		},
	}
	for _, r := range rows {
		if err := db.Create(r).Error; err != nil {
			t.Fatalf("seed %T: %v", r, err)
		}
	}
	// Identity suggestions still to decide, and one dismissed.
	for _, sg := range []struct {
		n                  int
		account, candidate uuid.UUID
		matchedBy, key     string
		confidence         float64
		created            string
		dismissed          bool
	}{
		{1, globexDup, globex, "name", "globex", 0.6, "2025-05-01T00:00:00Z", false},
		{2, bluth, acme, "link:stripe", "", 0.75, "2025-05-02T00:00:00Z", false},
		{3, initech, globex, "name", "initech", 0.55, "2025-05-03T00:00:00Z", false},
		{4, initech, acme, "domain", "initech.com", 0.7, "2025-05-04T00:00:00Z", true},
	} {
		var dismissed *time.Time
		if sg.dismissed {
			dismissed = ptr(at("2025-05-05T00:00:00Z"))
		}
		if err := db.Exec(`INSERT INTO identity_suggestions (id, account_a, candidate_b, matched_by, key, confidence, created_at, dismissed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, fid(suggestionIDs, sg.n), sg.account, sg.candidate, sg.matchedBy, sg.key, sg.confidence,
			at(sg.created), dismissed).Error; err != nil {
			t.Fatalf("seed suggestions: %v", err)
		}
	}
}
