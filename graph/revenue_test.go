package graph_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/retention"
	"github.com/pulseproject/pulse/graph"
	"github.com/pulseproject/pulse/internal/plugintest"
	"github.com/pulseproject/pulse/secrets"
	"github.com/pulseproject/pulse/sources"
	"github.com/pulseproject/pulse/store"
	"github.com/pulseproject/pulse/sync"
)

// TestRevenueReports loads data through real connector plugins and the
// sync engine, then asks the reports over HTTP: the CSV fixture of
// testdata/revenue/fixture against answers computed by hand (see its
// README.md), and the demo data against the identity of docs/metrics.md.
func TestRevenueReports(t *testing.T) {
	plugins := plugintest.Dir(t)
	t.Cleanup(plugintest.Cleanup)

	t.Run("fixture", func(t *testing.T) {
		dir, err := filepath.Abs("testdata/revenue/fixture")
		require.NoError(t, err)
		db := openDB(t)
		syncSource(t, db, plugins, "csv", map[string]any{"path": dir})
		s := newRevenueServer(t, db)
		files, err := filepath.Glob("testdata/revenue/*.graphql")
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			name := strings.TrimSuffix(filepath.Base(file), ".graphql")
			t.Run(name, func(t *testing.T) {
				q, err := os.ReadFile(file)
				require.NoError(t, err)
				var got bytes.Buffer
				require.NoError(t, json.Indent(&got, s.post(string(q), nil), "", "  "))
				got.WriteByte('\n')
				golden := strings.TrimSuffix(file, ".graphql") + ".json"
				if *update {
					require.NoError(t, os.WriteFile(golden, got.Bytes(), 0o644))
					return
				}
				want, err := os.ReadFile(golden)
				require.NoError(t, err, "run go test ./graph/ -run TestRevenueReports -update to create it")
				if diff := cmp.Diff(string(want), got.String()); diff != "" {
					t.Errorf("%s (-want +got):\n%s", name, diff)
				}
			})
		}
		t.Run("every Money holds its bare amount", func(t *testing.T) {
			q, err := os.ReadFile("testdata/revenue/money_shapes.graphql")
			require.NoError(t, err)
			var r response[map[string]any]
			require.NoError(t, json.Unmarshal(s.post(string(q), nil), &r))
			require.Empty(t, r.Errors)
			require.Equal(t, 40, requireMoneyMatches(t, "", r.Data), "Money fields checked")
		})
		t.Run("mrr agrees with the account page", func(t *testing.T) {
			requireSameMRR(t, db, "2024-06-15", "2025-01-01", "2025-02-20", "2025-04-01")
		})
		t.Run("unknown groupBy", func(t *testing.T) {
			// gqlgen refuses a value outside the enum before any resolver
			// runs, naming the enum and the value.
			body, _ := json.Marshal(map[string]any{"query": `query($by: RetentionGroupBy) {
				retention(from: "2025-01-01", to: "2025-04-01", groupBy: $by) { startMrr } }`, "variables": map[string]any{"by": "REGION"}})
			resp, err := http.Post(s.url+"/query", "application/json", bytes.NewReader(body))
			require.NoError(t, err)
			defer resp.Body.Close()
			var r response[map[string]any]
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&r))
			require.Len(t, r.Errors, 1)
			require.Contains(t, r.Errors[0].Message, "REGION")
			require.Contains(t, r.Errors[0].Message, "RetentionGroupBy")
		})
		t.Run("settings apply to the reports", func(t *testing.T) {
			r := query[struct {
				UpdateSettings struct{ Timezone, BaseCurrency string }
			}](s,
				`mutation { updateSettings(input: {timezone: "Asia/Tokyo"}) { timezone baseCurrency } }`, nil)
			require.Empty(t, r.Errors)
			require.Equal(t, "Asia/Tokyo", r.Data.UpdateSettings.Timezone)
			require.Equal(t, "USD", r.Data.UpdateSettings.BaseCurrency, "fields left out stay")
			// The period's days now begin at midnight in Tokyo, 15:00 UTC
			// the day before; no item changes in those nine hours, so the
			// figures stay.
			m := query[struct {
				Retention struct {
					Rules  struct{ From, To, Timezone string }
					EndMrr string
				}
				Cohorts struct{ Cohorts []struct{ Month string } }
			}](s, `{ retention(from: "2025-01-01", to: "2025-04-01") { rules { from to timezone } endMrr }
				cohorts(from: "2025-02-01", to: "2025-04-01") { cohorts { month } } }`, nil)
			require.Empty(t, m.Errors)
			require.Equal(t, "2024-12-31T15:00:00Z", m.Data.Retention.Rules.From)
			require.Equal(t, "2025-03-31T15:00:00Z", m.Data.Retention.Rules.To)
			require.Equal(t, "Asia/Tokyo", m.Data.Retention.Rules.Timezone)
			require.Equal(t, "3912.49", m.Data.Retention.EndMrr)
			require.Equal(t, []struct{ Month string }{{"2025-02-01"}}, m.Data.Cohorts.Cohorts)
			_, err := store.New(db).UpdateSettings(context.Background(), domain.SettingsPatch{Timezone: ptr("UTC")})
			require.NoError(t, err)
		})
	})

	t.Run("demo", func(t *testing.T) {
		db := openDB(t)
		syncSource(t, db, plugins, "demo", map[string]any{"size": "200", "seed": "7", "end_date": "2026-06-30"})
		s := newRevenueServer(t, db)
		requireSameMRR(t, db, "2024-09-01", "2025-06-01", "2026-01-01", "2026-06-30")
		periods := [][2]string{
			{"2024-07-01", "2026-07-01"}, {"2025-01-01", "2026-01-01"}, {"2025-04-01", "2025-07-01"},
			{"2026-03-01", "2026-04-01"}, {"2025-02-10", "2025-11-23"},
		}
		var churned, started int
		for _, tz := range []string{"UTC", "Asia/Kolkata"} {
			_, err := store.New(db).UpdateSettings(context.Background(), domain.SettingsPatch{Timezone: &tz})
			require.NoError(t, err)
			for _, p := range periods {
				for _, by := range []string{"null", "SEGMENT", "TIER", "OWNER", "PLAN"} {
					r := query[struct{ Retention retentionFigures }](s, `query($from: Date!, $to: Date!, $by: RetentionGroupBy) {
					retention(from: $from, to: $to, groupBy: $by) { `+figureFields+` groups { key `+figureFields+` } } }`,
						map[string]any{"from": p[0], "to": p[1], "by": map[bool]any{true: nil, false: by}[by == "null"]})
					require.Empty(t, r.Errors)
					r.Data.Retention.requireBalanced(t, fmt.Sprintf("%v by %s", p, by))
					churned += r.Data.Retention.ChurnedCount
					started += r.Data.Retention.StartCount
					if by != "null" {
						require.NotEmpty(t, r.Data.Retention.Groups, "%v by %s", p, by)
					}
					for _, g := range r.Data.Retention.Groups {
						g.requireBalanced(t, fmt.Sprintf("%v by %s, group %q", p, by, g.Key))
					}
				}
				r := query[struct {
					MrrMovements struct{ Rows []retentionFigures }
				}](s, `query($from: Date!, $to: Date!) { mrrMovements(from: $from, to: $to) { rows { `+movementFields+` } } }`,
					map[string]any{"from": p[0], "to": p[1]})
				require.Empty(t, r.Errors)
				require.NotEmpty(t, r.Data.MrrMovements.Rows)
				for i, row := range r.Data.MrrMovements.Rows {
					row.requireBalanced(t, fmt.Sprintf("%v month %d", p, i))
					if i > 0 {
						require.Equal(t, r.Data.MrrMovements.Rows[i-1].EndMrr, row.StartMrr, "months chain")
					}
				}
			}
		}
		require.Positive(t, started)
		require.Positive(t, churned, "the demo data has churn to report")
	})
}

// figureFields are the fields of RetentionReport and RetentionGroup the
// identity is checked on.
const figureFields = `startMrr endMrr newMrr reactivationMrr expansionMrr contractionMrr churnMrr
	startCount endCount newCount reactivatedCount churnedCount nrr grr logoRetention`

const movementFields = `startMrr endMrr newMrr reactivationMrr expansionMrr contractionMrr churnMrr
	startCount endCount newCount reactivatedCount churnedCount`

type retentionFigures struct {
	Key                                                                     string
	StartMrr, EndMrr, NewMrr, ReactivationMrr, ExpansionMrr, ContractionMrr string
	ChurnMrr                                                                string
	StartCount, EndCount, NewCount, ReactivatedCount, ChurnedCount          int
	Nrr, Grr, LogoRetention                                                 *string
	Groups                                                                  []retentionFigures
}

// requireBalanced checks the identity of docs/metrics.md to the cent, its
// counterpart for logos, and that the ratios stay in range.
func (f retentionFigures) requireBalanced(t *testing.T, what string) {
	t.Helper()
	d := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	sum := d(f.StartMrr).Add(d(f.NewMrr)).Add(d(f.ReactivationMrr)).Add(d(f.ExpansionMrr)).Sub(d(f.ContractionMrr)).Sub(d(f.ChurnMrr))
	require.True(t, sum.Equal(d(f.EndMrr)), "%s: %s + movements = %s, not endMrr %s", what, f.StartMrr, sum, f.EndMrr)
	require.Equal(t, f.EndCount, f.StartCount+f.NewCount+f.ReactivatedCount-f.ChurnedCount, what)
	if f.Grr != nil {
		require.True(t, d(*f.Grr).LessThanOrEqual(decimal.NewFromInt(1)), "%s: GRR %s above 1", what, *f.Grr)
		require.True(t, d(*f.Grr).LessThanOrEqual(d(*f.Nrr)), what)
	}
}

// requireSameMRR checks that the reports' MRR of every account is the
// account page's, computed in SQL, at each instant.
func requireSameMRR(t *testing.T, db *gorm.DB, days ...string) {
	t.Helper()
	ctx := context.Background()
	st := store.New(db)
	data, err := st.RevenueData(ctx, "")
	require.NoError(t, err)
	book, err := retention.NewBook(data, domain.BaseCurrency)
	require.NoError(t, err)
	ids := make([]uuid.UUID, len(data.Accounts))
	for i, a := range data.Accounts {
		ids[i] = a.ID
	}
	for _, day := range days {
		when, err := time.Parse(time.DateOnly, day)
		require.NoError(t, err)
		sqlMRR, err := st.MRR(ctx, ids, when)
		require.NoError(t, err)
		var positive int
		for _, id := range ids {
			require.True(t, sqlMRR[id].Amount.Equal(book.MRR(id, when)), "account %s at %s: SQL %s, report %s", id, day, sqlMRR[id].Amount, book.MRR(id, when))
			if sqlMRR[id].Amount.IsPositive() {
				positive++
			}
		}
		require.Positive(t, positive, day)
	}
}

// syncSource adds a source of kind with cfg and syncs it once.
func syncSource(t *testing.T, db *gorm.DB, plugins, kind string, cfg map[string]any) {
	t.Helper()
	ctx := context.Background()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secrets.NewBox(key)
	require.NoError(t, err)
	h := host.New(host.Options{Dirs: []string{plugins}})
	svc := &sources.Service{DB: db, Host: h, Box: box}
	src, err := svc.Create(ctx, sources.Input{Kind: kind, Name: kind, Config: cfg})
	require.NoError(t, err)
	run, err := (&sync.Engine{DB: db, Host: h, Sources: svc}).Run(ctx, src, "test")
	require.NoError(t, err)
	require.Equal(t, domain.RunSucceeded, run.Status, run.Error)
	require.Zero(t, run.RecordsRejected+run.RecordsDeferred, "every record is stored")
}

// newRevenueServer is the handler with the store answering the revenue
// reports.
func newRevenueServer(t *testing.T, db *gorm.DB) *server {
	t.Helper()
	st := store.New(db)
	s := &server{t: t, sources: &fakeSources{}, syncs: &fakeSyncs{}, logs: &syncBuffer{}}
	h := graph.NewHandler(st, s.sources, s.syncs, graph.Options{
		Logger:  slog.New(slog.NewTextHandler(s.logs, nil)),
		Now:     func() time.Time { return fixtureNow },
		Revenue: st,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// requireMoneyMatches walks a response and checks that each fieldMoney holds
// the amount of its bare field, in USD; it returns how many it checked.
func requireMoneyMatches(t *testing.T, path string, v any) int {
	t.Helper()
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for k, sub := range x {
			if bare, ok := strings.CutSuffix(k, "Money"); ok {
				m := sub.(map[string]any)
				if amount, ok := x[bare]; ok {
					require.Equal(t, amount, m["amount"], "%s.%s", path, k)
				}
				require.Equal(t, "USD", m["currency"], "%s.%s", path, k)
				require.NotNil(t, m["missingRates"], "%s.%s", path, k)
				n++
				continue
			}
			n += requireMoneyMatches(t, path+"."+k, sub)
		}
	case []any:
		for i, sub := range x {
			n += requireMoneyMatches(t, fmt.Sprintf("%s[%d]", path, i), sub)
		}
	}
	return n
}
