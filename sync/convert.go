package sync

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/domain"
)

// entityNames are the names entity types have in the database and the API.
var entityNames = map[connectorpb.EntityType]string{
	connectorpb.EntityType_ENTITY_TYPE_ACCOUNT:           "account",
	connectorpb.EntityType_ENTITY_TYPE_PERSON:            "person",
	connectorpb.EntityType_ENTITY_TYPE_ACCOUNT_TEAM:      "account_team",
	connectorpb.EntityType_ENTITY_TYPE_CONTACT:           "contact",
	connectorpb.EntityType_ENTITY_TYPE_ACTIVITY:          "activity",
	connectorpb.EntityType_ENTITY_TYPE_DEAL:              "deal",
	connectorpb.EntityType_ENTITY_TYPE_SUBSCRIPTION_ITEM: "subscription_item",
	connectorpb.EntityType_ENTITY_TYPE_TICKET:            "ticket",
	connectorpb.EntityType_ENTITY_TYPE_SURVEY_RESPONSE:   "survey_response",
	connectorpb.EntityType_ENTITY_TYPE_FX_RATE:           "fx_rate",
}

// applyOrder places the entities others refer to first, so a batch (or a
// retry of deferred records) resolves as much as it can in one pass.
var applyOrder = []connectorpb.EntityType{
	connectorpb.EntityType_ENTITY_TYPE_FX_RATE,
	connectorpb.EntityType_ENTITY_TYPE_ACCOUNT,
	connectorpb.EntityType_ENTITY_TYPE_PERSON,
	connectorpb.EntityType_ENTITY_TYPE_CONTACT,
	connectorpb.EntityType_ENTITY_TYPE_ACCOUNT_TEAM,
	connectorpb.EntityType_ENTITY_TYPE_SUBSCRIPTION_ITEM,
	connectorpb.EntityType_ENTITY_TYPE_DEAL,
	connectorpb.EntityType_ENTITY_TYPE_ACTIVITY,
	connectorpb.EntityType_ENTITY_TYPE_TICKET,
	connectorpb.EntityType_ENTITY_TYPE_SURVEY_RESPONSE,
}

// ref is a reference from a record to another entity of the same source.
type ref struct {
	field      string // the source-facing name, e.g. account_id
	entityType string
	externalID string
	required   bool
	target     **uuid.UUID
}

// converted is a record turned into a domain row, before its references are
// resolved.
type converted struct {
	rec      *connectorpb.Record
	row      any
	refs     []ref
	problems domain.Problems
}

func ts(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime().UTC()
}

func tsPtr(t *timestamppb.Timestamp) *time.Time {
	if t == nil {
		return nil
	}
	v := t.AsTime().UTC()
	return &v
}

func money(field, s string, probs *domain.Problems) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		*probs = append(*probs, domain.FieldError{Field: field, Message: fmt.Sprintf("%q is not a decimal number", s)})
	} else if msg := domain.DecimalProblem(d); msg != "" {
		*probs = append(*probs, domain.FieldError{Field: field, Message: fmt.Sprintf("%.20q %s", s, msg)})
	}
	return d
}

func date(field, s string, probs *domain.Problems) *time.Time {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		*probs = append(*probs, domain.FieldError{Field: field, Message: fmt.Sprintf("%q is not a date (YYYY-MM-DD)", s)})
		return nil
	}
	return &d
}

func custom(r *connectorpb.Record) domain.Custom {
	if r.GetCustom() == nil {
		return domain.Custom{}
	}
	return r.GetCustom().AsMap()
}

func optionalRef(field, entityType, externalID string, target **uuid.UUID) []ref {
	if externalID == "" {
		return nil
	}
	return []ref{{field: field, entityType: entityType, externalID: externalID, target: target}}
}

// convert maps a live record to its domain row and lists its references.
// The ids of references are filled in later, through the targets.
func convert(r *connectorpb.Record) converted {
	c := converted{rec: r}
	var p domain.Problems
	switch e := r.GetEntity().(type) {
	case *connectorpb.Record_Account:
		a := e.Account
		row := &domain.Account{Name: a.GetName(), Domain: a.GetDomain(), Tier: a.GetTier(), Segment: a.GetSegment(),
			Industry: a.GetIndustry(), Lifecycle: a.GetLifecycle(), Custom: custom(r)}
		row.RenewalDate = date("renewal_date", a.GetRenewalDate(), &p)
		p = append(p, row.Validate()...)
		c.row = row
	case *connectorpb.Record_Person:
		x := e.Person
		row := &domain.Person{Name: x.GetName(), Email: x.GetEmail(), Team: x.GetTeam(), Custom: custom(r)}
		p = append(p, row.Validate()...)
		c.row = row
	case *connectorpb.Record_Contact:
		x := e.Contact
		row := &domain.Contact{Name: x.GetName(), Email: x.GetEmail(), Title: x.GetTitle(), Custom: custom(r)}
		var account *uuid.UUID
		c.refs = append(c.refs, ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account})
		c.row = &pending{row: row, resolve: func() { row.AccountID = *account }}
	case *connectorpb.Record_AccountTeam:
		x := e.AccountTeam
		row := &domain.AccountTeamMember{Role: x.GetRole()}
		var account, person *uuid.UUID
		c.refs = append(c.refs,
			ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account},
			ref{field: "person_id", entityType: "person", externalID: x.GetPersonExternalId(), required: true, target: &person})
		p = append(p, row.Validate()...)
		c.row = &pending{row: row, resolve: func() { row.AccountID, row.PersonID = *account, *person }}
	case *connectorpb.Record_Activity:
		x := e.Activity
		row := &domain.Activity{Team: x.GetTeam(), Kind: x.GetKind(), Direction: x.GetDirection(), OccurredAt: ts(x.GetOccurredAt()),
			DurationSeconds: x.GetDurationSeconds(), Subject: x.GetSubject(), Custom: custom(r)}
		var account *uuid.UUID
		c.refs = append(c.refs, ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account})
		c.refs = append(c.refs, optionalRef("contact_id", "contact", x.GetContactExternalId(), &row.ContactID)...)
		c.refs = append(c.refs, optionalRef("person_id", "person", x.GetPersonExternalId(), &row.PersonID)...)
		p = append(p, row.Validate()...)
		c.row = &pending{row: row, resolve: func() { row.AccountID = *account }}
	case *connectorpb.Record_Deal:
		x := e.Deal
		row := &domain.Deal{Name: x.GetName(), Stage: x.GetStage(), Status: x.GetStatus(), Kind: x.GetKind(),
			Currency: x.GetCurrency(), ClosedAt: tsPtr(x.GetClosedAt()), LostReason: x.GetLostReason(), Custom: custom(r)}
		row.Amount = money("amount", x.GetAmount(), &p)
		var account *uuid.UUID
		c.refs = append(c.refs, ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account})
		p = append(p, row.Validate()...)
		c.row = &pending{row: row, resolve: func() { row.AccountID = *account }}
	case *connectorpb.Record_SubscriptionItem:
		x := e.SubscriptionItem
		row := &domain.SubscriptionItem{Plan: x.GetPlan(), Currency: x.GetCurrency(), Interval: x.GetInterval(),
			StartsAt: ts(x.GetStartsAt()), EndsAt: tsPtr(x.GetEndsAt()), ChurnReason: x.GetChurnReason(), Custom: custom(r)}
		row.Amount = money("amount", x.GetAmount(), &p)
		var account *uuid.UUID
		c.refs = append(c.refs, ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account})
		p = append(p, row.Validate()...)
		c.row = &pending{row: row, resolve: func() { row.AccountID = *account }}
	case *connectorpb.Record_Ticket:
		x := e.Ticket
		row := &domain.Ticket{Subject: x.GetSubject(), Priority: x.GetPriority(), Status: x.GetStatus(), OpenedAt: ts(x.GetOpenedAt()),
			FirstResponseAt: tsPtr(x.GetFirstResponseAt()), ResolvedAt: tsPtr(x.GetResolvedAt()), CSAT: int(x.GetCsat()), Custom: custom(r)}
		var account *uuid.UUID
		c.refs = append(c.refs, ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account})
		c.refs = append(c.refs, optionalRef("contact_id", "contact", x.GetContactExternalId(), &row.ContactID)...)
		p = append(p, row.Validate()...)
		c.row = &pending{row: row, resolve: func() { row.AccountID = *account }}
	case *connectorpb.Record_SurveyResponse:
		x := e.SurveyResponse
		row := &domain.SurveyResponse{Kind: x.GetKind(), Score: int(x.GetScore()), Touchpoint: x.GetTouchpoint(),
			Comment: x.GetComment(), RespondedAt: ts(x.GetRespondedAt()), Custom: custom(r)}
		var account *uuid.UUID
		c.refs = append(c.refs, ref{field: "account_id", entityType: "account", externalID: x.GetAccountExternalId(), required: true, target: &account})
		c.refs = append(c.refs, optionalRef("contact_id", "contact", x.GetContactExternalId(), &row.ContactID)...)
		p = append(p, row.Validate()...)
		c.row = &pending{row: row, resolve: func() { row.AccountID = *account }}
	case *connectorpb.Record_FxRate:
		x := e.FxRate
		row := &domain.FxRate{Currency: x.GetCurrency()}
		if d := date("date", x.GetDate(), &p); d != nil {
			row.Date = *d
		}
		row.Rate = money("rate", x.GetRate(), &p)
		p = append(p, row.Validate()...)
		c.row = row
	default:
		p = append(p, domain.FieldError{Field: "entity", Message: fmt.Sprintf("record of type %s carries no %s", r.GetEntityType(), entityNames[r.GetEntityType()])})
	}
	for _, rf := range c.refs {
		if rf.required && rf.externalID == "" {
			p = append(p, domain.FieldError{Field: rf.field, Message: "is required"})
		}
	}
	c.problems = p
	return c
}

// pending is a row whose required references are set once resolved.
type pending struct {
	row     any
	resolve func()
}
