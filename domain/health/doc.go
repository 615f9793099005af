// Package health scores customers' health as code.
//
// A Scorecard is a versioned YAML document: a name, a version, an
// optional segment, the bands, and weighted measures, each mapping its raw
// value to a sub-score of 0–100 through thresholds. Parse reads one and
// reports every problem it has, each naming its path
// (measures[2].weight: must be > 0). DefaultScorecard is the one Pulse
// ships (default.yaml).
//
// The store measures accounts (Inputs: touches, tickets, surveys, MRR,
// renewal, success plan, contact pressure, all as of an instant); Score
// turns the measures into a Result: Σ wᵢ·sᵢ / Σ wᵢ over the measures with
// data, each Factor naming its raw value, sub-score, weight and
// contribution, or "no data — left out". Choose picks the scorecard that
// applies to an account (its segment's, else the default), Explain says why
// a score changed between two daily snapshots, and Confusion gives the
// precision and recall of "red predicts churn" for a back-test.
package health
