package sdk_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/sdk"
)

func TestGoneRemovesWhatAFullExportNoLongerHas(t *testing.T) {
	for _, tc := range []struct {
		name              string
		previous, current []string
		allow             bool
		gone              []string
		refused           bool
	}{
		{name: "first export", previous: nil, current: []string{"a"}},
		{name: "one of four moved", previous: []string{"d", "a", "b", "c"}, current: []string{"a", "b", "c", "e"}, gone: []string{"d"}},
		{name: "half removed", previous: []string{"a", "b", "c", "d"}, current: []string{"a", "b"}, gone: []string{"c", "d"}},
		{name: "more than half removed", previous: []string{"a", "b", "c"}, current: []string{"a"}, gone: []string{"b", "c"}, refused: true},
		{name: "header only", previous: []string{"a", "b"}, current: nil, gone: []string{"a", "b"}, refused: true},
		{name: "header only, confirmed", previous: []string{"a", "b"}, current: nil, allow: true, gone: []string{"a", "b"}},
		{name: "nothing before, nothing now", previous: []string{}, current: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gone, err := sdk.Gone(tc.previous, tc.current, tc.allow)
			require.Equal(t, tc.gone, gone)
			if !tc.refused {
				require.NoError(t, err)
				return
			}
			var mass *sdk.MassDeleteError
			require.ErrorAs(t, err, &mass)
			require.Equal(t, len(tc.gone), mass.Removed)
			require.Contains(t, err.Error(), "allow_mass_delete=true")
		})
	}
}
