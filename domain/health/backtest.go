package health

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// BacktestQuery asks how well a scorecard would have foreseen the churn of
// [From, To): each account active at From is scored as of LeadDays before
// its churn, or before To when it did not churn.
type BacktestQuery struct {
	// Scorecard names the scorecard; Version 0 is its latest.
	Scorecard string
	Version   int
	From, To  time.Time
	LeadDays  int
}

// Validate reports every problem of q, each naming its argument.
func (q BacktestQuery) Validate() error {
	var p domain.Problems
	if q.Scorecard == "" {
		p = append(p, domain.FieldError{Field: "scorecard", Message: "is required"})
	}
	if q.Version < 0 {
		p = append(p, domain.FieldError{Field: "version", Message: fmt.Sprintf("must be at least 1 (or 0 for the latest), got %d", q.Version)})
	}
	if !q.To.After(q.From) {
		p = append(p, domain.FieldError{Field: "to", Message: "must be after from"})
	}
	if q.LeadDays < 0 || q.LeadDays > 730 {
		p = append(p, domain.FieldError{Field: "leadDays", Message: fmt.Sprintf("must be between 0 and 730, got %d", q.LeadDays)})
	}
	if len(p) > 0 {
		return &domain.InputError{Problems: p}
	}
	return nil
}

// BacktestAccount is one account of a back-test and the band it was in.
type BacktestAccount struct {
	AccountID uuid.UUID
	// Account is the account, read for the churned ones.
	Account domain.Account
	// ChurnedAt is when its MRR reached zero; nil when it did not churn.
	ChurnedAt *time.Time
	// ScoredAt is the instant scored: LeadDays before ChurnedAt, or
	// before the period's end.
	ScoredAt time.Time
	Score    *float64
	Band     Band
}

// Confusion counts a back-test's predictions: "red" predicts churn.
type Confusion struct {
	TruePositives, FalsePositives, FalseNegatives, TrueNegatives int
}

// Add counts one account.
func (c *Confusion) Add(red, churned bool) {
	switch {
	case red && churned:
		c.TruePositives++
	case red:
		c.FalsePositives++
	case churned:
		c.FalseNegatives++
	default:
		c.TrueNegatives++
	}
}

// Precision is the share of accounts predicted red that churned; nil when
// none was red.
func (c Confusion) Precision() *float64 {
	return ratio(c.TruePositives, c.TruePositives+c.FalsePositives)
}

// Recall is the share of churned accounts that were red; nil when none
// churned.
func (c Confusion) Recall() *float64 {
	return ratio(c.TruePositives, c.TruePositives+c.FalseNegatives)
}

// BaseRate is the share of the accounts that churned: the precision of
// picking accounts at random.
func (c Confusion) BaseRate() *float64 {
	return ratio(c.TruePositives+c.FalseNegatives, c.TruePositives+c.FalsePositives+c.FalseNegatives+c.TrueNegatives)
}

// Lift is Precision / BaseRate: how many times better than chance red
// foresees churn; nil when either is nil or the base rate is zero.
func (c Confusion) Lift() *float64 {
	red, churned := c.TruePositives+c.FalsePositives, c.TruePositives+c.FalseNegatives
	all := red + c.FalseNegatives + c.TrueNegatives
	if red == 0 || churned == 0 {
		return nil
	}
	l := round(float64(c.TruePositives)*float64(all)/float64(red*churned), 4)
	return &l
}

func ratio(n, d int) *float64 {
	if d == 0 {
		return nil
	}
	r := round(float64(n)/float64(d), 4)
	return &r
}

// Backtest is the answer to a BacktestQuery.
type Backtest struct {
	Query     BacktestQuery
	Scorecard Applied
	// Accounts are the churned accounts, by churn; Cohort counts all
	// those scored.
	Churned []BacktestAccount
	Cohort  int
	// ByBand counts the cohort by band, churned and not.
	ByBand []BandCount
	Confusion
	// Rules say how the back-test was done, in words.
	Rules []string
}

// BandCount is how many accounts of a back-test were in a band, and how
// many of those churned.
type BandCount struct {
	Band     Band
	Accounts int
	Churned  int
}

// BacktestRules are the rules of every back-test, in words.
var BacktestRules = []string{
	"cohort: accounts with MRR > 0 at from; churned: of those, MRR = 0 at to, churning at the instant their MRR reached zero (the latest end of their items)",
	"a churned account is scored as of leadDays × 24h before it churned; any other as of leadDays × 24h before to",
	"scores are recomputed from the data as of that instant, not read from the kept daily scores; renewal dates and success-plan statuses are today's, having no history",
	"prediction: band red means churn; precision = red and churned / red; recall = red and churned / churned; baseRate = churned / cohort; lift = precision / baseRate",
}
