package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
)

// Allowances keeps each API key's allowance in PostgreSQL (tables
// api_key_rates and api_key_slots), so that every replica on the database
// counts against the same one. Each call is one statement (an Admit
// three, on a key's first request, which makes its slots), each a
// transaction of its own: nothing is held between them, so they work
// through PgBouncer in transaction mode, and a replica that dies holding
// slots loses them when their leases expire.
//
// They are read on every request, so they skip the ORM for its pool.
type Allowances struct{ db gorm.ConnPool }

// NewAllowances returns the allowances kept in db.
func NewAllowances(db *gorm.DB) *Allowances { return &Allowances{db: db.ConnPool} }

// The statement that admits a request; %s is the rate's common table
// expression, which either spends one of the key's requests or lets the
// request by. Its parameters: $1 the key, $2 the rate's interval, $3 a
// burst's worth of intervals, $4 the slots, $5 a lease's hold.
//
// The rate is a generic cell rate algorithm, which lets in what a token
// bucket of Burst tokens refilled at PerMinute would: tat, the key's next
// theoretical arrival, moves one interval on for each request let in, and
// a request is let in while that keeps it at most a burst ahead of now.
// The upsert locks the key's rate row for the statement.
//
// The slot is the lowest of the key's free ones; SKIP LOCKED passes slots
// that another statement is taking, so that requests arriving together
// each take a different one rather than waiting, and the recheck of FOR
// UPDATE skips one that a statement committed since this one began took.
// The count of the key's slots tells that they must be made.
const admitSQL = `WITH rate AS (%s), free AS (
	SELECT slot FROM api_key_slots
	WHERE key_id = $1 AND slot < $4 AND expires_at <= now() AND (SELECT admitted FROM rate)
	ORDER BY slot LIMIT 1
	FOR UPDATE SKIP LOCKED
), taken AS (
	UPDATE api_key_slots s SET lease = gen_random_uuid(), expires_at = now() + $5::interval
	FROM free WHERE s.key_id = $1 AND s.slot = free.slot
	RETURNING s.slot, s.lease
)
SELECT rate.admitted, EXTRACT(EPOCH FROM GREATEST(rate.tat, now()) + $2::interval - now() - $3::interval),
	taken.slot, taken.lease,
	(SELECT count(*) FROM api_key_slots WHERE key_id = $1 AND slot < $4)
FROM rate LEFT JOIN taken ON true`

// spendRate spends one of the key's requests, or refuses the request and
// leaves the rate as it was.
const spendRate = `INSERT INTO api_key_rates AS r (key_id, tat, admitted)
	VALUES ($1, now() + $2::interval, true)
	ON CONFLICT (key_id) DO UPDATE SET
		admitted = GREATEST(r.tat, now()) + $2::interval <= now() + $3::interval,
		tat = CASE WHEN GREATEST(r.tat, now()) + $2::interval <= now() + $3::interval
			THEN GREATEST(r.tat, now()) + $2::interval ELSE r.tat END
	RETURNING admitted, tat`

// passRate lets the request by the rate, already spent.
const passRate = `SELECT true AS admitted, now() AS tat`

var (
	admitSpending = fmt.Sprintf(admitSQL, spendRate)
	admitPassing  = fmt.Sprintf(admitSQL, passRate)
)

// makeSlots makes the key's slots up to $2, leaving those that exist.
const makeSlots = `INSERT INTO api_key_slots (key_id, slot)
	SELECT $1, generate_series(0, $2::int - 1) ON CONFLICT DO NOTHING`

// releaseSlot frees the slot if the lease still holds it: one that
// expired may be another request's by now.
const releaseSlot = `UPDATE api_key_slots SET lease = NULL, expires_at = '-infinity'
	WHERE key_id = $1 AND slot = $2 AND lease = $3`

// Admit spends one of key's requests of a's rate and, when a.InFlight is
// not zero, takes one of its slots for a.Hold at most, or says why the
// request is refused. A request refused for its rate spends nothing; one
// refused for want of a slot has spent its request, as a request that ran
// would have. An allowance that cannot be kept is a *domain.InputError.
func (l *Allowances) Admit(ctx context.Context, key uuid.UUID, a domain.Allowance) (domain.Admission, error) {
	if probs := a.Problems(); len(probs) > 0 {
		return domain.Admission{}, &domain.InputError{Problems: probs}
	}
	interval := time.Duration(float64(time.Minute) / float64(a.PerMinute))
	burst := interval * time.Duration(a.Burst)
	ad, slots, err := l.admit(ctx, admitSpending, key, interval, burst, a)
	if err != nil || !ad.Admitted() || a.InFlight == 0 || ad.Lease != (domain.Lease{}) {
		return ad, err
	}
	if slots < a.InFlight {
		// The key's first request, or a replica allows more than any
		// before it: the slots are made, and the request, whose rate is
		// spent, takes one.
		if _, err := l.db.ExecContext(ctx, makeSlots, key, a.InFlight); err != nil {
			return domain.Admission{}, fmt.Errorf("store: make the slots of api key %s: %w", key, translateTimeout(err))
		}
		if ad, _, err = l.admit(ctx, admitPassing, key, interval, burst, a); err != nil || ad.Lease != (domain.Lease{}) {
			return ad, err
		}
	}
	return domain.Admission{Busy: true}, nil
}

// admit runs one of the admitting statements, returning the admission
// and how many slots the key has below a.InFlight.
func (l *Allowances) admit(ctx context.Context, stmt string, key uuid.UUID, interval, burst time.Duration, a domain.Allowance) (domain.Admission, int, error) {
	var admitted bool
	var wait float64
	var slot sql.NullInt32
	var lease uuid.NullUUID
	var slots int
	err := l.db.QueryRowContext(ctx, stmt, key, interval, burst, a.InFlight, a.Hold).Scan(&admitted, &wait, &slot, &lease, &slots)
	if err != nil {
		return domain.Admission{}, 0, fmt.Errorf("store: admit a request of api key %s: %w", key, translateTimeout(err))
	}
	if !admitted {
		// At least a microsecond: a refusal always has a wait.
		return domain.Admission{RetryAfter: max(time.Duration(math.Ceil(wait*1e6))*time.Microsecond, time.Microsecond)}, slots, nil
	}
	if !slot.Valid {
		return domain.Admission{}, slots, nil
	}
	return domain.Admission{Lease: domain.Lease{Key: key, Slot: int(slot.Int32), ID: lease.UUID}}, slots, nil
}

// Release gives the lease's slot back; one whose lease expired and that
// another request took since is left to that request.
func (l *Allowances) Release(ctx context.Context, lease domain.Lease) error {
	if _, err := l.db.ExecContext(ctx, releaseSlot, lease.Key, lease.Slot, lease.ID); err != nil {
		return fmt.Errorf("store: release slot %d of api key %s: %w", lease.Slot, lease.Key, translateTimeout(err))
	}
	return nil
}
