package store

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Statements that read many rows run on pgx's own connections, scanning
// without database/sql's conversions and handing each row on as it
// arrives.

// readOnly is a read-only transaction of one snapshot.
var readOnly = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// withConn runs f on a connection of the pool, as pgx's own.
func (s *Store) withConn(ctx context.Context, f func(pc *pgx.Conn) error) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return translateTimeout(conn.Raw(func(dc any) error { return f(dc.(*stdlib.Conn).Conn()) }))
}

// querier is a pgx connection or transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// scanRows runs sql and scans each row into dest, calling row after each.
func scanRows(ctx context.Context, q querier, sql string, args []any, dest []any, row func()) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		row()
	}
	return rows.Err()
}

// micros is t in Unix microseconds, PostgreSQL's precision.
func micros(t time.Time) int64 { return t.UnixMicro() }
