package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// Backend reads the model. *store.Store implements it.
//
// Methods taking many ids serve the dataloaders: they answer for all the
// ids in one statement and leave out of the map the ids they know nothing
// of. Lists leave out soft-deleted rows.
type Backend interface {
	// Accounts returns a page of the accounts q asks for. A cursor of
	// another order is refused with a *domain.InputError naming "after".
	Accounts(ctx context.Context, q domain.AccountQuery) (domain.AccountPage, error)
	// CountAccounts counts the accounts f keeps.
	CountAccounts(ctx context.Context, f domain.AccountFilter) (int, error)
	// Account returns the account id, or an error wrapping
	// domain.ErrNotFound.
	Account(ctx context.Context, id uuid.UUID) (*domain.Account, error)
	// TeamMembers returns the team of each account, by account id.
	TeamMembers(ctx context.Context, accountIDs []uuid.UUID) (map[uuid.UUID][]domain.AccountTeamMember, error)
	// People returns the teammates with these ids, by id.
	People(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Person, error)
	// MRR returns each account's monthly recurring revenue at instant at,
	// in domain.BaseCurrency, by account id: an entry for every id, zero
	// for an account billing nothing.
	MRR(ctx context.Context, accountIDs []uuid.UUID, at time.Time) (map[uuid.UUID]domain.Money, error)
	// Contacts returns a page of an account's contacts.
	Contacts(ctx context.Context, q domain.ContactQuery) (domain.ContactPage, error)
	// Tickets returns a page of an account's tickets.
	Tickets(ctx context.Context, q domain.TicketQuery) (domain.TicketPage, error)
	// Timeline returns a page of an account's timeline.
	Timeline(ctx context.Context, q domain.TimelineQuery) (domain.TimelinePage, error)
	// Timelines returns the first page of each account's timeline, by
	// account id (q.AccountID and q.After are ignored).
	Timelines(ctx context.Context, accountIDs []uuid.UUID, q domain.TimelineQuery) (map[uuid.UUID]domain.TimelinePage, error)
	// LastTouches returns each account's latest touch at or before at,
	// of team when it is not empty, by account id, leaving out accounts
	// never touched.
	LastTouches(ctx context.Context, accountIDs []uuid.UUID, team string, at time.Time) (map[uuid.UUID]domain.Activity, error)
	// OpenTicketCounts returns how many tickets of each account are open,
	// with an entry for every id.
	OpenTicketCounts(ctx context.Context, accountIDs []uuid.UUID) (map[uuid.UUID]int, error)
	// Subscriptions returns an account's subscription items by start.
	Subscriptions(ctx context.Context, accountID uuid.UUID) ([]domain.SubscriptionItem, error)
	// Deals returns an account's deals, newest first.
	Deals(ctx context.Context, accountID uuid.UUID) ([]domain.Deal, error)
	// Surveys returns an account's survey responses, newest first.
	Surveys(ctx context.Context, accountID uuid.UUID) ([]domain.SurveyResponse, error)
	// ExternalRefs returns the ids the sources know an entity under.
	ExternalRefs(ctx context.Context, entityType string, entityID uuid.UUID) ([]domain.ExternalRef, error)
	// SyncRuns returns a source's latest runs with their streams, newest
	// first.
	SyncRuns(ctx context.Context, sourceID uuid.UUID, limit int) ([]domain.SyncRun, error)
	// LastSyncRuns returns the latest run of each source, with its
	// streams, by source id.
	LastSyncRuns(ctx context.Context, sourceIDs []uuid.UUID) (map[uuid.UUID]domain.SyncRun, error)
	// SyncIssues returns a run's first issues, in the order found.
	SyncIssues(ctx context.Context, runID uuid.UUID, limit int) ([]domain.SyncIssue, error)
	// SyncRun returns the run id with its streams, or an error wrapping
	// domain.ErrNotFound.
	SyncRun(ctx context.Context, id uuid.UUID) (*domain.SyncRun, error)
}

// SourceService manages sources. *sources.Service does the work; errors
// are domain errors: a *domain.InputError naming every field at fault, or
// one wrapping domain.ErrNotFound.
type SourceService interface {
	// List returns every source by name.
	List(ctx context.Context) ([]domain.Source, error)
	// Get returns the source id.
	Get(ctx context.Context, id uuid.UUID) (*domain.Source, error)
	// Create checks in and stores it as a new source.
	Create(ctx context.Context, in domain.SourceInput) (*domain.Source, error)
	// Update applies p to the source id.
	Update(ctx context.Context, id uuid.UUID, p domain.SourcePatch) (*domain.Source, error)
	// Delete removes the source id.
	Delete(ctx context.Context, id uuid.UUID) error
	// SecretKeys lists the names of src's sealed settings.
	SecretKeys(src *domain.Source) ([]string, error)
}

// SyncRunner starts syncs for the API.
type SyncRunner interface {
	// Start creates a run of src, carries it out in the background and
	// returns the run as created, still running. The run must outlive ctx,
	// which ends with the request. When a run of src is already going, the
	// error wraps ErrConflict.
	Start(ctx context.Context, src *domain.Source, trigger string) (*domain.SyncRun, error)
}
