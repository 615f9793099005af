package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// Batch is rows of one table held column by column, each value in
// PostgreSQL's text form (nil for NULL), to be written by one statement
// whatever its number of rows: the statement's text depends only on the
// table and its columns, so the server plans it once per connection,
// and the rows travel as one array per column.
type Batch struct {
	Table   string
	Columns []string
	// Values[c][r] is column c of row r.
	Values [][]*string
}

// Len is the number of rows.
func (b *Batch) Len() int {
	if len(b.Values) == 0 {
		return 0
	}
	return len(b.Values[0])
}

// Add appends a column.
func (b *Batch) Add(column string, values []*string) {
	b.Columns = append(b.Columns, column)
	b.Values = append(b.Values, values)
}

// Text is v in the text form a Batch holds.
func Text(v string) *string { return &v }

// RowsBatch holds rows, pointers to values of one gorm model, with every
// column gorm writes when it creates one, as gorm would write it.
func RowsBatch(db *gorm.DB, table string, rows []any) (Batch, error) {
	b := Batch{Table: table}
	if len(rows) == 0 {
		return b, nil
	}
	s, err := schema.Parse(rows[0], modelSchemas, db.NamingStrategy)
	if err != nil {
		return b, fmt.Errorf("store: batch of %s: %w", table, err)
	}
	var fields []*schema.Field
	for _, name := range s.DBNames {
		if f := s.FieldsByDBName[name]; f.Creatable {
			fields = append(fields, f)
		}
	}
	for range fields {
		b.Values = append(b.Values, make([]*string, len(rows)))
	}
	for r, row := range rows {
		v := reflect.ValueOf(row)
		for c, f := range fields {
			val, _ := f.ValueOf(db.Statement.Context, v)
			text, err := textForm(val)
			if err != nil {
				return b, fmt.Errorf("store: batch of %s: %s: %w", table, f.DBName, err)
			}
			b.Values[c][r] = text
		}
	}
	for _, f := range fields {
		b.Columns = append(b.Columns, f.DBName)
	}
	return b, nil
}

// modelSchemas caches the parsed gorm models RowsBatch reads.
var modelSchemas = &gosync.Map{}

// textForm is v as PostgreSQL reads it from text, the way the pgx driver
// would have sent it: times to the microsecond, truncated, in UTC.
func textForm(v any) (*string, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil, nil
		}
		if _, ok := v.(driver.Valuer); !ok {
			return textForm(rv.Elem().Interface())
		}
	}
	if val, ok := v.(driver.Valuer); ok {
		dv, err := val.Value()
		if err != nil {
			return nil, err
		}
		return textForm(dv)
	}
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case bool:
		s = strconv.FormatBool(x)
	case int:
		s = strconv.Itoa(x)
	case int16:
		s = strconv.FormatInt(int64(x), 10)
	case int32:
		s = strconv.FormatInt(int64(x), 10)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		s = x.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.999999Z07:00")
	default:
		return nil, fmt.Errorf("no text form for %T", v)
	}
	return &s, nil
}

// columnTypes caches each table's column types, by table.
var columnTypes gosync.Map

// typesOf returns the SQL type of each column of table.
func typesOf(ctx context.Context, tx *gorm.DB, table string) (map[string]string, error) {
	if t, ok := columnTypes.Load(table); ok {
		return t.(map[string]string), nil
	}
	var rows []struct{ Name, Type string }
	err := tx.WithContext(ctx).Raw(`SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
		WHERE attrelid = CAST(? AS regclass) AND attnum > 0 AND NOT attisdropped`, table).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: columns of %s: %w", table, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("store: no table %s", table)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Name] = r.Type
	}
	columnTypes.Store(table, out)
	return out, nil
}

// Upsert is how WriteBatch treats a row whose key is already stored.
type Upsert struct {
	// Conflict are the columns of the unique key rows are matched on;
	// none inserts plainly.
	Conflict []string
	// Update are the columns an existing row takes from the batch; Data
	// those whose change alone makes it rewrite the row (with
	// deleted_at, so a deleted row comes back): a batch repeating what
	// is stored changes nothing, updated_at included.
	Update, Data []string
}

// WriteBatch inserts b's rows into its table in one statement, or with
// u.Conflict set upserts them, and returns the rows it wrote.
func WriteBatch(ctx context.Context, tx *gorm.DB, b Batch, u Upsert) (int64, error) {
	if b.Len() == 0 {
		return 0, nil
	}
	types, err := typesOf(ctx, tx, b.Table)
	if err != nil {
		return 0, err
	}
	var q strings.Builder
	q.WriteString("INSERT INTO " + b.Table + " AS t (" + quoteAll(b.Columns, "") + ") SELECT ")
	args := make([]any, len(b.Columns))
	for i, c := range b.Columns {
		typ, ok := types[c]
		if !ok {
			return 0, fmt.Errorf("store: %s has no column %s", b.Table, c)
		}
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "CAST(v.c%d AS %s)", i, typ)
		args[i] = b.Values[i]
	}
	q.WriteString(" FROM unnest(")
	for i := range b.Columns {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "CAST($%d AS text[])", i+1)
	}
	q.WriteString(") AS v(")
	for i := range b.Columns {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "c%d", i)
	}
	q.WriteString(")")
	if len(u.Conflict) > 0 {
		q.WriteString(" ON CONFLICT (" + quoteAll(u.Conflict, "") + ") DO UPDATE SET ")
		for i, c := range u.Update {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(quoteIdent(c) + " = excluded." + quoteIdent(c))
		}
		watched := append(append([]string{}, u.Data...), "deleted_at")
		q.WriteString(" WHERE (" + quoteAll(watched, "t.") + ") IS DISTINCT FROM (" + quoteAll(watched, "excluded.") + ")")
	}
	// Straight to the driver: gorm would spread each array into a list.
	res, err := tx.Statement.ConnPool.ExecContext(ctx, q.String(), args...)
	if err != nil {
		return 0, fmt.Errorf("store: write %s: %w", b.Table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("store: write %s: %w", b.Table, err)
	}
	return n, nil
}

func quoteIdent(c string) string { return `"` + c + `"` }

func quoteAll(cols []string, prefix string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = prefix + quoteIdent(c)
	}
	return strings.Join(out, ", ")
}

// Ref is what a source's ref of one external id holds.
type Ref struct {
	EntityID uuid.UUID
	Deleted  bool
	// Sent is the field values the ref's record last carried (JSON), read
	// only when asked for.
	Sent []byte
}

// SourceRefs returns source's refs of entity type entity with these
// external ids, by external id: the deleted ones too when withDeleted,
// with what they last sent when withSent.
func SourceRefs(ctx context.Context, tx *gorm.DB, source uuid.UUID, entity string, externalIDs []string, withDeleted, withSent bool) (map[string]Ref, error) {
	sent := "NULL::jsonb"
	if withSent {
		sent = "sent"
	}
	q := `SELECT external_id, entity_id, deleted_at IS NOT NULL, ` + sent + ` FROM external_refs
		WHERE source_id = $1 AND entity_type = $2 AND external_id = ANY($3)`
	if !withDeleted {
		q += " AND deleted_at IS NULL"
	}
	rows, err := tx.Statement.ConnPool.QueryContext(ctx, q, source, entity, externalIDs)
	if err != nil {
		return nil, fmt.Errorf("store: read %s refs: %w", entity, err)
	}
	defer rows.Close()
	out := make(map[string]Ref, len(externalIDs))
	for rows.Next() {
		var ext string
		var r Ref
		if err := rows.Scan(&ext, &r.EntityID, &r.Deleted, &r.Sent); err != nil {
			return nil, fmt.Errorf("store: read %s refs: %w", entity, err)
		}
		out[ext] = r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read %s refs: %w", entity, err)
	}
	return out, nil
}

// ReviveRefs brings back source's deleted refs of these external ids, as
// of now: their records came again.
func ReviveRefs(ctx context.Context, tx *gorm.DB, source uuid.UUID, entity string, externalIDs []string, now time.Time) error {
	_, err := tx.Statement.ConnPool.ExecContext(ctx, `UPDATE external_refs SET deleted_at = NULL, updated_at = $1
		WHERE source_id = $2 AND entity_type = $3 AND external_id = ANY($4) AND deleted_at IS NOT NULL`, now, source, entity, externalIDs)
	if err != nil {
		return fmt.Errorf("store: revive %s refs: %w", entity, err)
	}
	return nil
}

// SetSent records what source's refs of these external ids last sent:
// sent[i] (JSON) is external id externalIDs[i]'s.
func SetSent(ctx context.Context, tx *gorm.DB, source uuid.UUID, entity string, externalIDs, sent []string) error {
	_, err := tx.Statement.ConnPool.ExecContext(ctx, `UPDATE external_refs r SET sent = CAST(v.sent AS jsonb)
		FROM unnest(CAST($3 AS text[]), CAST($4 AS text[])) AS v(external_id, sent)
		WHERE r.source_id = $1 AND r.entity_type = $2 AND r.external_id = v.external_id AND r.sent IS DISTINCT FROM CAST(v.sent AS jsonb)`,
		source, entity, externalIDs, sent)
	if err != nil {
		return fmt.Errorf("store: remember sent %s values: %w", entity, err)
	}
	return nil
}
