package csv

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// row is one data row being turned into a record. Its accessors return the
// parsed value of a column, or the zero value after noting a problem, so a
// table's build function reads like a plain mapping and still collects
// every mistake of the row.
type row struct {
	hdr    *header
	fields []string
	probs  []problem
	// seen, when set, is told of every column read and how: describe
	// lists a file's columns by letting its table read a blank row.
	seen func(c Column)
}

// saw tells seen, if set, that column name is read as typ.
func (r *row) saw(name, typ, allowed string, required bool) {
	if r.seen != nil {
		r.seen(Column{Name: name, Type: typ, Required: required, Allowed: allowed})
	}
}

// problem is one bad cell of a row.
type problem struct {
	col   int    // 1-based field number; 0 when the file has no such column
	field string // the column's name
	msg   string
}

// fail notes a problem, once per cell: a cell that is not UTF-8 or not a
// number should not also be reported as missing.
func (r *row) fail(col int, field, format string, args ...any) {
	for _, p := range r.probs {
		if p.col == col && p.field == field {
			return
		}
	}
	r.probs = append(r.probs, problem{col: col, field: field, msg: fmt.Sprintf(format, args...)})
}

// cell returns the trimmed value of a contract column and its 1-based field
// number; an absent column is empty, and so is a cell that is not UTF-8.
func (r *row) cell(name string) (string, int) {
	i, ok := r.hdr.index[name]
	if !ok {
		return "", 0
	}
	v := strings.TrimSpace(r.fields[i])
	if !utf8.ValidString(v) {
		r.fail(i+1, name, "is not valid UTF-8")
		return "", i + 1
	}
	return v, i + 1
}

// str is a free-text column.
func (r *row) str(name string) string {
	r.saw(name, "text", "", false)
	v, _ := r.cell(name)
	return v
}

// need is a column every row must fill in.
func (r *row) need(name string) string {
	r.saw(name, "text", "", true)
	v, col := r.cell(name)
	if v == "" {
		r.fail(col, name, "is required")
	}
	return v
}

// enum is a column with a closed vocabulary, matched ignoring case and
// returned as the vocabulary spells it.
func (r *row) enum(name string, allowed []string, required bool) string {
	r.saw(name, "one of", strings.Join(allowed, ", "), required)
	v, col := r.cell(name)
	if v == "" {
		if required {
			r.fail(col, name, "is required")
		}
		return ""
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a
		}
	}
	r.fail(col, name, "%q is not one of %s", v, strings.Join(allowed, ", "))
	return ""
}

// currency is an ISO 4217 code. It is upper-cased so that "usd" in one file
// and "USD" in another name the same currency when amounts are converted.
// Which codes exist is the host's rule, checked for every connector alike;
// the batch's columns (header.columns) let its problem name the cell.
func (r *row) currency(name string, required bool) string {
	r.saw(name, "currency", "ISO 4217 code, such as USD", required)
	v, col := r.cell(name)
	if v == "" {
		if required {
			r.fail(col, name, "is required")
		}
		return ""
	}
	return strings.ToUpper(v)
}

// timestamp is an RFC 3339 instant or a bare date, read as midnight UTC
// because that is what spreadsheets export for a day.
func (r *row) timestamp(name string) *timestamppb.Timestamp {
	r.saw(name, "timestamp", "RFC 3339 (2024-03-01T09:30:00Z) or YYYY-MM-DD", false)
	v, col := r.cell(name)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.Parse(time.DateOnly, v)
	}
	if err != nil {
		r.fail(col, name, "%q is not a timestamp (RFC 3339 such as 2024-03-01T09:30:00Z, or YYYY-MM-DD)", v)
		return nil
	}
	return sdk.Timestamp(t.UTC())
}

// date is a calendar date. Only YYYY-MM-DD is accepted: a timestamp with an
// offset would leave open which day it means.
func (r *row) date(name string, required bool) string {
	r.saw(name, "date", "YYYY-MM-DD", required)
	v, col := r.cell(name)
	if v == "" {
		if required {
			r.fail(col, name, "is required")
		}
		return ""
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		r.fail(col, name, "%q is not a date (YYYY-MM-DD)", v)
		return ""
	}
	return v
}

// integer is a whole number within [lo, hi]; outside, rangeMsg (formatted
// with the value) says what the column allows. Empty is 0.
func (r *row) integer(name string, lo, hi int64, rangeMsg string) int64 {
	r.saw(name, "integer", integerRange(lo, hi), false)
	v, col := r.cell(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		r.fail(col, name, "%q is not a whole number", v)
		return 0
	}
	if n < lo || n > hi {
		r.fail(col, name, rangeMsg, n)
		return 0
	}
	return n
}

// decimalPattern is what the records' exact decimals look like. Thousands
// separators and exponents are refused rather than guessed at: "1,200" is
// 1200 in one locale and 1.2 in another.
var decimalPattern = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// decimal is an exact decimal number, kept as text so no precision is lost.
func (r *row) decimal(name string) string {
	r.saw(name, "decimal", "such as 1200.50; no thousands separators", false)
	v, col := r.cell(name)
	if v == "" {
		return ""
	}
	if !decimalPattern.MatchString(v) {
		r.fail(col, name, "%q is not a decimal number (such as 1200.50)", v)
		return ""
	}
	return strings.TrimPrefix(v, "+")
}

// deleted reads the optional tombstone column.
func (r *row) deleted() bool {
	r.saw(deletedColumn, "yes/no", "true, 1, yes, false, 0, no; yes deletes the record", false)
	v, col := r.cell(deletedColumn)
	switch strings.ToLower(v) {
	case "true", "1", "yes":
		return true
	case "false", "0", "no", "":
		return false
	}
	r.fail(col, deletedColumn, "%q is not a yes/no value (true, 1, yes or false, 0, no)", v)
	return false
}

// custom collects the columns with no canonical place. Empty cells are left
// out: an export has every column on every row, and a blank means no value.
func (r *row) custom() map[string]string {
	out := map[string]string{}
	for _, i := range r.hdr.custom {
		v := strings.TrimSpace(r.fields[i])
		name := r.hdr.names[i]
		switch {
		case !utf8.ValidString(v):
			r.fail(i+1, name, "is not valid UTF-8")
		case v != "":
			out[name] = v
		}
	}
	return out
}
