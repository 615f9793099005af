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
// the MRR lost to contraction and churn over the MRR at its start. Partial
// is true for a first or last row cut by the period's start or end.
type ChurnRow struct {
	From, To                        time.Time
	Partial                         bool
	StartCount, ChurnedCount        int
	StartMRR, ChurnMRR              decimal.Decimal
	ContractionMRR                  decimal.Decimal
	LogoChurnRate, RevenueChurnRate *decimal.Decimal
}

// ChurnTable is the churn of every month of a period and the means of its
// monthly rates, over the full months that had customers at their start.
type ChurnTable struct {
	Rules                                   Rules
	Rows                                    []ChurnRow
	MeanLogoChurnRate, MeanRevenueChurnRate *decimal.Decimal
	MissingRates                            []MissingRate
}

// MeansOverFullMonths is how MonthlyChurn reads "the mean of its monthly
// rates", returned among its rules.
const MeansOverFullMonths = "the means are over full calendar months only: a partial first or last month (cut by from or to) is a row marked partial and left out of the means"

// MonthlyChurn is the logo and revenue churn of each calendar month of p,
// and their means: the monthly churn rate of docs/metrics.md. A first or
// last month cut by p is a row marked partial and stays out of the means.
// The means are taken over the unrounded monthly rates and then rounded.
func (b *Book) MonthlyChurn(r Request, p Period) ChurnTable {
	moves := b.MRRMovements(r, p)
	rules := moves.Rules
	rules.Definitions = append(rules.Definitions, MeansOverFullMonths)
	out := ChurnTable{Rules: rules, Rows: []ChurnRow{}, MissingRates: moves.MissingRates}
	var logo, revenue []decimal.Decimal
	for _, m := range moves.Rows {
		row := ChurnRow{From: m.From, To: m.To, StartCount: m.StartCount, ChurnedCount: m.ChurnedCount,
			Partial:  !(Period{From: m.From, To: m.To, Location: p.Location}).full(),
			StartMRR: m.StartMRR, ChurnMRR: m.ChurnMRR, ContractionMRR: m.ContractionMRR,
			LogoChurnRate:    ratio(int64(m.ChurnedCount), int64(m.StartCount)),
			RevenueChurnRate: ratio(m.churnCents+m.contractionCents, m.startCents)}
		out.Rows = append(out.Rows, row)
		if row.Partial {
			continue
		}
		if m.StartCount > 0 {
			logo = append(logo, decimal.NewFromInt(int64(m.ChurnedCount)).Div(decimal.NewFromInt(int64(m.StartCount))))
		}
		if m.startCents > 0 {
			revenue = append(revenue, decimal.NewFromInt(m.churnCents+m.contractionCents).Div(decimal.NewFromInt(m.startCents)))
		}
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
// next), and the share of the cohort's base they are, by the triangle's
// measure.
type CohortCell struct {
	Month     int
	At        time.Time
	Active    int
	MRR       decimal.Decimal
	Retention *decimal.Decimal
}

// Cohort is the accounts whose MRR first became positive in one calendar
// month, within the period: their number, their first MRR, and their base
// (accounts active and MRR at BaseAt, the end of the month or the period's
// end if sooner), which each cell is measured against. Partial is true
// when the period's start or end cuts the month, so that the cohort holds
// only the accounts that started within the period.
type Cohort struct {
	Month     time.Time
	Partial   bool
	Size      int
	StartMRR  decimal.Decimal
	BaseAt    time.Time
	BaseCount int
	BaseMRR   decimal.Decimal
	Cells     []CohortCell
}

// CohortTable is a cohort triangle.
type CohortTable struct {
	Rules        Rules
	Measure      Measure
	Cohorts      []Cohort
	MissingRates []MissingRate
}

// CohortReading is how Cohorts reads the cohort definition, returned among
// its rules.
const CohortReading = "a cohort is the accounts whose MRR first became positive in [from, to), by calendar month; a month cut by from or to is a partial cohort; its base is its logos (accounts with MRR > 0) and MRR at the end of its first month, or at to if that comes first, so month 0 is 1; cell k is measured at the end of month k, for every month that ends on or before to"

// Cohorts groups the accounts whose first MRR falls within p by its
// calendar month, takes each cohort's base at the end of that month (or
// at p's end, if sooner), and follows each cohort month by month for as
// long as the month ends by p's end.
func (b *Book) Cohorts(r Request, p Period) CohortTable {
	role := ownerRole(r)
	accounts, keep := b.selected(r, role)
	measure := cmp.Or(r.Measure, MeasureLogos)
	rules := b.rules(p, role)
	rules.Definitions = append(rules.Definitions, CohortReading)
	out := CohortTable{Rules: rules, Measure: measure, Cohorts: []Cohort{}, MissingRates: b.Missing(p.From, p.To, keep)}
	members := map[time.Time][]*account{}
	for _, a := range accounts {
		if !a.firstMRR.IsZero() && !a.firstMRR.Before(p.From) && a.firstMRR.Before(p.To) {
			m := monthOf(a.firstMRR, p.Location)
			members[m] = append(members[m], a)
		}
	}
	for month := monthOf(p.From, p.Location); month.Before(p.To); month = month.AddDate(0, 1, 0) {
		accs := members[month]
		if len(accs) == 0 {
			continue
		}
		end := month.AddDate(0, 1, 0)
		c := Cohort{Month: month, Size: len(accs), Cells: []CohortCell{}, BaseAt: end,
			Partial: month.Before(p.From) || end.After(p.To)}
		if end.After(p.To) {
			c.BaseAt = p.To
		}
		var firstCents, baseCents int64
		for _, a := range accs {
			firstCents += a.mrr.at(a.firstMRR)
			if m := a.mrr.at(c.BaseAt); m > 0 {
				c.BaseCount++
				baseCents += m
			}
		}
		c.StartMRR, c.BaseMRR = money(firstCents), money(baseCents)
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
				cell.Retention = ratio(cents, baseCents)
			} else {
				cell.Retention = ratio(int64(cell.Active), int64(c.BaseCount))
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
