package domain

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Access is what an API key may do: its role. Each level may do
// everything the levels before it may.
type Access string

// The access levels, least first.
const (
	// Viewer reads.
	Viewer Access = "viewer"
	// Editor also writes success plans, notes, manual merges and
	// scorecards.
	Editor Access = "editor"
	// Admin also manages sources, their secrets, and API keys.
	Admin Access = "admin"
)

// AccessLevels lists the levels, least first.
var AccessLevels = []Access{Viewer, Editor, Admin}

// Valid reports whether a is a known level.
func (a Access) Valid() bool { return slices.Contains(AccessLevels, a) }

// Allows reports whether a key with access a may do what need may.
func (a Access) Allows(need Access) bool {
	return a.Valid() && slices.Index(AccessLevels, a) >= slices.Index(AccessLevels, need)
}

// APIKey is a credential for the API. Only a hash of the key is kept: the
// key itself is shown once, when it is created.
type APIKey struct {
	ID   uuid.UUID `gorm:"type:uuid;primaryKey"`
	Name string
	Role Access
	// Prefix is the start of the key, enough to recognise it in a list.
	Prefix string
	// Hash is the SHA-256 of the whole key, hex.
	Hash       string `json:"-"`
	CreatedBy  string
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// TableName is the table API keys are kept in.
func (APIKey) TableName() string { return "api_keys" }

// Allowance is what one API key may ask of the API: PerMinute requests a
// minute, at most Burst of them at once, and InFlight requests running at
// once, each holding its slot until it ends or, should its process die
// first, for Hold at most.
type Allowance struct {
	PerMinute, Burst int
	// InFlight is the number of slots; zero takes none, for a WebSocket's
	// connection, which counts against the rate only.
	InFlight int
	// Hold bounds a slot's lease: the longest a request may run.
	Hold time.Duration
}

// Problems names what is wrong with a, nothing when it can be kept.
func (a Allowance) Problems() Problems {
	var probs Problems
	if a.PerMinute < 1 {
		probs = append(probs, FieldError{Field: "perMinute", Message: fmt.Sprintf("must be at least 1, got %d", a.PerMinute)})
	}
	if a.Burst < 1 {
		probs = append(probs, FieldError{Field: "burst", Message: fmt.Sprintf("must be at least 1, got %d", a.Burst)})
	}
	if a.InFlight < 0 {
		probs = append(probs, FieldError{Field: "inFlight", Message: fmt.Sprintf("must not be negative, got %d", a.InFlight)})
	}
	if a.InFlight > 0 && a.Hold <= 0 {
		probs = append(probs, FieldError{Field: "hold", Message: fmt.Sprintf("must be positive, got %s", a.Hold)})
	}
	return probs
}

// Admission answers a request's call on its key's allowance.
type Admission struct {
	// Lease is the slot the request holds until it ends; the zero Lease
	// when none was taken.
	Lease Lease
	// RetryAfter is positive when the key has spent its rate: the
	// request is refused, and the next may come after it.
	RetryAfter time.Duration
	// Busy says the key has InFlight requests running: the request is
	// refused.
	Busy bool
}

// Admitted reports whether the request may go on.
func (a Admission) Admitted() bool { return a.RetryAfter <= 0 && !a.Busy }

// Lease is a request's hold on one of its key's slots. ID tells this
// hold from a later one of the same slot, which a late release must not
// free.
type Lease struct {
	Key  uuid.UUID
	Slot int
	ID   uuid.UUID
}
