package validate_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

// TestValidateRecordRefusesTextTheDatabaseCannotStore covers every place a
// record carries text: its id, its entity's fields, its references, its
// links and its custom map, keys and nested values included.
func TestValidateRecordRefusesTextTheDatabaseCannotStore(t *testing.T) {
	nul := "contains a NUL byte (at byte 4), which cannot be stored as text"
	custom := func(m map[string]any) *structpb.Struct {
		s, err := structpb.NewStruct(m)
		require.NoError(t, err)
		return s
	}
	tests := []struct {
		name string
		rec  *connectorpb.Record
		want validate.Problems
	}{
		{"clean", sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme\uFFFD"}), nil},
		{"entity field", sdk.NewAccount("a-1", &connectorpb.Account{Name: "Bad\x00Co", Industry: "ok"}),
			validate.Problems{{Field: "name", Message: nul}}},
		{"not UTF-8", sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme", Segment: "Mid\xffmarket"}),
			validate.Problems{{Field: "segment", Message: "is not valid UTF-8 (at byte 4)"}}},
		{"id", sdk.NewAccount("nul\x00", &connectorpb.Account{Name: "Acme"}),
			validate.Problems{{Field: "external_id", Message: nul}}},
		{"tombstone id", sdk.Tombstone(sdk.Account, "nul\x00"),
			validate.Problems{{Field: "external_id", Message: nul}}},
		{"reference", sdk.NewContact("c-1", &connectorpb.Contact{AccountExternalId: "acc\x00"}),
			validate.Problems{{Field: "account_external_id", Message: nul}}},
		{"free text", sdk.NewActivity("x-1", &connectorpb.Activity{AccountExternalId: "a-1", Kind: "note",
			OccurredAt: timestamppb.Now(), Subject: "Hi!\x00"}),
			validate.Problems{{Field: "subject", Message: nul}}},
		{"custom value", withCustom(sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme"}),
			custom(map[string]any{"region": "EU\x00", "seats": 3, "tags": []any{"ok", "bad\x00"}, "plan": map[string]any{"name": "pro\x00"}})),
			validate.Problems{
				{Field: "custom.plan.name", Message: nul},
				{Field: "custom.region", Message: "contains a NUL byte (at byte 3), which cannot be stored as text"},
				{Field: "custom.tags[1]", Message: nul}}},
		{"custom key", withCustom(sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme"}), custom(map[string]any{"re\x00gion": "EU"})),
			validate.Problems{{Field: "custom", Message: `key "re\x00gion" contains a NUL byte (at byte 3), which cannot be stored as text`}}},
		{"link", withLink(sdk.NewAccount("a-1", &connectorpb.Account{Name: "Acme"}), &connectorpb.Link{Kind: "hubspot", ExternalId: "123\x00"}),
			validate.Problems{{Field: "links.external_id", Message: nul}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := validate.ValidateRecord(tc.rec)
			if tc.rec.GetDeleted() {
				// A tombstone carries no entity, which ValidateRecord
				// (for live records) reports too; only text matters here.
				got = got[:len(tc.want)]
			}
			require.Equal(t, tc.want, got)
		})
	}
}

func withCustom(r *connectorpb.Record, s *structpb.Struct) *connectorpb.Record {
	r.Custom = s
	return r
}

func withLink(r *connectorpb.Record, l *connectorpb.Link) *connectorpb.Record {
	r.Links = append(r.Links, l)
	return r
}

// TestValidateRecordRefusesAmountsTheDatabaseCannotHold: a decimal is
// text on the wire, and text can carry any exponent.
func TestValidateRecordRefusesAmountsTheDatabaseCannotHold(t *testing.T) {
	deal := func(amount string) *connectorpb.Record {
		return sdk.NewDeal("d-1", &connectorpb.Deal{AccountExternalId: "a-1", Name: "Renewal", Status: "open", Kind: "renewal", Currency: "USD", Amount: amount})
	}
	require.Empty(t, validate.ValidateRecord(deal("1200.50")))
	require.Equal(t, validate.Problems{{Field: "amount", Message: `"1e200000" is too large: a number holds at most 131072 digits before the point`}},
		validate.ValidateRecord(deal("1e200000")))
	require.Equal(t, validate.Problems{{Field: "amount", Message: `"1e-20000" is too precise: a number holds at most 16383 digits after the point`}},
		validate.ValidateRecord(deal("1e-20000")))
}
