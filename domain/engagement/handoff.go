package engagement

import (
	"fmt"
	"time"

	"github.com/pulseproject/pulse/domain"
)

// Handoff lists the hand-offs dropped as of an instant (docs/metrics.md,
// Hand-off gap).
type Handoff struct {
	Rules Rules
	// DealsWithoutOnboarding are the won deals of kind new with no
	// onboarding touch within Days of their close, newest close first.
	DealsWithoutOnboarding []OnboardingGap
	// CustomersWithoutCSOwner are the active customers with no CS owner,
	// by name.
	CustomersWithoutCSOwner []domain.Account
	// CustomersNotTouchedByCS are the active customers whose CS owner has
	// not touched them since the hand-off, earliest hand-off first.
	CustomersNotTouchedByCS []CSGap
}

// OnboardingGap is a won deal that onboarding did not follow up in time.
type OnboardingGap struct {
	Deal    domain.Deal
	Account domain.Account
	// DueBy is the deal's close plus Days: the end of the window an
	// onboarding touch was due in.
	DueBy time.Time
	// FirstOnboardingTouchAt is the first onboarding touch since the
	// close, late, before the report's instant; nil when there is none.
	FirstOnboardingTouchAt *time.Time
}

// HandoffBasis says what an account's hand-off to CS was dated by.
type HandoffBasis string

// The events a hand-off is dated by, in order of preference.
const (
	// HandoffOnboardingEnd is the last onboarding touch since the latest
	// won deal of kind new.
	HandoffOnboardingEnd HandoffBasis = "onboarding_end"
	// HandoffDealWon is the close of the latest won deal of kind new,
	// when onboarding never touched the account after it.
	HandoffDealWon HandoffBasis = "deal_won"
	// HandoffSubscriptionStart is the start of the account's first
	// subscription item, for a customer with neither.
	HandoffSubscriptionStart HandoffBasis = "subscription_start"
)

// CSGap is an active customer its CS owner has not touched since the
// hand-off.
type CSGap struct {
	Account  domain.Account
	CSOwners []domain.Person
	// HandoffAt is when CS took the account over, dated by Basis.
	HandoffAt time.Time
	Basis     HandoffBasis
	// LastOwnerTouchAt is the CS owners' latest touch of the account
	// before the report's instant, from before the hand-off; nil when
	// there is none.
	LastOwnerTouchAt *time.Time
}

// HandoffRules are the rules of the hand-off report of q.
func HandoffRules(q HandoffQuery) Rules {
	asOf := q.AsOf
	return Rules{
		AsOf: &asOf, Days: q.Days,
		Definitions: []string{
			touchDefinition,
			fmt.Sprintf("An onboarding gap is a won deal of kind new, closed at least %d days before asOf, with no touch of the onboarding team on its account in [closedAt, closedAt + %d days). Deals whose window is still open are not judged yet.", q.Days, q.Days),
			"An active customer is an account, not soft-deleted, with a subscription item of positive amount billing at asOf (MRR > 0).",
			"A CS owner is a teammate, not soft-deleted, holding the role cs on the account's team.",
			"The hand-off to CS is the end of onboarding: the last onboarding touch before asOf since the latest won deal of kind new closed before asOf; without one, that deal's close; without a won deal of kind new, the start of the account's first subscription item.",
			fmt.Sprintf("A CS gap is an active customer with a CS owner, handed off at least %d days before asOf, whom none of its CS owners touched in [handoffAt, asOf).", q.Days),
		},
	}
}

// OnboardingGapOf judges a won deal of kind new closed at closedAt, whose
// account's first onboarding touch at or after closedAt and before asOf
// was firstTouch (nil when none): judged is false while the deal's window
// [closedAt, closedAt + Days) is still open at asOf; gap is true when
// onboarding did not touch the account in that window.
func (q HandoffQuery) OnboardingGapOf(closedAt time.Time, firstTouch *time.Time) (judged, gap bool) {
	if closedAt.After(q.JudgedUntil()) {
		return false, false
	}
	return true, firstTouch == nil || !firstTouch.Before(q.dueBy(closedAt))
}

// JudgedUntil is the latest close of a deal whose onboarding window has
// ended by asOf: Days before it.
func (q HandoffQuery) JudgedUntil() time.Time {
	return q.AsOf.Add(-time.Duration(q.Days) * Day)
}

// dueBy is the end of the window a touch was due in after start.
func (q HandoffQuery) dueBy(start time.Time) time.Time {
	return start.Add(time.Duration(q.Days) * Day)
}

// CustomerHandoff is what dates an active customer's hand-off to CS and
// tells whether CS dropped it, as of the query's instant.
type CustomerHandoff struct {
	// LastOnboardingTouch is the latest onboarding touch before asOf;
	// nil when there is none.
	LastOnboardingTouch *time.Time
	// LatestWonDeal is the close of the latest won deal of kind new
	// closed at or before asOf; nil when there is none.
	LatestWonDeal *time.Time
	// FirstSubscriptionStart is the start of the account's first
	// subscription item.
	FirstSubscriptionStart time.Time
	// LastOwnerTouch is the latest touch of one of the CS owners before
	// asOf; nil when there is none.
	LastOwnerTouch *time.Time
}

// CSGapOf dates the hand-off of an active customer with a CS owner (see
// HandoffRules) and says whether it is a CS gap: handed off at least Days
// before asOf, with no touch of an owner since. The gap's account and
// owners are left for the caller to fill in.
func (q HandoffQuery) CSGapOf(c CustomerHandoff) (CSGap, bool) {
	var g CSGap
	switch {
	case c.LastOnboardingTouch != nil && (c.LatestWonDeal == nil || !c.LastOnboardingTouch.Before(*c.LatestWonDeal)):
		g.HandoffAt, g.Basis = c.LastOnboardingTouch.UTC(), HandoffOnboardingEnd
	case c.LatestWonDeal != nil:
		g.HandoffAt, g.Basis = c.LatestWonDeal.UTC(), HandoffDealWon
	default:
		g.HandoffAt, g.Basis = c.FirstSubscriptionStart.UTC(), HandoffSubscriptionStart
	}
	if c.LastOwnerTouch != nil {
		t := c.LastOwnerTouch.UTC()
		g.LastOwnerTouchAt = &t
	}
	due := !q.dueBy(g.HandoffAt).After(q.AsOf)
	return g, due && (g.LastOwnerTouchAt == nil || g.LastOwnerTouchAt.Before(g.HandoffAt))
}
