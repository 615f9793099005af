package sdk_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// serverDeps are the packages a connector plugin and its tests must not
// link, each with the reason: what the SDK and the example import is all a
// plugin built as its own module gets in its go.mod.
var serverDeps = map[string]string{
	"gorm.io":                                       "the server's ORM; a plugin has no database",
	"github.com/jackc/pgx":                          "the server's PostgreSQL driver; a plugin has no database",
	"github.com/pulseproject/pulse/store":           "SQL lives in the server",
	"github.com/pulseproject/pulse/sync":            "the sync engine runs in the server; record rules are in connectors/sdk/validate",
	"github.com/pulseproject/pulse/connectors/host": "the server's plugin host; connectors/sdk/launch starts a plugin",
	"github.com/pulseproject/pulse/domain":          "the server's model; the protocol is connectors/proto",
	"github.com/pulseproject/pulse/sources":         "the server's source registry",
	"github.com/pulseproject/pulse/graph":           "the server's API",
}

// TestPluginsLinkNothingOfTheServer lists what the SDK, and the example
// plugin with its tests, depend on, and fails on any package of the server.
func TestPluginsLinkNothingOfTheServer(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"the SDK", []string{"./..."}},
		{"the example plugin and its tests", []string{"-test", "../../examples/hello-connector"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"list", "-deps", "-f", "{{.ImportPath}}"}, tc.args...)
			out, err := exec.Command("go", args...).CombinedOutput()
			require.NoError(t, err, "go %s: %s", strings.Join(args, " "), out)
			pkgs := strings.Fields(string(out))
			require.NotEmpty(t, pkgs)
			var bad []string
			for _, pkg := range pkgs {
				for dep, why := range serverDeps {
					if pkg == dep || strings.HasPrefix(pkg, dep+"/") {
						bad = append(bad, pkg+": "+why)
					}
				}
			}
			require.Empty(t, bad, "go %s lists packages of the server", strings.Join(args, " "))
		})
	}
}
