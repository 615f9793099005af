package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// AddNote adds a note to an account's timeline: an activity of kind note,
// at in.At, its body as the subject, written by in.Author and by no
// source. An account that does not exist, or a contact not of the
// account, is refused with a *domain.InputError naming it, with the
// note's own problems.
func (s *Store) AddNote(ctx context.Context, in domain.NoteInput) (*domain.Activity, error) {
	var problems domain.Problems
	var inputErr *domain.InputError
	if err := in.Validate(); errors.As(err, &inputErr) {
		problems = inputErr.Problems
	}
	var found struct{ Account, Contact bool }
	err := s.db.WithContext(ctx).Raw(`SELECT
			EXISTS (SELECT 1 FROM accounts WHERE id = ? AND deleted_at IS NULL) AS account,
			EXISTS (SELECT 1 FROM contacts WHERE id = ? AND account_id = ? AND deleted_at IS NULL) AS contact`,
		in.AccountID, in.ContactID, in.AccountID).Scan(&found).Error
	if err != nil {
		return nil, fmt.Errorf("store: add note: %w", err)
	}
	if !found.Account {
		problems = append(problems, domain.FieldError{Field: "accountId", Message: fmt.Sprintf("no account %s", in.AccountID)})
	}
	if in.ContactID != nil && found.Account && !found.Contact {
		problems = append(problems, domain.FieldError{Field: "contactId", Message: fmt.Sprintf("no contact %s at account %s", *in.ContactID, in.AccountID)})
	}
	if len(problems) > 0 {
		return nil, &domain.InputError{Problems: problems}
	}
	at := in.At.UTC().Truncate(time.Microsecond)
	note := &domain.Activity{
		ID: uuid.Must(uuid.NewV7()), AccountID: in.AccountID, ContactID: in.ContactID, Kind: "note",
		OccurredAt: at, Subject: strings.TrimSpace(in.Body), Author: in.Author, Custom: domain.Custom{},
		Timestamps: domain.Timestamps{CreatedAt: at, UpdatedAt: at},
	}
	if err := s.db.WithContext(ctx).Create(note).Error; err != nil {
		return nil, fmt.Errorf("store: add note: %w", err)
	}
	return note, nil
}
