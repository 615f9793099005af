// Package retention computes the RevOps figures of docs/metrics.md from
// subscription items, exchange rates and account attributes: MRR at an
// instant, the movements between two instants (new, reactivation,
// expansion, contraction, churn), NRR, GRR and logo retention, monthly
// churn, cohort triangles and the share of revenue from existing customers.
//
// It is pure Go over values the store loads, so every rule can be tested
// without a database. Money is exact: each account's MRR is rounded to the
// cent once, the way the store's SQL rounds it, and every total is a sum of
// those cents, so the identity
//
//	endMrr = startMrr + new + reactivation + expansion − contraction − churn
//
// holds to the cent in every answer and every group.
package retention
