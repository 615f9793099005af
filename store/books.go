package store

import (
	"context"
	"fmt"
	gosync "sync"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/singleflight"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain/retention"
)

// This file keeps the revenue books the reports are answered from. A book
// holds every account's MRR history; building one reads every account,
// subscription item and rate (on the 100,000-account demo set, 0.9 s of a
// report's second), while answering a report from it takes milliseconds.
// So a book is kept for as long as what it was built from is unchanged, as
// migration 0009's revenue_changes tells, read in the same snapshot as the
// book's data. A dashboard's five revenue reports then build one book
// between two syncs, not five a page.

// maxBooks bounds the books kept: one per owner role asked for and base
// currency, and few of either are in use at once.
const maxBooks = 4

// pruneChangesAt is the size past which revenue_changes is emptied, after
// a reader saw it. Emptying it makes every kept book be built anew once.
const pruneChangesAt = 10_000

// revenueVersion says, within one snapshot, which committed writes of the
// revenue tables it sees: any write committed since changes it.
type revenueVersion struct {
	Generation, Count, MaxID int64
}

type bookKey struct{ role, base string }

type keptBook struct {
	key     bookKey
	version revenueVersion
	book    *retention.Book
}

// books keeps the latest books, most recently used first.
type books struct {
	mu    gosync.Mutex
	kept  []keptBook
	built int
	// building makes requests that find no book wait for the one
	// request building it rather than each build their own.
	building singleflight.Group
}

func (b *books) get(key bookKey, v revenueVersion) *retention.Book {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, k := range b.kept {
		if k.key == key && k.version == v {
			copy(b.kept[1:i+1], b.kept[:i])
			b.kept[0] = k
			return k.book
		}
	}
	return nil
}

func (b *books) put(key bookKey, v revenueVersion, book *retention.Book) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.built++
	kept := []keptBook{{key, v, book}}
	for _, k := range b.kept {
		if k.key != key && len(kept) < maxBooks {
			kept = append(kept, k)
		}
	}
	b.kept = kept
}

// builtCount is how many books were built, for tests.
func (b *books) builtCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.built
}

func readRevenueVersion(ctx context.Context, tx pgx.Tx) (revenueVersion, error) {
	var v revenueVersion
	err := tx.QueryRow(ctx, `SELECT (SELECT generation FROM revenue_generation),
		count(*), COALESCE(max(id), 0) FROM revenue_changes`).Scan(&v.Generation, &v.Count, &v.MaxID)
	if err != nil {
		return v, fmt.Errorf("revenue version: %w", err)
	}
	return v, nil
}

// revenueBookOf returns the book of every account in base, with the
// members of role on their teams (none when role is empty): a kept one
// when nothing it was built from changed since, else one built now, and
// then built is true.
func (s *Store) revenueBookOf(ctx context.Context, role, base string) (book *retention.Book, built bool, err error) {
	key := bookKey{role, base}
	var v revenueVersion
	err = s.withConn(ctx, func(pc *pgx.Conn) error {
		return pgx.BeginTxFunc(ctx, pc, readOnly, func(tx pgx.Tx) error {
			var err error
			if v, err = readRevenueVersion(ctx, tx); err != nil {
				return err
			}
			if book = s.books.get(key, v); book != nil {
				return nil
			}
			build := func() (*retention.Book, error) {
				data, err := loadRevenueData(ctx, tx, role)
				if err != nil {
					return nil, err
				}
				b, err := retention.NewBook(data, base)
				if err != nil {
					return nil, err
				}
				s.books.put(key, v, b)
				built = true
				return b, nil
			}
			// The first request to miss builds the book from its snapshot;
			// the others of the same version, which see the same data, wait
			// for it.
			shared, err, _ := s.books.building.Do(fmt.Sprintf("%s\x00%s\x00%v", role, base, v), func() (any, error) { return build() })
			if err == nil {
				book = shared.(*retention.Book)
				return nil
			}
			if ctx.Err() != nil {
				return err
			}
			// The request building it failed, perhaps because its client
			// left: build it here.
			book, err = build()
			return err
		})
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: revenue book: %w", err)
	}
	if v.Count > pruneChangesAt {
		if err := s.pruneRevenueChanges(ctx); err != nil {
			return nil, false, err
		}
	}
	return book, built, nil
}

// pruneRevenueChanges empties revenue_changes, moving to a new generation
// so that no kept book can be mistaken for current.
func (s *Store) pruneRevenueChanges(ctx context.Context) error {
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec("UPDATE revenue_generation SET generation = generation + 1").Error; err != nil {
			return err
		}
		return tx.Exec("DELETE FROM revenue_changes").Error
	})
	if err != nil {
		return fmt.Errorf("store: prune revenue changes: %w", err)
	}
	return nil
}

// WarmRevenueBooks builds anew each kept book whose data changed since it
// was built, so that the report after a sync finds it ready; it returns
// how many it built. A book nobody asked for yet is not built.
func (s *Store) WarmRevenueBooks(ctx context.Context) (int, error) {
	s.books.mu.Lock()
	keys := make([]bookKey, len(s.books.kept))
	for i, k := range s.books.kept {
		keys[i] = k.key
	}
	s.books.mu.Unlock()
	n := 0
	for _, k := range keys {
		_, built, err := s.revenueBookOf(ctx, k.role, k.base)
		if err != nil {
			return n, err
		}
		if built {
			n++
		}
	}
	return n, nil
}
