package main_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/sdk/conformance"
)

func TestConnectorTestPassesBuiltins(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"demo", "--config", "testdata/conformance-demo.json"}, []string{
			`(?m)^RULE\s+RESULT\s+DETAIL$`,
			`(?m)^resume\s+pass\s+resumed from checkpoints 1, \d+, \d+, \d+, \d+ of \d+`,
			`(?m)^kill\s+pass\s+killed pid \d+ after the first checkpoint`,
			`(?m)^rate-limit\s+skip\s+`,
			`(?m)^demo 1\.0\.0: conforms$`,
		}},
		{[]string{"csv", "--config", "testdata/conformance-csv.json", "--deletes", "deals"}, []string{
			`(?m)^check\s+pass\s+good config passes; 3 bad configs each named their field: path \(missing\), allow_mass_delete \(wrong type\), path \(wrong type\)$`,
			`(?m)^deletes\s+pass\s+tombstones: deals 1$`,
			`(?m)^csv 1\.0\.0: conforms$`,
		}},
		{[]string{"demo", "seed=4", "size=30", "end_date=2026-01-31"}, []string{`(?m)^demo 1\.0\.0: conforms$`}},
	}
	for _, tc := range tests {
		t.Run(tc.args[0], func(t *testing.T) {
			out := c.ok(t, append([]string{"connector", "test"}, tc.args...)...)
			for _, w := range tc.want {
				require.Regexp(t, w, out)
			}
			require.NotContains(t, out, "FAIL")
		})
	}
}

func TestConnectorTestFailsNamingTheRule(t *testing.T) {
	c := newCLI(t)
	bin := conformance.Build(t, "github.com/pulseproject/pulse/internal/testkit/cmd/pulse-connector-testkit", "testkit")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"broken plugin by path", []string{bin, "--unverified", "--config", "testdata/conformance-broken.json"}, []string{
			`(?m)^no-regress\s+FAIL\s+the second read moved the cursor back`,
			`(?m)^resume\s+pass\s+`,
			`(?m)^testkit 0\.0\.1: 1 of 10 rules failed$`,
		}},
		{"bad config", []string{"csv", "path=/does/not/exist"}, []string{
			`(?m)^check\s+FAIL\s+the good config has problems: path: folder /does/not/exist does not exist`,
		}},
		{"unknown connector", []string{"nope"}, []string{`(?m)^spec\s+FAIL\s+host: connector not found: "nope"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.run(t, append([]string{"connector", "test"}, tc.args...)...)
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, out)
			require.Equal(t, 1, exit.ExitCode())
			for _, w := range tc.want {
				require.Regexp(t, w, out)
			}
		})
	}
}

// TestConnectorByPathRunsOnlyListedBinaries: a plugin binary given by path
// runs only when its folder's SHA256SUMS lists it, or with --unverified,
// which says so; refused, nothing of it runs and the error names the flag.
func TestConnectorByPathRunsOnlyListedBinaries(t *testing.T) {
	c := newCLI(t)
	bin := conformance.Build(t, "github.com/pulseproject/pulse/internal/testkit/cmd/pulse-connector-testkit", "testkit")
	installed := t.TempDir()
	c.ok(t, "connector", "install", bin, "--dir", installed)
	listed := filepath.Join(installed, "pulse-connector-testkit")
	tests := []struct {
		name string
		args []string
		code int
		want []string
		not  []string
	}{
		{"check refuses an unlisted binary", []string{"check", bin, "accounts=3"}, 1,
			[]string{`is not listed in .*SHA256SUMS`, "pass --unverified to run it"}, []string{"testkit 0.0.1"}},
		{"test refuses an unlisted binary", []string{"test", bin, "accounts=3"}, 1,
			[]string{`is not listed in .*SHA256SUMS`, "pass --unverified to run it"}, []string{"RULE"}},
		{"check runs it with --unverified", []string{"check", bin, "--unverified", "accounts=3"}, 0,
			[]string{`warning: running .*pulse-connector-testkit unverified \(--unverified\): no SHA256SUMS lists it`, `(?m)^testkit 0\.0\.1`, "config: ok"}, nil},
		{"check runs an installed binary by path", []string{"check", listed, "accounts=3"}, 0,
			[]string{`(?m)^testkit 0\.0\.1`, "config: ok"}, []string{"warning"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := c.exit(t, tc.code, append([]string{"connector"}, tc.args...)...)
			for _, w := range tc.want {
				require.Regexp(t, w, out)
			}
			for _, n := range tc.not {
				require.NotContains(t, out, n)
			}
		})
	}
}
