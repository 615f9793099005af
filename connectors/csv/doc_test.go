package csv_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/stretchr/testify/require"

	"github.com/pulseproject/pulse/connectors/csv"
)

var update = flag.Bool("update", false, "rewrite the column list in doc.go")

const (
	docStart = "// # Columns\n"
	docEnd   = "package csv\n"
)

// columnsDoc is the column list as doc.go carries it, generated from the
// tables.
func columnsDoc() string {
	var b strings.Builder
	b.WriteString(docStart + "//\n")
	b.WriteString("// Generated from the tables by TestDocListsEveryColumn (go test ./connectors/csv -run TestDoc -update);\n")
	b.WriteString("// `pulse connector describe csv` prints the same list. Columns are matched\n")
	b.WriteString("// ignoring case and order; a required column must be in the header and\n")
	b.WriteString("// filled in on every row; any column not listed goes to the record's custom\n")
	b.WriteString("// map, with a warning on the run when it is named like a field of another file.\n")
	file := ""
	var tw *tabwriter.Writer
	var sb strings.Builder
	flush := func() {
		if tw == nil {
			return
		}
		_ = tw.Flush()
		for _, line := range strings.Split(strings.TrimRight(sb.String(), "\n"), "\n") {
			b.WriteString("//\t" + strings.TrimRight(line, " ") + "\n")
		}
		sb.Reset()
	}
	for _, c := range csv.Columns() {
		if c.File != file {
			flush()
			file = c.File
			b.WriteString("//\n// " + file + ":\n//\n")
			tw = tabwriter.NewWriter(&sb, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "COLUMN\tTYPE\tREQUIRED\tALLOWED")
		}
		req := "no"
		if c.Required {
			req = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", c.Name, c.Type, req, c.Allowed)
	}
	flush()
	return b.String()
}

// TestDocListsEveryColumn keeps doc.go's column list equal to the tables.
func TestDocListsEveryColumn(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	require.NoError(t, err)
	start, end := strings.Index(string(src), docStart), strings.Index(string(src), docEnd)
	require.True(t, start >= 0 && end > start, "doc.go has no %q section before %q", docStart, docEnd)
	want := columnsDoc()
	if *update {
		out := string(src[:start]) + want + string(src[end:])
		require.NoError(t, os.WriteFile("doc.go", []byte(out), 0o644))
		return
	}
	require.Equal(t, want, string(src[start:end]), "doc.go's columns drifted from the tables: run go test ./connectors/csv -run TestDoc -update")
}

// TestColumnsCoverEveryFile: every file is described, with its key and
// required columns marked and its vocabularies spelled out.
func TestColumnsCoverEveryFile(t *testing.T) {
	got := map[string]csv.Column{}
	files := map[string]bool{}
	for _, c := range csv.Columns() {
		got[c.File+" "+c.Name] = c
		files[c.File] = true
	}
	require.Len(t, files, len(csv.Files()))
	require.Equal(t, csv.Column{File: "accounts.csv", Name: "name", Type: "text", Required: true}, got["accounts.csv name"])
	require.Equal(t, csv.Column{File: "accounts.csv", Name: "tier", Type: "one of", Allowed: "A, B, C"}, got["accounts.csv tier"])
	require.Equal(t, csv.Column{File: "account_team.csv", Name: "role", Type: "one of", Required: true,
		Allowed: "marketing, sales, onboarding, cs, support, exec_sponsor"}, got["account_team.csv role"])
	require.Equal(t, "decimal", got["subscriptions.csv amount"].Type)
	require.Equal(t, "0-5", got["tickets.csv csat"].Allowed)
	require.True(t, got["fx_rates.csv date"].Required, "a key column is required")
	require.Equal(t, "yes/no", got["surveys.csv deleted"].Type)
}
