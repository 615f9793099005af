// Package events carries small notifications between the Pulse processes
// sharing one database, over PostgreSQL's LISTEN/NOTIFY: a sync run moved
// on, an account's health band changed. Every `pulse serve` replica holds
// one Listener, so a GraphQL subscription on any replica sees what any
// process published.
//
// A notification is a hint, not the data: it names what changed (ids and a
// few small fields, under MaxPayload bytes) and subscribers read the rest
// from the database. Notifications published while a Listener's connection
// is down are lost; PostgreSQL keeps none for a session that is not
// listening.
package events

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Topic is a notification channel.
type Topic string

const (
	// SyncRuns carries a SyncRunChanged when a run starts, commits a
	// checkpoint and finishes.
	SyncRuns Topic = "pulse_sync_runs"
	// Health carries a HealthChanged when an account's health band
	// changes.
	Health Topic = "pulse_health"
)

// Topics are every topic Pulse publishes on.
var Topics = []Topic{SyncRuns, Health}

// MaxPayload is the largest payload PostgreSQL's NOTIFY accepts, in bytes
// (it must be shorter than 8000).
const MaxPayload = 7999

// Notification is one message received on a topic.
type Notification struct {
	Topic Topic
	// Payload is the JSON the publisher sent.
	Payload []byte
}

// Decode unmarshals the payload into v.
func (n Notification) Decode(v any) error {
	if err := json.Unmarshal(n.Payload, v); err != nil {
		return fmt.Errorf("events: decode %s: %w", n.Topic, err)
	}
	return nil
}

// Execer runs a statement: a *sql.DB, *sql.Conn or *sql.Tx, or a gorm
// handle's Statement.ConnPool. Inside a transaction the notification is sent
// when, and only if, the transaction commits.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Publish sends payload, as JSON, to every listener of topic, in this
// process and in every other one on the same database.
func Publish(ctx context.Context, db Execer, topic Topic, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("events: publish %s: %w", topic, err)
	}
	if len(b) > MaxPayload {
		return fmt.Errorf("events: publish %s: the payload is %d bytes, more than the %d NOTIFY allows: send ids and let subscribers read the rest", topic, len(b), MaxPayload)
	}
	if _, err := db.ExecContext(ctx, "SELECT pg_notify($1, $2)", string(topic), string(b)); err != nil {
		return fmt.Errorf("events: publish %s: %w", topic, err)
	}
	return nil
}

// SyncRunChanged says a sync run moved on: it started, committed a
// checkpoint or finished. Subscribers read the run for its counts.
type SyncRunChanged struct {
	RunID    uuid.UUID `json:"runId"`
	SourceID uuid.UUID `json:"sourceId"`
	// Status is the run's status when published, such as running.
	Status string `json:"status"`
}

// PublishSyncRun publishes c on SyncRuns.
func PublishSyncRun(ctx context.Context, db Execer, c SyncRunChanged) error {
	return Publish(ctx, db, SyncRuns, c)
}

// HealthChanged says an account's health moved from one band to another.
// The health scorer publishes it where it stores a score whose band
// differs from the account's previous one.
type HealthChanged struct {
	AccountID uuid.UUID `json:"accountId"`
	// Tier is the account's tier, such as A, so that subscribers filter
	// without reading the account.
	Tier string `json:"tier"`
	// From is the previous band (red, yellow or green); empty when the
	// account had no score before.
	From string `json:"from"`
	// To is the new band.
	To string `json:"to"`
	// Score is the new score, 0 to 100.
	Score float64 `json:"score"`
	// At is when the score was computed.
	At time.Time `json:"at"`
}

// PublishHealthChange publishes c on Health.
func PublishHealthChange(ctx context.Context, db Execer, c HealthChanged) error {
	return Publish(ctx, db, Health, c)
}
