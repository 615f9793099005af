package model

import (
	"time"

	"github.com/google/uuid"
)

// AccountCoverage is an account of a coverage book and its engagement in
// the window. It holds the account's id only: a book is tens of thousands
// of accounts, and its account field loads those a response asks for.
type AccountCoverage struct {
	AccountID            uuid.UUID
	Touched              bool
	Touches              int
	LastTouchAt          *time.Time
	TimeSpentSeconds     int
	TeamTimeSpentSeconds int
}
