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

// step is an MRR, in cents, that holds from at until the next step.
type step struct {
	at    time.Time
	cents int64
}

// steps is an MRR over time: a step function, zero before its first step.
type steps []step

// holding returns the index of the step holding at t, -1 before the
// first.
func (s steps) holding(t time.Time) int {
	// The first step after t; the one before it holds at t.
	i, _ := slices.BinarySearchFunc(s, t, func(x step, t time.Time) int {
		if x.at.After(t) {
			return 1
		}
		return -1
	})
	return i - 1
}

// at returns the MRR in cents at instant t.
func (s steps) at(t time.Time) int64 {
	if i := s.holding(t); i >= 0 {
		return s[i].cents
	}
	return 0
}

// first returns the first instant the MRR was positive, and false if it
// never was.
func (s steps) first() (time.Time, bool) {
	for _, x := range s {
		if x.cents > 0 {
			return x.at, true
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

// account is an account of a Book with its MRR over time, whole and by
// plan.
type account struct {
	Account
	items []priced
	mrr   steps
	// firstMRR is when the MRR first became positive; zero if never.
	firstMRR time.Time
}

// Book is the MRR history of every account, in the base currency, ready to
// answer reports. Build one with NewBook; it is read-only afterwards and
// safe for concurrent use.
type Book struct {
	base     string
	accounts []*account
	byID     map[uuid.UUID]*account
	missing  []MissingRate
}

// maxCents bounds an account's MRR so that sums of many accounts stay far
// from int64 overflow: ten trillion in the base currency.
var maxCents = decimal.New(1, 15)

// NewBook prices every item in base: a year's amount times the rate on or
// before the day (UTC) it started, kept for its life. Items of accounts not
// in data.Accounts are ignored. Items with no rate are left out of MRR and
// listed by Missing.
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
	b.accounts = make([]*account, len(data.Accounts))
	b.byID = make(map[uuid.UUID]*account, len(data.Accounts))
	for i, a := range data.Accounts {
		acc := &account{Account: a, items: items[i]}
		var err error
		if acc.mrr, err = stepsOf(items[i], ""); err != nil {
			return nil, fmt.Errorf("retention: account %s: %w", a.ID, err)
		}
		acc.firstMRR, _ = acc.mrr.first()
		b.accounts[i] = acc
		b.byID[a.ID] = acc
	}
	slices.SortFunc(b.missing, func(x, y MissingRate) int {
		return cmp.Or(cmp.Compare(x.Currency, y.Currency), x.StartsAt.Compare(y.StartsAt), cmp.Compare(x.ItemID.String(), y.ItemID.String()))
	})
	return b, nil
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
func stepsOf(items []priced, plan string) (steps, error) {
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
	out := make(steps, 0, len(at))
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
		if len(out) > 0 && out[len(out)-1].cents == cents {
			continue
		}
		out = append(out, step{at: t, cents: cents})
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

// MRR returns an account's MRR at instant t in the base currency, rounded
// to the cent; zero for an account the book does not know.
func (b *Book) MRR(accountID uuid.UUID, t time.Time) decimal.Decimal {
	if a, ok := b.byID[accountID]; ok {
		return money(a.mrr.at(t))
	}
	return decimal.Zero
}

// Missing lists the items left out for want of a rate that bill at some
// instant of [from, to], by currency and start, so that a report can say
// which of its figures are short.
func (b *Book) Missing(from, to time.Time, keep func(uuid.UUID) bool) []MissingRate {
	out := []MissingRate{}
	for _, m := range b.missing {
		overlaps := !m.StartsAt.After(to) && (m.EndsAt == nil || m.EndsAt.After(from))
		if overlaps && (keep == nil || keep(m.AccountID)) {
			out = append(out, m)
		}
	}
	return out
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

// PayingAt lists the accounts whose MRR was positive at from, by id,
// each with the instant its MRR fell to zero at or before to, if it had.
func (b *Book) PayingAt(from, to time.Time) []Standing {
	var out []Standing
	for _, a := range b.accounts {
		if a.mrr.at(from) <= 0 {
			continue
		}
		s := Standing{AccountID: a.ID}
		// When the step holding at to is to zero, it is the fall: steps
		// never repeat a value.
		if i := a.mrr.holding(to); i >= 0 && a.mrr[i].cents == 0 {
			at := a.mrr[i].at
			s.ChurnedAt = &at
		}
		out = append(out, s)
	}
	return out
}
