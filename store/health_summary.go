package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
)

// HealthSummary counts the accounts q keeps by band, overall and by tier,
// segment, lifecycle and owner, with their MRR, in one statement: each
// account's latest band on or before q.AsOf's day and its MRR at q.AsOf
// are read once (the primary key of account_health finds the band), then
// grouped by GROUPING SETS, and joined to the owners' memberships for the
// owners' groups. MRR sums each account's MRR as Account.mrr shows it,
// rounded to the cent, so that the figures add up with the account list.
func (s *Store) HealthSummary(ctx context.Context, q health.SummaryQuery) (*health.Summary, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	env, err := s.measureEnv(ctx)
	if err != nil {
		return nil, err
	}
	day := dayOf(q.AsOf, env.loc)
	var sql sqlText
	sql.add(`WITH base AS MATERIALIZED (
		SELECT a.id, a.tier, a.segment, a.lifecycle, COALESCE(h.band, '') AS band, m.mrr, m.missing
		FROM accounts a
		LEFT JOIN LATERAL (SELECT h.band FROM account_health h
			WHERE h.account_id = a.id AND h.day <= CAST(? AS date) ORDER BY h.day DESC LIMIT 1) h ON true
		CROSS JOIN LATERAL (SELECT `+mrrAmount+` AS mrr,
				string_agg(DISTINCT x.currency, ',' ORDER BY x.currency) FILTER (WHERE x.yearly IS NULL) AS missing
			FROM (`+activeItems+` AND i.account_id = a.id) x) m
		WHERE `, dateOnly(day), q.AsOf, q.AsOf)
	accountConds(q.Filter).write(&sql)
	sql.add(`)
	SELECT CASE WHEN GROUPING(tier) = 0 THEN 'tier' WHEN GROUPING(segment) = 0 THEN 'segment'
			WHEN GROUPING(lifecycle) = 0 THEN 'lifecycle' ELSE 'all' END AS dim,
		COALESCE(tier, segment, lifecycle, '') AS key, '' AS label, band,
		count(*) AS accounts, sum(mrr) AS mrr, string_agg(missing, ',') AS missing
	FROM base GROUP BY GROUPING SETS ((band), (tier, band), (segment, band), (lifecycle, band))
	UNION ALL
	SELECT 'owner', COALESCE(t.person_id::text, ''), COALESCE(min(p.name), ''), b.band,
		count(*), sum(b.mrr), string_agg(b.missing, ',')
	FROM base b
	LEFT JOIN (SELECT DISTINCT account_id, person_id FROM account_team WHERE role = ? AND deleted_at IS NULL) t ON t.account_id = b.id
	LEFT JOIN people p ON p.id = t.person_id
	GROUP BY t.person_id, b.band`, q.OwnerRole)
	var rows []struct {
		Dim, Key, Label, Band string
		Accounts              int
		MRR                   decimal.Decimal
		Missing               *string
	}
	if err := s.raw(ctx, &sql).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: health summary: %w", err)
	}

	out := &health.Summary{Query: q, Day: day, All: counts(env.base)}
	groups := map[string]map[string]*health.BandCounts{}
	labels := map[string]string{}
	for _, dim := range []string{"tier", "segment", "lifecycle", "owner"} {
		groups[dim] = map[string]*health.BandCounts{}
	}
	// The closed vocabularies show every value, counted or not.
	for _, t := range domain.Tiers {
		groups["tier"][t] = ptrTo(counts(env.base))
	}
	for _, l := range domain.Lifecycles {
		groups["lifecycle"][l] = ptrTo(counts(env.base))
	}
	byBand := map[health.Band]*health.BandMRR{}
	for _, b := range append(slices.Clone(health.AllBands), health.BandNone) {
		byBand[b] = &health.BandMRR{Band: b, MRR: money(env.base)}
		out.MRRByBand = append(out.MRRByBand, health.BandMRR{})
	}
	for _, r := range rows {
		band := health.Band(r.Band)
		c := &out.All
		if r.Dim == "all" {
			byBand[band].Accounts += r.Accounts
			addMoney(&byBand[band].MRR, r.MRR, r.Missing)
		} else {
			if groups[r.Dim][r.Key] == nil {
				groups[r.Dim][r.Key] = ptrTo(counts(env.base))
			}
			c = groups[r.Dim][r.Key]
			labels[r.Key] = r.Label
		}
		c.Add(band, r.Accounts)
		addMoney(&c.MRR, r.MRR, r.Missing)
	}
	for i, b := range append(slices.Clone(health.AllBands), health.BandNone) {
		out.MRRByBand[i] = *byBand[b]
	}
	// Groups by their values' own order, the accounts without one last.
	sorted := func(dim string, compare func(a, b string) int) []health.SummaryGroup {
		var list []health.SummaryGroup
		for k, c := range groups[dim] {
			list = append(list, health.SummaryGroup{Key: k, Counts: *c})
		}
		slices.SortFunc(list, func(a, b health.SummaryGroup) int {
			if (a.Key == "") != (b.Key == "") {
				if a.Key == "" {
					return 1
				}
				return -1
			}
			return compare(a.Key, b.Key)
		})
		return list
	}
	inOrder := func(vocabulary []string) func(a, b string) int {
		return func(a, b string) int { return cmp.Compare(slices.Index(vocabulary, a), slices.Index(vocabulary, b)) }
	}
	out.ByTier = sorted("tier", inOrder(domain.Tiers))
	out.ByLifecycle = sorted("lifecycle", inOrder(domain.Lifecycles))
	out.BySegment = sorted("segment", strings.Compare)
	out.ByOwner = sorted("owner", func(a, b string) int { return cmp.Or(strings.Compare(labels[a], labels[b]), strings.Compare(a, b)) })
	return out, nil
}

func ptrTo[T any](v T) *T { return &v }

// money is no money in the workspace's base currency.
func money(base string) domain.Money {
	return domain.Money{Currency: base, MissingRates: []string{}}
}

func counts(base string) health.BandCounts { return health.BandCounts{MRR: money(base)} }

// addMoney adds amount to m, and the currencies of missing, a comma-joined
// list of lists, to its missing rates, each once, in order.
func addMoney(m *domain.Money, amount decimal.Decimal, missing *string) {
	m.Amount = m.Amount.Add(amount)
	if missing == nil {
		return
	}
	for _, c := range strings.Split(*missing, ",") {
		if !slices.Contains(m.MissingRates, c) {
			m.MissingRates = append(m.MissingRates, c)
		}
	}
	slices.Sort(m.MissingRates)
}
