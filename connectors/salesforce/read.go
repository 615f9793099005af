package salesforce

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
)

// object is one SObject read as one stream.
type object struct {
	stream  string
	sobject string
	entity  connectorpb.EntityType
	// fields are the standard fields read; IsDeleted, SystemModstamp and
	// the object's custom fields are added.
	fields []string
	// deletable objects are read through queryAll, so that deleted rows
	// come back as tombstones; User rows are deactivated, never deleted.
	deletable bool
	// convert maps a row to records; a nil record with no error skips it.
	convert func(s *session, r row) ([]*connectorpb.Record, error)
}

// objects are read in this order: people before the accounts that name
// them as owners, accounts before everything that belongs to one.
var objects = []object{
	{"users", "User", sdk.Person, []string{"Name", "Email", "Department", "IsActive"}, false, convertUser},
	{"accounts", "Account", sdk.Account, []string{"Name", "Website", "Industry", "Type"}, true, convertAccount},
	{"account_owners", "Account", sdk.AccountTeam, []string{"OwnerId"}, true, convertOwner},
	{"contacts", "Contact", sdk.Contact, []string{"AccountId", "Name", "Email", "Title"}, true, convertContact},
	{"opportunities", "Opportunity", sdk.Deal, []string{"AccountId", "Name", "StageName", "IsClosed", "IsWon", "Type", "Amount", "CloseDate"}, true, convertOpportunity},
	{"tasks", "Task", sdk.Activity, []string{"AccountId", "WhoId", "OwnerId", "Subject", "TaskSubtype", "CallType", "CallDurationInSeconds", "ActivityDate", "CompletedDateTime", "CreatedDate"}, true, convertTask},
	{"events", "Event", sdk.Activity, []string{"AccountId", "WhoId", "OwnerId", "Subject", "StartDateTime", "DurationInMinutes"}, true, convertEvent},
	{"cases", "Case", sdk.Ticket, []string{"AccountId", "ContactId", "OwnerId", "Subject", "Priority", "Status", "IsClosed", "CreatedDate", "ClosedDate"}, true, convertCase},
}

// cursor is a stream's checkpoint: the last row committed, in the order
// rows are read.
type cursor struct {
	Modstamp string `json:"modstamp"`
	ID       string `json:"id"`
}

// row is one record of a query answer; numbers stay exact.
type row map[string]any

func (r row) str(k string) string {
	switch v := r[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		if v {
			return "true"
		}
		return "false"
	}
	return ""
}

func (r row) flag(k string) bool { v, _ := r[k].(bool); return v }

// instant reads a datetime or date field; Salesforce writes datetimes as
// 2024-01-02T03:04:05.000+0000.
func (r row) instant(k string) (time.Time, bool) {
	v := r.str(k)
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339, "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// soqlTime is a datetime literal for SOQL.
func soqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// read is every stream's Read: one SOQL query ordered by (SystemModstamp,
// Id), from the checkpoint on, page after page.
func (o object) read(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	s, err := connect(ctx, raw)
	if err != nil {
		return err
	}
	var from cursor
	if _, err := state.Decode(&from); err != nil {
		return err
	}
	d, err := s.describe(ctx, o.sobject)
	if err != nil {
		return err
	}
	fields := []string{"Id", "SystemModstamp"}
	if o.deletable {
		fields = append(fields, "IsDeleted")
	}
	for _, f := range o.fields {
		if d.fields[f] && !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	if o.sobject == "Opportunity" && d.fields["CurrencyIsoCode"] {
		fields = append(fields, "CurrencyIsoCode")
	}
	for _, f := range d.custom {
		if !slices.Contains(fields, f) {
			fields = append(fields, f)
		}
	}
	q := "SELECT " + strings.Join(fields, ", ") + " FROM " + o.sobject
	var where []string
	if o.sobject == "User" {
		where = append(where, realUsers)
	}
	if from.Modstamp != "" {
		t, err := time.Parse(time.RFC3339Nano, from.Modstamp)
		if err != nil {
			return fmt.Errorf("salesforce: %s: bad checkpoint %q: %w", o.stream, from.Modstamp, err)
		}
		where = append(where, fmt.Sprintf("(SystemModstamp > %s OR (SystemModstamp = %s AND Id > '%s'))", soqlTime(t), soqlTime(t), strings.ReplaceAll(from.ID, "'", "")))
	} else if s.cfg.StartDate != "" {
		where = append(where, "SystemModstamp >= "+s.cfg.StartDate+"T00:00:00.000Z")
	}
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY SystemModstamp, Id"

	endpoint := "/query"
	if o.deletable {
		endpoint = "/queryAll"
	}
	next := s.path(endpoint) + "?" + url.Values{"q": {q}}.Encode()
	if o.entity == sdk.Activity || o.entity == sdk.Ticket || o.entity == sdk.AccountTeam {
		if err := s.loadUsers(ctx); err != nil {
			return err
		}
	}
	for next != "" {
		var page struct {
			TotalSize      int               `json:"totalSize"`
			Done           bool              `json:"done"`
			NextRecordsURL string            `json:"nextRecordsUrl"`
			Records        []json.RawMessage `json:"records"`
		}
		if err := s.client.Get(ctx, next, nil, &page); err != nil {
			return fmt.Errorf("salesforce: %s: %w", o.stream, err)
		}
		if from.Modstamp == "" && w.Emitted() == 0 {
			w.SetTotal(int64(page.TotalSize))
		}
		var last cursor
		for _, raw := range page.Records {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var r row
			if err := dec.Decode(&r); err != nil {
				return fmt.Errorf("salesforce: %s: decode record: %w", o.stream, err)
			}
			if err := o.emit(s, r, w); err != nil {
				return err
			}
			if t, ok := r.instant("SystemModstamp"); ok {
				last = cursor{Modstamp: t.Format(time.RFC3339Nano), ID: r.str("Id")}
			}
		}
		if last.ID != "" {
			if err := w.Checkpoint(last); err != nil {
				return err
			}
		}
		next = ""
		if !page.Done {
			next = page.NextRecordsURL
		}
	}
	if o.entity == sdk.AccountTeam && from.Modstamp != "" {
		return o.dropDeactivated(ctx, s, from, w)
	}
	return nil
}

// dropDeactivated takes users deactivated since the checkpoint off the
// accounts they own: deactivating a user leaves the Account rows
// untouched, so the incremental query does not see them again.
func (o object) dropDeactivated(ctx context.Context, s *session, from cursor, w *sdk.Writer) error {
	since, err := time.Parse(time.RFC3339Nano, from.Modstamp)
	if err != nil {
		return fmt.Errorf("salesforce: %s: bad checkpoint %q: %w", o.stream, from.Modstamp, err)
	}
	var ids []string
	for id, at := range s.inactive {
		if !at.Before(since) {
			ids = append(ids, "'"+strings.ReplaceAll(id, "'", "")+"'")
		}
	}
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	q := "SELECT Id, OwnerId FROM Account WHERE OwnerId IN (" + strings.Join(ids, ", ") + ")"
	next := s.path("/query") + "?" + url.Values{"q": {q}}.Encode()
	for next != "" {
		var page struct {
			Done           bool   `json:"done"`
			NextRecordsURL string `json:"nextRecordsUrl"`
			Records        []row  `json:"records"`
		}
		if err := s.client.Get(ctx, next, nil, &page); err != nil {
			return fmt.Errorf("salesforce: %s: deactivated owners: %w", o.stream, err)
		}
		for _, r := range page.Records {
			if err := o.emit(s, r, w); err != nil {
				return err
			}
		}
		next = ""
		if !page.Done {
			next = page.NextRecordsURL
		}
	}
	return nil
}

// emit converts one row and writes its records, or a tombstone when the
// row was deleted; a row that cannot become a record is reported.
func (o object) emit(s *session, r row, w *sdk.Writer) error {
	id := r.str("Id")
	origin := o.sobject + "/" + id
	// An account owned by a deactivated or system user has no sales
	// member: its membership goes as if deleted.
	if r.flag("IsDeleted") || (o.entity == sdk.AccountTeam && r.str("OwnerId") != "" && !s.onTeam(r.str("OwnerId"))) {
		if o.entity == sdk.AccountTeam {
			return w.Emit(sdk.Tombstone(o.entity, ownerMembershipID(id)))
		}
		return w.Emit(sdk.Tombstone(o.entity, id))
	}
	recs, err := o.convert(s, r)
	var fe *fieldError
	if errors.As(err, &fe) {
		return w.RecordError(id, origin, fe.field, fe.msg)
	}
	if err != nil {
		return err
	}
	for _, rec := range recs {
		rec.Origin = origin
		if err := w.Emit(rec); err != nil {
			return err
		}
	}
	return nil
}
