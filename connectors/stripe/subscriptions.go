package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// subscriptionExpand are the expansions a subscription is read with: its
// discounts and its items' (so coupons come inline) and its customer
// (whose discount applies when the subscription has none).
var subscriptionExpand = []string{"discounts", "items.data.discounts", "customer"}

func expand(prefix string) []string {
	out := make([]string, len(subscriptionExpand))
	for i, e := range subscriptionExpand {
		out[i] = prefix + e
	}
	return out
}

// subscriptions reads GET /v1/subscriptions?status=all, and each one's
// paid invoices, into subscription items.
var subscriptions = &objectStream{
	name:  "subscription_items",
	list:  "/v1/subscriptions",
	query: url.Values{"status": {"all"}, "expand[]": expand("data.")},
	types: []string{
		"customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
		"customer.subscription.paused", "customer.subscription.resumed",
		"customer.discount.created", "customer.discount.updated", "customer.discount.deleted",
		"invoice.paid",
	},
	replay: func(*event) bool { return false },
	target: func(e *event) string {
		o := e.Data.Object
		switch {
		case strings.HasPrefix(e.Type, "customer.subscription."):
			return o.ID
		case o.Parent != nil && o.Parent.SubscriptionDetails != nil:
			return o.Parent.SubscriptionDetails.Subscription
		}
		return o.Subscription
	},
	deleted: func(*event, *sdk.Writer) (bool, error) { return false, nil },
	emit:    emitSubscription,
	get: func(ctx context.Context, s *session, id string) (json.RawMessage, error) {
		var raw json.RawMessage
		if err := s.client.Get(ctx, "/v1/subscriptions/"+url.PathEscape(id), url.Values{"expand[]": expand("")}, &raw); err != nil {
			return nil, fmt.Errorf("stripe: subscription %s: %w", id, err)
		}
		return raw, nil
	},
}

// segment is a stretch of an item's life at one price, in the currency's
// smallest unit per billing period; end 0 is ongoing.
type segment struct {
	start, end int64
	minor      decimal.Decimal
	price      string
	quantity   int64
	currency   string
}

// itemLines are an item's paid invoice lines: billed periods and
// prorations.
type itemLines struct {
	billed, prorations []line
}

func emitSubscription(ctx context.Context, s *session, raw json.RawMessage, w *sdk.Writer) error {
	var sub subscription
	if err := json.Unmarshal(raw, &sub); err != nil {
		return fmt.Errorf("stripe: decode subscription: %w", err)
	}
	if sub.Items.HasMore {
		items, err := s.allItems(ctx, sub.ID)
		if err != nil {
			return err
		}
		sub.Items.Data = items
	}
	lines, err := s.paidLines(ctx, sub.ID)
	if err != nil {
		return err
	}
	for _, it := range sub.Items.Data {
		p := it.Price
		s.prices[p.ID] = &p
	}
	var custDiscount *discount
	if len(sub.Customer.Raw) > 0 {
		var c customer
		if err := json.Unmarshal(sub.Customer.Raw, &c); err != nil {
			return fmt.Errorf("stripe: subscription %s: decode customer: %w", sub.ID, err)
		}
		custDiscount = c.Discount
	}
	p := &pricing{s: s, sub: &sub, customerDiscount: custDiscount}
	// Current items first, then items only the invoices remember.
	var ids []string
	for _, it := range sub.Items.Data {
		ids = append(ids, it.ID)
	}
	var gone []string
	for id := range lines {
		if !slices.Contains(ids, id) {
			gone = append(gone, id)
		}
	}
	slices.Sort(gone)
	ids = append(ids, gone...)
	for i, id := range ids {
		il := lines[id]
		if il == nil {
			il = &itemLines{}
		}
		segs := history(il.billed)
		if i < len(sub.Items.Data) {
			var problem string
			segs, problem, err = p.project(ctx, i, segs, il.prorations)
			if err != nil {
				return err
			}
			if problem != "" {
				if err := w.RecordError(id, origin(&sub, id), "price", problem); err != nil {
					return err
				}
				continue
			}
		}
		segs = ending(segs, &sub)
		if err := s.emitSegments(ctx, &sub, id, segs, w); err != nil {
			return err
		}
	}
	return nil
}

func origin(sub *subscription, itemID string) string {
	return "subscription/" + sub.ID + "/" + itemID
}

// allItems reads a subscription's items when more than the list embeds.
func (s *session) allItems(ctx context.Context, sub string) ([]item, error) {
	var out []item
	q := url.Values{"subscription": {sub}, "expand[]": {"data.discounts"}}
	for after := ""; ; {
		p, err := s.listPage(ctx, "/v1/subscription_items", q, after, "")
		if err != nil {
			return nil, err
		}
		for _, raw := range p.Data {
			var it item
			if err := json.Unmarshal(raw, &it); err != nil {
				return nil, fmt.Errorf("stripe: subscription %s: decode item: %w", sub, err)
			}
			out = append(out, it)
			after = it.ID
		}
		if !p.HasMore || len(p.Data) == 0 {
			return out, nil
		}
	}
}

// paidLines reads the lines of a subscription's paid invoices
// (GET /v1/invoices?subscription=…&status=paid, and
// GET /v1/invoices/{id}/lines when an invoice has more than it embeds),
// by subscription item.
func (s *session) paidLines(ctx context.Context, sub string) (map[string]*itemLines, error) {
	out := map[string]*itemLines{}
	add := func(l line) {
		id := l.itemID()
		if id == "" || l.Period.End <= l.Period.Start {
			return
		}
		if out[id] == nil {
			out[id] = &itemLines{}
		}
		if l.proration() {
			out[id].prorations = append(out[id].prorations, l)
		} else {
			out[id].billed = append(out[id].billed, l)
		}
	}
	q := url.Values{"subscription": {sub}, "status": {"paid"}}
	for after := ""; ; {
		p, err := s.listPage(ctx, "/v1/invoices", q, after, "")
		if err != nil {
			return nil, err
		}
		for _, raw := range p.Data {
			var inv invoice
			if err := json.Unmarshal(raw, &inv); err != nil {
				return nil, fmt.Errorf("stripe: subscription %s: decode invoice: %w", sub, err)
			}
			after = inv.ID
			ls := inv.Lines.Data
			for more, last := inv.Lines.HasMore, ""; more; {
				if len(ls) > 0 {
					last = ls[len(ls)-1].ID
				}
				lp, err := s.listPage(ctx, "/v1/invoices/"+url.PathEscape(inv.ID)+"/lines", nil, last, "")
				if err != nil {
					return nil, err
				}
				for _, raw := range lp.Data {
					var l line
					if err := json.Unmarshal(raw, &l); err != nil {
						return nil, fmt.Errorf("stripe: invoice %s: decode line: %w", inv.ID, err)
					}
					ls = append(ls, l)
				}
				more = lp.HasMore && len(lp.Data) > 0
			}
			for _, l := range ls {
				add(l)
			}
		}
		if !p.HasMore || len(p.Data) == 0 {
			break
		}
	}
	for _, il := range out {
		byStart := func(a, b line) int { return int(a.Period.Start - b.Period.Start) }
		slices.SortStableFunc(il.billed, byStart)
		slices.SortStableFunc(il.prorations, byStart)
	}
	return out, nil
}

// history merges billed periods into segments: consecutive, contiguous
// periods at one price, quantity and amount are one segment.
func history(billed []line) []segment {
	var out []segment
	for _, l := range billed {
		amt := decimal.NewFromInt(l.net())
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.end == l.Period.Start && last.minor.Equal(amt) && last.price == l.priceID() && last.quantity == l.Quantity {
				last.end = l.Period.End
				continue
			}
			if last.end > l.Period.Start {
				last.end = l.Period.Start
			}
		}
		out = append(out, segment{start: l.Period.Start, end: l.Period.End, minor: amt, price: l.priceID(), quantity: l.Quantity, currency: l.Currency})
	}
	return out
}

// pricing prices a subscription's current items at an instant.
type pricing struct {
	s                *session
	sub              *subscription
	customerDiscount *discount
}

// active reports whether d takes money off at t; a coupon of duration
// "once" is a one-off, not recurring revenue.
func active(d discount, c *coupon, t int64) bool {
	return c != nil && c.Duration != "once" && (d.Start == 0 || d.Start <= t) && (d.End == 0 || t < d.End)
}

// subscriptionDiscounts are the discounts on the whole subscription: its
// own, or when it has none, its customer's.
func (p *pricing) subscriptionDiscounts() []discount {
	if len(p.sub.Discounts) > 0 {
		return p.sub.Discounts
	}
	if p.customerDiscount != nil {
		return []discount{*p.customerDiscount}
	}
	return nil
}

// amountsAt is every current item's price per period at t in minor
// units, after the discounts active then, or nil for an item whose price
// has no unit amount.
func (p *pricing) amountsAt(ctx context.Context, t int64) ([]*decimal.Decimal, error) {
	items := p.sub.Items.Data
	out := make([]*decimal.Decimal, len(items))
	for i, it := range items {
		unit, err := decimal.NewFromString(it.Price.UnitAmountDecimal)
		if err != nil {
			continue
		}
		a := unit.Mul(decimal.NewFromInt(it.Quantity))
		for _, d := range it.Discounts {
			if a, err = p.apply(ctx, d, t, a, it.Price.Currency); err != nil {
				return nil, err
			}
		}
		out[i] = &a
	}
	for _, d := range p.subscriptionDiscounts() {
		c, err := p.s.coupon(ctx, d)
		if err != nil {
			return nil, err
		}
		if !active(d, c, t) {
			continue
		}
		left := decimal.NewFromInt(c.AmountOff)
		for i, a := range out {
			if a == nil {
				continue
			}
			switch {
			case c.AmountOff > 0 && strings.EqualFold(c.Currency, items[i].Price.Currency):
				off := decimal.Min(left, *a)
				v := a.Sub(off)
				left = left.Sub(off)
				out[i] = &v
			case c.PercentOff.IsPositive():
				v := percentOff(*a, c.PercentOff)
				out[i] = &v
			}
		}
	}
	return out, nil
}

// apply takes an item discount off a, when active at t.
func (p *pricing) apply(ctx context.Context, d discount, t int64, a decimal.Decimal, currency string) (decimal.Decimal, error) {
	c, err := p.s.coupon(ctx, d)
	if err != nil {
		return a, err
	}
	if !active(d, c, t) {
		return a, nil
	}
	switch {
	case c.AmountOff > 0 && strings.EqualFold(c.Currency, currency):
		return decimal.Max(decimal.Zero, a.Sub(decimal.NewFromInt(c.AmountOff))), nil
	case c.PercentOff.IsPositive():
		return percentOff(a, c.PercentOff), nil
	}
	return a, nil
}

// percentOff takes pct% off a, rounded to the smallest unit as Stripe
// rounds an invoice's discount.
func percentOff(a, pct decimal.Decimal) decimal.Decimal {
	return a.Sub(a.Mul(pct).Div(decimal.NewFromInt(100)).Round(0))
}

// boundaries are the instants after from at which a discount of the
// subscription starts or ends.
func (p *pricing) boundaries(from int64) []int64 {
	var out []int64
	add := func(ds []discount) {
		for _, d := range ds {
			for _, t := range []int64{d.Start, d.End} {
				if t > from && !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	for _, it := range p.sub.Items.Data {
		add(it.Discounts)
	}
	add(p.subscriptionDiscounts())
	slices.Sort(out)
	return out
}

// project continues current item i's invoiced history with its price now
// (rule 2 of the package doc). It returns a problem instead when the
// item has no fixed price to project.
func (p *pricing) project(ctx context.Context, i int, segs []segment, prorations []line) ([]segment, string, error) {
	it := p.sub.Items.Data[i]
	var from int64
	if n := len(segs); n == 0 {
		from = max(it.Created, p.sub.TrialEnd)
	} else {
		last := &segs[n-1]
		from = last.end
		if last.price != it.Price.ID || last.quantity != it.Quantity {
			// A change in the middle of a paid period: the proration
			// line for the new price dates it.
			for _, l := range prorations {
				if l.priceID() == it.Price.ID && l.Period.Start > last.start && l.Period.Start < from {
					from = l.Period.Start
					last.end = from
					break
				}
			}
		}
	}
	if _, err := decimal.NewFromString(it.Price.UnitAmountDecimal); err != nil {
		if len(segs) == 0 {
			return nil, fmt.Sprintf("price %s has no unit amount (tiered or metered) and was never invoiced, so it has no fixed MRR", it.Price.ID), nil
		}
		segs[len(segs)-1].end = 0
		return segs, "", nil
	}
	for _, t := range append([]int64{from}, p.boundaries(from)...) {
		amounts, err := p.amountsAt(ctx, t)
		if err != nil {
			return nil, "", err
		}
		amt := *amounts[i]
		if n := len(segs); n > 0 {
			last := &segs[n-1]
			if last.minor.Equal(amt) && last.price == it.Price.ID && last.quantity == it.Quantity && (last.end == t || last.end == 0) {
				last.end = 0
				continue
			}
			last.end = t
		}
		segs = append(segs, segment{start: t, minor: amt, price: it.Price.ID, quantity: it.Quantity, currency: it.Price.Currency})
	}
	return segs, "", nil
}

// ending ends an item's segments when its subscription ended or is set to
// cancel.
func ending(segs []segment, sub *subscription) []segment {
	end := sub.CancelAt
	if sub.EndedAt != 0 {
		end = sub.EndedAt
	}
	if end == 0 {
		return segs
	}
	segs = slices.DeleteFunc(segs, func(sg segment) bool { return sg.start >= end })
	if n := len(segs); n > 0 && (segs[n-1].end == 0 || segs[n-1].end > end) {
		segs[n-1].end = end
	}
	return segs
}

// emitSegments writes an item's segments of non-zero amount, the first
// under the item's id, the others under id@start.
func (s *session) emitSegments(ctx context.Context, sub *subscription, id string, segs []segment, w *sdk.Writer) error {
	first := true
	for k, sg := range segs {
		if !sg.minor.IsPositive() || (sg.end != 0 && sg.end <= sg.start) {
			continue
		}
		pr, err := s.price(ctx, sg.price)
		if err != nil {
			return err
		}
		extID := id
		if !first {
			extID = fmt.Sprintf("%s@%d", id, sg.start)
		}
		first = false
		interval, per, err := billing(pr)
		var ie *intervalError
		if errors.As(err, &ie) {
			if err := w.RecordError(extID, origin(sub, id), "price.recurring", ie.Error()); err != nil {
				return err
			}
			continue
		}
		plan, err := s.plan(ctx, pr)
		if err != nil {
			return err
		}
		currency := sg.currency
		if currency == "" {
			currency = pr.Currency
		}
		x := &connectorpb.SubscriptionItem{
			AccountExternalId: sub.Customer.ID,
			Plan:              plan,
			Amount:            major(sg.minor, currency).Div(decimal.NewFromInt(per)).String(),
			Currency:          strings.ToUpper(currency),
			Interval:          interval,
			StartsAt:          sdk.Timestamp(time.Unix(sg.start, 0).UTC()),
		}
		if sg.end != 0 {
			x.EndsAt = sdk.Timestamp(time.Unix(sg.end, 0).UTC())
		}
		if k == len(segs)-1 && sg.end != 0 {
			x.ChurnReason = sub.CancellationDetails.Reason
		}
		rec := sdk.NewSubscriptionItem(extID, x)
		rec.Origin = origin(sub, id)
		if rec.Custom, err = sdk.Custom(map[string]any{
			"subscription": sub.ID, "subscription_status": sub.Status, "price": pr.ID, "quantity": float64(sg.quantity),
		}); err != nil {
			return err
		}
		if err := w.Emit(rec); err != nil {
			return err
		}
	}
	return nil
}

// intervalError is a price whose billing period Pulse cannot express.
type intervalError struct{ msg string }

func (e *intervalError) Error() string { return e.msg }

// billing maps a price's recurrence to Pulse's interval and how many of
// them one billing period holds: every 3 months is a quarter, every 6
// months two quarters, every 12 a year, every 2 years two years.
func billing(p *price) (string, int64, error) {
	if p.Recurring == nil {
		return "", 0, &intervalError{fmt.Sprintf("price %s is not recurring", p.ID)}
	}
	n := max(p.Recurring.IntervalCount, 1)
	switch p.Recurring.Interval {
	case "year":
		return "year", n, nil
	case "month":
		switch {
		case n%12 == 0:
			return "year", n / 12, nil
		case n%3 == 0:
			return "quarter", n / 3, nil
		}
		return "month", n, nil
	}
	return "", 0, &intervalError{fmt.Sprintf("price %s bills every %d %s; Pulse counts MRR by month, quarter or year", p.ID, n, p.Recurring.Interval)}
}
