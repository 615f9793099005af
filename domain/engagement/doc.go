// Package engagement holds the rules of the engagement and survey reports
// of docs/metrics.md: what a touch is, coverage of an owner's book, contact
// pressure, hand-off gaps, NPS and CSAT.
//
// The store does the counting in SQL; this package states the rules the
// SQL follows (the kinds of activity that are touches, the default cap,
// the periods), checks a report's arguments, and turns the counts into
// figures (ratios, scores, groups by tier and by touchpoint) together with
// the Rules that produced them, so that every figure can be reconciled by
// hand.
package engagement
