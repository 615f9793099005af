package model_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph/model"
)

func written(m graphql.Marshaler) string {
	var b bytes.Buffer
	m.MarshalGQL(&b)
	return b.String()
}

func TestMarshal(t *testing.T) {
	paris := time.FixedZone("Paris", 2*3600)
	for _, tc := range []struct {
		name string
		got  graphql.Marshaler
		want string
	}{
		{"time in UTC", model.MarshalTime(time.Date(2025, 3, 1, 10, 30, 0, 500, paris)), `"2025-03-01T08:30:00.0000005Z"`},
		{"date", model.MarshalDate(time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)), `"2025-09-30"`},
		{"decimal exact", model.MarshalDecimal(decimal.RequireFromString("541.239175")), `"541.239175"`},
		{"JSON", model.MarshalJSON(domain.Custom{"b": 1, "a": []any{"x"}}), `{"a":["x"],"b":1}`},
		{"JSON missing", model.MarshalJSON(nil), `{}`},
		{"id", model.MarshalID(uuid.MustParse("000000a1-0000-0000-0000-000000000001")), `"000000a1-0000-0000-0000-000000000001"`},
		{"no id", model.MarshalID(uuid.Nil), `null`},
		{"enum", model.MarshalRole("exec_sponsor"), `"EXEC_SPONSOR"`},
		{"enum unset", model.MarshalTier(""), `null`},
		{"enum unknown", model.MarshalLifecycle("zombie"), `null`},
		{"order", model.MarshalAccountOrderField(domain.SortByRenewalDate), `"RENEWAL_DATE"`},
	} {
		if got := written(tc.got); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestUnmarshal(t *testing.T) {
	okCases := []struct {
		name string
		got  func() (any, error)
		want any
	}{
		{"time", func() (any, error) { return model.UnmarshalTime("2025-03-01T09:30:00+01:00") }, time.Date(2025, 3, 1, 8, 30, 0, 0, time.UTC)},
		{"date", func() (any, error) { return model.UnmarshalDate("2025-09-30") }, time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)},
		{"decimal", func() (any, error) { return model.UnmarshalDecimal("0.10") }, decimal.RequireFromString("0.1")},
		{"enum", func() (any, error) { return model.UnmarshalActivityKind("ONBOARDING_SESSION") }, "onboarding_session"},
		{"timeline kind", func() (any, error) { return model.UnmarshalTimelineKind("SUBSCRIPTION_ENDED") }, domain.TimelineSubscriptionEnded},
	}
	for _, tc := range okCases {
		got, err := tc.got()
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		equal := got == tc.want
		switch g := got.(type) {
		case time.Time:
			equal = g.Equal(tc.want.(time.Time))
		case decimal.Decimal:
			equal = g.Equal(tc.want.(decimal.Decimal))
		}
		if !equal {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// Bad values are the client's: InputErrors, which the API names
	// after the argument.
	for name, f := range map[string]func() error{
		"time":        func() error { _, err := model.UnmarshalTime("yesterday"); return err },
		"date":        func() error { _, err := model.UnmarshalDate("30/09/2025"); return err },
		"float":       func() error { _, err := model.UnmarshalDecimal(0.1); return err },
		"decimal":     func() error { _, err := model.UnmarshalDecimal("1,5"); return err },
		"id":          func() error { _, err := model.UnmarshalID("acme"); return err },
		"JSON":        func() error { _, err := model.UnmarshalJSON([]any{1}); return err },
		"enum":        func() error { _, err := model.UnmarshalTier("D"); return err },
		"enum domain": func() error { _, err := model.UnmarshalTier("a"); return err },
	} {
		var inputErr *domain.InputError
		if err := f(); !errors.As(err, &inputErr) {
			t.Errorf("%s: %v, want a *domain.InputError", name, err)
		}
	}
}
