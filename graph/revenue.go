package graph

import (
	"context"
	"errors"
	"slices"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/retention"
	"github.com/pulseproject/pulse/graph/model"
)

// RevenueReports answers the retention and revenue reports of docs/metrics.md
// and keeps the workspace settings they apply. *store.Store implements it.
//
// Each report takes a retention.Request whose days it reads in the
// workspace timezone; a bad request is refused with a *domain.InputError
// naming every argument at fault.
type RevenueReports interface {
	// Retention answers retention(from, to, ...).
	Retention(ctx context.Context, r retention.Request) (*retention.Report, error)
	// MRRMovements answers mrrMovements(from, to, interval: MONTH).
	MRRMovements(ctx context.Context, r retention.Request) (*retention.MovementTable, error)
	// MonthlyChurn answers monthlyChurn(from, to).
	MonthlyChurn(ctx context.Context, r retention.Request) (*retention.ChurnTable, error)
	// Cohorts answers cohorts(from, to, measure).
	Cohorts(ctx context.Context, r retention.Request) (*retention.CohortTable, error)
	// RevenueFromExisting answers revenueFromExisting(from, to).
	RevenueFromExisting(ctx context.Context, r retention.Request) (*retention.ExistingShare, error)
	// Settings returns the workspace's settings.
	Settings(ctx context.Context) (domain.Settings, error)
	// UpdateSettings applies p and returns the settings as they now are.
	UpdateSettings(ctx context.Context, p domain.SettingsPatch) (domain.Settings, error)
}

// errNoRevenue answers the reports when the handler was built without
// RevenueReports: a server set up wrong, not the client's fault.
var errNoRevenue = errors.New("graph: no revenue reports configured")

var groupBys = map[model.RetentionGroupBy]retention.GroupBy{
	model.RetentionGroupBySegment: retention.GroupSegment,
	model.RetentionGroupByTier:    retention.GroupTier,
	model.RetentionGroupByOwner:   retention.GroupOwner,
	model.RetentionGroupByPlan:    retention.GroupPlan,
}

// inputPrefixed puts prefix before the fields an input error names, so
// that they read as the argument's own (input.timezone); other errors are
// returned as they are.
func inputPrefixed(err error, prefix string) error {
	var inputErr *domain.InputError
	if !errors.As(err, &inputErr) {
		return err
	}
	return &domain.InputError{Problems: inputErr.Problems.Prefixed(prefix)}
}

func settingsModel(s domain.Settings) *model.WorkspaceSettings {
	return &model.WorkspaceSettings{BaseCurrency: s.BaseCurrency, Timezone: s.Timezone,
		ContactPressureCap: s.ContactPressureCap, UpdatedAt: s.UpdatedAt}
}

func rulesModel(r retention.Rules) model.ReportRules {
	return model.ReportRules{From: r.From, To: r.To, Timezone: r.Timezone, ChurnTiming: r.ChurnTiming,
		BaseCurrency: r.BaseCurrency, FxRule: r.FxRule, RatioRule: r.RatioRule, OwnerRole: r.OwnerRole,
		Definitions: r.Definitions}
}

// moneyIn returns the function that gives a report's amounts as Money: in
// the report's base currency, missing the currencies of its missing rates,
// whose items every figure of the report leaves out (see money.graphqls).
func moneyIn(r retention.Rules, ms []retention.MissingRate) func(decimal.Decimal) domain.Money {
	missing := []string{}
	for _, m := range ms {
		if !slices.Contains(missing, m.Currency) {
			missing = append(missing, m.Currency)
		}
	}
	slices.Sort(missing)
	return func(d decimal.Decimal) domain.Money {
		return domain.Money{Amount: d, Currency: r.BaseCurrency, MissingRates: missing}
	}
}

func missingModel(ms []retention.MissingRate) []model.MissingRate {
	out := make([]model.MissingRate, len(ms))
	for i, m := range ms {
		out[i] = model.MissingRate{ItemID: m.ItemID, AccountID: m.AccountID, Plan: m.Plan, Currency: m.Currency,
			StartsAt: m.StartsAt, EndsAt: m.EndsAt}
	}
	return out
}

// retentionModel is rep as the API shows it, with the owners of an OWNER
// breakdown loaded in one batch.
func retentionModel(ctx context.Context, rep *retention.Report) (*model.RetentionReport, error) {
	f := rep.Figures
	money := moneyIn(rep.Rules, rep.MissingRates)
	out := &model.RetentionReport{Rules: rulesModel(rep.Rules),
		StartMrr: f.StartMRR, EndMrr: f.EndMRR, NewMrr: f.NewMRR, ReactivationMrr: f.ReactivationMRR,
		ExpansionMrr: f.ExpansionMRR, ContractionMrr: f.ContractionMRR, ChurnMrr: f.ChurnMRR,
		StartMrrMoney: money(f.StartMRR), EndMrrMoney: money(f.EndMRR), NewMrrMoney: money(f.NewMRR),
		ReactivationMrrMoney: money(f.ReactivationMRR), ExpansionMrrMoney: money(f.ExpansionMRR),
		ContractionMrrMoney: money(f.ContractionMRR), ChurnMrrMoney: money(f.ChurnMRR),
		Nrr: f.NRR, Grr: f.GRR, LogoRetention: f.LogoRetention,
		StartCount: f.StartCount, EndCount: f.EndCount, NewCount: f.NewCount, ReactivatedCount: f.ReactivatedCount,
		ExpandedCount: f.ExpandedCount, ContractedCount: f.ContractedCount, ChurnedCount: f.ChurnedCount,
		Groups: make([]model.RetentionGroup, len(rep.Groups)), MissingRates: missingModel(rep.MissingRates)}
	for k, v := range groupBys {
		if v == rep.GroupBy {
			out.GroupBy = &k
		}
	}
	var owners []uuid.UUID
	for i, g := range rep.Groups {
		f := g.Figures
		out.Groups[i] = model.RetentionGroup{Key: g.Key,
			StartMrr: f.StartMRR, EndMrr: f.EndMRR, NewMrr: f.NewMRR, ReactivationMrr: f.ReactivationMRR,
			ExpansionMrr: f.ExpansionMRR, ContractionMrr: f.ContractionMRR, ChurnMrr: f.ChurnMRR,
			StartMrrMoney: money(f.StartMRR), EndMrrMoney: money(f.EndMRR), NewMrrMoney: money(f.NewMRR),
			ReactivationMrrMoney: money(f.ReactivationMRR), ExpansionMrrMoney: money(f.ExpansionMRR),
			ContractionMrrMoney: money(f.ContractionMRR), ChurnMrrMoney: money(f.ChurnMRR),
			Nrr: f.NRR, Grr: f.GRR, LogoRetention: f.LogoRetention,
			StartCount: f.StartCount, EndCount: f.EndCount, NewCount: f.NewCount, ReactivatedCount: f.ReactivatedCount,
			ExpandedCount: f.ExpandedCount, ContractedCount: f.ContractedCount, ChurnedCount: f.ChurnedCount}
		if id, err := uuid.Parse(g.Key); rep.GroupBy == retention.GroupOwner && err == nil {
			owners = append(owners, id)
		}
	}
	if len(owners) == 0 {
		return out, nil
	}
	people, err := requestOf(ctx).person.LoadAll(ctx, owners)
	if err != nil {
		return nil, err
	}
	for i, j := 0, 0; i < len(out.Groups); i++ {
		if out.Groups[i].Key != "" {
			out.Groups[i].Owner = people[j]
			j++
		}
	}
	return out, nil
}
