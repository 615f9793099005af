package sync_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/domain"
)

// TestVocabulariesInStep keeps the protocol's closed vocabularies, which a
// record is validated against, equal to the model's.
func TestVocabulariesInStep(t *testing.T) {
	tests := []struct {
		name             string
		protocol, domain []string
	}{
		{"tiers", validate.Tiers, domain.Tiers},
		{"lifecycles", validate.Lifecycles, domain.Lifecycles},
		{"teams", validate.Teams, domain.Teams},
		{"roles", validate.Roles, domain.Roles},
		{"activity kinds", validate.ActivityKind, domain.ActivityKind},
		{"directions", validate.Directions, domain.Directions},
		{"deal statuses", validate.DealStatuses, domain.DealStatuses},
		{"deal kinds", validate.DealKinds, domain.DealKinds},
		{"intervals", validate.Intervals, domain.Intervals},
		{"priorities", validate.Priorities, domain.Priorities},
		{"ticket states", validate.TicketStates, domain.TicketStates},
		{"survey kinds", validate.SurveyKinds, domain.SurveyKinds},
		{"touchpoints", validate.Touchpoints, domain.Touchpoints},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.domain, tc.protocol)
		})
	}
	t.Run("currencies", func(t *testing.T) {
		require.ElementsMatch(t, domain.Currencies(), validate.Currencies())
	})
}
