package store

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/domain"
)

// TestTextForm checks that a batch holds each value as the pgx driver
// would have sent it: times truncated to the microsecond, in UTC.
func TestTextForm(t *testing.T) {
	id := uuid.MustParse("0193a3c2-7d1e-7c3a-9f1e-2b1c3d4e5f60")
	var noID *uuid.UUID
	var noTime *time.Time
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_234_999, time.FixedZone("x", 3600))
	for _, tc := range []struct {
		name string
		in   any
		want *string
	}{
		{"nil", nil, nil},
		{"nil pointer", noID, nil},
		{"nil time", noTime, nil},
		{"uuid", id, Text(id.String())},
		{"uuid pointer", &id, Text(id.String())},
		{"text", "a'b\"c", Text("a'b\"c")},
		{"int", 42, Text("42")},
		{"int64", int64(-7), Text("-7")},
		{"float", 0.95, Text("0.95")},
		{"bool", true, Text("true")},
		{"time", at, Text("2026-03-04T04:06:07.891234Z")},
		{"time pointer", &at, Text("2026-03-04T04:06:07.891234Z")},
		{"decimal", decimal.RequireFromString("12.50"), Text("12.5")},
		{"custom", domain.Custom{"b": 1, "a": "x"}, Text(`{"a":"x","b":1}`)},
		{"no custom", domain.Custom(nil), Text("{}")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := textForm(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := textForm(struct{}{})
	require.ErrorContains(t, err, "no text form for struct {}")
}
