package stripe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/shopspring/decimal"
)

// page is Stripe's list object: {"object": "list", "data": [...],
// "has_more": bool, "url": "/v1/..."}.
type page struct {
	Data    []json.RawMessage `json:"data"`
	HasMore bool              `json:"has_more"`
}

// listPage reads one page of a list endpoint, 100 objects, after the
// object id after (starting_after) or, with before set, the page just
// newer than before (ending_before).
func (s *session) listPage(ctx context.Context, path string, q url.Values, after, before string) (*page, error) {
	query := url.Values{"limit": {"100"}}
	for k, v := range q {
		query[k] = v
	}
	if after != "" {
		query.Set("starting_after", after)
	}
	if before != "" {
		query.Set("ending_before", before)
	}
	var p page
	if err := s.client.Get(ctx, path, query, &p); err != nil {
		return nil, fmt.Errorf("stripe: list %s: %w", path, err)
	}
	return &p, nil
}

// ref is a field Stripe gives as an id, or as the object when expanded.
type ref struct {
	ID  string
	Raw json.RawMessage
}

// UnmarshalJSON accepts "id" or {"id": ...}.
func (r *ref) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	if string(b) == "null" {
		return nil
	}
	var obj struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	r.ID, r.Raw = obj.ID, append(json.RawMessage(nil), b...)
	return nil
}

// customer is what the connector reads of a Stripe customer.
type customer struct {
	ID          string            `json:"id"`
	Deleted     bool              `json:"deleted"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Email       string            `json:"email"`
	Currency    string            `json:"currency"`
	Delinquent  bool              `json:"delinquent"`
	Metadata    map[string]string `json:"metadata"`
	Discount    *discount         `json:"discount"`
}

// subscription is what the connector reads of a subscription, with its
// items and expanded discounts and customer.
type subscription struct {
	ID                  string     `json:"id"`
	Customer            ref        `json:"customer"`
	Status              string     `json:"status"`
	EndedAt             int64      `json:"ended_at"`
	CancelAt            int64      `json:"cancel_at"`
	TrialEnd            int64      `json:"trial_end"`
	Discounts           []discount `json:"discounts"`
	CancellationDetails struct {
		Reason string `json:"reason"`
	} `json:"cancellation_details"`
	Items struct {
		Data    []item `json:"data"`
		HasMore bool   `json:"has_more"`
	} `json:"items"`
}

// item is a subscription item.
type item struct {
	ID        string     `json:"id"`
	Created   int64      `json:"created"`
	Quantity  int64      `json:"quantity"`
	Price     price      `json:"price"`
	Discounts []discount `json:"discounts"`
}

// price is a Stripe price; unit_amount_decimal is in the currency's
// smallest unit and may have decimals.
type price struct {
	ID                string `json:"id"`
	Nickname          string `json:"nickname"`
	Product           ref    `json:"product"`
	Currency          string `json:"currency"`
	UnitAmountDecimal string `json:"unit_amount_decimal"`
	Recurring         *struct {
		Interval      string `json:"interval"`
		IntervalCount int64  `json:"interval_count"`
	} `json:"recurring"`
}

// discount is a coupon applied to a customer, subscription or item. The
// coupon is under source (API versions from 2025) or, before, coupon;
// either may be an id or the expanded coupon. An unexpanded discount is
// just its id, which the connector cannot price; it is read as an id.
type discount struct {
	ID     string `json:"id"`
	Start  int64  `json:"start"`
	End    int64  `json:"end"`
	Coupon ref    `json:"coupon"`
	Source struct {
		Coupon ref `json:"coupon"`
	} `json:"source"`
}

// UnmarshalJSON accepts a discount object, or its bare id.
func (d *discount) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &d.ID)
	}
	type plain discount
	return json.Unmarshal(b, (*plain)(d))
}

// couponRef is the discount's coupon, wherever the API version put it.
func (d discount) couponRef() ref {
	if d.Source.Coupon.ID != "" {
		return d.Source.Coupon
	}
	return d.Coupon
}

// coupon is what a discount takes off.
type coupon struct {
	ID         string          `json:"id"`
	PercentOff decimal.Decimal `json:"percent_off"`
	AmountOff  int64           `json:"amount_off"`
	Currency   string          `json:"currency"`
	Duration   string          `json:"duration"`
}

// invoice is a paid invoice with its lines.
type invoice struct {
	ID    string `json:"id"`
	Lines struct {
		Data    []line `json:"data"`
		HasMore bool   `json:"has_more"`
	} `json:"lines"`
}

// line is an invoice line. API versions from 2025 put the subscription
// item and proration flag under parent.subscription_item_details and the
// price under pricing.price_details; older ones at the top.
type line struct {
	ID       string `json:"id"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Quantity int64  `json:"quantity"`
	Period   struct {
		Start int64 `json:"start"`
		End   int64 `json:"end"`
	} `json:"period"`
	DiscountAmounts []struct {
		Amount int64 `json:"amount"`
	} `json:"discount_amounts"`
	Parent *struct {
		SubscriptionItemDetails *struct {
			SubscriptionItem string `json:"subscription_item"`
			Proration        bool   `json:"proration"`
		} `json:"subscription_item_details"`
	} `json:"parent"`
	Pricing *struct {
		PriceDetails *struct {
			Price string `json:"price"`
		} `json:"price_details"`
	} `json:"pricing"`
	SubscriptionItem string `json:"subscription_item"`
	Proration        bool   `json:"proration"`
	Price            *ref   `json:"price"`
}

// itemID is the subscription item the line bills, or "".
func (l line) itemID() string {
	if l.Parent != nil && l.Parent.SubscriptionItemDetails != nil {
		return l.Parent.SubscriptionItemDetails.SubscriptionItem
	}
	return l.SubscriptionItem
}

func (l line) proration() bool {
	if l.Parent != nil && l.Parent.SubscriptionItemDetails != nil {
		return l.Parent.SubscriptionItemDetails.Proration
	}
	return l.Proration
}

func (l line) priceID() string {
	if l.Pricing != nil && l.Pricing.PriceDetails != nil {
		return l.Pricing.PriceDetails.Price
	}
	if l.Price != nil {
		return l.Price.ID
	}
	return ""
}

// net is what the line charged for its period after discounts, in minor
// units.
func (l line) net() int64 {
	n := l.Amount
	for _, d := range l.DiscountAmounts {
		n -= d.Amount
	}
	return n
}

// price reads a price once per session.
func (s *session) price(ctx context.Context, id string) (*price, error) {
	if p, ok := s.prices[id]; ok {
		return p, nil
	}
	var p price
	if err := s.client.Get(ctx, "/v1/prices/"+url.PathEscape(id), nil, &p); err != nil {
		return nil, fmt.Errorf("stripe: price %s: %w", id, err)
	}
	s.prices[id] = &p
	return &p, nil
}

// plan names a price: its nickname, else its product's name, else its id.
func (s *session) plan(ctx context.Context, p *price) (string, error) {
	if p.Nickname != "" {
		return p.Nickname, nil
	}
	if p.Product.ID == "" {
		return p.ID, nil
	}
	if name, ok := s.products[p.Product.ID]; ok {
		return name, nil
	}
	var prod struct {
		Name string `json:"name"`
	}
	if len(p.Product.Raw) > 0 {
		_ = json.Unmarshal(p.Product.Raw, &prod)
	} else if err := s.client.Get(ctx, "/v1/products/"+url.PathEscape(p.Product.ID), nil, &prod); err != nil {
		return "", fmt.Errorf("stripe: product %s: %w", p.Product.ID, err)
	}
	if prod.Name == "" {
		prod.Name = p.ID
	}
	s.products[p.Product.ID] = prod.Name
	return prod.Name, nil
}

// coupon reads a discount's coupon, from the expanded object or once per
// session by id; a discount naming no coupon takes nothing off and gives
// nil.
func (s *session) coupon(ctx context.Context, d discount) (*coupon, error) {
	r := d.couponRef()
	if r.ID == "" {
		return nil, nil
	}
	if c, ok := s.coupons[r.ID]; ok {
		return c, nil
	}
	var c coupon
	if len(r.Raw) > 0 {
		if err := json.Unmarshal(r.Raw, &c); err != nil {
			return nil, fmt.Errorf("stripe: coupon %s: %w", r.ID, err)
		}
	} else if err := s.client.Get(ctx, "/v1/coupons/"+url.PathEscape(r.ID), nil, &c); err != nil {
		return nil, fmt.Errorf("stripe: coupon %s: %w", r.ID, err)
	}
	s.coupons[r.ID] = &c
	return &c, nil
}

// zeroDecimal are the currencies Stripe counts in whole units
// (https://docs.stripe.com/currencies#zero-decimal).
var zeroDecimal = map[string]bool{"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true,
	"mga": true, "pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true}

// threeDecimal are the currencies Stripe counts in thousandths.
var threeDecimal = map[string]bool{"bhd": true, "jod": true, "kwd": true, "omr": true, "tnd": true}

// major converts an amount in a currency's smallest unit to major units.
func major(minor decimal.Decimal, currency string) decimal.Decimal {
	switch c := strings.ToLower(currency); {
	case zeroDecimal[c]:
		return minor
	case threeDecimal[c]:
		return minor.Shift(-3)
	}
	return minor.Shift(-2)
}
