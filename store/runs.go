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

// SyncRuns returns a source's latest runs, newest first, with their
// streams.
func (s *Store) SyncRuns(ctx context.Context, sourceID uuid.UUID, limit int) ([]domain.SyncRun, error) {
	runs := []domain.SyncRun{}
	err := s.db.WithContext(ctx).Preload("Streams", streamsByName).Where("source_id = ?", sourceID).
		Order("started_at DESC, id DESC").Limit(limit).Find(&runs).Error
	if err != nil {
		return nil, fmt.Errorf("store: sync runs: %w", err)
	}
	return runs, nil
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
	out := make(map[uuid.UUID]domain.SyncRun, len(runs))
	if len(runs) == 0 {
		return out, nil
	}
	runIDs := make([]uuid.UUID, len(runs))
	for i, r := range runs {
		runIDs[i] = r.ID
	}
	var streams []domain.SyncRunStream
	if err := streamsByName(s.db.WithContext(ctx)).Where("run_id IN ?", runIDs).Find(&streams).Error; err != nil {
		return nil, fmt.Errorf("store: last sync runs: streams: %w", err)
	}
	byRun := map[uuid.UUID][]domain.SyncRunStream{}
	for _, st := range streams {
		byRun[st.RunID] = append(byRun[st.RunID], st)
	}
	for _, r := range runs {
		r.Streams = byRun[r.ID]
		out[r.SourceID] = r
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
