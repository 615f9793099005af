package engagement

import (
	"slices"

	"github.com/pulseproject/pulse/domain"
)

// ScoreCount is how many answers in a group gave one score, as the store
// counts them: the group is a touchpoint for NPS and a CSATSource for CSAT.
type ScoreCount struct {
	Group string
	Score int
	N     int
}

// NPSCounts are the responses of an NPS and their bands: promoters 9–10,
// passives 7–8, detractors 0–6.
type NPSCounts struct {
	Responses, Promoters, Passives, Detractors int
}

func (c *NPSCounts) add(score, n int) {
	c.Responses += n
	switch {
	case score >= 9:
		c.Promoters += n
	case score >= 7:
		c.Passives += n
	default:
		c.Detractors += n
	}
}

// Score is % promoters − % detractors, −100…100; nil without responses.
func (c NPSCounts) Score() *float64 {
	if c.Responses == 0 {
		return nil
	}
	s := 100 * float64(c.Promoters-c.Detractors) / float64(c.Responses)
	return &s
}

// NPS is the net promoter score of a period, overall and by touchpoint.
type NPS struct {
	Rules Rules
	NPSCounts
	// ByTouchpoint has every touchpoint, in the order of
	// domain.Touchpoints, with or without responses.
	ByTouchpoint []TouchpointNPS
}

// TouchpointNPS is the NPS of the responses given at one touchpoint.
type TouchpointNPS struct {
	Touchpoint string
	NPSCounts
}

// NewNPS tallies the NPS of q from its responses counted by touchpoint and
// score. Responses without a touchpoint count as "other".
func NewNPS(q PeriodQuery, counts []ScoreCount) *NPS {
	out := &NPS{Rules: Rules{
		From: q.From, To: q.To,
		Definitions: []string{
			periodDefinition,
			"NPS counts the survey responses of kind nps with respondedAt in [from, to), not soft-deleted: promoters score 9-10, passives 7-8, detractors 0-6.",
			"score = 100 × (promoters − detractors) / responses, from −100 to 100; null without responses.",
			"Responses are grouped by touchpoint; a response without one counts as other.",
		},
	}}
	for _, tp := range domain.Touchpoints {
		out.ByTouchpoint = append(out.ByTouchpoint, TouchpointNPS{Touchpoint: tp})
	}
	other := slices.Index(domain.Touchpoints, "other")
	for _, c := range counts {
		i := slices.Index(domain.Touchpoints, c.Group)
		if i < 0 {
			i = other
		}
		out.add(c.Score, c.N)
		out.ByTouchpoint[i].add(c.Score, c.N)
	}
	return out
}

// The sources of CSAT ratings.
const (
	// CSATFromSurvey is a survey response of kind csat.
	CSATFromSurvey = "survey"
	// CSATFromTicket is the rating of a support ticket.
	CSATFromTicket = "ticket"
)

// CSATCounts are rated answers and the positive ones among them.
type CSATCounts struct {
	Rated, Positive int
}

// Score is Positive / Rated, a fraction; nil when nothing was rated.
func (c CSATCounts) Score() *float64 {
	if c.Rated == 0 {
		return nil
	}
	s := float64(c.Positive) / float64(c.Rated)
	return &s
}

// PositiveCSAT says whether a CSAT rating (1–5) is positive: 4 or 5.
func PositiveCSAT(score int) bool { return score >= 4 }

// Add counts n ratings of score.
func (c *CSATCounts) Add(score, n int) {
	c.Rated += n
	if PositiveCSAT(score) {
		c.Positive += n
	}
}

// CSAT is customer satisfaction over a period, from CSAT surveys and
// tickets' ratings together.
type CSAT struct {
	Rules Rules
	CSATCounts
	// UnratedTickets counts the tickets of the period without a rating,
	// left out of the score.
	UnratedTickets int
	// BySource has CSATFromSurvey, then CSATFromTicket.
	BySource []CSATSource
}

// CSATSource is the part of CSAT from one source of ratings.
type CSATSource struct {
	Source string
	CSATCounts
}

// NewCSAT tallies the CSAT of q from its ratings counted by source and
// score; a ticket's score 0 is no rating.
func NewCSAT(q PeriodQuery, counts []ScoreCount) *CSAT {
	out := &CSAT{
		Rules: Rules{
			From: q.From, To: q.To,
			Definitions: []string{
				periodDefinition,
				"CSAT rates on 1-5; a rating of 4 or 5 is positive. score = positive / rated, a fraction; null when nothing was rated.",
				"Ratings come from two sources, added together: survey responses of kind csat with respondedAt in [from, to), and support tickets rated 1-5, dated by their resolution (their opening when they have none) in [from, to). Soft-deleted rows are left out.",
				"Tickets of the period without a rating are left out of the score and counted in unratedTickets.",
			},
		},
		BySource: []CSATSource{{Source: CSATFromSurvey}, {Source: CSATFromTicket}},
	}
	for _, c := range counts {
		if c.Score == 0 {
			out.UnratedTickets += c.N
			continue
		}
		i := 0
		if c.Group == CSATFromTicket {
			i = 1
		}
		out.Add(c.Score, c.N)
		out.BySource[i].Add(c.Score, c.N)
	}
	return out
}
