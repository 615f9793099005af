package domain

import (
	"fmt"
	"slices"
	"strings"
)

// The closed vocabularies of the model. Records using any other value are
// refused with the field and the allowed values named.
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

// IntervalMonths is how many months one billing interval covers.
var IntervalMonths = map[string]int64{"month": 1, "quarter": 3, "year": 12}

// FieldError is one broken rule, naming the field.
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

func (p *Problems) oneOf(field, value string, allowed []string, required bool) {
	if value == "" {
		if required {
			*p = append(*p, FieldError{field, "is required"})
		}
		return
	}
	if !slices.Contains(allowed, value) {
		*p = append(*p, FieldError{field, fmt.Sprintf("%q is not one of %s", value, strings.Join(allowed, ", "))})
	}
}

func (p *Problems) required(field, value string) {
	if strings.TrimSpace(value) == "" {
		*p = append(*p, FieldError{field, "is required"})
	}
}

func (p *Problems) add(field, format string, args ...any) {
	*p = append(*p, FieldError{field, fmt.Sprintf(format, args...)})
}

// Validate checks an account's fields.
func (a *Account) Validate() Problems {
	var p Problems
	p.required("name", a.Name)
	p.oneOf("tier", a.Tier, Tiers, false)
	p.oneOf("lifecycle", a.Lifecycle, Lifecycles, false)
	return p
}

// Validate checks a teammate's fields.
func (x *Person) Validate() Problems {
	var p Problems
	p.required("name", x.Name)
	p.oneOf("team", x.Team, Teams, false)
	return p
}

// Validate checks a membership's fields.
func (m *AccountTeamMember) Validate() Problems {
	var p Problems
	p.oneOf("role", m.Role, Roles, true)
	return p
}

// Validate checks an activity's fields.
func (a *Activity) Validate() Problems {
	var p Problems
	p.oneOf("team", a.Team, Teams, false)
	p.oneOf("kind", a.Kind, ActivityKind, true)
	p.oneOf("direction", a.Direction, Directions, false)
	if a.OccurredAt.IsZero() {
		p.add("occurred_at", "is required")
	}
	if a.DurationSeconds < 0 {
		p.add("duration_seconds", "must not be negative, got %d", a.DurationSeconds)
	}
	return p
}

// Validate checks a deal's fields.
func (d *Deal) Validate() Problems {
	var p Problems
	p.oneOf("status", d.Status, DealStatuses, false)
	p.oneOf("kind", d.Kind, DealKinds, false)
	if d.Amount.IsNegative() {
		p.add("amount", "must not be negative, got %s", d.Amount)
	}
	p.currency("currency", d.Currency, !d.Amount.IsZero())
	return p
}

// Validate checks a subscription item's fields.
func (s *SubscriptionItem) Validate() Problems {
	var p Problems
	p.oneOf("interval", s.Interval, Intervals, true)
	p.currency("currency", s.Currency, true)
	if s.Amount.IsNegative() {
		p.add("amount", "must not be negative, got %s", s.Amount)
	}
	if s.StartsAt.IsZero() {
		p.add("starts_at", "is required")
	}
	if s.EndsAt != nil && s.EndsAt.Before(s.StartsAt) {
		p.add("ends_at", "is before starts_at")
	}
	return p
}

// Validate checks a ticket's fields.
func (t *Ticket) Validate() Problems {
	var p Problems
	p.oneOf("priority", t.Priority, Priorities, false)
	p.oneOf("status", t.Status, TicketStates, false)
	if t.OpenedAt.IsZero() {
		p.add("opened_at", "is required")
	}
	if t.CSAT < 0 || t.CSAT > 5 {
		p.add("csat", "must be 1-5, or 0 when unrated, got %d", t.CSAT)
	}
	return p
}

// Validate checks a survey response's fields.
func (s *SurveyResponse) Validate() Problems {
	var p Problems
	p.oneOf("kind", s.Kind, SurveyKinds, true)
	p.oneOf("touchpoint", s.Touchpoint, Touchpoints, false)
	switch s.Kind {
	case "nps":
		if s.Score < 0 || s.Score > 10 {
			p.add("score", "an NPS score must be 0-10, got %d", s.Score)
		}
	case "csat":
		if s.Score < 1 || s.Score > 5 {
			p.add("score", "a CSAT score must be 1-5, got %d", s.Score)
		}
	}
	if s.RespondedAt.IsZero() {
		p.add("responded_at", "is required")
	}
	return p
}

// Validate checks an exchange rate's fields.
func (r *FxRate) Validate() Problems {
	var p Problems
	p.currency("currency", r.Currency, true)
	if r.Date.IsZero() {
		p.add("date", "is required")
	}
	if !r.Rate.IsPositive() {
		p.add("rate", "must be positive, got %s", r.Rate)
	}
	return p
}
