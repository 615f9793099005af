package identity_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
)

// fields lists the fields err names, or nil when it is nil.
func fields(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var in *domain.InputError
	require.True(t, errors.As(err, &in), "want an input error, got %v", err)
	var out []string
	for _, p := range in.Problems {
		out = append(out, p.Field)
	}
	return out
}

func TestMergeRequestValidate(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	tests := []struct {
		name string
		req  identity.MergeRequest
		want []string
	}{
		{"two accounts", identity.MergeRequest{IDs: []uuid.UUID{a, b}, Reason: "same company"}, nil},
		{"one account", identity.MergeRequest{IDs: []uuid.UUID{a}, Reason: "x"}, []string{"ids"}},
		{"twice the same", identity.MergeRequest{IDs: []uuid.UUID{a, a}, Reason: "x"}, []string{"ids"}},
		{"no reason", identity.MergeRequest{IDs: []uuid.UUID{a, b}, Reason: "  "}, []string{"reason"}},
		{"everything wrong", identity.MergeRequest{Reason: strings.Repeat("x", identity.MaxReason+1)}, []string{"ids", "reason"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, fields(t, tc.req.Validate()))
		})
	}
}

func TestSplitRequestValidate(t *testing.T) {
	src := uuid.New()
	tests := []struct {
		name string
		req  identity.SplitRequest
		want []string
	}{
		{"one ref", identity.SplitRequest{Refs: []identity.RefKey{{SourceID: src, ExternalID: "cus_1"}}, Reason: "reseller"}, nil},
		{"no refs", identity.SplitRequest{Reason: "x"}, []string{"refs"}},
		{"empty external id", identity.SplitRequest{Refs: []identity.RefKey{{SourceID: src}}, Reason: "x"}, []string{"refs[0].externalId"}},
		{"a ref twice", identity.SplitRequest{Refs: []identity.RefKey{{src, "a"}, {src, "a"}}, Reason: "x"}, []string{"refs[1]"}},
		{"no reason", identity.SplitRequest{Refs: []identity.RefKey{{src, "a"}}}, []string{"reason"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, fields(t, tc.req.Validate()))
		})
	}
}

func TestSettingsPatchValidate(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		name  string
		patch identity.SettingsPatch
		want  []string
	}{
		{"threshold", identity.SettingsPatch{MergeThreshold: f(0.7)}, nil},
		{"threshold of 1", identity.SettingsPatch{MergeThreshold: f(1)}, nil},
		{"threshold of 0", identity.SettingsPatch{MergeThreshold: f(0)}, []string{"mergeThreshold"}},
		{"threshold above 1", identity.SettingsPatch{MergeThreshold: f(1.2)}, []string{"mergeThreshold"}},
		{"precedence", identity.SettingsPatch{Precedence: []identity.FieldPrecedence{{Field: "name", Kinds: []string{"salesforce", "hubspot"}}}}, nil},
		{"removing a precedence", identity.SettingsPatch{Precedence: []identity.FieldPrecedence{{Field: "domain"}}}, nil},
		{"unknown field", identity.SettingsPatch{Precedence: []identity.FieldPrecedence{{Field: "colour"}}}, []string{"precedence[0].field"}},
		{"field twice", identity.SettingsPatch{Precedence: []identity.FieldPrecedence{{Field: "tier"}, {Field: "tier"}}}, []string{"precedence[1].field"}},
		{"kind twice", identity.SettingsPatch{Precedence: []identity.FieldPrecedence{{Field: "tier", Kinds: []string{"hubspot", "hubspot", ""}}}},
			[]string{"precedence[0].kinds[1]", "precedence[0].kinds[2]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, fields(t, tc.patch.Validate()))
		})
	}
}
