package retention

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
)

// Item is one priced line of a subscription over [StartsAt, EndsAt).
type Item struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	Plan      string
	// Amount is the price of one Interval, in Currency.
	Amount   decimal.Decimal
	Currency string
	// Interval is month, quarter or year.
	Interval string
	StartsAt time.Time
	// EndsAt is nil while the item bills on.
	EndsAt *time.Time
}

// Rate says that one unit of Currency bought Rate units of the base
// currency on Date (a calendar day, midnight UTC). ID breaks ties between
// rates of the same day the way the store does: the smallest wins.
type Rate struct {
	ID       uuid.UUID
	Date     time.Time
	Currency string
	Rate     decimal.Decimal
}

// Account is what a report filters and groups an account by: its current
// segment and tier, and its account team, person ids by role.
type Account struct {
	ID      uuid.UUID
	Segment string
	Tier    string
	Team    map[string][]uuid.UUID
}

// Data is everything a Book is built from.
type Data struct {
	Accounts []Account
	Items    []Item
	Rates    []Rate
}

// MissingRate is an item left out of MRR because its currency had no rate
// on or before the day it started: it is reported, never converted at 1.
type MissingRate struct {
	ItemID    uuid.UUID
	AccountID uuid.UUID
	Plan      string
	Currency  string
	StartsAt  time.Time
	EndsAt    *time.Time
}

// yearsPer is how many of an interval a year holds. Pricing items by the
// year keeps sums exact, as every interval divides a year; the sum is
// divided by 12 once, at the end, as the store's SQL does.
var yearsPer = map[string]int64{"month": 12, "quarter": 4, "year": 1}

// Step is an MRR, in cents, that holds from At until the next step.
type Step struct {
	At    time.Time
	Cents int64
}

// History is an account's MRR over time: a step function, zero before its
// first step, no two neighbouring steps of the same value. It is what the
// store keeps of each account, so that a report reads MRR without pricing
// items again.
type History []Step

// holding returns the index of the step holding at t, -1 before the
// first.
func (s History) holding(t time.Time) int {
	// The first step after t; the one before it holds at t.
	i, _ := slices.BinarySearchFunc(s, t, func(x Step, t time.Time) int {
		if x.At.After(t) {
			return 1
		}
		return -1
	})
	return i - 1
}

// at returns the MRR in cents at instant t.
func (s History) at(t time.Time) int64 {
	if i := s.holding(t); i >= 0 {
		return s[i].Cents
	}
	return 0
}

// MRR returns the MRR at instant t, in the base currency.
func (s History) MRR(t time.Time) decimal.Decimal { return money(s.at(t)) }

// Span returns the MRR at instant t and the instants between which it
// holds, [from, until): from is nil before the first step, until nil
// after the last.
func (s History) Span(t time.Time) (mrr decimal.Decimal, from, until *time.Time) {
	i := s.holding(t)
	if i >= 0 {
		from = &s[i].At
	}
	if i+1 < len(s) {
		until = &s[i+1].At
	}
	return s.MRR(t), from, until
}

// first returns the first instant the MRR was positive, and false if it
// never was.
func (s History) first() (time.Time, bool) {
	for _, x := range s {
		if x.Cents > 0 {
			return x.At, true
		}
	}
	return time.Time{}, false
}

// priced is an item with its price for a year in the base currency.
type priced struct {
	plan   string
	yearly decimal.Decimal
	// units is yearly in hundred-millionths, when that is exact and small
	// enough to sum in an int64: the common case, summed without big
	// numbers.
	units int64
	exact bool
	start time.Time
	end   *time.Time
}

// unitScale is the number of decimal places of priced.units, and
// maxUnits bounds each so that a sum of many never overflows.
const unitScale = 8

var maxUnits = decimal.New(1, 16)

// newPriced prices an item of amount per interval, of which a year holds
// per, at rate. Most prices and rates have few digits: their product in
// hundred-millionths is then worked out in int64, which on 224,000 items
// takes a tenth of the time of big-number decimals; any other is priced in
// decimals, to the same result.
func newPriced(plan string, amount decimal.Decimal, per int64, rate decimal.Decimal, start time.Time, end *time.Time) priced {
	p := priced{plan: plan, start: start, end: end}
	if units, ok := smallUnits(amount, per, rate); ok {
		// yearly, to sum beside an item that has no units.
		p.units, p.exact, p.yearly = units, true, decimal.New(units, -unitScale)
		return p
	}
	p.yearly = amount.Mul(decimal.NewFromInt(per)).Mul(rate)
	shifted := p.yearly.Shift(unitScale)
	if shifted.IsInteger() && shifted.Abs().LessThan(maxUnits) {
		p.units, p.exact = shifted.IntPart(), true
	}
	return p
}

// smallUnits is amount × per × rate in hundred-millionths, and whether it
// is a whole number of them under maxUnits computed without overflow.
func smallUnits(amount decimal.Decimal, per int64, rate decimal.Decimal) (int64, bool) {
	ca, cr := amount.Coefficient(), rate.Coefficient()
	if !ca.IsInt64() || !cr.IsInt64() {
		return 0, false
	}
	c, ok := mulSmall(ca.Int64(), per)
	if ok {
		c, ok = mulSmall(c, cr.Int64())
	}
	if !ok {
		return 0, false
	}
	for e := int(amount.Exponent()) + int(rate.Exponent()) + unitScale; e != 0; {
		switch {
		case e > 0:
			if c, ok = mulSmall(c, 10); !ok {
				return 0, false
			}
			e--
		default:
			if c%10 != 0 {
				return 0, false
			}
			c /= 10
			e++
		}
	}
	return c, c > -unitsBound && c < unitsBound
}

// unitsBound is maxUnits as an int64.
const unitsBound = 1e16

// mulSmall is a × b, and false when that would pass ±unitsBound.
func mulSmall(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	abs := func(x int64) int64 {
		if x < 0 {
			return -x
		}
		return x
	}
	if abs(a) > unitsBound || abs(b) > unitsBound/abs(a) {
		return 0, false
	}
	return a * b, true
}

func (p priced) activeAt(t time.Time) bool {
	return !t.Before(p.start) && (p.end == nil || t.Before(*p.end))
}

// Ledger is an account with its MRR history, whole and by plan, in the
// base currency: what a report reads of each account.
type Ledger struct {
	Account
	MRR History
	// Plans is the MRR history of each plan the account was priced on;
	// only reports grouped by plan read it.
	Plans map[string]History
}

// firstMRR is when the MRR first became positive; zero if never.
func (l *Ledger) firstMRR() time.Time {
	t, _ := l.MRR.first()
	return t
}

// hadBefore reports whether the MRR was positive at some instant before
// t.
func (l *Ledger) hadBefore(t time.Time) bool {
	first, ok := l.MRR.first()
	return ok && first.Before(t)
}

// Book is the MRR history of some accounts, in the base currency, priced
// from their items and the exchange rates. Build one with NewBook; it is
// read-only afterwards and safe for concurrent use.
type Book struct {
	base    string
	ledgers []Ledger
	byID    map[uuid.UUID]int
	missing []MissingRate
}

// maxCents bounds an account's MRR so that sums of many accounts stay far
// from int64 overflow: ten trillion in the base currency.
var maxCents = decimal.New(1, 15)

// NewBook prices every item in base: a year's amount times the rate on or
// before the day (UTC) it started, kept for its life. Items of accounts not
// in data.Accounts are ignored. Items with no rate are left out of MRR and
// listed by Missing. It fails when an account's MRR, whole or on a plan,
// is out of range.
func NewBook(data Data, base string) (*Book, error) {
	rates := map[string][]Rate{}
	for _, r := range data.Rates {
		rates[r.Currency] = append(rates[r.Currency], r)
	}
	for _, rs := range rates {
		slices.SortFunc(rs, func(a, b Rate) int {
			return cmp.Or(a.Date.Compare(b.Date), -cmp.Compare(a.ID.String(), b.ID.String()))
		})
	}
	b := &Book{base: base}
	byID := make(map[uuid.UUID]int, len(data.Accounts))
	items := make([][]priced, len(data.Accounts))
	for i, a := range data.Accounts {
		byID[a.ID] = i
	}
	for _, it := range data.Items {
		i, ok := byID[it.AccountID]
		if !ok {
			continue
		}
		per, ok := yearsPer[it.Interval]
		if !ok {
			return nil, fmt.Errorf("retention: item %s: unknown interval %q", it.ID, it.Interval)
		}
		rate, ok := rateOn(rates[it.Currency], it.StartsAt)
		if it.Currency == base {
			rate, ok = decimal.NewFromInt(1), true
		}
		if !ok {
			b.missing = append(b.missing, MissingRate{ItemID: it.ID, AccountID: it.AccountID, Plan: it.Plan,
				Currency: it.Currency, StartsAt: it.StartsAt, EndsAt: it.EndsAt})
			continue
		}
		items[i] = append(items[i], newPriced(it.Plan, it.Amount, per, rate, it.StartsAt, it.EndsAt))
	}
	b.ledgers = make([]Ledger, len(data.Accounts))
	b.byID = byID
	for i, a := range data.Accounts {
		l := Ledger{Account: a, Plans: map[string]History{}}
		var err error
		if l.MRR, err = stepsOf(items[i], ""); err != nil {
			return nil, fmt.Errorf("retention: account %s: %w", a.ID, err)
		}
		for _, p := range items[i] {
			if _, done := l.Plans[p.plan]; !done {
				if l.Plans[p.plan], err = stepsOf(items[i], p.plan); err != nil {
					return nil, fmt.Errorf("retention: account %s, plan %q: %w", a.ID, p.plan, err)
				}
			}
		}
		b.ledgers[i] = l
	}
	slices.SortFunc(b.missing, compareMissing)
	return b, nil
}

// compareMissing orders missing rates by currency, start and item.
func compareMissing(x, y MissingRate) int {
	return cmp.Or(cmp.Compare(x.Currency, y.Currency), x.StartsAt.Compare(y.StartsAt), cmp.Compare(x.ItemID.String(), y.ItemID.String()))
}

// rateOn returns the latest rate dated on or before the UTC day of t.
func rateOn(rs []Rate, t time.Time) (decimal.Decimal, bool) {
	y, m, d := t.UTC().Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	// rs is by date, and within a date the smallest id last.
	i, _ := slices.BinarySearchFunc(rs, day, func(r Rate, day time.Time) int {
		if r.Date.UTC().After(day) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return decimal.Decimal{}, false
	}
	return rs[i-1].Rate, true
}

// stepsOf is the MRR over time of the items of plan ("" for all), each
// value the sum of the active items' yearly prices divided by 12 and
// rounded to the cent, half away from zero, as the store's SQL rounds.
func stepsOf(items []priced, plan string) (History, error) {
	var at []time.Time
	for _, p := range items {
		if plan != "" && p.plan != plan {
			continue
		}
		at = append(at, p.start)
		if p.end != nil {
			at = append(at, *p.end)
		}
	}
	slices.SortFunc(at, time.Time.Compare)
	at = slices.CompactFunc(at, time.Time.Equal)
	out := make(History, 0, len(at))
	exact := true
	for _, p := range items {
		exact = exact && p.exact
	}
	for _, t := range at {
		var cents int64
		if exact {
			var units int64
			for _, p := range items {
				if (plan == "" || p.plan == plan) && p.activeAt(t) {
					units += p.units
				}
			}
			cents = divRound(units, 12*1e6)
		} else {
			sum := decimal.Zero
			for _, p := range items {
				if (plan == "" || p.plan == plan) && p.activeAt(t) {
					sum = sum.Add(p.yearly)
				}
			}
			mrr := sum.DivRound(decimal.NewFromInt(12), 2)
			if mrr.Abs().GreaterThan(maxCents) {
				return nil, fmt.Errorf("MRR %s is out of range", mrr)
			}
			cents = mrr.Shift(2).IntPart()
		}
		if len(out) > 0 && out[len(out)-1].Cents == cents {
			continue
		}
		out = append(out, Step{At: t, Cents: cents})
	}
	return out, nil
}

// divRound is n/d rounded half away from zero, for d > 0: how
// decimal.DivRound and PostgreSQL's round() round.
func divRound(n, d int64) int64 {
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if n < 0 {
			return q - 1
		}
		return q + 1
	}
	return q
}

// Base is the currency the book's amounts are in.
func (b *Book) Base() string { return b.base }

// Ledgers returns the book's accounts with their MRR histories, in the
// order of the data it was built from.
func (b *Book) Ledgers() []Ledger { return b.ledgers }

// MRR returns an account's MRR at instant t in the base currency, rounded
// to the cent; zero for an account the book does not know.
func (b *Book) MRR(accountID uuid.UUID, t time.Time) decimal.Decimal {
	if i, ok := b.byID[accountID]; ok {
		return b.ledgers[i].MRR.MRR(t)
	}
	return decimal.Zero
}

// Unpriced lists every item left out for want of a rate, by currency and
// start.
func (b *Book) Unpriced() []MissingRate { return b.missing }

// Missing lists the items left out for want of a rate that bill at some
// instant of [from, to], by currency and start, so that a report can say
// which of its figures are short.
func (b *Book) Missing(from, to time.Time, keep func(uuid.UUID) bool) []MissingRate {
	out := []MissingRate{}
	for _, m := range b.missing {
		if m.bills(from, to) && (keep == nil || keep(m.AccountID)) {
			out = append(out, m)
		}
	}
	return out
}

// bills reports whether the item bills at some instant of [from, to].
func (m MissingRate) bills(from, to time.Time) bool {
	return !m.StartsAt.After(to) && (m.EndsAt == nil || m.EndsAt.After(from))
}

func money(cents int64) decimal.Decimal { return decimal.New(cents, -2) }

// Standing is an account paying at the start of a period and how it
// stood at its end.
type Standing struct {
	AccountID uuid.UUID
	// ChurnedAt is when its MRR last fell to zero, when it was zero at
	// the period's end; nil when it still paid.
	ChurnedAt *time.Time
}

// Standing tells whether the account paid at from and, if so, how it
// stood at to.
func (l *Ledger) Standing(from, to time.Time) (Standing, bool) {
	if l.MRR.at(from) <= 0 {
		return Standing{}, false
	}
	s := Standing{AccountID: l.ID}
	// When the step holding at to is to zero, it is the fall: steps
	// never repeat a value.
	if i := l.MRR.holding(to); i >= 0 && l.MRR[i].Cents == 0 {
		at := l.MRR[i].At
		s.ChurnedAt = &at
	}
	return s, true
}

// PayingAt lists the accounts whose MRR was positive at from, by id,
// each with the instant its MRR fell to zero at or before to, if it had.
func (b *Book) PayingAt(from, to time.Time) []Standing {
	var out []Standing
	for i := range b.ledgers {
		if s, ok := b.ledgers[i].Standing(from, to); ok {
			out = append(out, s)
		}
	}
	return out
}

// Source is the book as reports read it.
func (b *Book) Source() Source {
	return Source{
		Base: b.base,
		Ledgers: func(yield func(*Ledger, error) bool) {
			for i := range b.ledgers {
				if !yield(&b.ledgers[i], nil) {
					return
				}
			}
		},
		Unpriced: func(yield func(Unpriced, error) bool) {
			for _, m := range b.missing {
				if !yield(Unpriced{MissingRate: m, Account: b.ledgers[b.byID[m.AccountID]].Account}, nil) {
					return
				}
			}
		},
	}
}
