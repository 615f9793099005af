package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/health"
)

// TestImpossibleDatesAreNoDurations: a ticket answered or resolved before
// it was opened (a Salesforce case closed before it was created) counts as
// a ticket, but its span is no duration: the medians leave it out rather
// than go negative.
func TestImpossibleDatesAreNoDurations(t *testing.T) {
	ctx := context.Background()
	s, db := openStore(t)
	asOf := ts("2025-06-01T00:00:00Z")
	acme := id(1)
	insert(t, db, &domain.Account{ID: acme, Name: "Acme", Segment: "smb"},
		&[]domain.Ticket{
			{ID: id(200), AccountID: acme, Priority: "normal", Status: "solved", OpenedAt: ts("2025-05-10T10:00:00Z"),
				FirstResponseAt: ptr(ts("2025-05-10T12:00:00Z")), ResolvedAt: ptr(ts("2025-05-10T14:00:00Z")), Provenance: ext("t1")},
			{ID: id(201), AccountID: acme, Priority: "normal", Status: "solved", OpenedAt: ts("2025-05-11T10:00:00Z"),
				FirstResponseAt: ptr(ts("2025-05-11T14:00:00Z")), ResolvedAt: ptr(ts("2025-05-11T18:00:00Z")), Provenance: ext("t2")},
			// Answered five hours and closed a day before it was opened.
			{ID: id(202), AccountID: acme, Priority: "normal", Status: "closed", OpenedAt: ts("2025-05-12T10:00:00Z"),
				FirstResponseAt: ptr(ts("2025-05-12T05:00:00Z")), ResolvedAt: ptr(ts("2025-05-11T10:00:00Z")), Provenance: ext("t3")},
		})
	_, err := s.SaveScorecard(ctx, `
name: support
version: 1
segment: smb
measures:
  - {measure: median_first_response_hours, weight: 1, thresholds: [{value: 0, score: 100}, {value: 48, score: 0}]}
  - {measure: median_resolution_hours, weight: 1, thresholds: [{value: 0, score: 100}, {value: 48, score: 0}]}
  - {measure: open_tickets, weight: 1, thresholds: [{value: 0, score: 100}, {value: 5, score: 0}]}
`, asOf)
	require.NoError(t, err)
	_, err = s.Rescore(ctx, health.RescoreRequest{All: true, AsOf: asOf})
	require.NoError(t, err)
	got, err := s.LatestHealth(ctx, []uuid.UUID{acme})
	require.NoError(t, err)
	values := map[string]float64{}
	for _, f := range got[acme].Factors {
		require.NotNil(t, f.Value, f.Measure)
		values[string(f.Measure)] = *f.Value
	}
	require.Equal(t, map[string]float64{
		"median_first_response_hours": 3, // 2h and 4h; not −5h
		"median_resolution_hours":     6, // 4h and 8h; not −24h
		"open_tickets":                0, // the impossible ticket is still closed
	}, values)
}
