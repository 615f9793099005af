package validate_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

func TestValidateRecord(t *testing.T) {
	at := sdk.Timestamp(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	before := sdk.Timestamp(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC))
	mislabelled := sdk.NewPerson("p-1", &connectorpb.Person{Name: "Ada"})
	mislabelled.EntityType = connectorpb.EntityType_ENTITY_TYPE_ACCOUNT
	tests := []struct {
		name string
		rec  *connectorpb.Record
		want validate.Problems
	}{
		{"a good account", sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme", Tier: "A", RenewalDate: "2026-09-30"}), nil},
		{"an account with no name, a bad tier and date", sdk.NewAccount("a-1", &connectorpb.Account{Tier: "Z", RenewalDate: "30/09/2026"}),
			validate.Problems{{"name", "is required"}, {"tier", `"Z" is not one of A, B, C`}, {"renewal_date", `"30/09/2026" is not a date (YYYY-MM-DD)`}}},
		{"a person of no team", sdk.NewPerson("p-1", &connectorpb.Person{Name: "Ada", Team: "legal"}),
			validate.Problems{{"team", `"legal" is not one of marketing, sales, onboarding, cs, support`}}},
		{"a contact of no account", sdk.NewContact("c-1", &connectorpb.Contact{Name: "Bo"}),
			validate.Problems{{"account_external_id", "is required"}}},
		{"a membership with no person and no role", sdk.NewAccountTeamMember("m-1", &connectorpb.AccountTeamMember{AccountExternalId: "a-1"}),
			validate.Problems{{"person_external_id", "is required"}, {"role", "is required"}}},
		{"an activity with no time and a negative duration", sdk.NewActivity("x-1", &connectorpb.Activity{AccountExternalId: "a-1", Kind: "call", DurationSeconds: -1}),
			validate.Problems{{"occurred_at", "is required"}, {"duration_seconds", "must not be negative, got -1"}}},
		{"a deal with an amount and no currency", sdk.NewDeal("d-1", &connectorpb.Deal{AccountExternalId: "a-1", Amount: "100.50"}),
			validate.Problems{{"currency", "is required"}}},
		{"a deal with an amount that is no number", sdk.NewDeal("d-1", &connectorpb.Deal{AccountExternalId: "a-1", Amount: "1e", Currency: "EUR"}),
			validate.Problems{{"amount", `"1e" is not a decimal number`}}},
		{"a subscription item ending before it starts", sdk.NewSubscriptionItem("s-1", &connectorpb.SubscriptionItem{AccountExternalId: "a-1",
			Interval: "month", Currency: "EUR", Amount: "-1", StartsAt: at, EndsAt: before}),
			validate.Problems{{"amount", "must not be negative, got -1"}, {"ends_at", "is before starts_at"}}},
		{"a good ticket with an assignee", sdk.NewTicket("t-1", &connectorpb.Ticket{AccountExternalId: "a-1", AssigneeExternalId: "ag-1", OpenedAt: at, Status: "open", Csat: 5}), nil},
		{"a ticket rated 6", sdk.NewTicket("t-1", &connectorpb.Ticket{AccountExternalId: "a-1", OpenedAt: at, Csat: 6}),
			validate.Problems{{"csat", "must be 1-5, or 0 when unrated, got 6"}}},
		{"an NPS of 11", sdk.NewSurveyResponse("r-1", &connectorpb.SurveyResponse{AccountExternalId: "a-1", Kind: "nps", Score: 11, RespondedAt: at}),
			validate.Problems{{"score", "an NPS score must be 0-10, got 11"}}},
		{"a rate of zero on no date", sdk.NewFxRate("EUR", &connectorpb.FxRate{Currency: "EUR", Rate: "0"}),
			validate.Problems{{"date", "is required"}, {"rate", "must be positive, got 0"}}},
		{"a person labelled an account", mislabelled,
			validate.Problems{{"entity_type", "says account but the record carries person"}}},
		{"no payload", &connectorpb.Record{EntityType: connectorpb.EntityType_ENTITY_TYPE_DEAL, ExternalId: "d-1"},
			validate.Problems{{"entity", "record of type ENTITY_TYPE_DEAL carries no deal"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, validate.ValidateRecord(tc.rec))
		})
	}
}
