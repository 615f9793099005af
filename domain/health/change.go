package health

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Reason is one factor's part in a change of score.
type Reason struct {
	Measure MeasureID
	Team    string
	// From and To are the raw values on the two days; nil without data.
	From, To           *float64
	FromScore, ToScore *float64
	// ContributionDelta is how many points of the score the factor's
	// contribution moved.
	ContributionDelta float64
	// Text says it in words: "NPS fell 9 → 4", "no CS touch in 52 days".
	Text string
	// Measured says whether the scorecards of both days measure the
	// factor; a factor only one of them has moved because the scorecard
	// changed.
	Measured bool
}

// Change compares an account's score on two days.
type Change struct {
	// From is the earlier snapshot; nil when there is none.
	From *Snapshot
	To   Snapshot
	// ScoreDelta is To's score minus From's; nil when either has none.
	ScoreDelta *float64
	// Reasons are the factors whose contribution moved, the biggest
	// move first.
	Reasons []Reason
	// Summary says it in a sentence: "green → yellow because NPS fell
	// 9 → 4 and no CS touch in 52 days".
	Summary string
}

// summaryReasons is how many reasons a summary names at most.
const summaryReasons = 3

// Explain says why the score moved from from to to: each factor's
// contribution is compared, and the summary names the biggest moves in
// the direction of the change.
func Explain(from *Snapshot, to Snapshot) Change {
	c := Change{From: from, To: to}
	if from == nil {
		c.Summary = fmt.Sprintf("no earlier score: first scored on %s", to.Day.Format(time.DateOnly))
		return c
	}
	before := map[string]Factor{}
	var order []string
	for _, f := range from.Factors {
		before[f.Key()] = f
		order = append(order, f.Key())
	}
	after := map[string]Factor{}
	for _, f := range to.Factors {
		after[f.Key()] = f
		if _, ok := before[f.Key()]; !ok {
			order = append(order, f.Key())
		}
	}
	for _, key := range order {
		b, inBefore := before[key]
		a, inAfter := after[key]
		f := a
		if !inAfter {
			f = b
		}
		r := Reason{Measure: f.Measure, Team: f.Team, From: b.Value, To: a.Value, FromScore: b.Score, ToScore: a.Score,
			ContributionDelta: round(value(a.Contribution)-value(b.Contribution), 2), Measured: inBefore && inAfter}
		if r.ContributionDelta == 0 && equal(r.From, r.To) {
			continue
		}
		switch {
		case !inAfter:
			r.Text = Label(f.Measure, f.Team) + " is no longer measured"
		case !inBefore:
			r.Text = Label(f.Measure, f.Team) + " is measured now"
		default:
			r.Text = describe(r)
		}
		c.Reasons = append(c.Reasons, r)
	}
	slices.SortStableFunc(c.Reasons, func(x, y Reason) int {
		return cmp.Compare(math.Abs(y.ContributionDelta), math.Abs(x.ContributionDelta))
	})
	if from.Score != nil && to.Score != nil {
		d := round(*to.Score-*from.Score, 1)
		c.ScoreDelta = &d
	}
	c.Summary = summary(c)
	return c
}

func summary(c Change) string {
	from, to := c.From, c.To
	head := fmt.Sprintf("%s → %s", bandWord(from.Band), bandWord(to.Band))
	if from.Band == to.Band {
		head = fmt.Sprintf("%s, score %s → %s", bandWord(to.Band), scoreWord(from.Score), scoreWord(to.Score))
	}
	if c.ScoreDelta != nil && *c.ScoreDelta == 0 && from.Band == to.Band {
		head = fmt.Sprintf("%s, score unchanged at %s", bandWord(to.Band), scoreWord(to.Score))
	}
	var because []string
	cardChanged := from.Scorecard.Name != to.Scorecard.Name || from.Scorecard.Version != to.Scorecard.Version
	if cardChanged {
		because = append(because, fmt.Sprintf("the scorecard changed from %s v%d to %s v%d",
			from.Scorecard.Name, from.Scorecard.Version, to.Scorecard.Name, to.Scorecard.Version))
	}
	for _, r := range c.Reasons {
		if len(because) == summaryReasons {
			break
		}
		if !r.Measured || equal(r.From, r.To) {
			// A factor the scorecard changed, or whose value stayed and
			// whose part moved only with the others' weights, is not a
			// reason.
			continue
		}
		if c.ScoreDelta != nil && (*c.ScoreDelta < 0 && r.ContributionDelta >= 0 || *c.ScoreDelta > 0 && r.ContributionDelta <= 0) {
			continue
		}
		because = append(because, r.Text)
	}
	if len(because) == 0 {
		return head
	}
	return head + " because " + andList(because)
}

// describe says what happened to one factor.
func describe(r Reason) string {
	label := Label(r.Measure, r.Team)
	if r.Measure == DaysSinceLastTouch {
		who := strings.TrimSpace(teamName(r.Team) + " touch")
		switch {
		case r.To == nil:
			return "no " + who + " on record"
		case r.From == nil:
			return fmt.Sprintf("a first %s, %s days ago", who, num(*r.To))
		case *r.To > *r.From:
			return fmt.Sprintf("no %s in %s days", who, num(*r.To))
		}
		return fmt.Sprintf("last %s %s days ago, was %s", who, num(*r.To), num(*r.From))
	}
	switch {
	case r.From == nil && r.To == nil:
		return fmt.Sprintf("%s moved with the other factors' weights", label)
	case r.To == nil:
		return fmt.Sprintf("%s has no data any more (was %s)", label, num(*r.From))
	case r.From == nil:
		return fmt.Sprintf("%s is now %s", label, num(*r.To))
	case *r.To < *r.From:
		return fmt.Sprintf("%s fell %s → %s", label, num(*r.From), num(*r.To))
	case *r.To > *r.From:
		return fmt.Sprintf("%s rose %s → %s", label, num(*r.From), num(*r.To))
	}
	return fmt.Sprintf("%s stayed at %s but weighs differently", label, num(*r.To))
}

func bandWord(b Band) string {
	if b == BandNone {
		return "unscored"
	}
	return string(b)
}

func scoreWord(s *float64) string {
	if s == nil {
		return "none"
	}
	return fmt.Sprintf("%.1f", *s)
}

func andList(parts []string) string {
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

func value(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

func equal(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
