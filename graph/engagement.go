package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pulseproject/pulse/domain/engagement"
	"github.com/pulseproject/pulse/graph/model"
)

// EngagementReports answers the engagement and survey reports: coverage,
// contact pressure, hand-off gaps, NPS and CSAT. *store.Store implements
// it.
//
// Each report checks its query and refuses a bad one with a
// *domain.InputError naming every argument at fault; the resolvers fill
// in the defaults first.
type EngagementReports interface {
	// CoverageReport answers coverage(team, days, ownerId, asOf).
	CoverageReport(ctx context.Context, q engagement.CoverageQuery) (*engagement.Coverage, error)
	// ContactPressureReport answers contactPressure(from, to, window, cap).
	ContactPressureReport(ctx context.Context, q engagement.PressureQuery) (*engagement.Pressure, error)
	// HandoffGapReport answers handoffGaps(asOf, days).
	HandoffGapReport(ctx context.Context, q engagement.HandoffQuery) (*engagement.Handoff, error)
	// NPSReport answers nps(from, to).
	NPSReport(ctx context.Context, q engagement.PeriodQuery) (*engagement.NPS, error)
	// CSATReport answers csat(from, to).
	CSATReport(ctx context.Context, q engagement.PeriodQuery) (*engagement.CSAT, error)
}

// errNoEngagement answers the engagement reports of a handler built
// without them.
var errNoEngagement = errors.New("graph: no engagement reports configured")

// engagementReports is r's reports, or errNoEngagement.
func (r *Resolver) engagementReports() (EngagementReports, error) {
	if r.engagement == nil {
		return nil, errNoEngagement
	}
	return r.engagement, nil
}

// instantOr is at, or the request's now when at is not given.
func instantOr(ctx context.Context, at *time.Time) time.Time {
	if at != nil {
		return *at
	}
	return requestOf(ctx).now
}

// periodOr is [from, to), where to defaults to the request's now and from
// to days before to.
func periodOr(ctx context.Context, from, to *time.Time, days int) engagement.PeriodQuery {
	q := engagement.PeriodQuery{To: instantOr(ctx, to)}
	q.From = q.To.Add(-time.Duration(days) * engagement.Day)
	if from != nil {
		q.From = *from
	}
	return q
}

func intOr(n *int, def int) int {
	if n != nil {
		return *n
	}
	return def
}

// nonEmpty is s, or nil when s is empty.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

var (
	pressureWindows = map[model.PressureWindow]engagement.Window{
		model.PressureWindowDay: engagement.WindowDay, model.PressureWindowWeek: engagement.WindowWeek,
	}
	capSources = map[engagement.CapSource]model.CapSource{
		engagement.CapFromArgument: model.CapSourceArgument, engagement.CapFromSetting: model.CapSourceSetting,
	}
	handoffBases = map[engagement.HandoffBasis]model.HandoffBasis{
		engagement.HandoffOnboardingEnd:     model.HandoffBasisOnboardingEnd,
		engagement.HandoffDealWon:           model.HandoffBasisDealWon,
		engagement.HandoffSubscriptionStart: model.HandoffBasisSubscriptionStart,
	}
	csatSources = map[string]model.CsatSource{
		engagement.CSATFromSurvey: model.CsatSourceSurvey, engagement.CSATFromTicket: model.CsatSourceTicket,
	}
)

func engagementRulesModel(r engagement.Rules) model.EngagementRules {
	out := model.EngagementRules{AsOf: r.AsOf, Team: nonEmpty(r.Team), Timezone: r.Timezone, Definitions: r.Definitions}
	if !r.From.IsZero() {
		out.From, out.To = &r.From, &r.To
	}
	if r.Days > 0 {
		out.Days = &r.Days
	}
	if r.Window != "" {
		w := model.PressureWindow(strings.ToUpper(string(r.Window)))
		out.Window, out.Cap = &w, &r.Cap
		s := capSources[r.CapSource]
		out.CapSource = &s
	}
	return out
}

func coverageModel(c *engagement.Coverage) *model.CoverageReport {
	out := &model.CoverageReport{Rules: engagementRulesModel(c.Rules), BookSize: c.BookSize, Touched: c.Touched,
		Ratio: c.Ratio, Owners: make([]model.OwnerCoverage, len(c.Owners))}
	for i, o := range c.Owners {
		m := model.OwnerCoverage{Owner: o.Owner, BookSize: o.BookSize, Touched: o.Touched, Ratio: o.Ratio,
			Untouched: make([]model.TierAccounts, len(o.Untouched)), Accounts: accountCoverageModel(o.Accounts)}
		for j, g := range o.Untouched {
			m.Untouched[j] = model.TierAccounts{Tier: nonEmpty(g.Tier), Accounts: accountCoverageModel(g.Accounts)}
		}
		out.Owners[i] = m
	}
	return out
}

func accountCoverageModel(as []engagement.AccountCoverage) []model.AccountCoverage {
	out := make([]model.AccountCoverage, len(as))
	for i, a := range as {
		out[i] = model.AccountCoverage{AccountID: a.Account.ID, Touched: a.Touched(), Touches: a.Touches, LastTouchAt: a.LastTouchAt,
			TimeSpentSeconds: int(a.TimeSpentSeconds), TeamTimeSpentSeconds: int(a.TeamTimeSpentSeconds)}
	}
	return out
}

func teamTouchesModel(ts []engagement.TeamTouches) []model.TeamTouches {
	out := make([]model.TeamTouches, len(ts))
	for i, t := range ts {
		out[i] = model.TeamTouches{Team: t.Team, Touches: t.Touches}
	}
	return out
}

func touchWindowModel(w engagement.TouchWindow) model.TouchWindow {
	return model.TouchWindow{Start: w.Start, End: w.End, Touches: w.Touches, ByTeam: teamTouchesModel(w.ByTeam)}
}

func pressureModel(p *engagement.Pressure) *model.ContactPressureReport {
	out := &model.ContactPressureReport{Rules: engagementRulesModel(p.Rules),
		Contacts: make([]model.ContactPressure, len(p.Contacts)), Accounts: make([]model.AccountPressure, len(p.Accounts))}
	for i, c := range p.Contacts {
		out.Contacts[i] = model.ContactPressure{Contact: c.Contact, Account: c.Account, Touches: c.Touches,
			ByTeam: teamTouchesModel(c.ByTeam), WorstWindow: touchWindowModel(c.Worst)}
	}
	for i, a := range p.Accounts {
		out.Accounts[i] = model.AccountPressure{Account: a.Account, SaturatedContacts: a.SaturatedContacts, Touches: a.Touches,
			ByTeam: teamTouchesModel(a.ByTeam), WorstWindow: touchWindowModel(a.Worst)}
	}
	return out
}

func handoffModel(h *engagement.Handoff) *model.HandoffGapReport {
	out := &model.HandoffGapReport{Rules: engagementRulesModel(h.Rules),
		DealsWithoutOnboarding:  make([]model.OnboardingGap, len(h.DealsWithoutOnboarding)),
		CustomersWithoutCsOwner: h.CustomersWithoutCSOwner,
		CustomersNotTouchedByCs: make([]model.CsHandoffGap, len(h.CustomersNotTouchedByCS))}
	for i, g := range h.DealsWithoutOnboarding {
		out.DealsWithoutOnboarding[i] = model.OnboardingGap{Deal: g.Deal, Account: g.Account, ClosedAt: *g.Deal.ClosedAt,
			DueBy: g.DueBy, FirstOnboardingTouchAt: g.FirstOnboardingTouchAt}
	}
	for i, g := range h.CustomersNotTouchedByCS {
		out.CustomersNotTouchedByCs[i] = model.CsHandoffGap{Account: g.Account, CsOwners: g.CSOwners, HandoffAt: g.HandoffAt,
			HandoffBasis: handoffBases[g.Basis], LastCsOwnerTouchAt: g.LastOwnerTouchAt}
	}
	return out
}

func npsModel(n *engagement.NPS) *model.NpsReport {
	out := &model.NpsReport{Rules: engagementRulesModel(n.Rules), Score: n.Score(), Responses: n.Responses,
		Promoters: n.Promoters, Passives: n.Passives, Detractors: n.Detractors,
		ByTouchpoint: make([]model.TouchpointNps, len(n.ByTouchpoint))}
	for i, t := range n.ByTouchpoint {
		out.ByTouchpoint[i] = model.TouchpointNps{Touchpoint: t.Touchpoint, Score: t.Score(), Responses: t.Responses,
			Promoters: t.Promoters, Passives: t.Passives, Detractors: t.Detractors}
	}
	return out
}

func csatModel(c *engagement.CSAT) *model.CsatReport {
	out := &model.CsatReport{Rules: engagementRulesModel(c.Rules), Score: c.Score(), Rated: c.Rated, Positive: c.Positive,
		UnratedTickets: c.UnratedTickets, BySource: make([]model.CsatSourceScore, len(c.BySource))}
	for i, s := range c.BySource {
		out.BySource[i] = model.CsatSourceScore{Source: csatSources[s.Source], Score: s.Score(), Rated: s.Rated, Positive: s.Positive}
	}
	return out
}
