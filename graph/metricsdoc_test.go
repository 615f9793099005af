package graph_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/graph"
)

// metricLink is how a description points at a section of the metric
// definitions.
var metricLink = regexp.MustCompile(`docs/metrics\.md#([a-z0-9-]+)`)

// TestReportsLinkTheirDefinitions keeps every report's description in
// the schema pointing at a section of docs/metrics.md that exists, so an
// analyst reconciling a figure finds its definition from GraphiQL.
func TestReportsLinkTheirDefinitions(t *testing.T) {
	doc, err := os.ReadFile("../docs/metrics.md")
	require.NoError(t, err)
	anchors := headingAnchors(string(doc))
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()

	reports := map[string][]string{
		"Query": {"retention", "mrrMovements", "monthlyChurn", "cohorts", "revenueFromExisting",
			"coverage", "contactPressure", "handoffGaps", "nps", "csat",
			"renewals", "healthBacktest", "healthSummary"},
		"Account": {"mrr", "health"},
	}
	for typ, fields := range reports {
		for _, name := range fields {
			f := schema.Types[typ].Fields.ForName(name)
			require.NotNil(t, f, "%s.%s", typ, name)
			require.Regexp(t, metricLink, f.Description, "%s.%s links its definition", typ, name)
		}
	}
	linked := 0
	for name, def := range schema.Types {
		for _, f := range def.Fields {
			for _, m := range metricLink.FindAllStringSubmatch(f.Description, -1) {
				linked++
				require.True(t, anchors[m[1]], "%s.%s links docs/metrics.md#%s, which has no such section", name, f.Name, m[1])
			}
		}
	}
	require.GreaterOrEqual(t, linked, 15)
}

// headingAnchors are the anchors GitHub gives a document's headings:
// lower case, spaces as hyphens, punctuation dropped.
func headingAnchors(doc string) map[string]bool {
	out := map[string]bool{}
	drop := regexp.MustCompile(`[^a-z0-9 -]`)
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		title := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		out[strings.ReplaceAll(drop.ReplaceAllString(title, ""), " ", "-")] = true
	}
	return out
}

// TestDocsStayInTheRepository reads the README and docs/ as a fresh clone
// has them: every link to a file leads to one in the repository, and
// every section link of docs/metrics.md to a section it has.
func TestDocsStayInTheRepository(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	metrics, err := os.ReadFile(filepath.Join(root, "docs", "metrics.md"))
	require.NoError(t, err)
	anchors := headingAnchors(string(metrics))
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, path := range append(docs, filepath.Join(root, "README.md")) {
		text, err := os.ReadFile(path)
		require.NoError(t, err)
		rel, _ := filepath.Rel(root, path)
		require.False(t, strings.Contains(string(text), "../shared"), "%s names a file outside the repository", rel)
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				continue
			}
			file, anchor, _ := strings.Cut(target, "#")
			resolved := path
			if file != "" {
				resolved = filepath.Join(filepath.Dir(path), file)
			}
			inside, err := filepath.Rel(root, resolved)
			require.NoError(t, err)
			require.False(t, strings.HasPrefix(inside, ".."), "%s links %s, outside the repository", rel, target)
			_, err = os.Stat(resolved)
			require.NoError(t, err, "%s links %s, which a clone does not have", rel, target)
			if anchor != "" && filepath.Base(resolved) == "metrics.md" {
				require.True(t, anchors[anchor], "%s links %s, which has no such section", rel, target)
			}
		}
	}
}
