// Package stripe is the "stripe" connector: it reads a Stripe account
// through Stripe's REST API (https://docs.stripe.com/api) with plain HTTP —
// customers become accounts and subscription items become the priced,
// dated subscription items Pulse computes MRR from.
//
// Requests carry the secret key as a Bearer token and pin the API version
// with the Stripe-Version header (apiVersion), so that response shapes do
// not change under the connector when the account's default version does;
// the parser also accepts the older shapes (a discount's coupon, an
// invoice line's price and subscription_item) so a line rendered by an
// older version reads the same.
//
// # Reading
//
// Each stream first lists every object (GET /v1/customers,
// GET /v1/subscriptions?status=all), 100 a page, following starting_after
// while has_more, and checkpoints after each page. Afterwards it follows
// the Events API (GET /v1/events with types[]), oldest event first, and
// re-reads each object an event names, checkpointing the last event
// handled. Events older than the listing are already in it and are
// skipped, except customer.deleted: Stripe keeps events 30 days, so a read
// from scratch still removes customers deleted in that time. A deleted
// customer is a tombstone; a canceled subscription
// (customer.subscription.deleted) is re-read and its items end.
//
// # Subscription items and their history
//
// A subscription item becomes one record per stretch of time at one
// price ("segment"). The rule, exact and simple:
//
//  1. History comes from paid invoices: every line of a paid invoice that
//     bills a subscription item for a period (not a proration) gives the
//     amount paid for that period after its discounts (amount minus
//     discount_amounts). Consecutive periods at the same price, quantity
//     and amount form one segment.
//  2. After the last paid period the item is priced from the
//     subscription as it is now: price unit amount × quantity, less the
//     item's discounts, then the subscription's (or, when it has none, the
//     customer's). A percent_off coupon scales, an amount_off coupon
//     subtracts per invoice (a subscription-wide amount_off is taken from
//     the items in order, none below zero); a coupon of duration "once"
//     is a one-off and does not change MRR. A discount that starts or
//     ends later splits the segment there, so a discount lowers MRR and
//     its expiry raises it. When this price equals the last paid one, the
//     last segment simply goes on; when the price or quantity changed in
//     the middle of a period, the new segment starts where the proration
//     line for the new price starts.
//  3. An item never invoiced starts at its creation, or at the end of the
//     trial. A canceled subscription ends at ended_at, one set to cancel at
//     cancel_at; the last segment carries cancellation_details.reason. An
//     item no longer on the subscription ends with its last paid period.
//
// The first segment's external id is the item's id (si_...), later ones
// "si_...@<unix start>". Segments of amount zero (trials, 100% coupons)
// carry no MRR and are not emitted. Amounts are in major units (Stripe's
// zero-decimal currencies taken into account), per month, quarter or
// year: a price billed every n months or years is divided down to the
// largest of those it fits. Prices billed by the day or week, and
// tiered or metered prices never yet invoiced, have no fixed MRR and are
// reported as record errors.
//
// # Limits and errors
//
// Stripe answers errors as {"error": {"type", "code", "message",
// "param"}}; a 401 or 403 is a configuration error naming secret_key, a
// 429 is waited out (Retry-After when given, else backoff) and a
// Stripe-Should-Retry: false answer is not retried.
package stripe
