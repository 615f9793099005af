package validate

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

// The closed vocabularies of the protocol. A record using any other value is
// refused with the field and the allowed values named. Pulse's model keeps
// the same lists (domain's Tiers, Teams, ...); a test in sync keeps the two
// in step.
var (
	Tiers        = []string{"A", "B", "C"}
	Lifecycles   = []string{"prospect", "onboarding", "customer", "churned"}
	Teams        = []string{"marketing", "sales", "onboarding", "cs", "support"}
	Roles        = []string{"marketing", "sales", "onboarding", "cs", "support", "exec_sponsor"}
	ActivityKind = []string{"email", "call", "meeting", "qbr", "onboarding_session", "note", "campaign_email", "support_reply"}
	Directions   = []string{"inbound", "outbound"}
	DealStatuses = []string{"open", "won", "lost"}
	DealKinds    = []string{"new", "expansion", "renewal"}
	Intervals    = []string{"month", "quarter", "year"}
	Priorities   = []string{"low", "normal", "high", "urgent"}
	TicketStates = []string{"new", "open", "pending", "solved", "closed"}
	SurveyKinds  = []string{"nps", "csat"}
	Touchpoints  = []string{"onboarding_complete", "qbr", "support", "renewal", "other"}
)

// FieldError is one broken rule, naming the record's field.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Problems collects every broken rule of a record, not just the first.
type Problems []FieldError

func (p Problems) Error() string {
	parts := make([]string, len(p))
	for i, e := range p {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Err returns p as an error, or nil when there is none.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

func (p *Problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{field, fmt.Sprintf(format, args...)})
}

func (p *Problems) oneOf(field, value string, allowed []string, required bool) {
	if value == "" {
		if required {
			p.add(field, "is required")
		}
		return
	}
	if !slices.Contains(allowed, value) {
		p.add(field, "%q is not one of %s", value, strings.Join(allowed, ", "))
	}
}

func (p *Problems) required(field, value string) {
	if strings.TrimSpace(value) == "" {
		p.add(field, "is required")
	}
}

func (p *Problems) timestamp(field string, t *timestamppb.Timestamp) {
	if t == nil || t.AsTime().IsZero() {
		p.add(field, "is required")
	}
}

// amount parses a decimal amount; "" is zero.
func (p *Problems) amount(field, s string) decimal.Decimal {
	if s == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		p.add(field, "%q is not a decimal number", s)
	} else if msg := DecimalProblem(d); msg != "" {
		p.add(field, "%.20q %s", s, msg)
	}
	return d
}

// The most digits PostgreSQL's numeric holds before and after the point.
const (
	numericMaxWhole    = 131072
	numericMaxFraction = 16383
)

// DecimalProblem says why d cannot be stored as a numeric, or is empty
// when it can. A decimal parsed from text can carry any exponent
// ("1e200000"); the database refuses it, and with it the statement. Amounts
// from connectors (here) and from clients (the Decimal scalar) are held to
// it.
func DecimalProblem(d decimal.Decimal) string {
	exp := int64(d.Exponent())
	switch {
	case d.IsZero():
		return ""
	case exp > 0 && int64(d.NumDigits())+exp > numericMaxWhole:
		return fmt.Sprintf("is too large: a number holds at most %d digits before the point", numericMaxWhole)
	case exp < -numericMaxFraction:
		return fmt.Sprintf("is too precise: a number holds at most %d digits after the point", numericMaxFraction)
	}
	return ""
}

// nonNegative parses an amount that must not be negative.
func (p *Problems) nonNegative(field, s string) decimal.Decimal {
	d := p.amount(field, s)
	if d.IsNegative() {
		p.add(field, "must not be negative, got %s", d)
	}
	return d
}

// date parses a YYYY-MM-DD date; "" is none.
func (p *Problems) date(field, s string) {
	if s == "" {
		return
	}
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		p.add(field, "%q is not a date (YYYY-MM-DD)", s)
	}
}

// EntityName is the name an entity type has in Pulse's database and API:
// account, person, subscription_item, ...
func EntityName(t connectorpb.EntityType) string {
	return strings.ToLower(strings.TrimPrefix(t.String(), "ENTITY_TYPE_"))
}

// EntityTypeOf is the entity type of the payload r carries.
func EntityTypeOf(r *connectorpb.Record) connectorpb.EntityType {
	switch r.GetEntity().(type) {
	case *connectorpb.Record_Account:
		return connectorpb.EntityType_ENTITY_TYPE_ACCOUNT
	case *connectorpb.Record_Person:
		return connectorpb.EntityType_ENTITY_TYPE_PERSON
	case *connectorpb.Record_AccountTeam:
		return connectorpb.EntityType_ENTITY_TYPE_ACCOUNT_TEAM
	case *connectorpb.Record_Contact:
		return connectorpb.EntityType_ENTITY_TYPE_CONTACT
	case *connectorpb.Record_Activity:
		return connectorpb.EntityType_ENTITY_TYPE_ACTIVITY
	case *connectorpb.Record_Deal:
		return connectorpb.EntityType_ENTITY_TYPE_DEAL
	case *connectorpb.Record_SubscriptionItem:
		return connectorpb.EntityType_ENTITY_TYPE_SUBSCRIPTION_ITEM
	case *connectorpb.Record_Ticket:
		return connectorpb.EntityType_ENTITY_TYPE_TICKET
	case *connectorpb.Record_SurveyResponse:
		return connectorpb.EntityType_ENTITY_TYPE_SURVEY_RESPONSE
	case *connectorpb.Record_FxRate:
		return connectorpb.EntityType_ENTITY_TYPE_FX_RATE
	}
	return connectorpb.EntityType_ENTITY_TYPE_UNSPECIFIED
}

// ValidateRecord reports every problem for which a sync would reject the
// live record r, each naming the record's field as the protocol spells it.
// A reference to a record the sync has not seen yet is no problem here: the
// sync defers such a record until its reference arrives.
func ValidateRecord(r *connectorpb.Record) Problems {
	p := TextProblems(r)
	switch e := r.GetEntity().(type) {
	case *connectorpb.Record_Account:
		a := e.Account
		p.required("name", a.GetName())
		p.oneOf("tier", a.GetTier(), Tiers, false)
		p.oneOf("lifecycle", a.GetLifecycle(), Lifecycles, false)
		p.date("renewal_date", a.GetRenewalDate())
	case *connectorpb.Record_Person:
		x := e.Person
		p.required("name", x.GetName())
		p.oneOf("team", x.GetTeam(), Teams, false)
	case *connectorpb.Record_Contact:
		p.required("account_external_id", e.Contact.GetAccountExternalId())
	case *connectorpb.Record_AccountTeam:
		x := e.AccountTeam
		p.required("account_external_id", x.GetAccountExternalId())
		p.required("person_external_id", x.GetPersonExternalId())
		p.oneOf("role", x.GetRole(), Roles, true)
	case *connectorpb.Record_Activity:
		x := e.Activity
		p.required("account_external_id", x.GetAccountExternalId())
		p.oneOf("team", x.GetTeam(), Teams, false)
		p.oneOf("kind", x.GetKind(), ActivityKind, true)
		p.oneOf("direction", x.GetDirection(), Directions, false)
		p.timestamp("occurred_at", x.GetOccurredAt())
		if x.GetDurationSeconds() < 0 {
			p.add("duration_seconds", "must not be negative, got %d", x.GetDurationSeconds())
		}
	case *connectorpb.Record_Deal:
		x := e.Deal
		p.required("account_external_id", x.GetAccountExternalId())
		p.oneOf("status", x.GetStatus(), DealStatuses, false)
		p.oneOf("kind", x.GetKind(), DealKinds, false)
		amount := p.nonNegative("amount", x.GetAmount())
		p.currency("currency", x.GetCurrency(), !amount.IsZero())
	case *connectorpb.Record_SubscriptionItem:
		x := e.SubscriptionItem
		p.required("account_external_id", x.GetAccountExternalId())
		p.oneOf("interval", x.GetInterval(), Intervals, true)
		p.currency("currency", x.GetCurrency(), true)
		p.nonNegative("amount", x.GetAmount())
		p.timestamp("starts_at", x.GetStartsAt())
		if x.GetEndsAt() != nil && x.GetStartsAt() != nil && x.GetEndsAt().AsTime().Before(x.GetStartsAt().AsTime()) {
			p.add("ends_at", "is before starts_at")
		}
	case *connectorpb.Record_Ticket:
		x := e.Ticket
		p.required("account_external_id", x.GetAccountExternalId())
		p.oneOf("priority", x.GetPriority(), Priorities, false)
		p.oneOf("status", x.GetStatus(), TicketStates, false)
		p.timestamp("opened_at", x.GetOpenedAt())
		if x.GetCsat() < 0 || x.GetCsat() > 5 {
			p.add("csat", "must be 1-5, or 0 when unrated, got %d", x.GetCsat())
		}
	case *connectorpb.Record_SurveyResponse:
		x := e.SurveyResponse
		p.required("account_external_id", x.GetAccountExternalId())
		p.oneOf("kind", x.GetKind(), SurveyKinds, true)
		p.oneOf("touchpoint", x.GetTouchpoint(), Touchpoints, false)
		switch x.GetKind() {
		case "nps":
			if x.GetScore() < 0 || x.GetScore() > 10 {
				p.add("score", "an NPS score must be 0-10, got %d", x.GetScore())
			}
		case "csat":
			if x.GetScore() < 1 || x.GetScore() > 5 {
				p.add("score", "a CSAT score must be 1-5, got %d", x.GetScore())
			}
		}
		p.timestamp("responded_at", x.GetRespondedAt())
	case *connectorpb.Record_FxRate:
		x := e.FxRate
		p.currency("currency", x.GetCurrency(), true)
		if x.GetDate() == "" {
			p.add("date", "is required")
		}
		p.date("date", x.GetDate())
		if rate := p.amount("rate", x.GetRate()); !rate.IsPositive() {
			p.add("rate", "must be positive, got %s", rate)
		}
	default:
		p.add("entity", "record of type %s carries no %s", r.GetEntityType(), EntityName(r.GetEntityType()))
		return p
	}
	if carried := EntityTypeOf(r); carried != r.GetEntityType() {
		p.add("entity_type", "says %s but the record carries %s", EntityName(r.GetEntityType()), EntityName(carried))
	}
	return p
}
