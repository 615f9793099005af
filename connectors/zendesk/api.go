package zendesk

import (
	"slices"
	"time"
)

// The vendor's objects, as the Support API documents them; only the fields
// the connector maps are declared.

// organization is an OrganizationObject.
type organization struct {
	ID                 int64          `json:"id"`
	Name               string         `json:"name"`
	DomainNames        []string       `json:"domain_names"`
	ExternalID         *string        `json:"external_id"`
	Details            *string        `json:"details"`
	Notes              *string        `json:"notes"`
	GroupID            *int64         `json:"group_id"`
	Tags               []string       `json:"tags"`
	OrganizationFields map[string]any `json:"organization_fields"`
	CreatedAt          time.Time      `json:"created_at"`
	UpdatedAt          time.Time      `json:"updated_at"`
	DeletedAt          *time.Time     `json:"deleted_at"`
}

// user is a UserObject.
type user struct {
	ID             int64          `json:"id"`
	Name           string         `json:"name"`
	Email          *string        `json:"email"`
	Role           string         `json:"role"` // end-user, agent, admin
	OrganizationID *int64         `json:"organization_id"`
	Active         bool           `json:"active"`
	Suspended      bool           `json:"suspended"`
	ExternalID     *string        `json:"external_id"`
	Phone          *string        `json:"phone"`
	TimeZone       string         `json:"time_zone"`
	Tags           []string       `json:"tags"`
	UserFields     map[string]any `json:"user_fields"`
	UpdatedAt      time.Time      `json:"updated_at"`
}

// ticket is a TicketObject as the incremental export gives it: its status
// there may also be "deleted".
type ticket struct {
	ID             int64    `json:"id"`
	Subject        string   `json:"subject"`
	Priority       *string  `json:"priority"`
	Status         string   `json:"status"`
	Type           *string  `json:"type"`
	OrganizationID *int64   `json:"organization_id"`
	RequesterID    *int64   `json:"requester_id"`
	AssigneeID     *int64   `json:"assignee_id"`
	GroupID        *int64   `json:"group_id"`
	Tags           []string `json:"tags"`
	Via            *struct {
		Channel string `json:"channel"`
	} `json:"via"`
	CustomFields []struct {
		ID    int64 `json:"id"`
		Value any   `json:"value"`
	} `json:"custom_fields"`
	SatisfactionRating *struct {
		Score   string  `json:"score"`
		Comment *string `json:"comment"`
	} `json:"satisfaction_rating"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// minutes is a TicketMetricTimeObject.
type minutes struct {
	Calendar *int64 `json:"calendar"`
	Business *int64 `json:"business"`
}

// metricSet is a TicketMetricObject, sideloaded as metric_sets.
type metricSet struct {
	TicketID                    int64      `json:"ticket_id"`
	ReplyTimeInMinutes          minutes    `json:"reply_time_in_minutes"`
	FullResolutionTimeInMinutes minutes    `json:"full_resolution_time_in_minutes"`
	SolvedAt                    *time.Time `json:"solved_at"`
	Replies                     *int64     `json:"replies"`
	Reopens                     *int64     `json:"reopens"`
}

// rating is a SatisfactionRatingObject.
type rating struct {
	ID          int64     `json:"id"`
	Score       string    `json:"score"` // offered, unoffered, good, bad
	Comment     *string   `json:"comment"`
	Reason      *string   `json:"reason"`
	TicketID    int64     `json:"ticket_id"`
	RequesterID int64     `json:"requester_id"`
	AssigneeID  *int64    `json:"assignee_id"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// cursorPage is the envelope of a cursor-based incremental export
// (CursorBasedExportIncrementalTicketsResponse and ...UsersResponse), with
// the sideloads the connector asks for.
type cursorPage struct {
	AfterCursor *string     `json:"after_cursor"`
	EndOfStream bool        `json:"end_of_stream"`
	Tickets     []ticket    `json:"tickets"`
	Users       []user      `json:"users"`
	MetricSets  []metricSet `json:"metric_sets"`
}

// timePage is the envelope of the time-based organization export
// (ExportIncrementalOrganizationsResponse).
type timePage struct {
	Organizations []organization `json:"organizations"`
	EndTime       int64          `json:"end_time"`
	EndOfStream   bool           `json:"end_of_stream"`
}

// ratingsPage is a page of List Satisfaction Ratings under cursor
// pagination.
type ratingsPage struct {
	SatisfactionRatings []rating `json:"satisfaction_ratings"`
	Meta                struct {
		HasMore     bool   `json:"has_more"`
		AfterCursor string `json:"after_cursor"`
	} `json:"meta"`
}

// ticketsPage is the answer of Show Multiple Tickets with the users
// sideload.
type ticketsPage struct {
	Tickets []ticket `json:"tickets"`
	Users   []user   `json:"users"`
}

// mark is a watermark of a time-filtered listing: the latest time read, in
// Unix seconds, and the ids read at exactly that second. A listing filtered
// by start_time=T answers that second again, so ids are what tells the
// records already read from the new ones.
type mark struct {
	Time int64   `json:"start_time"`
	IDs  []int64 `json:"seen,omitempty"`
}

// has reports whether the record (t, id) was read before.
func (m *mark) has(t, id int64) bool {
	return t < m.Time || (t == m.Time && slices.Contains(m.IDs, id))
}

// add moves the mark over the record (t, id).
func (m *mark) add(t, id int64) {
	switch {
	case t > m.Time:
		m.Time, m.IDs = t, []int64{id}
	case t == m.Time && !slices.Contains(m.IDs, id):
		m.IDs = append(m.IDs, id)
	}
}
