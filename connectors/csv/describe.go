package csv

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Column is one column of one file of the folder, as `pulse connector
// describe csv` and the package documentation list it.
type Column struct {
	File, Name string
	// Type is how the cell is read: text, one of, currency, timestamp,
	// date, integer, decimal, yes/no.
	Type string
	// Required columns must be in the header and filled in on every row.
	Required bool
	// Allowed says which values or which form the cell takes; empty for
	// free text.
	Allowed string
}

// Columns lists every file's columns, in the order the files are read.
// It is read off the tables themselves: each table reads a blank row, and
// every column it reads says how, so the list cannot drift from the code.
// Every file also takes the optional deleted column, and any other column
// goes to the record's custom map.
func Columns() []Column {
	var out []Column
	for _, t := range tables {
		out = append(out, t.describe()...)
	}
	return out
}

// Files lists the files of the folder, in the order they are read.
func Files() []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.file
	}
	return out
}

// describe lists t's columns in the contract's order, then deleted.
func (t *table) describe() []Column {
	byName := map[string]Column{}
	r := &row{hdr: &header{index: map[string]int{}}}
	r.seen = func(c Column) {
		prev, ok := byName[c.Name]
		if ok {
			c.Required = c.Required || prev.Required
			if c.Type == "text" && prev.Type != "text" {
				c.Type, c.Allowed = prev.Type, prev.Allowed
			}
		}
		c.File = t.file
		byName[c.Name] = c
	}
	t.build(r, t.id(r))
	r.deleted()
	out := make([]Column, 0, len(t.columns)+1)
	for _, name := range append(slices.Clone(t.columns), deletedColumn) {
		c, ok := byName[name]
		if !ok {
			c = Column{File: t.file, Name: name, Type: "text"}
		}
		c.Required = c.Required || slices.Contains(t.requiredColumns(), name)
		out = append(out, c)
	}
	return out
}

// integerRange says which whole numbers an integer column takes.
func integerRange(lo, hi int64) string {
	switch {
	case lo == 0 && hi == math.MaxInt64:
		return "0 or more"
	case lo <= math.MinInt32 && hi >= math.MaxInt32:
		return "a whole number"
	}
	return fmt.Sprintf("%d-%d", lo, hi)
}

// accepted lists t's columns, for a message about its header.
func (t *table) accepted() string {
	return strings.Join(append(slices.Clone(t.columns), deletedColumn), ", ")
}

// derived are fields Pulse computes rather than imports, by the files
// they come from: a column of that name holds a copy that would not count.
var derived = map[string]string{
	"mrr":          "MRR is computed from subscriptions.csv (amount, currency, interval)",
	"arr":          "ARR is computed from subscriptions.csv (amount, currency, interval)",
	"health":       "health is scored by Pulse from the other files",
	"health_score": "health is scored by Pulse from the other files",
	"owner":        "an account's owner is a row of account_team.csv (account_id, person_id, role sales)",
	"csm":          "an account's CSM is a row of account_team.csv (account_id, person_id, role cs)",
}

// misplaced says why a column t does not take looks like a field Pulse
// keeps elsewhere, or "" when it does not: it still goes to custom, but
// the run warns, since the value will not count where it was meant to.
func (t *table) misplaced(column string) string {
	if why, ok := derived[column]; ok {
		return why
	}
	var files []string
	for _, o := range tables {
		if o != t && slices.Contains(o.columns, column) && !slices.Contains(o.key, column) && column != "name" && !strings.HasSuffix(column, "_id") {
			files = append(files, o.file)
		}
	}
	if len(files) == 0 {
		return ""
	}
	return column + " is a column of " + strings.Join(files, ", ")
}
