package conformance_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/host"
	"github.com/pulseproject/pulse/connectors/sdk/conformance"
	"github.com/pulseproject/pulse/internal/plugintest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	plugintest.Cleanup()
	os.Exit(code)
}

func config(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestBuiltinConnectorsConform(t *testing.T) {
	good, err := filepath.Abs("../../csv/testdata/good")
	require.NoError(t, err)
	tests := []struct {
		connector string
		config    any
		deletes   []string
	}{
		{"demo", map[string]any{"seed": 7, "size": 450, "end_date": "2026-03-31"}, nil},
		{"csv", map[string]any{"path": good}, []string{"deals"}},
		{"testkit", map[string]any{"accounts": 45, "checkpoint_every": 10, "orphans": 1, "deleted": []int{3, 7}}, []string{"accounts"}},
	}
	for _, tc := range tests {
		t.Run(tc.connector, func(t *testing.T) {
			h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
			rep := conformance.Run(t, conformance.Options{Connector: tc.connector, Launch: h.Launch, Config: config(t, tc.config), Deletes: tc.deletes})
			require.Len(t, rep.Results, len(conformance.Rules))
			for _, r := range rep.Results {
				want := conformance.Pass
				if r.Rule == "rate-limit" || (r.Rule == "deletes" && tc.deletes == nil) {
					want = conformance.Skip
				}
				require.Equal(t, want, r.Status, "%s: %s", r.Rule, r.Detail)
			}
		})
	}
}

func TestBrokenConnectorFailsNamingTheRule(t *testing.T) {
	tests := []struct {
		name    string
		config  map[string]any
		deletes []string
		// broken are the rules that must fail, with a piece of their detail.
		broken map[string]string
	}{
		{"cursor moves back", map[string]any{"break": "regress_cursor"}, nil,
			map[string]string{"no-regress": "moved the cursor back: a read from its final state emits 30 records"}},
		{"resume doubles a record", map[string]any{"break": "double_on_resume"}, nil, map[string]string{
			"final-state": "emitted 1 records again: accounts/acc-29",
			"resume":      "doubled 1 (accounts/acc-9)",
			"kill":        "the resumed read doubled 1 (accounts/acc-",
		}},
		{"invalid record", map[string]any{"invalid": 1}, nil,
			map[string]string{"read": "accounts/acc-0 (accounts/0): tier:"}},
		{"no tombstones", map[string]any{}, []string{"accounts", "nope"},
			map[string]string{"deletes": "accounts: no tombstone; nope: no such stream"}},
		{"empty", map[string]any{"accounts": 0}, nil,
			map[string]string{"read": "the read emitted no records", "resume": "not run: the full read failed"}},
	}
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]any{"accounts": 30, "checkpoint_every": 10}
			for k, v := range tc.config {
				cfg[k] = v
			}
			rep := conformance.Check(t.Context(), conformance.Options{Connector: "testkit", Launch: h.Launch, Config: config(t, cfg), Deletes: tc.deletes})
			require.True(t, rep.Failed())
			for _, r := range rep.Results {
				want, broken := tc.broken[r.Rule]
				if !broken {
					if r.Status == conformance.Fail {
						// Only rules that need what a broken rule failed to
						// give may fail too.
						require.Contains(t, r.Detail, "not run: ", r.Rule)
					}
					continue
				}
				require.Equal(t, conformance.Fail, r.Status, r.Rule)
				require.Contains(t, r.Detail, want, r.Rule)
			}
		})
	}
}

func TestBadConfigAndMissingConnector(t *testing.T) {
	h := host.New(host.Options{Dirs: []string{plugintest.Dir(t)}})
	t.Run("check names the field", func(t *testing.T) {
		rep := conformance.Check(t.Context(), conformance.Options{Connector: "csv", Launch: h.Launch, Config: config(t, map[string]any{"path": "/does/not/exist"})})
		r, ok := rep.Result("check")
		require.True(t, ok)
		require.Equal(t, conformance.Fail, r.Status)
		require.Contains(t, r.Detail, "the good config has problems: path: folder /does/not/exist does not exist")
	})
	t.Run("a name with nothing to find it", func(t *testing.T) {
		rep := conformance.Check(t.Context(), conformance.Options{Connector: "csv", Config: config(t, map[string]any{})})
		require.Equal(t, conformance.Fail, rep.Results[0].Status)
		require.Contains(t, rep.Results[0].Detail, `"csv" is not a path to a plugin binary (say ./csv), and no Launch was given to find it by name`)
	})
	t.Run("unknown connector", func(t *testing.T) {
		rep := conformance.Check(t.Context(), conformance.Options{Connector: "nope", Launch: h.Launch, Config: config(t, map[string]any{})})
		require.Equal(t, conformance.Fail, rep.Results[0].Status)
		require.Contains(t, rep.Results[0].Detail, `connector not found: "nope"`)
		for _, r := range rep.Results[1:] {
			if r.Status != conformance.Skip {
				require.Equal(t, "not run: the connector did not start", r.Detail, r.Rule)
			}
		}
	})
}
