package sync_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/stretchr/testify/require"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
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

// TestTextAndNumberRulesInStep keeps the rules a record's text and amounts
// are held to (validate) equal to those the model holds clients' input to
// (domain.TextProblem, domain.DecimalProblem): the SDK may not import the
// model, so each keeps its copy.
func TestTextAndNumberRulesInStep(t *testing.T) {
	for _, s := range []string{"Acme", "", "Bad\x00Co", "\x00", "Mid\xffmarket", "\uFFFD ok", "\xc3", "caf\xc3\xa9"} {
		rec := sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme", Industry: s})
		var got string
		for _, p := range validate.ValidateRecord(rec) {
			got = p.Message
		}
		require.Equal(t, domain.TextProblem(s), got, "%q", s)
	}
	for _, amount := range []string{"1", "0", "1e200000", "1e-20000", "1e131071", "1e131072", "1e-16383", "1e-16384", "-5e-17000"} {
		rec := sdk.NewDeal("d-1", &connectorpb.Deal{AccountExternalId: "a-1", Currency: "USD", Amount: amount})
		d, err := decimal.NewFromString(amount)
		require.NoError(t, err)
		want := domain.DecimalProblem(d)
		var got string
		for _, p := range validate.ValidateRecord(rec) {
			if p.Field == "amount" && !strings.HasPrefix(p.Message, "must not be negative") {
				got = strings.TrimPrefix(p.Message, fmt.Sprintf("%.20q ", amount))
			}
		}
		require.Equal(t, want, got, amount)
	}
}
