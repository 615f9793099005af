package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// This file reads the lists of an account's records a page per account,
// for many accounts in one statement: the contacts, tickets, deals and
// survey responses of the accounts of a page of accounts.

// The rows of those lists, each with its place in its page.
type (
	contactRow struct {
		domain.Contact
		Page pageRow `gorm:"embedded"`
	}
	ticketRow struct {
		domain.Ticket
		Page pageRow `gorm:"embedded"`
	}
	dealRow struct {
		domain.Deal
		Page pageRow `gorm:"embedded"`
	}
	surveyRow struct {
		domain.SurveyResponse
		Page pageRow `gorm:"embedded"`
	}
	syncRunRow struct {
		domain.SyncRun
		Page pageRow `gorm:"embedded"`
	}
)

// 'epoch' stands for a missing instant among the keys: the key before it
// already puts the rows without one last.
const noInstant = "'epoch'::timestamptz"

func contactList(f domain.ContactFilter, order []domain.Order[domain.ContactSort]) (listRead, error) {
	l := listRead{name: "contacts", table: "contacts", alias: "c", owner: "c.account_id"}
	l.where.add("c.deleted_at IS NULL")
	l.where.contains(f.Search, "c.name", "c.email")
	if len(f.Emails) > 0 {
		keys := make([]string, len(f.Emails))
		for i, e := range f.Emails {
			keys[i] = strings.ToLower(strings.TrimSpace(e))
		}
		l.where.in("c.email_key", keys)
	}
	l.where.contains(f.TitleContains, "c.title")
	var err error
	l.order, l.keys, err = sortKeys(order, domain.Order[domain.ContactSort]{By: domain.ContactByName}, func(by domain.ContactSort, desc bool) ([]orderKey, error) {
		switch by {
		case domain.ContactByName:
			return []orderKey{{expr: "c.name", typ: "text", desc: desc}}, nil
		case domain.ContactByEmail:
			return blankLast("c.email", desc), nil
		case domain.ContactByTitle:
			return blankLast("c.title", desc), nil
		}
		return nil, fmt.Errorf("store: contacts: unknown order %q", by)
	})
	return l, err
}

// Contacts returns a page of each account's contacts, by account id.
func (s *Store) Contacts(ctx context.Context, accountIDs []uuid.UUID, q domain.ContactQuery) (map[uuid.UUID]domain.ContactPage, error) {
	l, err := contactList(q.Filter, q.Order)
	if err != nil {
		return nil, err
	}
	return readPages(ctx, s, l, accountIDs, q.Window, func(r contactRow) (domain.Contact, uuid.UUID, pageRow) { return r.Contact, r.ID, r.Page })
}

// CountContacts counts each account's contacts f keeps, by account id.
func (s *Store) CountContacts(ctx context.Context, accountIDs []uuid.UUID, f domain.ContactFilter) (map[uuid.UUID]int, error) {
	l, err := contactList(f, nil)
	if err != nil {
		return nil, err
	}
	return countByOwner(ctx, s, l, accountIDs)
}

var ticketKeys = simpleKey("tickets", map[domain.TicketSort]orderKey{
	domain.TicketByOpenedAt:   {expr: "t.opened_at", typ: "timestamptz"},
	domain.TicketByResolvedAt: {expr: "t.resolved_at", typ: "timestamptz"},
	domain.TicketByPriority: {expr: "CASE t.priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 END",
		typ: "int"},
}, map[domain.TicketSort]string{domain.TicketByResolvedAt: noInstant, domain.TicketByPriority: "0"})

func ticketList(f domain.TicketFilter, order []domain.Order[domain.TicketSort]) (listRead, error) {
	l := listRead{name: "tickets", table: "tickets", alias: "t", owner: "t.account_id"}
	l.where.add("t.deleted_at IS NULL")
	l.where.in("t.status", f.Statuses)
	l.where.in("t.priority", f.Priorities)
	l.where.during("t.opened_at", f.OpenedAt)
	l.where.contains(f.SubjectContains, "t.subject")
	var err error
	l.order, l.keys, err = sortKeys(order, domain.Order[domain.TicketSort]{By: domain.TicketByOpenedAt, Desc: true}, ticketKeys)
	return l, err
}

// Tickets returns a page of each account's tickets, by account id.
func (s *Store) Tickets(ctx context.Context, accountIDs []uuid.UUID, q domain.TicketQuery) (map[uuid.UUID]domain.TicketPage, error) {
	l, err := ticketList(q.Filter, q.Order)
	if err != nil {
		return nil, err
	}
	return readPages(ctx, s, l, accountIDs, q.Window, func(r ticketRow) (domain.Ticket, uuid.UUID, pageRow) { return r.Ticket, r.ID, r.Page })
}

// CountTickets counts each account's tickets f keeps, by account id.
func (s *Store) CountTickets(ctx context.Context, accountIDs []uuid.UUID, f domain.TicketFilter) (map[uuid.UUID]int, error) {
	l, err := ticketList(f, nil)
	if err != nil {
		return nil, err
	}
	return countByOwner(ctx, s, l, accountIDs)
}

var dealKeys = simpleKey("deals", map[domain.DealSort]orderKey{
	// The timeline's instant of a deal; dealTime names d's columns
	// unqualified, and d is the only table they can be of.
	domain.DealByOccurredAt: {expr: dealTime, typ: "timestamptz"},
	domain.DealByClosedAt:   {expr: "d.closed_at", typ: "timestamptz"},
	domain.DealByAmount:     {expr: "d.amount", typ: "numeric"},
	domain.DealByName:       {expr: "lower(d.name)", typ: "text"},
}, map[domain.DealSort]string{domain.DealByClosedAt: noInstant})

func dealList(f domain.DealFilter, order []domain.Order[domain.DealSort]) (listRead, error) {
	l := listRead{name: "deals", table: "deals", alias: "d", owner: "d.account_id"}
	l.where.add("d.deleted_at IS NULL")
	l.where.in("d.status", f.Statuses)
	l.where.in("d.kind", f.Kinds)
	l.where.in("d.stage", f.Stages)
	l.where.during("d.closed_at", f.ClosedAt)
	between(&l.where, "d.amount", f.Amount)
	l.where.contains(f.NameContains, "d.name")
	var err error
	l.order, l.keys, err = sortKeys(order, domain.Order[domain.DealSort]{By: domain.DealByOccurredAt, Desc: true}, dealKeys)
	return l, err
}

// Deals returns a page of each account's deals, by account id.
func (s *Store) Deals(ctx context.Context, accountIDs []uuid.UUID, q domain.DealQuery) (map[uuid.UUID]domain.DealPage, error) {
	l, err := dealList(q.Filter, q.Order)
	if err != nil {
		return nil, err
	}
	return readPages(ctx, s, l, accountIDs, q.Window, func(r dealRow) (domain.Deal, uuid.UUID, pageRow) { return r.Deal, r.ID, r.Page })
}

// CountDeals counts each account's deals f keeps, by account id.
func (s *Store) CountDeals(ctx context.Context, accountIDs []uuid.UUID, f domain.DealFilter) (map[uuid.UUID]int, error) {
	l, err := dealList(f, nil)
	if err != nil {
		return nil, err
	}
	return countByOwner(ctx, s, l, accountIDs)
}

var surveyKeys = simpleKey("surveys", map[domain.SurveySort]orderKey{
	domain.SurveyByRespondedAt: {expr: "sr.responded_at", typ: "timestamptz"},
	domain.SurveyByScore:       {expr: "sr.score", typ: "int"},
}, nil)

func surveyList(f domain.SurveyFilter, order []domain.Order[domain.SurveySort]) (listRead, error) {
	l := listRead{name: "surveys", table: "survey_responses", alias: "sr", owner: "sr.account_id"}
	l.where.add("sr.deleted_at IS NULL")
	l.where.in("sr.kind", f.Kinds)
	l.where.in("sr.touchpoint", f.Touchpoints)
	between(&l.where, "sr.score", f.Score)
	l.where.during("sr.responded_at", f.RespondedAt)
	l.where.contains(f.CommentContains, "sr.comment")
	var err error
	l.order, l.keys, err = sortKeys(order, domain.Order[domain.SurveySort]{By: domain.SurveyByRespondedAt, Desc: true}, surveyKeys)
	return l, err
}

// Surveys returns a page of each account's survey responses, by account
// id.
func (s *Store) Surveys(ctx context.Context, accountIDs []uuid.UUID, q domain.SurveyQuery) (map[uuid.UUID]domain.SurveyPage, error) {
	l, err := surveyList(q.Filter, q.Order)
	if err != nil {
		return nil, err
	}
	return readPages(ctx, s, l, accountIDs, q.Window, func(r surveyRow) (domain.SurveyResponse, uuid.UUID, pageRow) { return r.SurveyResponse, r.ID, r.Page })
}

// CountSurveys counts each account's survey responses f keeps, by account
// id.
func (s *Store) CountSurveys(ctx context.Context, accountIDs []uuid.UUID, f domain.SurveyFilter) (map[uuid.UUID]int, error) {
	l, err := surveyList(f, nil)
	if err != nil {
		return nil, err
	}
	return countByOwner(ctx, s, l, accountIDs)
}
