package retention_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/retention"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse(time.DateOnly, s)
	}
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func id(n int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("00000000-0000-0000-0000-%012d", n)) }

// item is an item of account acc; end "" bills on.
func item(n, acc int, amount, currency, interval, start, end string) retention.Item {
	it := retention.Item{ID: id(1000 + n), AccountID: id(acc), Plan: "plan", Amount: dec(amount), Currency: currency,
		Interval: interval, StartsAt: at(start)}
	if end != "" {
		it.EndsAt = ptr(at(end))
	}
	return it
}

func book(t *testing.T, items []retention.Item, rates ...retention.Rate) *retention.Book {
	t.Helper()
	seen := map[uuid.UUID]bool{}
	var data retention.Data
	for _, it := range items {
		if !seen[it.AccountID] {
			seen[it.AccountID] = true
			data.Accounts = append(data.Accounts, retention.Account{ID: it.AccountID})
		}
	}
	data.Items, data.Rates = items, rates
	b, err := retention.NewBook(data, "USD")
	require.NoError(t, err)
	return b
}

func TestMRR(t *testing.T) {
	eur := []retention.Rate{
		{ID: id(1), Date: at("2024-11-01"), Currency: "EUR", Rate: dec("1.0825")},
		{ID: id(2), Date: at("2024-12-01"), Currency: "EUR", Rate: dec("1.05")},
		// Two rates of one day: the smaller id wins, as in the store.
		{ID: id(4), Date: at("2025-01-01"), Currency: "EUR", Rate: dec("2")},
		{ID: id(3), Date: at("2025-01-01"), Currency: "EUR", Rate: dec("1.2")},
		{ID: id(5), Date: at("2024-01-01"), Currency: "JPY", Rate: dec("1.00000000001")},
	}
	tests := []struct {
		name  string
		items []retention.Item
		at    string
		want  string
	}{
		{"monthly", []retention.Item{item(1, 1, "100", "USD", "month", "2024-01-01", "")}, "2024-06-01", "100"},
		{"annual divides by 12", []retention.Item{item(1, 1, "1000", "USD", "year", "2024-01-01", "")}, "2024-06-01", "83.33"},
		{"quarterly divides by 3", []retention.Item{item(1, 1, "100", "USD", "quarter", "2024-01-01", "")}, "2024-06-01", "33.33"},
		{"rounded once per account, not per item", []retention.Item{
			item(1, 1, "100", "USD", "quarter", "2024-01-01", ""),
			item(2, 1, "100", "USD", "quarter", "2024-01-01", ""),
			item(3, 1, "100", "USD", "quarter", "2024-01-01", ""),
		}, "2024-06-01", "100"},
		{"half a cent rounds away from zero", []retention.Item{item(1, 1, "0.06", "USD", "year", "2024-01-01", "")}, "2024-06-01", "0.01"},
		{"active on [start, end)", []retention.Item{item(1, 1, "100", "USD", "month", "2024-01-01", "2024-06-01")}, "2024-06-01", "0"},
		{"not before start", []retention.Item{item(1, 1, "100", "USD", "month", "2024-01-01", "")}, "2023-12-31T23:59:59Z", "0"},
		{"rate on or before the start day", []retention.Item{item(1, 1, "999.99", "EUR", "month", "2024-11-15", "")}, "2025-06-01", "1082.49"},
		{"rate of the start day itself", []retention.Item{item(1, 1, "100", "EUR", "month", "2024-12-01T23:00:00Z", "")}, "2025-06-01", "105"},
		{"ties on a day go to the smaller id", []retention.Item{item(1, 1, "100", "EUR", "month", "2025-01-01", "")}, "2025-06-01", "120"},
		{"no rate before the start is missing, not 1", []retention.Item{item(1, 1, "100", "EUR", "month", "2024-10-31", "")}, "2025-06-01", "0"},
		{"a rate of many places is summed exactly too", []retention.Item{
			item(1, 1, "100", "JPY", "month", "2024-01-01", ""),
			item(2, 1, "0.06", "USD", "year", "2024-01-01", ""),
		}, "2025-06-01", "100.01"},
		{"currency without rates is missing", []retention.Item{
			item(1, 1, "100", "USD", "month", "2024-01-01", ""),
			item(2, 1, "800", "CHF", "month", "2024-01-01", ""),
		}, "2025-06-01", "100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := book(t, tt.items, eur...)
			require.Equal(t, tt.want, b.MRR(id(1), at(tt.at)).String())
		})
	}
}

func TestMissingRatesAreReported(t *testing.T) {
	b := book(t, []retention.Item{
		item(1, 1, "100", "USD", "month", "2024-01-01", ""),
		item(2, 1, "800", "CHF", "month", "2024-01-01", ""),
		item(3, 2, "50", "CHF", "month", "2023-01-01", "2023-06-01"),
	})
	got := b.Missing(at("2024-01-01"), at("2024-04-01"), nil)
	require.Len(t, got, 1, "the item that ended long before the period is not reported")
	require.Equal(t, retention.MissingRate{ItemID: id(1002), AccountID: id(1), Plan: "plan", Currency: "CHF", StartsAt: at("2024-01-01")}, got[0])
	rep, err := retention.Retention(retention.Request{}, period("2024-01-01", "2024-04-01", time.UTC), b.Source())
	require.NoError(t, err)
	require.Equal(t, got, rep.MissingRates)
}

func period(from, to string, loc *time.Location) retention.Period {
	return retention.PeriodOf(retention.Request{From: at(from), To: at(to)}, loc)
}

func TestRetentionMovements(t *testing.T) {
	const from, to = "2025-01-01", "2025-04-01"
	tests := []struct {
		name  string
		items []retention.Item
		check func(t *testing.T, f retention.Figures)
	}{
		{"unchanged", []retention.Item{item(1, 1, "100", "USD", "month", "2024-01-01", "")}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "100", f.StartMRR.String())
			require.Equal(t, "1", f.NRR.String())
			require.Equal(t, 1, f.StartCount)
		}},
		{"new mid-period", []retention.Item{item(1, 1, "200", "USD", "month", "2025-02-15", "")}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "200", f.NewMRR.String())
			require.Equal(t, 1, f.NewCount)
			require.Nil(t, f.NRR, "no starting cohort")
			require.Nil(t, f.LogoRetention)
		}},
		{"joined and left within the period is nothing", []retention.Item{item(1, 1, "200", "USD", "month", "2025-02-01", "2025-03-01")}, func(t *testing.T, f retention.Figures) {
			require.True(t, f.EndMRR.IsZero())
			require.Equal(t, 0, f.NewCount+f.ChurnedCount)
		}},
		{"reactivation", []retention.Item{
			item(1, 1, "150", "USD", "month", "2024-03-01", "2024-09-01"),
			item(2, 1, "180", "USD", "month", "2025-03-10", ""),
		}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "180", f.ReactivationMRR.String())
			require.Equal(t, 1, f.ReactivatedCount)
			require.True(t, f.NewMRR.IsZero())
		}},
		{"partial cancellation is contraction", []retention.Item{
			item(1, 1, "300", "USD", "month", "2024-06-01", ""),
			item(2, 1, "300", "USD", "quarter", "2024-06-01", "2025-02-01"),
		}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "100", f.ContractionMRR.String())
			require.Equal(t, 0, f.ChurnedCount)
			require.Equal(t, "0.75", f.GRR.String())
			require.Equal(t, "1", f.LogoRetention.String())
		}},
		{"churn at the end of the paid term", []retention.Item{item(1, 1, "250", "USD", "month", "2024-02-01", "2025-04-01")}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "250", f.ChurnMRR.String())
			require.Equal(t, "0", f.GRR.String())
			require.Equal(t, "0", f.LogoRetention.String())
		}},
		{"an item ending after the period is not churn yet", []retention.Item{item(1, 1, "250", "USD", "month", "2024-02-01", "2025-04-01T00:00:01Z")}, func(t *testing.T, f retention.Figures) {
			require.True(t, f.ChurnMRR.IsZero())
		}},
		{"upgrade of an annual plan is expansion", []retention.Item{
			item(1, 1, "12000", "USD", "year", "2024-05-01", "2025-03-05"),
			item(2, 1, "15600", "USD", "year", "2025-03-05", ""),
		}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "300", f.ExpansionMRR.String())
			require.Equal(t, "1.3", f.NRR.String())
			require.Equal(t, "1", f.GRR.String())
		}},
		{"a discount expiring is expansion", []retention.Item{
			item(1, 1, "400", "USD", "month", "2024-12-10", "2025-03-10"),
			item(2, 1, "500", "USD", "month", "2025-03-10", ""),
		}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "100", f.ExpansionMRR.String())
		}},
		{"a rate change alone is no movement", []retention.Item{item(1, 1, "1000", "EUR", "month", "2024-11-15", "")}, func(t *testing.T, f retention.Figures) {
			require.Equal(t, "1082.5", f.StartMRR.String())
			require.Equal(t, "1082.5", f.EndMRR.String())
		}},
	}
	rates := []retention.Rate{
		{ID: id(1), Date: at("2024-11-01"), Currency: "EUR", Rate: dec("1.0825")},
		{ID: id(2), Date: at("2025-02-01"), Currency: "EUR", Rate: dec("1.2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := retention.Retention(retention.Request{}, period(from, to, time.UTC), book(t, tt.items, rates...).Source())
			require.NoError(t, err)
			require.True(t, rep.Figures.Balanced(), "%+v", rep.Figures)
			tt.check(t, rep.Figures)
		})
	}
}

func TestGroupsBalanceAndPlansMove(t *testing.T) {
	data := retention.Data{
		Accounts: []retention.Account{
			{ID: id(1), Segment: "smb", Tier: "C", Team: map[string][]uuid.UUID{"cs": {id(90)}}},
			{ID: id(2), Segment: "enterprise", Tier: "A", Team: map[string][]uuid.UUID{"cs": {id(90), id(91)}}},
			{ID: id(3), Segment: "smb", Tier: "C"},
		},
		Items: []retention.Item{
			{ID: id(11), AccountID: id(1), Plan: "Basic", Amount: dec("100"), Currency: "USD", Interval: "month", StartsAt: at("2024-01-01"), EndsAt: ptr(at("2025-02-01"))},
			{ID: id(12), AccountID: id(1), Plan: "Pro", Amount: dec("300"), Currency: "USD", Interval: "month", StartsAt: at("2025-02-01")},
			{ID: id(21), AccountID: id(2), Plan: "Pro", Amount: dec("3000"), Currency: "USD", Interval: "year", StartsAt: at("2024-01-01"), EndsAt: ptr(at("2025-03-01"))},
			{ID: id(31), AccountID: id(3), Plan: "Basic", Amount: dec("50"), Currency: "USD", Interval: "month", StartsAt: at("2025-01-15")},
		},
	}
	b, err := retention.NewBook(data, "USD")
	require.NoError(t, err)
	p := period("2025-01-01", "2025-04-01", time.UTC)
	want := map[retention.GroupBy][]string{
		retention.GroupSegment: {"enterprise", "smb"},
		retention.GroupTier:    {"A", "C"},
		retention.GroupOwner:   {"", id(90).String(), id(91).String()},
		retention.GroupPlan:    {"Basic", "Pro"},
	}
	for _, by := range retention.GroupBys {
		t.Run(string(by), func(t *testing.T) {
			rep, err := retention.Retention(retention.Request{GroupBy: by}, p, b.Source())
			require.NoError(t, err)
			require.True(t, rep.Figures.Balanced())
			var keys []string
			for _, g := range rep.Groups {
				keys = append(keys, g.Key)
				require.True(t, g.Balanced(), "%s %+v", g.Key, g.Figures)
			}
			require.Equal(t, want[by], keys)
		})
	}
	retain := func(r retention.Request) retention.Report {
		rep, err := retention.Retention(r, p, b.Source())
		require.NoError(t, err)
		return rep
	}
	plans := retain(retention.Request{GroupBy: retention.GroupPlan}).Groups
	// Account 1 left Basic for Pro: churn of Basic, new on Pro; account
	// 2's Pro ended: churn; account 3 is new on Basic.
	require.Equal(t, "100", plans[0].ChurnMRR.String())
	require.Equal(t, "50", plans[0].NewMRR.String())
	require.Equal(t, "300", plans[1].NewMRR.String())
	require.Equal(t, "250", plans[1].ChurnMRR.String())
	// Overall, account 1 expanded from 100 to 300.
	all := retain(retention.Request{}).Figures
	require.Equal(t, "200", all.ExpansionMRR.String())

	owned := retain(retention.Request{Filter: retention.Filter{OwnerID: ptr(id(91))}}).Figures
	require.Equal(t, 1, owned.StartCount)
	require.Equal(t, "250", owned.ChurnMRR.String())
	smb := retain(retention.Request{Filter: retention.Filter{Segment: "smb", Tier: "C"}}).Figures
	require.Equal(t, "100", smb.StartMRR.String())
}

func TestMonthsFollowTheTimezone(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	// An item starting at 00:30 in Paris on 1 February is 23:30 UTC on
	// 31 January: a February join in Paris, a January one in UTC.
	b := book(t, []retention.Item{item(1, 1, "100", "USD", "month", "2025-01-31T23:30:00Z", "")})
	for _, tt := range []struct {
		loc  *time.Location
		want []string
	}{
		{time.UTC, []string{"100", "0"}},
		{paris, []string{"0", "100"}},
	} {
		moves := report(t, retention.MRRMovements, b, retention.Request{}, period("2025-01-01", "2025-03-01", tt.loc))
		require.Equal(t, tt.loc.String(), moves.Rules.Timezone)
		require.Len(t, moves.Rows, 2)
		require.Equal(t, time.Date(2025, 2, 1, 0, 0, 0, 0, tt.loc), moves.Rows[0].To)
		for i, w := range tt.want {
			require.Equal(t, w, moves.Rows[i].NewMRR.String(), "%s row %d", tt.loc, i)
		}
		cohorts := report(t, retention.Cohorts, b, retention.Request{}, period("2025-01-01", "2025-03-01", tt.loc))
		require.Len(t, cohorts.Cohorts, 1)
		require.Equal(t, map[*time.Location]time.Month{time.UTC: 1, paris: 2}[tt.loc], cohorts.Cohorts[0].Month.Month())
	}
}

func TestMonthlyChurnAndCohorts(t *testing.T) {
	b := book(t, []retention.Item{
		item(1, 1, "100", "USD", "month", "2024-12-01", ""),
		item(2, 2, "100", "USD", "month", "2024-12-01", "2025-02-01"),
		item(3, 3, "200", "USD", "month", "2024-12-01", "2025-03-01"),
		item(4, 4, "100", "USD", "month", "2024-12-20", "2025-01-01"),
	})
	churn := report(t, retention.MonthlyChurn, b, retention.Request{}, period("2025-01-01", "2025-04-01", time.UTC))
	require.Len(t, churn.Rows, 3)
	var logo, revenue []string
	for _, r := range churn.Rows {
		logo = append(logo, r.LogoChurnRate.String())
		revenue = append(revenue, r.RevenueChurnRate.String())
	}
	// Account 4 ended on 1 January: not in January's cohort.
	require.Equal(t, []string{"0.3333", "0.5", "0"}, logo)
	require.Equal(t, []string{"0.25", "0.6667", "0"}, revenue)
	// (1/3 + 1/2 + 0) / 3 and (1/4 + 2/3 + 0) / 3.
	require.Equal(t, "0.2778", churn.MeanLogoChurnRate.String())
	require.Equal(t, "0.3056", churn.MeanRevenueChurnRate.String())

	logos := report(t, retention.Cohorts, b, retention.Request{Measure: retention.MeasureLogos}, period("2024-12-01", "2025-04-01", time.UTC))
	require.Len(t, logos.Cohorts, 1)
	c := logos.Cohorts[0]
	require.Equal(t, 4, c.Size)
	require.Equal(t, "500", c.StartMRR.String())
	// Account 4 left within its first month: the base is the 3 accounts
	// (400) still paying at its end, 1 January.
	require.Equal(t, at("2025-01-01"), c.BaseAt)
	require.Equal(t, 3, c.BaseCount)
	require.Equal(t, "400", c.BaseMRR.String())
	require.False(t, c.Partial)
	var active, ratios, mrr []string
	for _, cell := range c.Cells {
		active = append(active, fmt.Sprint(cell.Active))
		ratios = append(ratios, cell.Retention.String())
		mrr = append(mrr, cell.MRR.String())
	}
	require.Equal(t, []string{"3", "2", "1", "1"}, active)
	require.Equal(t, []string{"1", "0.6667", "0.3333", "0.3333"}, ratios)
	require.Equal(t, []string{"400", "300", "100", "100"}, mrr)
	byMRR := report(t, retention.Cohorts, b, retention.Request{Measure: retention.MeasureMRR}, period("2024-12-01", "2025-04-01", time.UTC))
	// 400/400, 300/400, 100/400, 100/400.
	var byMRRRatios []string
	for _, cell := range byMRR.Cohorts[0].Cells {
		byMRRRatios = append(byMRRRatios, cell.Retention.String())
	}
	require.Equal(t, []string{"1", "0.75", "0.25", "0.25"}, byMRRRatios)

	share := report(t, retention.RevenueFromExisting, b, retention.Request{}, period("2024-12-15", "2025-01-15", time.UTC))
	// At 15 January accounts 1, 2 and 3 bill 400, all of them active
	// before 15 December; account 4 joined and left in between.
	require.Equal(t, "400", share.TotalMRR.String())
	require.Equal(t, "1", share.Share.String())
}

func TestRequestValidate(t *testing.T) {
	tests := []struct {
		name   string
		req    retention.Request
		fields []string
	}{
		{"good", retention.Request{From: at("2025-01-01"), To: at("2025-02-01"), GroupBy: retention.GroupPlan}, nil},
		{"empty period", retention.Request{From: at("2025-01-01"), To: at("2025-01-01")}, []string{"to"}},
		{"missing", retention.Request{}, []string{"from", "to"}},
		{"bad group and role", retention.Request{From: at("2025-01-01"), To: at("2025-02-01"), GroupBy: "region", OwnerRole: "boss", Measure: "arr"},
			[]string{"groupBy", "ownerRole", "measure"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			if tt.fields == nil {
				require.NoError(t, err)
				return
			}
			var inputErr *domain.InputError
			require.True(t, errors.As(err, &inputErr), "%v", err)
			var fields []string
			for _, p := range inputErr.Problems {
				fields = append(fields, p.Field)
			}
			require.Equal(t, tt.fields, fields)
		})
	}
}

func TestUnknownInterval(t *testing.T) {
	_, err := retention.NewBook(retention.Data{
		Accounts: []retention.Account{{ID: id(1)}},
		Items:    []retention.Item{item(1, 1, "1", "USD", "week", "2024-01-01", "")},
	}, "USD")
	require.ErrorContains(t, err, `unknown interval "week"`)
}

// TestPayingAt lists who paid at the start of a period and when each
// that stopped paying by its end fell to zero.
func TestPayingAt(t *testing.T) {
	b := book(t, []retention.Item{
		item(1, 1, "100", "USD", "month", "2024-01-01", ""),                      // pays on
		item(2, 2, "100", "USD", "month", "2024-01-01", "2024-04-10"),            // churns in the period
		item(3, 3, "100", "USD", "month", "2024-01-01", "2024-03-01"),            // two items end apart:
		item(4, 3, "50", "USD", "month", "2024-01-01", "2024-05-20T12:00:00Z"),   // churned at the later
		item(5, 4, "100", "USD", "month", "2024-03-01", ""),                      // joins mid-period: not paying at from
		item(6, 5, "100", "USD", "month", "2023-01-01", "2023-06-01"),            // lost before the period
		item(7, 6, "100", "USD", "month", "2024-01-01", "2024-03-01"),            // lost and back by the end:
		item(8, 6, "100", "USD", "month", "2024-04-01", ""),                      // not churned
		item(9, 7, "100", "USD", "month", "2024-01-01", "2024-07-01"),            // ends exactly at to: churned at to
		item(10, 8, "0", "USD", "month", "2024-01-01", ""),                       // free: never paying
		item(11, 9, "100", "USD", "month", "2024-01-01", "2024-02-01T00:00:00Z"), // ends exactly at from: not paying
	})
	got := map[uuid.UUID]*time.Time{}
	for _, s := range b.PayingAt(at("2024-02-01"), at("2024-07-01")) {
		got[s.AccountID] = s.ChurnedAt
	}
	require.Equal(t, map[uuid.UUID]*time.Time{
		id(1): nil,
		id(2): ptr(at("2024-04-10")),
		id(3): ptr(at("2024-05-20T12:00:00Z")),
		id(6): nil,
		id(7): ptr(at("2024-07-01")),
	}, got)
}

// TestMonthlyChurnPartialMonths follows the shape, a period from
// mid-month to mid-month: the cut first and last months are rows marked
// partial and stay out of the means.
func TestMonthlyChurnPartialMonths(t *testing.T) {
	b := book(t, []retention.Item{
		item(1, 1, "100", "USD", "month", "2024-01-01", ""),
		item(2, 2, "100", "USD", "month", "2024-01-01", "2025-01-20"), // churns in the partial first row
		item(3, 3, "100", "USD", "month", "2024-01-01", "2025-02-10"), // churns in February, a full month
		item(4, 4, "100", "USD", "month", "2024-01-01", ""),
		item(5, 5, "300", "USD", "month", "2024-01-01", "2025-04-05"), // churns in the partial last row
	})
	churn := report(t, retention.MonthlyChurn, b, retention.Request{}, period("2025-01-15", "2025-04-15", time.UTC))
	type row struct {
		from, to      string
		partial       bool
		start, churn  int
		logo, revenue string
	}
	var got []row
	for _, r := range churn.Rows {
		got = append(got, row{r.From.Format(time.DateOnly), r.To.Format(time.DateOnly), r.Partial,
			r.StartCount, r.ChurnedCount, r.LogoChurnRate.String(), r.RevenueChurnRate.String()})
	}
	require.Equal(t, []row{
		{"2025-01-15", "2025-02-01", true, 5, 1, "0.2", "0.1429"},   // 1/5, 100/700
		{"2025-02-01", "2025-03-01", false, 4, 1, "0.25", "0.1667"}, // 1/4, 100/600
		{"2025-03-01", "2025-04-01", false, 3, 0, "0", "0"},         // nobody left
		{"2025-04-01", "2025-04-15", true, 3, 1, "0.3333", "0.6"},   // 1/3, 300/500
	}, got)
	// Over the full months only: (1/4 + 0) / 2 and (1/6 + 0) / 2; with the
	// partial rows in they would be (0.2 + 0.25 + 0 + 1/3) / 4 = 0.1958.
	require.Equal(t, "0.125", churn.MeanLogoChurnRate.String())
	require.Equal(t, "0.0833", churn.MeanRevenueChurnRate.String())
	require.Equal(t, []string{retention.MeansOverFullMonths}, churn.Rules.Definitions)

	// A period within one month has no full month: no mean.
	inside := report(t, retention.MonthlyChurn, b, retention.Request{}, period("2025-01-10", "2025-01-25", time.UTC))
	require.Len(t, inside.Rows, 1)
	require.True(t, inside.Rows[0].Partial)
	require.Nil(t, inside.MeanLogoChurnRate)
	require.Nil(t, inside.MeanRevenueChurnRate)

	// Whole months are never partial, in any timezone.
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	whole := report(t, retention.MonthlyChurn, b, retention.Request{}, period("2025-01-01", "2025-03-01", paris))
	require.Len(t, whole.Rows, 2)
	require.False(t, whole.Rows[0].Partial)
	require.False(t, whole.Rows[1].Partial)
}

// TestCohortBase checks the settled cohort reading: the base is taken at
// the end of the first month, so an add-on later in that month is in it
// and month 0 is 1; with a from or to inside a month, the cohort holds
// only the accounts that started within [from, to) and is partial.
func TestCohortBase(t *testing.T) {
	b := book(t, []retention.Item{
		item(1, 1, "100", "USD", "month", "2025-01-03", ""),
		item(2, 1, "50", "USD", "month", "2025-01-20", ""), // add-on later in the first month
		item(3, 2, "200", "USD", "month", "2025-01-10", "2025-03-01"),
		item(4, 3, "80", "USD", "month", "2025-02-05", ""),
		item(5, 4, "70", "USD", "month", "2025-03-10", ""),  // before to (03-15)
		item(6, 5, "999", "USD", "month", "2025-03-20", ""), // after to: in no cohort
		item(7, 6, "40", "USD", "month", "2024-12-20", ""),  // before from: in no cohort
		item(8, 7, "60", "USD", "month", "2025-01-01", "2025-01-12"),
	})
	type cohort struct {
		month          string
		partial        bool
		size           int
		start, baseAt  string
		baseCount      int
		baseMRR        string
		cells, mrrCell []string
	}
	summarize := func(from, to string) []cohort {
		var out []cohort
		logos := report(t, retention.Cohorts, b, retention.Request{Measure: retention.MeasureLogos}, period(from, to, time.UTC))
		byMRR := report(t, retention.Cohorts, b, retention.Request{Measure: retention.MeasureMRR}, period(from, to, time.UTC))
		require.Equal(t, []string{retention.CohortReading}, logos.Rules.Definitions)
		for i, c := range logos.Cohorts {
			x := cohort{month: c.Month.Format(time.DateOnly), partial: c.Partial, size: c.Size, start: c.StartMRR.String(),
				baseAt: c.BaseAt.Format(time.DateOnly), baseCount: c.BaseCount, baseMRR: c.BaseMRR.String(),
				cells: []string{}, mrrCell: []string{}}
			for j, cell := range c.Cells {
				x.cells = append(x.cells, cell.Retention.String())
				x.mrrCell = append(x.mrrCell, byMRR.Cohorts[i].Cells[j].Retention.String())
			}
			out = append(out, x)
		}
		return out
	}
	// January holds accounts 1, 2 and 7 (7 left on 01-12); first MRR
	// 100 + 200 + 60 = 360; base at 02-01: accounts 1 (150) and 2 (200).
	// Cell 1 (03-01): account 1 only, 150/350. February: account 3.
	// March starts before to (03-15) but ends after it: partial, base at
	// to, no cell.
	require.Equal(t, []cohort{
		{"2025-01-01", false, 3, "360", "2025-02-01", 2, "350", []string{"1", "0.5"}, []string{"1", "0.4286"}},
		{"2025-02-01", false, 1, "80", "2025-03-01", 1, "80", []string{"1"}, []string{"1"}},
		{"2025-03-01", true, 1, "70", "2025-03-15", 1, "70", []string{}, []string{}},
	}, summarize("2025-01-01", "2025-03-15"))
	// A from inside January leaves out accounts 1 and 7, which started
	// before it: January is partial and holds account 2 alone.
	require.Equal(t, []cohort{
		{"2025-01-01", true, 1, "200", "2025-02-01", 1, "200", []string{"1", "0"}, []string{"1", "0"}},
		{"2025-02-01", false, 1, "80", "2025-03-01", 1, "80", []string{"1"}, []string{"1"}},
	}, summarize("2025-01-05", "2025-03-01"))
}

// report is the report f over the book b: a book's Source never yields an
// error.
func report[T any](t *testing.T, f func(retention.Request, retention.Period, retention.Source) (T, error), b *retention.Book, r retention.Request, p retention.Period) T {
	t.Helper()
	out, err := f(r, p, b.Source())
	require.NoError(t, err)
	return out
}
