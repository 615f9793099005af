package retention

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// GroupBy is what a retention report is broken down by.
type GroupBy string

// The breakdowns of a retention report. Accounts are grouped by their
// current attributes, not those they had during the period.
const (
	GroupNone    GroupBy = ""
	GroupSegment GroupBy = "segment"
	GroupTier    GroupBy = "tier"
	// GroupOwner groups by the account team member in the owner role; an
	// account with two people in that role is in both their books.
	GroupOwner GroupBy = "owner"
	// GroupPlan compares each account's MRR on each plan: moving from one
	// plan to another reads as churn of the one and new (or reactivation)
	// of the other.
	GroupPlan GroupBy = "plan"
)

// GroupBys lists the breakdowns a request may ask for.
var GroupBys = []GroupBy{GroupSegment, GroupTier, GroupOwner, GroupPlan}

// Measure is what a cohort triangle counts.
type Measure string

// The measures of a cohort triangle.
const (
	MeasureLogos Measure = "logos"
	MeasureMRR   Measure = "mrr"
)

// DefaultOwnerRole is the role whose member owns an account when a request
// names none: customer success, who answer for retention.
const DefaultOwnerRole = "cs"

// Filter narrows a report to some accounts; empty fields do not narrow.
type Filter struct {
	Segment string
	Tier    string
	// OwnerID keeps the accounts on whose team this person is in the
	// owner role.
	OwnerID *uuid.UUID
}

// Request is a report as asked over the API: the period by calendar days
// [From, To), read in the workspace timezone (the days come as midnight
// UTC, the way the Date scalar reads them).
type Request struct {
	From, To time.Time
	Filter   Filter
	GroupBy  GroupBy
	// OwnerRole is the team role whose member owns an account, for
	// Filter.OwnerID and GroupOwner; empty means DefaultOwnerRole.
	OwnerRole string
	Measure   Measure
}

// Validate reports every problem of r, each naming its argument.
func (r Request) Validate() error {
	var p domain.Problems
	if r.From.IsZero() {
		p = append(p, domain.FieldError{Field: "from", Message: "is required"})
	}
	if r.To.IsZero() {
		p = append(p, domain.FieldError{Field: "to", Message: "is required"})
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.To.After(r.From) {
		p = append(p, domain.FieldError{Field: "to", Message: fmt.Sprintf("must be after from (%s), got %s",
			r.From.Format(time.DateOnly), r.To.Format(time.DateOnly))})
	}
	if r.GroupBy != GroupNone && !slices.Contains(GroupBys, r.GroupBy) {
		p = append(p, domain.FieldError{Field: "groupBy", Message: fmt.Sprintf("%q is not one of segment, tier, owner, plan", r.GroupBy)})
	}
	if r.OwnerRole != "" && !slices.Contains(domain.Roles, r.OwnerRole) {
		p = append(p, domain.FieldError{Field: "ownerRole", Message: fmt.Sprintf("%q is not a role", r.OwnerRole)})
	}
	if r.Measure != "" && r.Measure != MeasureLogos && r.Measure != MeasureMRR {
		p = append(p, domain.FieldError{Field: "measure", Message: fmt.Sprintf("%q is not one of logos, mrr", r.Measure)})
	}
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}

// ChurnAtEndOfTerm is the churn timing Pulse applies: an account churns
// when its MRR reaches zero, at the end of its paid term, not on the day
// it asked to cancel.
const ChurnAtEndOfTerm = "end_of_paid_term"

// FxRule says how foreign amounts are converted.
const FxRule = "each item converts at the latest rate dated on or before the day (UTC) it started, kept for its life; an item with no such rate is left out and listed in missingRates"

// RatioRule says how ratios are given.
const RatioRule = "fractions (0.97 for 97%), rounded half away from zero to 4 decimal places; null when the denominator is zero"

// Rules are the rules a report used, returned beside its figures so that
// every number can be reconciled.
type Rules struct {
	// From and To are the period [From, To) as instants.
	From, To time.Time
	// Timezone is the workspace timezone the period's days and months are
	// read in.
	Timezone     string
	ChurnTiming  string
	BaseCurrency string
	FxRule       string
	RatioRule    string
	// OwnerRole is the role whose member owns an account.
	OwnerRole string
	// Definitions says in words how the report read a definition that
	// could be read two ways; empty when it met none.
	Definitions []string
}

// Period is a request's period resolved in a timezone.
type Period struct {
	From, To time.Time
	Location *time.Location
}

// PeriodOf reads r's days as midnights in loc.
func PeriodOf(r Request, loc *time.Location) Period {
	return Period{From: midnight(r.From, loc), To: midnight(r.To, loc), Location: loc}
}

func midnight(day time.Time, loc *time.Location) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// months splits p at the first instant of each calendar month in its
// timezone: the first and last parts are partial when p starts or ends
// within a month.
func (p Period) months() []Period {
	var out []Period
	for from := p.From; from.Before(p.To); {
		y, m, _ := from.In(p.Location).Date()
		to := time.Date(y, m+1, 1, 0, 0, 0, 0, p.Location)
		if to.After(p.To) {
			to = p.To
		}
		out = append(out, Period{From: from, To: to, Location: p.Location})
		from = to
	}
	return out
}

// monthOf is the first instant of t's calendar month in loc.
func monthOf(t time.Time, loc *time.Location) time.Time {
	y, m, _ := t.In(loc).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, loc)
}

func rules(base string, p Period, ownerRole string) Rules {
	return Rules{From: p.From, To: p.To, Timezone: p.Location.String(), ChurnTiming: ChurnAtEndOfTerm,
		BaseCurrency: base, FxRule: FxRule, RatioRule: RatioRule, OwnerRole: ownerRole, Definitions: []string{}}
}

// full reports whether p is one whole calendar month of its timezone.
func (p Period) full() bool {
	m := monthOf(p.From, p.Location)
	return p.From.Equal(m) && p.To.Equal(m.AddDate(0, 1, 0))
}
