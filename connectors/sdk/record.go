package sdk

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// Timestamp converts t for a record field; the zero time stays unset.
func Timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// Custom converts vendor fields for a record's custom map. Values must be
// JSON-like: strings, numbers, booleans, nil, []any and map[string]any.
func Custom(fields map[string]any) (*structpb.Struct, error) {
	if len(fields) == 0 {
		return nil, nil
	}
	s, err := structpb.NewStruct(fields)
	if err != nil {
		return nil, fmt.Errorf("custom fields: %w", err)
	}
	return s, nil
}

// Tombstone is the record telling Pulse the source deleted externalID.
func Tombstone(t connectorpb.EntityType, externalID string) *connectorpb.Record {
	return &connectorpb.Record{EntityType: t, ExternalId: externalID, Deleted: true}
}

// NewAccount wraps an account as a record.
func NewAccount(externalID string, a *connectorpb.Account) *connectorpb.Record {
	return &connectorpb.Record{EntityType: Account, ExternalId: externalID, Entity: &connectorpb.Record_Account{Account: a}}
}

// NewPerson wraps a teammate as a record.
func NewPerson(externalID string, p *connectorpb.Person) *connectorpb.Record {
	return &connectorpb.Record{EntityType: Person, ExternalId: externalID, Entity: &connectorpb.Record_Person{Person: p}}
}

// NewAccountTeamMember wraps an account-team membership as a record. Sources
// that have no id for memberships can use TeamMemberID.
func NewAccountTeamMember(externalID string, m *connectorpb.AccountTeamMember) *connectorpb.Record {
	return &connectorpb.Record{EntityType: AccountTeam, ExternalId: externalID, Entity: &connectorpb.Record_AccountTeam{AccountTeam: m}}
}

// TeamMemberID is a stable external id for a membership that has none,
// where a role has several holders at once. Where it has one (a record's
// owner), key the membership by account and role instead, so that a new
// holder replaces the old one rather than joining it.
func TeamMemberID(accountID, personID, role string) string {
	return accountID + "|" + personID + "|" + role
}

// NewContact wraps a customer contact as a record.
func NewContact(externalID string, c *connectorpb.Contact) *connectorpb.Record {
	return &connectorpb.Record{EntityType: Contact, ExternalId: externalID, Entity: &connectorpb.Record_Contact{Contact: c}}
}

// NewActivity wraps a touch as a record.
func NewActivity(externalID string, a *connectorpb.Activity) *connectorpb.Record {
	return &connectorpb.Record{EntityType: Activity, ExternalId: externalID, Entity: &connectorpb.Record_Activity{Activity: a}}
}

// NewDeal wraps a deal as a record.
func NewDeal(externalID string, d *connectorpb.Deal) *connectorpb.Record {
	return &connectorpb.Record{EntityType: Deal, ExternalId: externalID, Entity: &connectorpb.Record_Deal{Deal: d}}
}

// NewSubscriptionItem wraps a subscription item as a record.
func NewSubscriptionItem(externalID string, s *connectorpb.SubscriptionItem) *connectorpb.Record {
	return &connectorpb.Record{EntityType: SubscriptionItem, ExternalId: externalID, Entity: &connectorpb.Record_SubscriptionItem{SubscriptionItem: s}}
}

// NewTicket wraps a support ticket as a record.
func NewTicket(externalID string, t *connectorpb.Ticket) *connectorpb.Record {
	return &connectorpb.Record{EntityType: Ticket, ExternalId: externalID, Entity: &connectorpb.Record_Ticket{Ticket: t}}
}

// NewSurveyResponse wraps a survey response as a record.
func NewSurveyResponse(externalID string, s *connectorpb.SurveyResponse) *connectorpb.Record {
	return &connectorpb.Record{EntityType: SurveyResponse, ExternalId: externalID, Entity: &connectorpb.Record_SurveyResponse{SurveyResponse: s}}
}

// NewFxRate wraps an exchange rate as a record.
func NewFxRate(externalID string, r *connectorpb.FxRate) *connectorpb.Record {
	return &connectorpb.Record{EntityType: FxRate, ExternalId: externalID, Entity: &connectorpb.Record_FxRate{FxRate: r}}
}
