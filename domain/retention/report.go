package retention

import (
	"cmp"
	"iter"
	"slices"
	"time"

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
func (f Filter) keep(a *Account, role string) bool {
	if f.Segment != "" && a.Segment != f.Segment {
		return false
	}
	if f.Tier != "" && a.Tier != f.Tier {
		return false
	}
	return f.OwnerID == nil || slices.Contains(a.Team[role], *f.OwnerID)
}

// Unpriced is an item left out for want of a rate, with its account.
type Unpriced struct {
	MissingRate
	Account Account
}

// Source is what a report reads: its accounts, each with its MRR history,
// and the items left out for want of a rate. A report reads Ledgers once,
// one at a time, and keeps none of them: a store may stream them. Each
// Account's Team holds at least the members in the report's owner role
// when it has a filter by owner or groups by owner; Plans are read only
// by reports grouped by plan.
type Source struct {
	Base     string
	Ledgers  iter.Seq2[*Ledger, error]
	Unpriced iter.Seq2[Unpriced, error]
}

// NeedsTeam reports whether r reads the account team: it filters or
// groups by owner.
func (r Request) NeedsTeam() bool { return r.Filter.OwnerID != nil || r.GroupBy == GroupOwner }

// Role is the owner role r reads, when it reads one.
func (r Request) Role() string { return ownerRole(r) }

// each calls f with every ledger of src that r's filter keeps.
func (src Source) each(r Request, f func(*Ledger) error) error {
	role := ownerRole(r)
	for l, err := range src.Ledgers {
		if err != nil {
			return err
		}
		if r.Filter.keep(&l.Account, role) {
			if err := f(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// missing lists the unpriced items of src that bill at some instant of
// [from, to] and belong to accounts r's filter keeps, by currency and
// start.
func (src Source) missing(r Request, from, to time.Time) ([]MissingRate, error) {
	role := ownerRole(r)
	out := []MissingRate{}
	for u, err := range src.Unpriced {
		if err != nil {
			return nil, err
		}
		if u.bills(from, to) && r.Filter.keep(&u.Account, role) {
			out = append(out, u.MissingRate)
		}
	}
	slices.SortFunc(out, compareMissing)
	return out, nil
}

// Retention compares every kept account's MRR at the period's start with
// its MRR at its end, and classifies the change per docs/metrics.md.
func Retention(r Request, p Period, src Source) (Report, error) {
	role := ownerRole(r)
	missing, err := src.missing(r, p.From, p.To)
	if err != nil {
		return Report{}, err
	}
	rep := Report{Rules: rules(src.Base, p, role), GroupBy: r.GroupBy, MissingRates: missing, Groups: []Group{}}
	groups := map[string]*Figures{}
	group := func(key string) *Figures {
		g, ok := groups[key]
		if !ok {
			g = &Figures{}
			groups[key] = g
		}
		return g
	}
	err = src.each(r, func(a *Ledger) error {
		m0, m1 := a.MRR.at(p.From), a.MRR.at(p.To)
		had := a.hadBefore(p.From)
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
			for plan, s := range a.Plans {
				q0, q1 := s.at(p.From), s.at(p.To)
				if q0 > 0 || q1 > 0 {
					first, ok := s.first()
					group(plan).add(q0, q1, ok && first.Before(p.From))
				}
			}
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	rep.Figures.finish()
	for key, g := range groups {
		g.finish()
		rep.Groups = append(rep.Groups, Group{Key: key, Figures: *g})
	}
	slices.SortFunc(rep.Groups, func(x, y Group) int { return cmp.Compare(x.Key, y.Key) })
	return rep, nil
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
func MRRMovements(r Request, p Period, src Source) (MovementTable, error) {
	role := ownerRole(r)
	missing, err := src.missing(r, p.From, p.To)
	if err != nil {
		return MovementTable{}, err
	}
	out := MovementTable{Rules: rules(src.Base, p, role), Rows: []MovementRow{}, MissingRates: missing}
	for _, m := range p.months() {
		out.Rows = append(out.Rows, MovementRow{From: m.From, To: m.To})
	}
	err = src.each(r, func(a *Ledger) error {
		for i := range out.Rows {
			row := &out.Rows[i]
			row.add(a.MRR.at(row.From), a.MRR.at(row.To), a.hadBefore(row.From))
		}
		return nil
	})
	if err != nil {
		return MovementTable{}, err
	}
	for i := range out.Rows {
		out.Rows[i].finish()
	}
	return out, nil
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
func MonthlyChurn(r Request, p Period, src Source) (ChurnTable, error) {
	moves, err := MRRMovements(r, p, src)
	if err != nil {
		return ChurnTable{}, err
	}
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
	return out, nil
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

// cohortSums are the sums of one cohort as its accounts are read: its
// size, first MRR, base and, for each month k, the accounts active and
// their MRR at its end.
type cohortSums struct {
	size, baseCount       int
	firstCents, baseCents int64
	active                []int
	cents                 []int64
}

// Cohorts groups the accounts whose first MRR falls within p by its
// calendar month, takes each cohort's base at the end of that month (or
// at p's end, if sooner), and follows each cohort month by month for as
// long as the month ends by p's end.
func Cohorts(r Request, p Period, src Source) (CohortTable, error) {
	role := ownerRole(r)
	measure := cmp.Or(r.Measure, MeasureLogos)
	rules := rules(src.Base, p, role)
	rules.Definitions = append(rules.Definitions, CohortReading)
	missing, err := src.missing(r, p.From, p.To)
	if err != nil {
		return CohortTable{}, err
	}
	out := CohortTable{Rules: rules, Measure: measure, Cohorts: []Cohort{}, MissingRates: missing}
	// baseAt is when a cohort of month is measured for its base; cellsOf
	// how many of its months end by p's end.
	baseAt := func(month time.Time) time.Time {
		if end := month.AddDate(0, 1, 0); !end.After(p.To) {
			return end
		}
		return p.To
	}
	cellsOf := func(month time.Time) int {
		k := 0
		for !month.AddDate(0, k+1, 0).After(p.To) {
			k++
		}
		return k
	}
	sums := map[time.Time]*cohortSums{}
	err = src.each(r, func(a *Ledger) error {
		first := a.firstMRR()
		if first.IsZero() || first.Before(p.From) || !first.Before(p.To) {
			return nil
		}
		month := monthOf(first, p.Location)
		c, ok := sums[month]
		if !ok {
			n := cellsOf(month)
			c = &cohortSums{active: make([]int, n), cents: make([]int64, n)}
			sums[month] = c
		}
		c.size++
		c.firstCents += a.MRR.at(first)
		if m := a.MRR.at(baseAt(month)); m > 0 {
			c.baseCount++
			c.baseCents += m
		}
		for k := range c.active {
			if m := a.MRR.at(month.AddDate(0, k+1, 0)); m > 0 {
				c.active[k]++
				c.cents[k] += m
			}
		}
		return nil
	})
	if err != nil {
		return CohortTable{}, err
	}
	for month := monthOf(p.From, p.Location); month.Before(p.To); month = month.AddDate(0, 1, 0) {
		s := sums[month]
		if s == nil {
			continue
		}
		end := month.AddDate(0, 1, 0)
		c := Cohort{Month: month, Size: s.size, Cells: []CohortCell{}, BaseAt: baseAt(month),
			Partial: month.Before(p.From) || end.After(p.To), BaseCount: s.baseCount,
			StartMRR: money(s.firstCents), BaseMRR: money(s.baseCents)}
		for k := range s.active {
			cell := CohortCell{Month: k, At: month.AddDate(0, k+1, 0), Active: s.active[k], MRR: money(s.cents[k])}
			if measure == MeasureMRR {
				cell.Retention = ratio(s.cents[k], s.baseCents)
			} else {
				cell.Retention = ratio(int64(cell.Active), int64(s.baseCount))
			}
			c.Cells = append(c.Cells, cell)
		}
		out.Cohorts = append(out.Cohorts, c)
	}
	return out, nil
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
func RevenueFromExisting(r Request, p Period, src Source) (ExistingShare, error) {
	role := ownerRole(r)
	missing, err := src.missing(r, p.From, p.To)
	if err != nil {
		return ExistingShare{}, err
	}
	out := ExistingShare{Rules: rules(src.Base, p, role), MissingRates: missing}
	var total, existing int64
	err = src.each(r, func(a *Ledger) error {
		m := a.MRR.at(p.To)
		if m <= 0 {
			return nil
		}
		total += m
		out.TotalCount++
		if a.hadBefore(p.From) {
			existing += m
			out.ExistingCount++
		}
		return nil
	})
	if err != nil {
		return ExistingShare{}, err
	}
	out.TotalMRR, out.ExistingMRR, out.NewMRR = money(total), money(existing), money(total-existing)
	out.Share = ratio(existing, total)
	return out, nil
}
