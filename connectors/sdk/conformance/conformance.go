package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk/launch"
)

// Options says which connector to test and with what configuration.
type Options struct {
	// Connector is a path to a plugin binary (anything holding a path
	// separator, e.g. ./bin/pulse-connector-hello), trusted as it is now,
	// or a name for Launch.
	Connector string
	// Launch starts the connector a name (not a path) calls: the pulse
	// CLI passes its host's, which finds installed and built-in
	// connectors. Nil means Connector must be a path.
	Launch func(ctx context.Context, name string) (*launch.Conn, error)
	// Plugin, when set, is the connector to test, as the caller resolved
	// and verified it (see host.ListedPath); Connector then only names it.
	Plugin *launch.Plugin
	// Config is a good configuration, a JSON object, whose read emits
	// records. Point base_url at a local server to test the 429 rule.
	Config json.RawMessage
	// Deletes names the streams whose read under Config must send at least
	// one tombstone.
	Deletes []string
	// ReadTimeout bounds each read; zero means 5 minutes.
	ReadTimeout time.Duration
}

// Status is the outcome of one rule.
type Status string

// The outcomes of a rule.
const (
	Pass Status = "pass"
	Fail Status = "FAIL"
	// Skip is a rule that does not apply: no base_url to rate-limit, no
	// streams named as producing deletes.
	Skip Status = "skip"
)

// Result is one rule's outcome.
type Result struct {
	Rule   string
	Status Status
	// Detail says what was checked, or what broke the rule.
	Detail string
}

// Report is the suite's outcome, one Result per rule in the order run.
type Report struct {
	// Connector is the name in the connector's spec, or Options.Connector
	// when no spec was read.
	Connector string
	// Version is the connector's, once its spec was read.
	Version string
	Results []Result
}

// Failed reports whether any rule failed.
func (r Report) Failed() bool {
	return len(r.Failures()) > 0
}

// Failures lists the failed rules.
func (r Report) Failures() []Result {
	var out []Result
	for _, x := range r.Results {
		if x.Status == Fail {
			out = append(out, x)
		}
	}
	return out
}

// Result returns the outcome of the named rule.
func (r Report) Result(rule string) (Result, bool) {
	for _, x := range r.Results {
		if x.Rule == rule {
			return x, true
		}
	}
	return Result{}, false
}

// WriteTable prints the report as a table: RULE, RESULT, DETAIL.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESULT\tDETAIL")
	for _, x := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", x.Rule, x.Status, strings.ReplaceAll(x.Detail, "\n", " "))
	}
	return tw.Flush()
}

// Rules are the names of the rules, in the order they run.
var Rules = []string{"spec", "check", "discover", "read", "final-state", "no-regress", "resume", "deletes", "rate-limit", "kill"}

// Check runs every rule against the connector and reports each outcome. A
// rule that cannot run because an earlier one failed fails too, saying so.
func Check(ctx context.Context, opts Options) Report {
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = 5 * time.Minute
	}
	s := &suite{opts: opts}
	rep := Report{Connector: opts.Connector}
	defer s.close()
	rules := []func(context.Context) Result{
		s.ruleSpec, s.ruleCheck, s.ruleDiscover, s.ruleRead, s.ruleFinalState,
		s.ruleNoRegress, s.ruleResume, s.ruleDeletes, s.ruleRateLimit, s.ruleKill,
	}
	for i, rule := range rules {
		res := rule(ctx)
		res.Rule = Rules[i]
		rep.Results = append(rep.Results, res)
	}
	if s.spec != nil {
		rep.Connector, rep.Version = s.spec.GetName(), s.spec.GetVersion()
	}
	return rep
}

// Run runs the suite as part of a Go test: it logs the table and fails t
// once per broken rule, naming it.
func Run(t testing.TB, opts Options) Report {
	t.Helper()
	rep := Check(t.Context(), opts)
	var b strings.Builder
	_ = rep.WriteTable(&b) // a strings.Builder does not fail
	t.Logf("conformance of %s %s:\n%s", rep.Connector, rep.Version, b.String())
	for _, f := range rep.Failures() {
		t.Errorf("conformance rule %s failed: %s", f.Rule, f.Detail)
	}
	return rep
}

// Build compiles the package main at pkg (a folder, or an import path) into
// a temporary folder as pulse-connector-NAME and returns the binary's path,
// for Options.Connector.
func Build(t testing.TB, pkg, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), launch.BinaryPrefix+name)
	if b, err := exec.Command("go", "build", "-o", out, pkg).CombinedOutput(); err != nil {
		t.Fatalf("conformance: go build %s: %v\n%s", pkg, err, b)
	}
	return out
}

// suite holds what the rules share: the plugin, its spec and streams, and
// the reads later rules compare with.
type suite struct {
	opts Options
	// plugin is the binary Connector names; unset for a connector Launch
	// starts by name.
	plugin  launch.Plugin
	conn    *launch.Conn
	spec    *connectorpb.SpecResponse
	streams map[string]*connectorpb.StreamSpec
	// full is the first read from an empty state; second the read from
	// full's final state.
	full, second *readResult
	// blocked says why the rules that need a read cannot run.
	blocked string
}

func (s *suite) close() {
	if s.conn != nil {
		s.conn.Close()
	}
}

// launch starts a new plugin process.
func (s *suite) launch(ctx context.Context) (*launch.Conn, error) {
	if s.plugin.Path == "" {
		// The host's errors say what it looked for and where.
		return s.opts.Launch(ctx, s.opts.Connector)
	}
	conn, err := launch.Start(ctx, s.plugin, launch.Options{})
	if err != nil {
		return nil, fmt.Errorf("conformance: launch %s: %w", s.plugin.Name, err)
	}
	return conn, nil
}

func pass(format string, args ...any) Result {
	return Result{Status: Pass, Detail: fmt.Sprintf(format, args...)}
}

func fail(format string, args ...any) Result {
	return Result{Status: Fail, Detail: fmt.Sprintf(format, args...)}
}

func skip(format string, args ...any) Result {
	return Result{Status: Skip, Detail: fmt.Sprintf(format, args...)}
}

// notRun fails a rule that depends on one that failed.
func (s *suite) notRun() Result {
	return fail("not run: %s", s.blocked)
}
