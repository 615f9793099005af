package graph

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// Backend reads the model, and adds notes to it. *store.Store implements
// it.
//
// Methods taking many ids serve the dataloaders: they answer for all the
// ids in one statement and leave out of the map the ids they know nothing
// of. Lists leave out soft-deleted rows. The lists under an account or a
// source answer a page for each of many owners at once, with an entry for
// every owner; a cursor of another list or order is refused with a
// *domain.InputError naming the argument it came in (after or before).
type Backend interface {
	// Accounts returns a page of the accounts q asks for.
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
	// in the workspace's base currency, by account id: an entry for every id, zero
	// for an account billing nothing.
	MRR(ctx context.Context, accountIDs []uuid.UUID, at time.Time) (map[uuid.UUID]domain.Money, error)
	// Contacts returns a page of each account's contacts, by account id.
	Contacts(ctx context.Context, accountIDs []uuid.UUID, q domain.ContactQuery) (map[uuid.UUID]domain.ContactPage, error)
	// CountContacts counts each account's contacts f keeps.
	CountContacts(ctx context.Context, accountIDs []uuid.UUID, f domain.ContactFilter) (map[uuid.UUID]int, error)
	// Tickets returns a page of each account's tickets, by account id.
	Tickets(ctx context.Context, accountIDs []uuid.UUID, q domain.TicketQuery) (map[uuid.UUID]domain.TicketPage, error)
	// CountTickets counts each account's tickets f keeps.
	CountTickets(ctx context.Context, accountIDs []uuid.UUID, f domain.TicketFilter) (map[uuid.UUID]int, error)
	// Deals returns a page of each account's deals, by account id.
	Deals(ctx context.Context, accountIDs []uuid.UUID, q domain.DealQuery) (map[uuid.UUID]domain.DealPage, error)
	// CountDeals counts each account's deals f keeps.
	CountDeals(ctx context.Context, accountIDs []uuid.UUID, f domain.DealFilter) (map[uuid.UUID]int, error)
	// Surveys returns a page of each account's survey responses, by
	// account id.
	Surveys(ctx context.Context, accountIDs []uuid.UUID, q domain.SurveyQuery) (map[uuid.UUID]domain.SurveyPage, error)
	// CountSurveys counts each account's survey responses f keeps.
	CountSurveys(ctx context.Context, accountIDs []uuid.UUID, f domain.SurveyFilter) (map[uuid.UUID]int, error)
	// Timeline returns a page of an account's timeline.
	Timeline(ctx context.Context, q domain.TimelineQuery) (domain.TimelinePage, error)
	// Timelines returns the page q asks for of each account's timeline,
	// by account id; q.AccountID is ignored, and q reads from no cursor.
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
	// ExternalRefs returns the ids the sources know an entity under.
	ExternalRefs(ctx context.Context, entityType string, entityID uuid.UUID) ([]domain.ExternalRef, error)
	// SyncRuns returns a page of each source's runs with their streams,
	// by source id.
	SyncRuns(ctx context.Context, sourceIDs []uuid.UUID, q domain.SyncRunQuery) (map[uuid.UUID]domain.SyncRunPage, error)
	// CountSyncRuns counts each source's runs f keeps.
	CountSyncRuns(ctx context.Context, sourceIDs []uuid.UUID, f domain.SyncRunFilter) (map[uuid.UUID]int, error)
	// LastSyncRuns returns the latest run of each source, with its
	// streams, by source id.
	LastSyncRuns(ctx context.Context, sourceIDs []uuid.UUID) (map[uuid.UUID]domain.SyncRun, error)
	// SyncIssues returns a run's first issues, in the order found.
	SyncIssues(ctx context.Context, runID uuid.UUID, limit int) ([]domain.SyncIssue, error)
	// SyncRun returns the run id with its streams, or an error wrapping
	// domain.ErrNotFound.
	SyncRun(ctx context.Context, id uuid.UUID) (*domain.SyncRun, error)

	// NodeKinds says which kind of record each id names, by id, in one
	// statement; ids naming nothing, or a deleted record, are left out.
	NodeKinds(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.NodeKind, error)
	// The live records of each kind with these ids, by id.
	AccountsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Account, error)
	TeamMembersByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.AccountTeamMember, error)
	ContactsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Contact, error)
	ActivitiesByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Activity, error)
	TicketsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Ticket, error)
	DealsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.Deal, error)
	SubscriptionItemsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SubscriptionItem, error)
	SurveysByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SurveyResponse, error)
	SyncRunsByID(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]domain.SyncRun, error)

	// AddNote adds a note to an account's timeline. An unknown account or
	// a contact not of it is refused with a *domain.InputError naming it.
	AddNote(ctx context.Context, in domain.NoteInput) (*domain.Activity, error)
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

// APIKeyService manages API keys for admins. *store.Keys implements it, as
// the CLI's pulse apikey does.
type APIKeyService interface {
	// List returns every key, live or revoked, newest first.
	List(ctx context.Context) ([]domain.APIKey, error)
	// Create makes a key, returning it and its secret, which is not kept.
	// Bad input, or a name a live key has, is a *domain.InputError.
	Create(ctx context.Context, name string, role domain.Access, createdBy string) (*domain.APIKey, string, error)
	// Revoke revokes the live key with this id or name; an error wrapping
	// domain.ErrNotFound says there is none.
	Revoke(ctx context.Context, idOrName string) (*domain.APIKey, error)
}
