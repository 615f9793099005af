package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
)

func streamsByName(db *gorm.DB) *gorm.DB { return db.Order("stream") }

var syncRunKeys = simpleKey("sync runs", map[domain.SyncRunSort]orderKey{
	domain.SyncRunByStartedAt:  {expr: "r.started_at", typ: "timestamptz"},
	domain.SyncRunByFinishedAt: {expr: "r.finished_at", typ: "timestamptz"},
}, map[domain.SyncRunSort]string{domain.SyncRunByFinishedAt: noInstant})

func syncRunList(f domain.SyncRunFilter, order []domain.Order[domain.SyncRunSort]) (listRead, error) {
	l := listRead{name: "syncRuns", table: "sync_runs", alias: "r", owner: "r.source_id"}
	l.where.add("true")
	l.where.in("r.status", f.Statuses)
	l.where.in("r.trigger", f.Triggers)
	l.where.during("r.started_at", f.StartedAt)
	var err error
	l.order, l.keys, err = sortKeys(order, domain.Order[domain.SyncRunSort]{By: domain.SyncRunByStartedAt, Desc: true}, syncRunKeys)
	return l, err
}

// SyncRuns returns a page of each source's runs with their streams, by
// source id: one statement for the runs, one for their streams.
func (s *Store) SyncRuns(ctx context.Context, sourceIDs []uuid.UUID, q domain.SyncRunQuery) (map[uuid.UUID]domain.SyncRunPage, error) {
	l, err := syncRunList(q.Filter, q.Order)
	if err != nil {
		return nil, err
	}
	pages, err := readPages(ctx, s, l, sourceIDs, q.Window, func(r syncRunRow) (domain.SyncRun, uuid.UUID, pageRow) { return r.SyncRun, r.ID, r.Page })
	if err != nil {
		return nil, err
	}
	var runs []*domain.SyncRun
	for _, p := range pages {
		for i := range p.Items {
			runs = append(runs, &p.Items[i])
		}
	}
	if err := s.withStreams(ctx, runs); err != nil {
		return nil, err
	}
	return pages, nil
}

// CountSyncRuns counts each source's runs f keeps, by source id.
func (s *Store) CountSyncRuns(ctx context.Context, sourceIDs []uuid.UUID, f domain.SyncRunFilter) (map[uuid.UUID]int, error) {
	l, err := syncRunList(f, nil)
	if err != nil {
		return nil, err
	}
	return countByOwner(ctx, s, l, sourceIDs)
}

// withStreams reads the streams of runs, by name, in one statement.
func (s *Store) withStreams(ctx context.Context, runs []*domain.SyncRun) error {
	if len(runs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
	}
	var streams []domain.SyncRunStream
	if err := streamsByName(s.db.WithContext(ctx)).Where("run_id IN ?", ids).Find(&streams).Error; err != nil {
		return fmt.Errorf("store: sync runs: streams: %w", err)
	}
	byRun := map[uuid.UUID][]domain.SyncRunStream{}
	for _, st := range streams {
		byRun[st.RunID] = append(byRun[st.RunID], st)
	}
	for _, r := range runs {
		r.Streams = byRun[r.ID]
		if r.Streams == nil {
			r.Streams = []domain.SyncRunStream{}
		}
	}
	return nil
}

// LastSyncRuns returns the latest run of each source that ran, with its
// streams, by source id.
func (s *Store) LastSyncRuns(ctx context.Context, sourceIDs []uuid.UUID) (map[uuid.UUID]domain.SyncRun, error) {
	var runs []domain.SyncRun
	// DISTINCT ON walks the (source_id, started_at DESC, id DESC) index.
	err := s.db.WithContext(ctx).Raw(`SELECT DISTINCT ON (source_id) * FROM sync_runs WHERE source_id IN ?
		ORDER BY source_id, started_at DESC, id DESC`, sourceIDs).Scan(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: last sync runs: %w", err)
	}
	return s.keyedWithStreams(ctx, runs, func(r domain.SyncRun) uuid.UUID { return r.SourceID })
}

// keyedWithStreams reads the streams of runs and returns the runs by key.
func (s *Store) keyedWithStreams(ctx context.Context, runs []domain.SyncRun, key func(domain.SyncRun) uuid.UUID) (map[uuid.UUID]domain.SyncRun, error) {
	list := make([]*domain.SyncRun, len(runs))
	for i := range runs {
		list[i] = &runs[i]
	}
	if err := s.withStreams(ctx, list); err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]domain.SyncRun, len(runs))
	for _, r := range runs {
		out[key(r)] = r
	}
	return out, nil
}

// SyncRun returns the run id with its streams, or an error wrapping
// domain.ErrNotFound.
func (s *Store) SyncRun(ctx context.Context, id uuid.UUID) (*domain.SyncRun, error) {
	var run domain.SyncRun
	err := s.db.WithContext(ctx).Preload("Streams", streamsByName).Where("id = ?", id).Take(&run).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("store: sync run %s: %w", id, domain.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: sync run %s: %w", id, err)
	}
	return &run, nil
}

// SyncIssues returns a run's first issues, in the order found.
func (s *Store) SyncIssues(ctx context.Context, runID uuid.UUID, limit int) ([]domain.SyncIssue, error) {
	issues := []domain.SyncIssue{}
	err := s.db.WithContext(ctx).Where("run_id = ?", runID).Order("id").Limit(limit).Find(&issues).Error
	if err != nil {
		return nil, fmt.Errorf("store: sync issues: %w", err)
	}
	return issues, nil
}
