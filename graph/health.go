package graph

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/vikstrous/dataloadgen"

	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/graph/model"
)

// HealthService scores accounts' health and keeps scorecards and success
// plans. *store.Store implements it. Instants come from the request, so
// that the same question over the same data gets the same answer; bad
// arguments are refused with a *domain.InputError naming each.
type HealthService interface {
	// LatestHealth returns each account's latest kept score, by id, in one
	// statement; accounts never scored are left out.
	LatestHealth(ctx context.Context, accountIDs []uuid.UUID) (map[uuid.UUID]health.Snapshot, error)
	// HealthHistory returns an account's scores of the last days days up
	// to now's day, oldest first.
	HealthHistory(ctx context.Context, accountID uuid.UUID, days int, now time.Time) ([]health.Snapshot, error)
	// HealthChange explains the move from the score kept on or before
	// since's day to the latest; nil when the account was never scored.
	HealthChange(ctx context.Context, accountID uuid.UUID, since, now time.Time) (*health.Change, error)
	// Scorecards returns every version of every scorecard.
	Scorecards(ctx context.Context) ([]health.Scorecard, error)
	// SaveScorecard keeps a new version of a scorecard read from YAML.
	SaveScorecard(ctx context.Context, src string, now time.Time) (*health.Scorecard, error)
	// Rescore scores accounts again and keeps the scores.
	Rescore(ctx context.Context, req health.RescoreRequest) (health.RescoreResult, error)
	// HealthBacktest answers healthBacktest.
	HealthBacktest(ctx context.Context, q health.BacktestQuery) (*health.Backtest, error)
	// Renewals answers renewals, at most first accounts.
	Renewals(ctx context.Context, q health.RenewalQuery, first int) ([]health.Renewal, error)
	// Objectives returns an account's success plan.
	Objectives(ctx context.Context, accountID uuid.UUID) ([]health.Objective, error)
	// ObjectivesByID returns the objectives with these ids, by id.
	ObjectivesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]health.Objective, error)
	// HealthSummary answers healthSummary, in the database.
	HealthSummary(ctx context.Context, q health.SummaryQuery) (*health.Summary, error)
	// CreateObjective adds an objective to a success plan.
	CreateObjective(ctx context.Context, in health.ObjectiveInput, now time.Time) (*health.Objective, error)
	// UpdateObjective changes an objective; an unknown id wraps
	// domain.ErrNotFound.
	UpdateObjective(ctx context.Context, id uuid.UUID, p health.ObjectivePatch, now time.Time) (*health.Objective, error)
}

// errNoHealth answers the health fields of a handler built without a
// HealthService.
var errNoHealth = errors.New("graph: no health service configured")

func (r *Resolver) healthService() (HealthService, error) {
	if r.health == nil {
		return nil, errNoHealth
	}
	return r.health, nil
}

// healthLoader gathers the Account.health of a page into one statement.
func (req *request) healthLoader(svc HealthService) *dataloadgen.Loader[uuid.UUID, *health.Snapshot] {
	req.healthOnce.Do(func() {
		req.health = dataloadgen.NewLoader(byKey(svc.LatestHealth, pointerIfFound[health.Snapshot]), req.loaderOpts...)
	})
	return req.health
}

var (
	bandsToModel = map[health.Band]model.HealthBand{
		health.BandRed: model.HealthBandRed, health.BandYellow: model.HealthBandYellow, health.BandGreen: model.HealthBandGreen,
	}
	matchesToModel = map[health.MatchKind]model.ScorecardMatch{
		health.MatchSegment: model.ScorecardMatchSegment, health.MatchDefault: model.ScorecardMatchDefault, health.MatchChosen: model.ScorecardMatchChosen,
	}
	modesToModel  = map[health.Mode]model.ThresholdMode{health.ModeLinear: model.ThresholdModeLinear, health.ModeSteps: model.ThresholdModeSteps}
	statusToModel = map[health.ObjectiveStatus]model.ObjectiveStatus{
		health.OnTrack: model.ObjectiveStatusOnTrack, health.AtRisk: model.ObjectiveStatusAtRisk,
		health.Done: model.ObjectiveStatusDone, health.Missed: model.ObjectiveStatusMissed,
	}
)

func bandModel(b health.Band) *model.HealthBand {
	m, ok := bandsToModel[b]
	if !ok {
		return nil
	}
	return &m
}

func bandOf(m model.HealthBand) health.Band {
	for b, v := range bandsToModel {
		if v == m {
			return b
		}
	}
	return health.BandNone
}

// statusOf is the domain's status of m, which gqlgen has checked is one
// of the enum's values.
func statusOf(m model.ObjectiveStatus) health.ObjectiveStatus {
	return health.ObjectiveStatus(strings.ToLower(string(m)))
}

func appliedModel(a health.Applied) model.AppliedScorecard {
	return model.AppliedScorecard{Name: a.Name, Version: a.Version, Segment: nonEmpty(a.Segment), Match: matchesToModel[a.Match], Reason: a.Reason()}
}

func snapshotModel(s health.Snapshot) model.AccountHealth {
	out := model.AccountHealth{Day: s.Day, Score: s.Score, Band: bandModel(s.Band), Scorecard: appliedModel(s.Scorecard),
		ComputedAt: s.ComputedAt, Factors: make([]model.HealthFactor, len(s.Factors))}
	for i, f := range s.Factors {
		info, _ := health.MeasureByID(f.Measure)
		out.Factors[i] = model.HealthFactor{Measure: string(f.Measure), Team: nonEmpty(f.Team), Label: f.Label(), Unit: info.Unit,
			Value: f.Value, Score: f.Score, Weight: f.Weight, Contribution: f.Contribution, Note: nonEmpty(f.Note)}
	}
	return out
}

func snapshotsModel(list []health.Snapshot) []model.AccountHealth {
	out := make([]model.AccountHealth, len(list))
	for i, s := range list {
		out[i] = snapshotModel(s)
	}
	return out
}

func changeModel(c *health.Change) *model.HealthExplanation {
	out := &model.HealthExplanation{To: snapshotModel(c.To), ScoreDelta: c.ScoreDelta, Summary: c.Summary,
		Reasons: make([]model.HealthChangeReason, len(c.Reasons))}
	if c.From != nil {
		from := snapshotModel(*c.From)
		out.From = &from
	}
	for i, r := range c.Reasons {
		out.Reasons[i] = model.HealthChangeReason{Measure: string(r.Measure), Team: nonEmpty(r.Team), FromValue: r.From, ToValue: r.To,
			ContributionDelta: r.ContributionDelta, Measured: r.Measured, Text: r.Text}
	}
	return out
}

func scorecardModel(sc health.Scorecard) model.Scorecard {
	out := model.Scorecard{Name: sc.Name, Version: sc.Version, Segment: nonEmpty(sc.Segment), Description: sc.Description,
		Red: sc.Bands.Red, Green: sc.Bands.Green, Yaml: sc.Source, CreatedAt: sc.CreatedAt, Measures: make([]model.ScorecardMeasure, len(sc.Measures))}
	for i, m := range sc.Measures {
		info, _ := health.MeasureByID(m.Measure)
		mm := model.ScorecardMeasure{Measure: string(m.Measure), Team: nonEmpty(m.Team), Label: health.Label(m.Measure, m.Team),
			Definition: info.Definition, Weight: m.Weight, Mode: modesToModel[m.Mode], Thresholds: make([]model.Threshold, len(m.Thresholds))}
		for j, t := range m.Thresholds {
			mm.Thresholds[j] = model.Threshold{Value: t.Value, Score: t.Score}
		}
		out.Measures[i] = mm
	}
	return out
}

func rescoreModel(r health.RescoreResult) *model.RescoreResult {
	return &model.RescoreResult{Accounts: r.Accounts, Snapshots: r.Snapshots, Days: r.Days, ComputedAt: r.ComputedAt}
}

// objectiveModels turns objectives into the API's, with their owners
// loaded in one batch.
func objectiveModels(ctx context.Context, list []health.Objective) ([]model.SuccessPlanObjective, error) {
	var owners []uuid.UUID
	for _, o := range list {
		if o.OwnerID != nil {
			owners = append(owners, *o.OwnerID)
		}
	}
	people, err := requestOf(ctx).person.LoadAll(ctx, owners)
	if err != nil {
		return nil, err
	}
	out := make([]model.SuccessPlanObjective, len(list))
	j := 0
	for i, o := range list {
		out[i] = model.SuccessPlanObjective{ID: o.ID, AccountID: o.AccountID, Title: o.Title, DueDate: o.DueDate,
			Status: statusToModel[o.Status], CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
		if o.OwnerID != nil {
			out[i].Owner = people[j]
			j++
		}
	}
	return out, nil
}

// backtestModel is b as the API shows it.
func backtestModel(b *health.Backtest) *model.HealthBacktest {
	out := &model.HealthBacktest{Scorecard: appliedModel(b.Scorecard), From: b.Query.From, To: b.Query.To, LeadDays: b.Query.LeadDays,
		Rules: b.Rules, Cohort: b.Cohort, Churned: make([]model.BacktestAccount, len(b.Churned)),
		TruePositives: b.TruePositives, FalsePositives: b.FalsePositives, FalseNegatives: b.FalseNegatives, TrueNegatives: b.TrueNegatives,
		Precision: b.Precision(), Recall: b.Recall(), BaseRate: b.BaseRate(), Lift: b.Lift()}
	for _, c := range b.ByBand {
		out.ByBand = append(out.ByBand, model.BacktestBand{Band: bandModel(c.Band), Accounts: c.Accounts, Churned: c.Churned})
	}
	for i, c := range b.Churned {
		out.Churned[i] = model.BacktestAccount{Account: c.Account, ChurnedAt: *c.ChurnedAt, ScoredAt: c.ScoredAt, Score: c.Score, Band: bandModel(c.Band)}
	}
	return out
}

func renewalModel(rn health.Renewal) model.Renewal {
	out := model.Renewal{Account: rn.Account, RenewalDate: rn.RenewalDate, DaysToRenewal: rn.DaysToRenewal, Overdue: rn.Overdue, Mrr: rn.MRR,
		LastTouchAt: rn.LastTouchAt, LastTouchTeam: nonEmpty(rn.LastTouchTeam)}
	if rn.Health != nil {
		h := snapshotModel(*rn.Health)
		out.Health = &h
	}
	return out
}

// objectivePatch is in as the domain's.
func objectivePatch(in model.UpdateObjectiveInput) health.ObjectivePatch {
	p := health.ObjectivePatch{Title: in.Title, OwnerID: in.OwnerID, DueDate: in.DueDate,
		ClearOwner: in.ClearOwner != nil && *in.ClearOwner, ClearDueDate: in.ClearDueDate != nil && *in.ClearDueDate}
	if in.Status != nil {
		s := statusOf(*in.Status)
		p.Status = &s
	}
	return p
}

// inputErr returns err with its fields named under the input argument.
func inputErr(err error) error { return inputPrefixed(err, "input") }

// summaryModel is s as the API shows it, with the owners loaded in one
// batch.
func summaryModel(ctx context.Context, s *health.Summary) (*model.HealthSummary, error) {
	counts := func(c health.BandCounts) model.BandCounts {
		return model.BandCounts{Accounts: c.Accounts, Red: c.Red, Yellow: c.Yellow, Green: c.Green, Unscored: c.Unscored, Mrr: c.MRR}
	}
	out := &model.HealthSummary{AsOf: s.Query.AsOf, Day: s.Day, OwnerRole: s.Query.OwnerRole, All: counts(s.All),
		ByTier: []model.TierBandCounts{}, BySegment: []model.SegmentBandCounts{}, ByLifecycle: []model.LifecycleBandCounts{},
		ByOwner: []model.OwnerBandCounts{}, MrrByBand: []model.BandMrr{}}
	for _, g := range s.ByTier {
		out.ByTier = append(out.ByTier, model.TierBandCounts{Tier: nonEmpty(g.Key), Counts: counts(g.Counts)})
	}
	for _, g := range s.BySegment {
		out.BySegment = append(out.BySegment, model.SegmentBandCounts{Segment: g.Key, Counts: counts(g.Counts)})
	}
	for _, g := range s.ByLifecycle {
		out.ByLifecycle = append(out.ByLifecycle, model.LifecycleBandCounts{Lifecycle: nonEmpty(g.Key), Counts: counts(g.Counts)})
	}
	var owners []uuid.UUID
	for _, g := range s.ByOwner {
		if id, err := uuid.Parse(g.Key); err == nil {
			owners = append(owners, id)
		}
	}
	people, err := requestOf(ctx).person.LoadAll(ctx, owners)
	if err != nil {
		return nil, err
	}
	for _, g := range s.ByOwner {
		o := model.OwnerBandCounts{Counts: counts(g.Counts)}
		if g.Key != "" {
			o.Owner, people = people[0], people[1:]
		}
		out.ByOwner = append(out.ByOwner, o)
	}
	for _, b := range s.MRRByBand {
		out.MrrByBand = append(out.MrrByBand, model.BandMrr{Band: bandModel(b.Band), Accounts: b.Accounts, Mrr: b.MRR})
	}
	return out, nil
}
