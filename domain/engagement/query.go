package engagement

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// The defaults of the reports' arguments.
const (
	// DefaultCoverageDays is the N of coverage's "last N days".
	DefaultCoverageDays = 30
	// DefaultHandoffDays is how long onboarding and CS have to touch a
	// customer after a hand-off.
	DefaultHandoffDays = 7
	// DefaultPressureDays is the length of contact pressure's period when
	// its start is not given.
	DefaultPressureDays = 30
	// DefaultSurveyDays is the length of NPS's and CSAT's period when its
	// start is not given: a quarter.
	DefaultSurveyDays = 90
)

// CoverageQuery asks how well a team covers its owners' books.
type CoverageQuery struct {
	// Team is the team, and the role on the account team, whose books
	// and touches are counted.
	Team string
	// Days is the N of "the last N days".
	Days int
	// OwnerID keeps one owner's book; nil keeps every owner's.
	OwnerID *uuid.UUID
	// AsOf is the instant the report is taken at.
	AsOf time.Time
}

// Period is the window of the touches counted, [AsOf − Days, AsOf).
func (q CoverageQuery) Period() (from, to time.Time) {
	return q.AsOf.Add(-time.Duration(q.Days) * Day), q.AsOf
}

// Validate reports every argument at fault.
func (q CoverageQuery) Validate() error {
	var p domain.Problems
	if !slices.Contains(domain.Teams, q.Team) {
		p = append(p, domain.FieldError{Field: "team", Message: fmt.Sprintf("%q is not one of %s", q.Team, strings.Join(domain.Teams, ", "))})
	}
	p = append(p, positive("days", q.Days)...)
	return invalid(p)
}

// PressureQuery asks which contacts received more outbound touches than
// the cap in some rolling window of the period.
type PressureQuery struct {
	// From and To are the period, [From, To): only touches in it count.
	From, To time.Time
	Window   Window
	// Cap overrides the workspace's cap; nil uses it.
	Cap *int
}

// Validate reports every argument at fault.
func (q PressureQuery) Validate() error {
	p := period(q.From, q.To)
	if !slices.Contains(Windows, q.Window) {
		p = append(p, domain.FieldError{Field: "window", Message: fmt.Sprintf("%q is not one of day, week", q.Window)})
	}
	if q.Cap != nil && *q.Cap < 1 {
		p = append(p, domain.FieldError{Field: "cap", Message: fmt.Sprintf("must be at least 1, got %d", *q.Cap)})
	}
	return invalid(p)
}

// HandoffQuery asks which hand-offs from sales to onboarding and CS were
// dropped as of an instant.
type HandoffQuery struct {
	AsOf time.Time
	// Days is how long onboarding has after a deal is won, and the CS
	// owner after the hand-off, to touch the customer.
	Days int
}

// Validate reports every argument at fault.
func (q HandoffQuery) Validate() error {
	return invalid(positive("days", q.Days))
}

// PeriodQuery asks for a report over the period [From, To).
type PeriodQuery struct {
	From, To time.Time
}

// Validate reports every argument at fault.
func (q PeriodQuery) Validate() error {
	return invalid(period(q.From, q.To))
}

func positive(field string, n int) domain.Problems {
	if n > 0 {
		return nil
	}
	return domain.Problems{{Field: field, Message: fmt.Sprintf("must be at least 1, got %d", n)}}
}

func period(from, to time.Time) domain.Problems {
	if from.Before(to) {
		return nil
	}
	return domain.Problems{{Field: "from", Message: fmt.Sprintf("must be before to (%s), got %s",
		to.UTC().Format(time.RFC3339), from.UTC().Format(time.RFC3339))}}
}

func invalid(p domain.Problems) error {
	if len(p) == 0 {
		return nil
	}
	return &domain.InputError{Problems: p}
}
