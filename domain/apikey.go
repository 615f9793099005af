package domain

import (
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
