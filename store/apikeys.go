package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/domain"
)

// KeyPrefix starts every API key, so a leaked one is recognisable by
// secret scanners.
const KeyPrefix = "pulse_"

// ErrBadKey is returned for a key that is malformed, unknown or revoked.
// It wraps domain.ErrUnauthenticated.
var ErrBadKey = fmt.Errorf("the API key is not valid (unknown, revoked or mistyped): %w", domain.ErrUnauthenticated)

// Keys manages API keys.
type Keys struct{ db *gorm.DB }

// NewKeys returns the API keys kept in db.
func NewKeys(db *gorm.DB) *Keys { return &Keys{db: db} }

// Create makes a key named name with role, returning its record and the
// key itself, which is not kept and cannot be shown again.
func (k *Keys) Create(ctx context.Context, name string, role domain.Access, createdBy string) (*domain.APIKey, string, error) {
	var probs domain.Problems
	name = strings.TrimSpace(name)
	if name == "" {
		probs = append(probs, domain.FieldError{Field: "name", Message: "is required"})
	}
	if !role.Valid() {
		probs = append(probs, domain.FieldError{Field: "role", Message: fmt.Sprintf("%q is not one of viewer, editor, admin", role)})
	}
	if len(probs) > 0 {
		return nil, "", &domain.InputError{Problems: probs}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", fmt.Errorf("store: api key: %w", err)
	}
	secret := KeyPrefix + base64.RawURLEncoding.EncodeToString(raw)
	key := &domain.APIKey{
		ID: uuid.Must(uuid.NewV7()), Name: name, Role: role, Prefix: secret[:len(KeyPrefix)+6],
		Hash: hashKey(secret), CreatedBy: createdBy, CreatedAt: time.Now().UTC(),
	}
	err := k.db.WithContext(ctx).Create(key).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil, "", domain.Invalid(domain.FieldError{Field: "name", Message: fmt.Sprintf("a live key is already called %q", name)})
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: create api key: %w", err)
	}
	return key, secret, nil
}

func hashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// List returns every key, live or revoked, newest first.
func (k *Keys) List(ctx context.Context) ([]domain.APIKey, error) {
	var keys []domain.APIKey
	if err := k.db.WithContext(ctx).Order("created_at DESC, id DESC").Find(&keys).Error; err != nil {
		return nil, fmt.Errorf("store: list api keys: %w", err)
	}
	return keys, nil
}

// Revoke revokes the live key with this id or name; the key stops working
// at once. An error wrapping domain.ErrNotFound says there is none.
func (k *Keys) Revoke(ctx context.Context, idOrName string) (*domain.APIKey, error) {
	q := k.db.WithContext(ctx).Where("revoked_at IS NULL")
	if id, err := uuid.Parse(idOrName); err == nil {
		q = q.Where("id = ?", id)
	} else {
		q = q.Where("name = ?", idOrName)
	}
	var key domain.APIKey
	err := q.Take(&key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.NotFound("live API key", idOrName)
	}
	if err != nil {
		return nil, fmt.Errorf("store: revoke api key: %w", err)
	}
	now := time.Now().UTC()
	if err := k.db.WithContext(ctx).Model(&key).Update("revoked_at", now).Error; err != nil {
		return nil, fmt.Errorf("store: revoke api key: %w", err)
	}
	key.RevokedAt = &now
	return &key, nil
}

// Live returns the live key secret is, without noting a use. A
// malformed, unknown or revoked key gives ErrBadKey.
func (k *Keys) Live(ctx context.Context, secret string) (*domain.APIKey, error) {
	if !strings.HasPrefix(secret, KeyPrefix) || len(secret) < len(KeyPrefix)+32 {
		return nil, ErrBadKey
	}
	var key domain.APIKey
	err := k.db.WithContext(ctx).Where("hash = ? AND revoked_at IS NULL", hashKey(secret)).Take(&key).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrBadKey
	}
	if err != nil {
		return nil, fmt.Errorf("store: look up api key: %w", err)
	}
	return &key, nil
}

// Authenticate returns the live key secret is, noting its use. A
// malformed, unknown or revoked key gives ErrBadKey.
func (k *Keys) Authenticate(ctx context.Context, secret string) (*domain.APIKey, error) {
	key, err := k.Live(ctx, secret)
	if err != nil {
		return nil, err
	}
	// Noting the use at most once a minute keeps a busy key from writing
	// on every request.
	now := time.Now().UTC()
	if key.LastUsedAt == nil || now.Sub(*key.LastUsedAt) > time.Minute {
		if err := k.db.WithContext(ctx).Model(key).Update("last_used_at", now).Error; err != nil {
			return nil, fmt.Errorf("store: authenticate: %w", err)
		}
	}
	return key, nil
}
