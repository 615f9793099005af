package graph

import (
	"context"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/pulseproject/pulse/domain/engagement"
)

// AccountEstimator tells roughly how many accounts the workspace holds, so
// that a report can be priced by what it scans before it runs. It is asked
// once per operation that holds a report, so it must answer cheaply: from a
// cache or the planner's statistics, not by counting. *store.Store
// implements it.
type AccountEstimator interface {
	EstimateAccounts(ctx context.Context) (int, error)
}

// daysRead is how many days of history a report field reads, from its
// arguments; a report of one instant reads none.
type daysRead func(m measure, f *ast.Field) int

// scans are the fields that read across the whole workspace rather than a
// page: the reports and aggregates, and the mutations that rescore every
// account. Each costs Limits.ReportCost plus what it scans (see
// Limits.AccountsPerCost), on top of its children.
var scans = map[string]daysRead{
	"Query.healthSummary":       instant,
	"Query.renewals":            daysArg("withinDays", 90),
	"Query.coverage":            daysArg("days", 30),
	"Query.handoffGaps":         daysArg("days", 7),
	"Query.contactPressure":     span("from", "to", engagement.DefaultPressureDays, 0),
	"Query.nps":                 span("from", "to", engagement.DefaultSurveyDays, 0),
	"Query.csat":                span("from", "to", engagement.DefaultSurveyDays, 0),
	"Query.healthBacktest":      backtest,
	"Query.retention":           span("from", "to", 365, 0),
	"Query.mrrMovements":        span("from", "to", 365, 0),
	"Query.monthlyChurn":        span("from", "to", 365, 0),
	"Query.cohorts":             span("from", "to", 365, 0),
	"Query.revenueFromExisting": span("from", "to", 365, 0),
	"Mutation.rescoreHealth":    rescore,
	"Mutation.saveScorecard":    rescore,
}

// counts are the totals that count the workspace's accounts: they cost
// what they count, once, however large the page beside them.
var counts = map[string]bool{
	"AccountConnection.totalCount": true,
}

func instant(measure, *ast.Field) int { return 0 }

// daysArg reads a daysRead given in days, def when left out.
func daysArg(name string, def int) daysRead {
	return func(m measure, f *ast.Field) int {
		if n, ok := m.intArg(f, name); ok {
			return n
		}
		return def
	}
}

// span reads a daysRead given as from and to, which may be Dates or Times;
// def days when either is left out or cannot be read, plus extra days read
// around it.
func span(from, to string, def, extra int) daysRead {
	return func(m measure, f *ast.Field) int {
		start, ok1 := m.timeArg(f, from)
		end, ok2 := m.timeArg(f, to)
		if !ok1 || !ok2 || !end.After(start) {
			return def + extra
		}
		return int(min(end.Sub(start).Hours()/24, 100*365)) + extra
	}
}

// backtest reads its from and to, and leadDays before them.
func backtest(m measure, f *ast.Field) int {
	lead := daysArg("leadDays", 30)(m, f)
	return span("from", "to", 365, 0)(m, f) + lead
}

// rescore reads every account's history when asked to rescore it, a
// year by default; otherwise the accounts as they are.
func rescore(m measure, f *ast.Field) int {
	if a := f.Arguments.ForName("rescoreHistory"); a != nil {
		if v, err := a.Value.Value(m.vars); err == nil && v == true {
			return 365
		}
	}
	return 0
}

// timeArg is the value of a Date or Time argument.
func (m measure) timeArg(f *ast.Field, name string) (time.Time, bool) {
	a := f.Arguments.ForName(name)
	if a == nil {
		return time.Time{}, false
	}
	v, err := a.Value.Value(m.vars)
	if err != nil {
		return time.Time{}, false
	}
	s, ok := v.(string)
	if !ok {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// scanCost is what a field costs for reading across the workspace, beyond
// the 1 every field costs; 0 for a field that reads a page.
func (m measure) scanCost(f *ast.Field) int {
	if f.ObjectDefinition == nil {
		return 0
	}
	key := f.ObjectDefinition.Name + "." + f.Name
	if w, ok := scans[key]; ok {
		days := max(w(m, f), 0)
		// accounts × (1 + days/365) / accountsPerCost, rounded up.
		scanned := saturatingMul(m.accounts, 365+days)
		return saturatingAdd(m.reportCost, ceilDiv(scanned, 365*m.accountsPerCost))
	}
	if counts[key] {
		return ceilDiv(m.accounts, m.accountsPerCost)
	}
	return 0
}

// scansAny reports whether a selection holds a field that scans, so that
// the account estimate is asked for only then.
func scansAny(set ast.SelectionSet) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.ObjectDefinition != nil && (scans[s.ObjectDefinition.Name+"."+s.Name] != nil || counts[s.ObjectDefinition.Name+"."+s.Name]) {
				return true
			}
			if scansAny(s.SelectionSet) {
				return true
			}
		case *ast.InlineFragment:
			if scansAny(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && scansAny(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}

func ceilDiv(a, b int) int {
	if b <= 0 {
		return a
	}
	return (a + b - 1) / b
}
