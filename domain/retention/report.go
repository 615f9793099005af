package retention

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Figures are the MRR movements and logo counts of a set of accounts
// between two instants, with the ratios over the starting cohort. Amounts
// are in the base currency, exact to the cent.
type Figures struct {
	StartMRR, EndMRR                             decimal.Decimal
	NewMRR, ReactivationMRR, ExpansionMRR        decimal.Decimal
	ContractionMRR, ChurnMRR                     decimal.Decimal
	StartCount, EndCount                         int
	NewCount, ReactivatedCount, ChurnedCount     int
	ExpandedCount, ContractedCount               int
	NRR, GRR, LogoRetention                      *decimal.Decimal
	startCents, endCents, newCents, reactCents   int64
	expansionCents, contractionCents, churnCents int64
}

// add classifies one account's (or account's plan's) change from m0 to m1
// cents, where hadBefore says whether it had MRR before the start.
func (f *Figures) add(m0, m1 int64, hadBefore bool) {
	if m0 > 0 {
		f.startCents += m0
		f.StartCount++
	}
	if m1 > 0 {
		f.endCents += m1
		f.EndCount++
	}
	switch {
	case m0 <= 0 && m1 > 0 && hadBefore:
		f.reactCents += m1
		f.ReactivatedCount++
	case m0 <= 0 && m1 > 0:
		f.newCents += m1
		f.NewCount++
	case m0 > 0 && m1 > m0:
		f.expansionCents += m1 - m0
		f.ExpandedCount++
	case m0 > 0 && m1 > 0 && m1 < m0:
		f.contractionCents += m0 - m1
		f.ContractedCount++
	case m0 > 0 && m1 <= 0:
		f.churnCents += m0
		f.ChurnedCount++
	}
}

// finish turns the sums into amounts and computes the ratios.
func (f *Figures) finish() {
	f.StartMRR, f.EndMRR = money(f.startCents), money(f.endCents)
	f.NewMRR, f.ReactivationMRR = money(f.newCents), money(f.reactCents)
	f.ExpansionMRR, f.ContractionMRR, f.ChurnMRR = money(f.expansionCents), money(f.contractionCents), money(f.churnCents)
	f.GRR = ratio(f.startCents-f.contractionCents-f.churnCents, f.startCents)
	f.NRR = ratio(f.startCents+f.expansionCents-f.contractionCents-f.churnCents, f.startCents)
	f.LogoRetention = ratio(int64(f.StartCount-f.ChurnedCount), int64(f.StartCount))
}

// Balanced reports whether the identity of docs/metrics.md holds:
// end = start + new + reactivation + expansion − contraction − churn.
func (f Figures) Balanced() bool {
	return f.StartMRR.Add(f.NewMRR).Add(f.ReactivationMRR).Add(f.ExpansionMRR).
		Sub(f.ContractionMRR).Sub(f.ChurnMRR).Equal(f.EndMRR)
}

// ratio is n/d to 4 places, or nil when d is not positive.
func ratio(n, d int64) *decimal.Decimal {
	if d <= 0 {
		return nil
	}
	r := decimal.NewFromInt(n).DivRound(decimal.NewFromInt(d), 4)
	return &r
}

// Group is the figures of one group of a breakdown. Key is the segment,
// tier, owner's person id or plan; empty for accounts without one.
type Group struct {
	Key string
	Figures
}

// Report is a retention report: its rules, the figures of every account
// the filter keeps, the same per group, and the items left out for want
// of a rate.
type Report struct {
	Rules        Rules
	GroupBy      GroupBy
	Figures      Figures
	Groups       []Group
	MissingRates []MissingRate
}

func ownerRole(r Request) string {
	if r.OwnerRole == "" {
		return DefaultOwnerRole
	}
	return r.OwnerRole
}

// keep reports whether f keeps a.
func (f Filter) keep(a *account, role string) bool {
	if f.Segment != "" && a.Segment != f.Segment {
		return false
	}
	if f.Tier != "" && a.Tier != f.Tier {
		return false
	}
	return f.OwnerID == nil || slices.Contains(a.Team[role], *f.OwnerID)
}

// selected returns the accounts r's filter keeps and a test of account ids
// for the missing rates.
func (b *Book) selected(r Request, role string) ([]*account, func(uuid.UUID) bool) {
	var out []*account
	ids := map[uuid.UUID]bool{}
	for _, a := range b.accounts {
		if r.Filter.keep(a, role) {
			out = append(out, a)
			ids[a.ID] = true
		}
	}
	return out, func(id uuid.UUID) bool { return ids[id] }
}

// Retention compares every kept account's MRR at the period's start with
// its MRR at its end, and classifies the change per docs/metrics.md. It fails
// only when a plan's MRR is out of range.
func (b *Book) Retention(r Request, p Period) (Report, error) {
	role := ownerRole(r)
	accounts, keep := b.selected(r, role)
	rep := Report{Rules: b.rules(p, role), GroupBy: r.GroupBy, MissingRates: b.Missing(p.From, p.To, keep), Groups: []Group{}}
	groups := map[string]*Figures{}
	group := func(key string) *Figures {
		g, ok := groups[key]
		if !ok {
			g = &Figures{}
			groups[key] = g
		}
		return g
	}
	for _, a := range accounts {
		m0, m1 := a.mrr.at(p.From), a.mrr.at(p.To)
		had := !a.firstMRR.IsZero() && a.firstMRR.Before(p.From)
		rep.Figures.add(m0, m1, had)
		switch r.GroupBy {
		case GroupSegment:
			group(a.Segment).add(m0, m1, had)
		case GroupTier:
			group(a.Tier).add(m0, m1, had)
		case GroupOwner:
			owners := a.Team[role]
			if len(owners) == 0 {
				group("").add(m0, m1, had)
			}
			for _, o := range owners {
				group(o.String()).add(m0, m1, had)
			}
		case GroupPlan:
			plans, err := a.plans()
			if err != nil {
				return Report{}, err
			}
			for plan, s := range plans {
				q0, q1 := s.at(p.From), s.at(p.To)
				if q0 > 0 || q1 > 0 {
					first, ok := s.first()
					group(plan).add(q0, q1, ok && first.Before(p.From))
				}
			}
		}
	}
	rep.Figures.finish()
	for key, g := range groups {
		g.finish()
		rep.Groups = append(rep.Groups, Group{Key: key, Figures: *g})
	}
	slices.SortFunc(rep.Groups, func(x, y Group) int { return cmp.Compare(x.Key, y.Key) })
	return rep, nil
}

// plans is the account's MRR over time on each of its plans.
func (a *account) plans() (map[string]steps, error) {
	out := map[string]steps{}
	for _, p := range a.items {
		if _, done := out[p.plan]; !done {
			s, err := stepsOf(a.items, p.plan)
			if err != nil {
				return nil, fmt.Errorf("retention: account %s, plan %q: %w", a.ID, p.plan, err)
			}
			out[p.plan] = s
		}
	}
	return out, nil
}

// MovementRow is the figures of one month of a movement table.
type MovementRow struct {
	From, To time.Time
	Figures
}

// MovementTable is the MRR movements of every account, month by month.
type MovementTable struct {
	Rules        Rules
	Rows         []MovementRow
	MissingRates []MissingRate
}

// MRRMovements is the movement table of p by calendar month; a period that
// starts or ends within a month has a partial first or last row.
func (b *Book) MRRMovements(r Request, p Period) MovementTable {
	role := ownerRole(r)
	accounts, keep := b.selected(r, role)
	out := MovementTable{Rules: b.rules(p, role), Rows: []MovementRow{}, MissingRates: b.Missing(p.From, p.To, keep)}
	for _, m := range p.months() {
		row := MovementRow{From: m.From, To: m.To}
		for _, a := range accounts {
			row.add(a.mrr.at(m.From), a.mrr.at(m.To), !a.firstMRR.IsZero() && a.firstMRR.Before(m.From))
		}
		row.finish()
		out.Rows = append(out.Rows, row)
	}
	return out
}

// ChurnRow is the churn of one month: logo churn is the share of the
// accounts active at its start with no MRR at its end; revenue churn is
// the MRR lost to contraction and churn over the MRR at its start.
type ChurnRow struct {
	From, To                        time.Time
	StartCount, ChurnedCount        int
	StartMRR, ChurnMRR              decimal.Decimal
	ContractionMRR                  decimal.Decimal
	LogoChurnRate, RevenueChurnRate *decimal.Decimal
}

// ChurnTable is the churn of every month of a period and the means of its
// monthly rates, over the months that had customers at their start.
type ChurnTable struct {
	Rules                                   Rules
	Rows                                    []ChurnRow
	MeanLogoChurnRate, MeanRevenueChurnRate *decimal.Decimal
	MissingRates                            []MissingRate
}

// MonthlyChurn is the logo and revenue churn of each calendar month of p,
// and their means: the monthly churn rate of docs/metrics.md. The means are
// taken over the unrounded monthly rates and then rounded.
func (b *Book) MonthlyChurn(r Request, p Period) ChurnTable {
	moves := b.MRRMovements(r, p)
	out := ChurnTable{Rules: moves.Rules, Rows: []ChurnRow{}, MissingRates: moves.MissingRates}
	var logo, revenue []decimal.Decimal
	for _, m := range moves.Rows {
		row := ChurnRow{From: m.From, To: m.To, StartCount: m.StartCount, ChurnedCount: m.ChurnedCount,
			StartMRR: m.StartMRR, ChurnMRR: m.ChurnMRR, ContractionMRR: m.ContractionMRR,
			LogoChurnRate:    ratio(int64(m.ChurnedCount), int64(m.StartCount)),
			RevenueChurnRate: ratio(m.churnCents+m.contractionCents, m.startCents)}
		if m.StartCount > 0 {
			logo = append(logo, decimal.NewFromInt(int64(m.ChurnedCount)).Div(decimal.NewFromInt(int64(m.StartCount))))
		}
		if m.startCents > 0 {
			revenue = append(revenue, decimal.NewFromInt(m.churnCents+m.contractionCents).Div(decimal.NewFromInt(m.startCents)))
		}
		out.Rows = append(out.Rows, row)
	}
	out.MeanLogoChurnRate, out.MeanRevenueChurnRate = mean(logo), mean(revenue)
	return out
}

func mean(xs []decimal.Decimal) *decimal.Decimal {
	if len(xs) == 0 {
		return nil
	}
	m := decimal.Sum(decimal.Zero, xs...).DivRound(decimal.NewFromInt(int64(len(xs))), 4)
	return &m
}

// CohortCell is a cohort k months after its first: the accounts still
// active and their MRR at the end of that month (the first instant of the
// next), and the share of the cohort's start they are, by the triangle's
// measure.
type CohortCell struct {
	Month     int
	At        time.Time
	Active    int
	MRR       decimal.Decimal
	Retention *decimal.Decimal
}

// Cohort is the accounts whose MRR first became positive in one calendar
// month: their number, their MRR when they started (each account's first
// MRR), and how they kept it.
type Cohort struct {
	Month    time.Time
	Size     int
	StartMRR decimal.Decimal
	Cells    []CohortCell
}

// CohortTable is a cohort triangle.
type CohortTable struct {
	Rules        Rules
	Measure      Measure
	Cohorts      []Cohort
	MissingRates []MissingRate
}

// Cohorts groups the accounts whose first MRR falls in a month of p by
// that month, and follows each cohort month by month for as long as the
// month ends by p's end.
func (b *Book) Cohorts(r Request, p Period) CohortTable {
	role := ownerRole(r)
	accounts, keep := b.selected(r, role)
	measure := cmp.Or(r.Measure, MeasureLogos)
	out := CohortTable{Rules: b.rules(p, role), Measure: measure, Cohorts: []Cohort{}, MissingRates: b.Missing(p.From, p.To, keep)}
	members := map[time.Time][]*account{}
	first := monthOf(p.From, p.Location)
	for _, a := range accounts {
		if a.firstMRR.IsZero() {
			continue
		}
		if m := monthOf(a.firstMRR, p.Location); !m.Before(first) && m.Before(p.To) {
			members[m] = append(members[m], a)
		}
	}
	for month := first; month.Before(p.To); month = month.AddDate(0, 1, 0) {
		accs := members[month]
		if len(accs) == 0 {
			continue
		}
		c := Cohort{Month: month, Size: len(accs), Cells: []CohortCell{}}
		var startCents int64
		for _, a := range accs {
			startCents += a.mrr.at(a.firstMRR)
		}
		c.StartMRR = money(startCents)
		for k := 0; ; k++ {
			at := month.AddDate(0, k+1, 0)
			if at.After(p.To) {
				break
			}
			cell := CohortCell{Month: k, At: at}
			var cents int64
			for _, a := range accs {
				if m := a.mrr.at(at); m > 0 {
					cell.Active++
					cents += m
				}
			}
			cell.MRR = money(cents)
			if measure == MeasureMRR {
				cell.Retention = ratio(cents, startCents)
			} else {
				cell.Retention = ratio(int64(cell.Active), int64(c.Size))
			}
			c.Cells = append(c.Cells, cell)
		}
		out.Cohorts = append(out.Cohorts, c)
	}
	return out
}

// ExistingShare is the share of the MRR at a period's end that comes from
// accounts that had MRR before its start.
type ExistingShare struct {
	Rules                     Rules
	TotalMRR, ExistingMRR     decimal.Decimal
	NewMRR                    decimal.Decimal
	TotalCount, ExistingCount int
	Share                     *decimal.Decimal
	MissingRates              []MissingRate
}

// RevenueFromExisting is the MRR at p's end from accounts active before its
// start over the total MRR at its end. Reactivated accounts count as
// existing: they were active before the start.
func (b *Book) RevenueFromExisting(r Request, p Period) ExistingShare {
	role := ownerRole(r)
	accounts, keep := b.selected(r, role)
	out := ExistingShare{Rules: b.rules(p, role), MissingRates: b.Missing(p.From, p.To, keep)}
	var total, existing int64
	for _, a := range accounts {
		m := a.mrr.at(p.To)
		if m <= 0 {
			continue
		}
		total += m
		out.TotalCount++
		if !a.firstMRR.IsZero() && a.firstMRR.Before(p.From) {
			existing += m
			out.ExistingCount++
		}
	}
	out.TotalMRR, out.ExistingMRR, out.NewMRR = money(total), money(existing), money(total-existing)
	out.Share = ratio(existing, total)
	return out
}
