package csv

import (
	"math"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

// deletedColumn is the optional column that turns a row into a tombstone.
const deletedColumn = "deleted"

// table is one file of the folder: its stream, its columns and how a row
// becomes a record.
type table struct {
	file   string
	stream string
	entity connectorpb.EntityType
	// columns are those with a canonical place, spelled as the contract
	// spells them; any other column goes to the custom map.
	columns []string
	// key lists the columns forming the external id, required lists the
	// other columns every row must fill in. The header must have both.
	key      []string
	required []string
	// id reads the row's external id, build the rest of its record. Both
	// report problems on the row rather than stopping, so that one pass
	// finds every mistake.
	id    func(r *row) string
	build func(r *row, id string) *connectorpb.Record
}

// tables are read in this order: records referring to others come after
// them, so references resolve within one read.
var tables = []*table{
	{
		file: "fx_rates.csv", stream: "fx_rates", entity: sdk.FxRate,
		columns: []string{"date", "currency", "rate"},
		key:     []string{"currency", "date"},
		id:      func(r *row) string { return r.currency("currency", true) + "|" + r.date("date", true) },
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewFxRate(id, &connectorpb.FxRate{
				Date: r.date("date", true), Currency: r.currency("currency", true), Rate: r.decimal("rate"),
			})
		},
	},
	{
		file: "accounts.csv", stream: "accounts", entity: sdk.Account,
		columns:  []string{"id", "name", "domain", "tier", "segment", "industry", "lifecycle", "renewal_date"},
		key:      []string{"id"},
		required: []string{"name"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewAccount(id, &connectorpb.Account{
				Name: r.need("name"), Domain: r.str("domain"), Tier: r.enum("tier", validate.Tiers, false),
				Segment: r.str("segment"), Industry: r.str("industry"), Lifecycle: r.enum("lifecycle", validate.Lifecycles, false),
				RenewalDate: r.date("renewal_date", false),
			})
		},
	},
	{
		file: "people.csv", stream: "people", entity: sdk.Person,
		columns:  []string{"id", "name", "email", "team"},
		key:      []string{"id"},
		required: []string{"name"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewPerson(id, &connectorpb.Person{Name: r.need("name"), Email: r.str("email"), Team: r.enum("team", validate.Teams, false)})
		},
	},
	{
		// Memberships have no id of their own: account, person and role
		// together identify one, so the role is part of the key.
		file: "account_team.csv", stream: "account_team", entity: sdk.AccountTeam,
		columns: []string{"account_id", "person_id", "role"},
		key:     []string{"account_id", "person_id", "role"},
		id: func(r *row) string {
			return sdk.TeamMemberID(r.need("account_id"), r.need("person_id"), r.enum("role", validate.Roles, true))
		},
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewAccountTeamMember(id, &connectorpb.AccountTeamMember{
				AccountExternalId: r.need("account_id"), PersonExternalId: r.need("person_id"), Role: r.enum("role", validate.Roles, true),
			})
		},
	},
	{
		file: "contacts.csv", stream: "contacts", entity: sdk.Contact,
		columns:  []string{"id", "account_id", "name", "email", "title"},
		key:      []string{"id"},
		required: []string{"account_id"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewContact(id, &connectorpb.Contact{
				AccountExternalId: r.need("account_id"), Name: r.str("name"), Email: r.str("email"), Title: r.str("title"),
			})
		},
	},
	{
		file: "activities.csv", stream: "activities", entity: sdk.Activity,
		columns:  []string{"id", "account_id", "contact_id", "person_id", "team", "kind", "direction", "occurred_at", "duration_seconds", "subject"},
		key:      []string{"id"},
		required: []string{"account_id"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewActivity(id, &connectorpb.Activity{
				AccountExternalId: r.need("account_id"), ContactExternalId: r.str("contact_id"), PersonExternalId: r.str("person_id"),
				Team: r.enum("team", validate.Teams, false), Kind: r.enum("kind", validate.ActivityKind, false), Direction: r.enum("direction", validate.Directions, false),
				OccurredAt:      r.timestamp("occurred_at"),
				DurationSeconds: r.integer("duration_seconds", 0, math.MaxInt64, "must not be negative, got %d"),
				Subject:         r.str("subject"),
			})
		},
	},
	{
		file: "deals.csv", stream: "deals", entity: sdk.Deal,
		columns:  []string{"id", "account_id", "name", "stage", "status", "kind", "amount", "currency", "closed_at", "lost_reason"},
		key:      []string{"id"},
		required: []string{"account_id"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewDeal(id, &connectorpb.Deal{
				AccountExternalId: r.need("account_id"), Name: r.str("name"), Stage: r.str("stage"),
				Status: r.enum("status", validate.DealStatuses, false), Kind: r.enum("kind", validate.DealKinds, false),
				Amount: r.decimal("amount"), Currency: r.currency("currency", false),
				ClosedAt: r.timestamp("closed_at"), LostReason: r.str("lost_reason"),
			})
		},
	},
	{
		file: "subscriptions.csv", stream: "subscriptions", entity: sdk.SubscriptionItem,
		columns:  []string{"id", "account_id", "plan", "amount", "currency", "interval", "starts_at", "ends_at", "churn_reason"},
		key:      []string{"id"},
		required: []string{"account_id"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewSubscriptionItem(id, &connectorpb.SubscriptionItem{
				AccountExternalId: r.need("account_id"), Plan: r.str("plan"),
				Amount: r.decimal("amount"), Currency: r.currency("currency", false), Interval: r.enum("interval", validate.Intervals, false),
				StartsAt: r.timestamp("starts_at"), EndsAt: r.timestamp("ends_at"), ChurnReason: r.str("churn_reason"),
			})
		},
	},
	{
		file: "tickets.csv", stream: "tickets", entity: sdk.Ticket,
		columns:  []string{"id", "account_id", "contact_id", "assignee_id", "subject", "priority", "status", "opened_at", "first_response_at", "resolved_at", "csat"},
		key:      []string{"id"},
		required: []string{"account_id"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			return sdk.NewTicket(id, &connectorpb.Ticket{
				AccountExternalId: r.need("account_id"), ContactExternalId: r.str("contact_id"),
				// The agent working it, by their id in people.csv.
				AssigneeExternalId: r.str("assignee_id"), Subject: r.str("subject"),
				Priority: r.enum("priority", validate.Priorities, false), Status: r.enum("status", validate.TicketStates, false),
				OpenedAt: r.timestamp("opened_at"), FirstResponseAt: r.timestamp("first_response_at"), ResolvedAt: r.timestamp("resolved_at"),
				// An empty csat is an unrated ticket, which the record spells 0.
				Csat: int32(r.integer("csat", 0, 5, "must be 1-5, or empty when unrated, got %d")),
			})
		},
	},
	{
		file: "surveys.csv", stream: "surveys", entity: sdk.SurveyResponse,
		columns:  []string{"id", "account_id", "contact_id", "kind", "score", "touchpoint", "responded_at", "comment"},
		key:      []string{"id"},
		required: []string{"account_id"},
		id:       idColumn,
		build: func(r *row, id string) *connectorpb.Record {
			kind := r.enum("kind", validate.SurveyKinds, false)
			// An empty score must not read as 0: that is a valid NPS answer,
			// a detractor the customer never gave.
			r.need("score")
			var score int64
			switch kind {
			case "nps":
				score = r.integer("score", 0, 10, "must be 0-10 for an NPS survey, got %d")
			case "csat":
				score = r.integer("score", 1, 5, "must be 1-5 for a CSAT survey, got %d")
			default:
				score = r.integer("score", math.MinInt32, math.MaxInt32, "is out of range, got %d")
			}
			return sdk.NewSurveyResponse(id, &connectorpb.SurveyResponse{
				AccountExternalId: r.need("account_id"), ContactExternalId: r.str("contact_id"),
				Kind: kind, Score: int32(score), Touchpoint: r.enum("touchpoint", validate.Touchpoints, false),
				RespondedAt: r.timestamp("responded_at"), Comment: r.str("comment"),
			})
		},
	},
}

func idColumn(r *row) string { return r.need("id") }

// requiredColumns are the columns a file's header must have.
func (t *table) requiredColumns() []string {
	return append(append([]string(nil), t.key...), t.required...)
}
