package health

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// NoData is the note of a factor whose measure has no data for the
// account: it is left out of the score.
const NoData = "no data — left out"

// Factor is one measure's part in a score.
type Factor struct {
	Measure MeasureID `json:"measure"`
	Team    string    `json:"team,omitempty"`
	// Value is the raw value, Score its sub-score (0–100); both nil when
	// the measure has no data.
	Value  *float64 `json:"value"`
	Score  *float64 `json:"score"`
	Weight float64  `json:"weight"`
	// Contribution is the points the factor adds to the score,
	// Weight×Score / Σ weights of the factors with data; nil when left
	// out.
	Contribution *float64 `json:"contribution"`
	// Note is NoData when the factor is left out.
	Note string `json:"note,omitempty"`
}

// Key names the factor's measure within its scorecard.
func (f Factor) Key() string { return Measure{Measure: f.Measure, Team: f.Team}.Key() }

// Label is how the factor's measure reads in a sentence.
func (f Factor) Label() string { return Label(f.Measure, f.Team) }

// Result is a score with its factors.
type Result struct {
	// Score is 0–100, to one decimal; nil when no measure had data.
	Score   *float64
	Band    Band
	Factors []Factor
}

// Score scores in by sc: Σ wᵢ·sᵢ / Σ wᵢ over the measures with data.
// Sub-scores are kept to one decimal, contributions to two, and the score
// to one.
func Score(sc Scorecard, in Inputs) Result {
	factors := make([]Factor, len(sc.Measures))
	// The factors' figures share one allocation: a back-test scores tens
	// of thousands of accounts.
	figures := make([]float64, 3*len(sc.Measures)+1)
	var total float64
	for i, m := range sc.Measures {
		f := Factor{Measure: m.Measure, Team: m.Team, Weight: m.Weight}
		if v, ok := in.Value(m.Measure, m.Team); ok {
			value, score := &figures[3*i], &figures[3*i+1]
			*value, *score = v, round(m.SubScore(v), 1)
			f.Value, f.Score = value, score
			total += m.Weight
		} else {
			f.Note = NoData
		}
		factors[i] = f
	}
	res := Result{Factors: factors}
	if total == 0 {
		return res
	}
	var score float64
	for i, f := range factors {
		if f.Score == nil {
			continue
		}
		c := f.Weight * *f.Score / total
		score += c
		contribution := &figures[3*i+2]
		*contribution = round(c, 2)
		factors[i].Contribution = contribution
	}
	res.Score = &figures[len(figures)-1]
	*res.Score = round(score, 1)
	res.Band = sc.Bands.Of(*res.Score)
	return res
}

// MatchKind says why a scorecard applies to an account.
type MatchKind string

// The reasons a scorecard applies.
const (
	// MatchSegment: the scorecard is for the account's segment.
	MatchSegment MatchKind = "segment"
	// MatchDefault: no scorecard is for the account's segment, so the
	// default applies.
	MatchDefault MatchKind = "default"
	// MatchChosen: the scorecard was named by the request, as in a
	// back-test.
	MatchChosen MatchKind = "chosen"
)

// Applied is the scorecard a score was computed with, and why it applied.
type Applied struct {
	Name    string    `json:"name"`
	Version int       `json:"version"`
	Segment string    `json:"segment,omitempty"`
	Match   MatchKind `json:"match"`
	// AccountSegment is the account's segment when it was scored.
	AccountSegment string `json:"accountSegment,omitempty"`
}

// Reason says in words why the scorecard applied to the account.
func (a Applied) Reason() string {
	accountSegment := a.AccountSegment
	switch a.Match {
	case MatchSegment:
		return fmt.Sprintf("%s v%d is the scorecard of segment %q", a.Name, a.Version, a.Segment)
	case MatchChosen:
		return fmt.Sprintf("%s v%d was asked for", a.Name, a.Version)
	}
	if accountSegment == "" {
		return fmt.Sprintf("%s v%d applies: the account has no segment", a.Name, a.Version)
	}
	return fmt.Sprintf("%s v%d applies: no scorecard is for segment %q", a.Name, a.Version, accountSegment)
}

// Choose picks, among the latest version of each scorecard, the one that
// applies to an account of segment: the segment's own, else the default.
// It reports false when there is neither.
func Choose(latest []Scorecard, segment string) (Scorecard, Applied, bool) {
	var def *Scorecard
	for i, sc := range latest {
		if segment != "" && sc.Segment == segment {
			return sc, Applied{sc.Name, sc.Version, sc.Segment, MatchSegment, segment}, true
		}
		if sc.Segment == "" && sc.Name == DefaultName {
			def = &latest[i]
		}
	}
	if def == nil {
		return Scorecard{}, Applied{}, false
	}
	return *def, Applied{def.Name, def.Version, "", MatchDefault, segment}, true
}

// Snapshot is an account's score on one day, as kept.
type Snapshot struct {
	AccountID uuid.UUID
	// Day is the day scored in the workspace timezone, as midnight UTC.
	Day time.Time
	Result
	Scorecard  Applied
	ComputedAt time.Time
}
