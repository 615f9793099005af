package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
	"github.com/pulseproject/pulse/store"
)

// TestHealthAPI posts testdata/health/*.graphql in name order to one
// server over one database, so that the mutations' effects show in the
// files after them, and compares each response with its .json (-update
// rewrites them). The data is the fixture plus Acme's NPS falling from 9
// (2025-04-05) to 4 (2025-05-25) and a success-plan objective past due,
// scored as of 2025-04-20 and of now, 2025-06-01: see
// testdata/health/README.md for the figures worked by hand.
func TestHealthAPI(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	seed(t, db)
	st := store.New(db)
	require.NoError(t, db.Create(&domain.SurveyResponse{ID: fid(surveyIDs, 90), AccountID: acme, Kind: "nps", Score: 4,
		Touchpoint: "qbr", RespondedAt: at("2025-05-25T10:00:00Z"), Provenance: domain.Provenance{SourceID: &hubspot, ExternalID: "s-90"}}).Error)
	require.NoError(t, db.Exec(`INSERT INTO success_plan_objectives (id, account_id, title, owner_id, due_date, status, created_at, updated_at)
		VALUES (?, ?, 'Train the admins', ?, '2025-05-15', 'on_track', '2025-04-01T00:00:00Z', '2025-04-01T00:00:00Z')`,
		"000000ab-0000-0000-0000-000000000001", acme, bob).Error)
	for _, when := range []string{"2025-04-20T00:00:00Z", "2025-06-01T00:00:00Z"} {
		_, err := st.Rescore(ctx, health.RescoreRequest{All: true, AsOf: at(when)})
		require.NoError(t, err)
	}
	s := newServer(t, db)
	files, err := filepath.Glob("testdata/health/*.graphql")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	sort.Strings(files)
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
			require.NoError(t, err, "run go test ./graph/ -run TestHealthAPI -update to create it")
			if diff := cmp.Diff(string(want), got.String()); diff != "" {
				t.Errorf("%s (-want +got):\n%s", name, diff)
			}
		})
	}
	t.Run("amounts in the base currency", func(t *testing.T) {
		// With EUR as the base, Bluth's 499.99 EUR plan needs no rate,
		// and the USD and GBP plans, which have no rate to EUR, are left
		// out and named: Account.mrr, renewals and healthSummary count in
		// the base currency, as the revenue reports do.
		_, err := st.UpdateSettings(ctx, domain.SettingsPatch{BaseCurrency: ptr("EUR")})
		require.NoError(t, err)
		t.Cleanup(func() {
			_, err := st.UpdateSettings(ctx, domain.SettingsPatch{BaseCurrency: ptr("USD")})
			require.NoError(t, err)
		})
		type money struct {
			Amount, Currency string
			MissingRates     []string
		}
		r := query[struct {
			Account       struct{ Mrr money }
			Renewals      []struct{ Mrr money }
			HealthSummary struct{ All struct{ Mrr money } }
		}](s, `query($id: ID!) {
			account(id: $id) { mrr { amount currency missingRates } }
			renewals(withinDays: 120) { mrr { amount currency missingRates } }
			healthSummary { all { mrr { amount currency missingRates } } } }`, map[string]any{"id": bluth.String()})
		require.Empty(t, r.Errors)
		require.Equal(t, money{"499.99", "EUR", []string{}}, r.Data.Account.Mrr)
		require.Equal(t, []struct{ Mrr money }{
			{money{"0", "EUR", []string{"GBP", "USD"}}}, // Globex
			{money{"0", "EUR", []string{}}},             // Initech, churned
		}, r.Data.Renewals)
		require.Equal(t, money{"499.99", "EUR", []string{"GBP", "USD"}}, r.Data.HealthSummary.All.Mrr)
	})
}
