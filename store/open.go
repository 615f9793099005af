package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/pulseproject/pulse/domain"
)

// sessionDefaults are the settings every connection starts with, unless
// the URL sets them itself. Pulse's reports are aggregates over a few
// million rows that run in well under a second: PostgreSQL's JIT, which the
// planner turns on by the cost of such a plan, spent 1.8 s compiling a
// 6 s hand-off report on the 100,000-account demo set, more than it saved.
// And sorting or hashing a report's 800,000 touches in the default 4 MB
// spills to disk.
var sessionDefaults = map[string]string{
	"jit":      "off",
	"work_mem": "64MB",
}

// Pool tunes the connections Open makes; the zero value takes the
// defaults.
type Pool struct {
	// MaxConns bounds the open connections. Default 20.
	MaxConns int
	// StatementTimeout cuts any statement that runs longer, server-side,
	// with an error wrapping domain.ErrTimeout; zero leaves PostgreSQL's
	// setting (none, unless the URL or the server sets one). It also
	// bounds a statement's wait for a lock, so a request never holds a
	// connection longer than this.
	StatementTimeout time.Duration
}

// Open connects to the PostgreSQL database at url and checks it answers.
// At most one Pool may be given.
func Open(ctx context.Context, url string, pool ...Pool) (*gorm.DB, error) {
	var p Pool
	if len(pool) > 0 {
		p = pool[0]
	}
	if p.MaxConns <= 0 {
		p.MaxConns = 20
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	for k, v := range sessionDefaults {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
	if p.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(max(p.StatementTimeout.Milliseconds(), 1), 10)
	}
	db, err := gorm.Open(timeouts{postgres.New(postgres.Config{Conn: stdlib.OpenDB(*cfg)})}, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
		TranslateError:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := translateTimeouts(db); err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	sqlDB.SetMaxOpenConns(p.MaxConns)
	sqlDB.SetMaxIdleConns(max(p.MaxConns/2, 1))
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return db, nil
}

// OpenPool opens a pgx pool on the database at url, with the session
// defaults Open gives its connections, of at most maxConns connections;
// for what speaks pgx itself, such as the job queue.
func OpenPool(ctx context.Context, url string, maxConns int) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store: open pool: %w", err)
	}
	for k, v := range sessionDefaults {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	if maxConns > 0 {
		cfg.MaxConns = int32(maxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	return pool, nil
}

// timeouts is PostgreSQL's dialect, its errors translated as gorm's are,
// and a statement cut by statement_timeout also wrapping
// domain.ErrTimeout, so that the API can say the request asked too much
// rather than that it failed.
type timeouts struct{ gorm.Dialector }

func (d timeouts) Translate(err error) error {
	if t, ok := d.Dialector.(gorm.ErrorTranslator); ok {
		err = t.Translate(err)
	}
	return translateTimeout(err)
}

// SavePoint and RollbackTo keep nested transactions working through the
// wrapper.
func (d timeouts) SavePoint(tx *gorm.DB, name string) error {
	return d.Dialector.(gorm.SavePointerDialectorInterface).SavePoint(tx, name)
}

func (d timeouts) RollbackTo(tx *gorm.DB, name string) error {
	return d.Dialector.(gorm.SavePointerDialectorInterface).RollbackTo(tx, name)
}

// translateTimeouts translates the errors gorm's row and raw callbacks
// set directly, passing by the dialect's Translate.
func translateTimeouts(db *gorm.DB) error {
	translate := func(tx *gorm.DB) {
		if tx.Error != nil {
			tx.Error = translateTimeout(tx.Error)
		}
	}
	cb := db.Callback()
	for name, err := range map[string]error{
		"row": cb.Row().After("gorm:row").Register("pulse:timeouts", translate),
		"raw": cb.Raw().After("gorm:raw").Register("pulse:timeouts", translate),
	} {
		if err != nil {
			return fmt.Errorf("register %s callback: %w", name, err)
		}
	}
	return nil
}

// translateTimeout wraps an error of a statement that statement_timeout
// cut with domain.ErrTimeout.
func translateTimeout(err error) error {
	var pgErr *pgconn.PgError
	if !errors.Is(err, domain.ErrTimeout) && errors.As(err, &pgErr) && pgErr.Code == "57014" && strings.Contains(pgErr.Message, "statement timeout") {
		return fmt.Errorf("%w: %w", domain.ErrTimeout, err)
	}
	return err
}

// Close releases the database's connections.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
