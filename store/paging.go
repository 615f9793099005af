package store

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/connectors/sdk/validate"
	"github.com/pulseproject/pulse/domain"
)

// This file reads lists a page at a time in keyset order: rows after (or
// before) a cursor's keys, so that rows inserted or deleted between two
// pages neither repeat nor hide the others. One statement reads the page
// of many owners at once (the deals of each account of a page of
// accounts), through a LATERAL join per owner.

// orderKey is one key of a keyset order.
type orderKey struct {
	// expr is the SQL of the value, over the list's alias; never NULL,
	// so that comparing with a cursor needs no case for it.
	expr string
	// typ is the value's SQL type, which a cursor's text is cast back
	// to.
	typ  string
	desc bool
}

// nullable orders by expr, which may be NULL, in either direction with
// the rows without a value last: first by whether it is missing, then by
// the value, with zero standing for a missing one.
func nullable(expr, typ, zero string, desc bool) []orderKey {
	return []orderKey{
		{expr: "(" + expr + ") IS NULL", typ: "boolean"},
		{expr: "COALESCE(" + expr + ", " + zero + ")", typ: typ, desc: desc},
	}
}

// blankLast orders by a text column that is empty rather than NULL when
// unknown, with the empty ones last either way.
func blankLast(expr string, desc bool) []orderKey {
	return []orderKey{{expr: "(" + expr + " = '')", typ: "boolean"}, {expr: expr, typ: "text", desc: desc}}
}

// conds are the conditions of a WHERE, ANDed, with their arguments in
// order.
type conds struct {
	sql  []string
	args []any
}

func (c *conds) add(sql string, args ...any) {
	c.sql = append(c.sql, sql)
	c.args = append(c.args, args...)
}

// in keeps the rows whose column is one of values; no values keep all.
func (c *conds) in(column string, values []string) {
	if len(values) > 0 {
		c.add(column+" IN ?", values)
	}
}

// contains keeps the rows whose text column contains s, ignoring case;
// strpos rather than ILIKE, so that s is matched as it is, with no
// wildcard to escape.
func (c *conds) contains(s string, columns ...string) {
	if s == "" {
		return
	}
	var ors []string
	var args []any
	for _, col := range columns {
		ors = append(ors, "strpos(lower("+col+"), lower(?)) > 0")
		args = append(args, s)
	}
	c.add("("+strings.Join(ors, " OR ")+")", args...)
}

// during keeps the rows whose instant column falls in r.
func (c *conds) during(column string, r domain.TimeRange) {
	if r.From != nil {
		c.add(column+" >= ?", *r.From)
	}
	if r.To != nil {
		c.add(column+" < ?", *r.To)
	}
}

// between keeps the rows whose column lies in r, both ends included.
func between[T any](c *conds, column string, r domain.Range[T]) {
	if r.Min != nil {
		c.add(column+" >= ?", *r.Min)
	}
	if r.Max != nil {
		c.add(column+" <= ?", *r.Max)
	}
}

func (c conds) write(q *sqlText) {
	q.add(strings.Join(c.sql, " AND "), c.args...)
}

// listRead is one read of a list: where its rows come from, which of them
// it keeps, and its order.
type listRead struct {
	// name is the list's name in its cursors.
	name string
	// table and alias are its rows; joins computes keys beyond the row's
	// own columns, with joinArgs for their ?.
	table, alias string
	joins        string
	joinArgs     []any
	// owner is the column of the record a page of the list belongs to,
	// such as d.account_id; empty for a list of its own.
	owner string
	where conds
	// order names the order in cursors; keys are its keys, the id
	// coming after them in the direction of the last.
	order string
	keys  []orderKey
}

// pageRow is what each row of a page carries besides its record: the
// owner it is a page of, and the values of its keys as JSON text. Rows
// hold it as a field Page tagged gorm:"embedded", which gorm fills where
// it would skip an embedded struct of an unexported type.
type pageRow struct {
	PageOwner uuid.UUID
	PageKeys  string
}

func (l listRead) idKey() orderKey {
	last := false
	if len(l.keys) > 0 {
		last = l.keys[len(l.keys)-1].desc
	}
	return orderKey{expr: l.alias + ".id", typ: "uuid", desc: last}
}

// checkCursor refuses a cursor of another list or order, or whose keys
// could not come from this one, naming the argument it came in.
func (l listRead) checkCursor(c *domain.Cursor, field string) error {
	bad := domain.Invalid(domain.FieldError{Field: field, Message: "is not a cursor of this list in this order"})
	if c.List != l.name || c.Order != l.order || len(c.Keys) != len(l.keys) {
		return bad
	}
	for i, k := range l.keys {
		if !validKey(k.typ, c.Keys[i]) {
			return bad
		}
	}
	return nil
}

// validKey reports whether s could be a value of typ rendered by to_json,
// so that a forged cursor is refused rather than failing the cast. It holds
// to PostgreSQL's own input rules where Go's parsers are laxer (year 0,
// hexadecimal floats, numbers beyond numeric's range, NUL in text), as
// FuzzCursorKey checks against the server.
func validKey(typ, s string) bool {
	infinite := s == "infinity" || s == "-infinity"
	switch typ {
	case "text":
		return validate.TextProblem(s) == ""
	case "boolean":
		return s == "true" || s == "false"
	case "int":
		_, err := strconv.ParseInt(s, 10, 32)
		return err == nil
	case "double precision":
		if s == "Infinity" || s == "-Infinity" || s == "NaN" {
			return true
		}
		m := floatKey.FindStringSubmatch(s)
		if m == nil {
			return false
		}
		f, err := strconv.ParseFloat(s, 64)
		// PostgreSQL refuses a value that overflows, and one that
		// underflows to zero.
		return err == nil && (f != 0 || strings.Trim(m[1], "-0.") == "")
	case "numeric":
		if s == "NaN" || s == "Infinity" || s == "-Infinity" {
			return true
		}
		m := numericKey.FindStringSubmatch(s)
		return m != nil && len(m[1]) <= numericMaxWhole && len(m[2]) <= numericMaxFraction
	case "date":
		t, err := time.Parse(time.DateOnly, s)
		return (err == nil && t.Year() > 0) || infinite
	case "timestamptz":
		t, err := time.Parse(time.RFC3339Nano, s)
		return (err == nil && t.Year() > 0) || infinite
	}
	return false
}

// The forms to_json gives numbers in: floats plain or with an exponent,
// numerics plain, within the digits numeric can hold.
var (
	floatKey   = regexp.MustCompile(`^(-?[0-9]+(?:\.[0-9]+)?)(?:e[+-]?[0-9]+)?$`)
	numericKey = regexp.MustCompile(`^-?([0-9]+)(?:\.([0-9]+))?$`)
)

const (
	numericMaxWhole    = 131072
	numericMaxFraction = 16383
)

// beyond writes the condition of the rows after cursor in the order keys
// (fetch order: directions already flipped for a backward read).
func beyond(q *sqlText, keys []orderKey, c *domain.Cursor) {
	vals := make([]any, len(keys))
	for i := range keys[:len(keys)-1] {
		vals[i] = c.Keys[i]
	}
	vals[len(keys)-1] = c.ID
	cast := func(i int) string { return "CAST(? AS " + keys[i].typ + ")" }
	cmp := func(desc bool) string {
		if desc {
			return "<"
		}
		return ">"
	}
	same := !slices.ContainsFunc(keys, func(k orderKey) bool { return k.desc != keys[0].desc })
	if same {
		// A row comparison, which an index on the keys serves; the
		// first key alone narrows the scan first.
		var exprs, casts []string
		for i, k := range keys {
			exprs = append(exprs, k.expr)
			casts = append(casts, cast(i))
		}
		q.add(fmt.Sprintf("%s %s= %s AND (%s) %s (%s)", keys[0].expr, cmp(keys[0].desc), cast(0),
			strings.Join(exprs, ", "), cmp(keys[0].desc), strings.Join(casts, ", ")), append([]any{vals[0]}, vals...)...)
		return
	}
	// Keys in both directions: k0 beyond, or k0 equal and k1 beyond, ...
	var ors []string
	var args []any
	for i, k := range keys {
		var ands []string
		for j := range i {
			ands = append(ands, keys[j].expr+" = "+cast(j))
			args = append(args, vals[j])
		}
		ands = append(ands, k.expr+" "+cmp(k.desc)+" "+cast(i))
		args = append(args, vals[i])
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	q.add("("+strings.Join(ors, " OR ")+")", args...)
}

// fetchKeys are the keys with the id, each flipped when reading back.
func (l listRead) fetchKeys(backward bool) []orderKey {
	keys := append(slices.Clone(l.keys), l.idKey())
	for i := range keys {
		keys[i].desc = keys[i].desc != backward
	}
	return keys
}

func orderBy(keys []orderKey, expr func(i int, k orderKey) string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		dir := " ASC"
		if k.desc {
			dir = " DESC"
		}
		parts[i] = expr(i, k) + dir
	}
	return " ORDER BY " + strings.Join(parts, ", ")
}

// ownersTable is the owners of a read, numbered in the order given.
const ownersTable = "unnest(string_to_array(?, ',')::uuid[]) WITH ORDINALITY AS o(id, n)"

// readPages reads the page w asks for of each owner's list (of the list,
// under uuid.Nil, when it has no owner) in one statement, and one more
// when w reads from a cursor, to say whether rows lie on its other side.
// Every owner gets a page, empty when it has no rows.
//
// item splits a row into its record, the record's id and its pageRow.
func readPages[R, T any](ctx context.Context, s *Store, l listRead, owners []uuid.UUID, w domain.Window[domain.Cursor], item func(R) (T, uuid.UUID, pageRow)) (map[uuid.UUID]domain.Page[T, domain.Cursor], error) {
	cursor, field := w.Cursor()
	if cursor != nil {
		if err := l.checkCursor(cursor, field); err != nil {
			return nil, err
		}
	}
	keys := l.fetchKeys(w.Backward())
	size := w.Size()
	var q sqlText
	if l.owner != "" {
		q.add("SELECT x.*, o.id AS page_owner FROM "+ownersTable+" CROSS JOIN LATERAL (", idList(owners))
	}
	q.add("SELECT " + l.alias + ".*")
	var texts []string
	for i, k := range keys[:len(keys)-1] {
		q.add(fmt.Sprintf(", %s AS page_k%d", k.expr, i))
		texts = append(texts, "to_json("+k.expr+") #>> '{}'")
	}
	q.add(", json_build_array(" + strings.Join(texts, ", ") + ")::text AS page_keys")
	l.from(&q)
	if cursor != nil {
		q.add(" AND (")
		beyond(&q, keys, cursor)
		q.add(")")
	}
	q.add(orderBy(keys, func(_ int, k orderKey) string { return k.expr })+" LIMIT ?", size+1)
	if l.owner != "" {
		q.add(") x" + orderBy(append([]orderKey{{expr: "o.n"}}, keys...), func(i int, k orderKey) string {
			switch {
			case i == 0:
				return "o.n"
			case i == len(keys):
				return "x.id"
			}
			return fmt.Sprintf("x.page_k%d", i-1)
		}))
	}
	var rows []R
	if err := s.raw(ctx, &q).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: %s: %w", l.name, err)
	}

	pages := map[uuid.UUID]domain.Page[T, domain.Cursor]{}
	for _, o := range owners {
		pages[o] = domain.Page[T, domain.Cursor]{Items: []T{}, Cursors: []domain.Cursor{}}
	}
	if l.owner == "" {
		pages[uuid.Nil] = domain.Page[T, domain.Cursor]{Items: []T{}, Cursors: []domain.Cursor{}}
	}
	more := map[uuid.UUID]bool{}
	for _, r := range rows {
		it, id, p := item(r)
		page := pages[p.PageOwner]
		if len(page.Items) == size {
			more[p.PageOwner] = true
			continue
		}
		c := domain.Cursor{List: l.name, Order: l.order, ID: id}
		if err := json.Unmarshal([]byte(p.PageKeys), &c.Keys); err != nil {
			return nil, fmt.Errorf("store: %s: keys: %w", l.name, err)
		}
		page.Items = append(page.Items, it)
		page.Cursors = append(page.Cursors, c)
		pages[p.PageOwner] = page
	}
	var behind map[uuid.UUID]bool
	if cursor != nil {
		var err error
		if behind, err = s.rowsBehind(ctx, l, owners, keys, cursor); err != nil {
			return nil, err
		}
	}
	for o, page := range pages {
		if w.Backward() {
			slices.Reverse(page.Items)
			slices.Reverse(page.Cursors)
			page.HasPrevious, page.HasNext = more[o], behind[o]
		} else {
			page.HasNext, page.HasPrevious = more[o], behind[o]
		}
		pages[o] = page
	}
	return pages, nil
}

// readPage reads the page w asks for of a list without owner.
func readPage[R, T any](ctx context.Context, s *Store, l listRead, w domain.Window[domain.Cursor], item func(R) (T, uuid.UUID, pageRow)) (domain.Page[T, domain.Cursor], error) {
	pages, err := readPages(ctx, s, l, nil, w, item)
	return pages[uuid.Nil], err
}

// from writes the FROM and WHERE of l, tied to the owner o.id when l has
// one.
func (l listRead) from(q *sqlText) {
	q.add(" FROM "+l.table+" "+l.alias+" "+l.joins, l.joinArgs...)
	q.add(" WHERE ")
	l.where.write(q)
	if l.owner != "" {
		q.add(" AND " + l.owner + " = o.id")
	}
}

// rowsBehind says which owners have rows at or before cursor in the fetch
// order keys: rows on the other side of the page.
func (s *Store) rowsBehind(ctx context.Context, l listRead, owners []uuid.UUID, keys []orderKey, cursor *domain.Cursor) (map[uuid.UUID]bool, error) {
	var q sqlText
	if l.owner != "" {
		q.add("SELECT o.id FROM "+ownersTable+" WHERE EXISTS (SELECT 1", idList(owners))
	} else {
		q.add("SELECT CAST(? AS uuid) AS id WHERE EXISTS (SELECT 1", uuid.Nil)
	}
	l.from(&q)
	q.add(" AND NOT (")
	beyond(&q, keys, cursor)
	q.add("))")
	var ids []uuid.UUID
	if err := s.raw(ctx, &q).Scan(&ids).Error; err != nil {
		return nil, fmt.Errorf("store: %s: rows behind the cursor: %w", l.name, err)
	}
	out := make(map[uuid.UUID]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// countByOwner counts the rows of each owner's list, with an entry for
// every owner, in one statement.
func countByOwner(ctx context.Context, s *Store, l listRead, owners []uuid.UUID) (map[uuid.UUID]int, error) {
	var q sqlText
	q.add(fmt.Sprintf("SELECT %s AS owner, count(*) AS n FROM %s %s WHERE ", l.owner, l.table, l.alias))
	l.where.write(&q)
	q.add(fmt.Sprintf(" AND %s = ANY(string_to_array(?, ',')::uuid[]) GROUP BY %s", l.owner, l.owner), idList(owners))
	var rows []struct {
		Owner uuid.UUID
		N     int
	}
	if err := s.raw(ctx, &q).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: count %s: %w", l.name, err)
	}
	out := make(map[uuid.UUID]int, len(owners))
	for _, o := range owners {
		out[o] = 0
	}
	for _, r := range rows {
		out[r.Owner] = r.N
	}
	return out, nil
}

// sortKeys turns an order into keys by each key's own: keyOf gives the
// keys of one, in its direction. An empty order is def.
func sortKeys[K ~string](order []domain.Order[K], def domain.Order[K], keyOf func(K, bool) ([]orderKey, error)) (string, []orderKey, error) {
	if len(order) == 0 {
		order = []domain.Order[K]{def}
	}
	var keys []orderKey
	for _, o := range order {
		k, err := keyOf(o.By, o.Desc)
		if err != nil {
			return "", nil, err
		}
		keys = append(keys, k...)
	}
	return domain.OrderName(order), keys, nil
}

// simpleKey is keyOf for orders whose keys are one column each, from
// columns; nulls names those that may be NULL, with the zero their value
// stands in for.
func simpleKey[K ~string](list string, columns map[K]orderKey, nulls map[K]string) func(K, bool) ([]orderKey, error) {
	return func(by K, desc bool) ([]orderKey, error) {
		k, ok := columns[by]
		if !ok {
			return nil, fmt.Errorf("store: %s: unknown order %q", list, by)
		}
		if zero, ok := nulls[by]; ok {
			return nullable(k.expr, k.typ, zero, desc), nil
		}
		k.desc = desc
		return []orderKey{k}, nil
	}
}
