package sources

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/pulseproject/pulse/connectors/host"
	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/secrets"
)

// MinSchedule is the shortest sync interval a source may ask for.
const MinSchedule = time.Minute

// Service creates, changes and reads sources.
type Service struct {
	DB   *gorm.DB
	Host *host.Host
	Box  *secrets.Box
}

// Input is a new source.
type Input = domain.SourceInput

// Patch changes a source; nil fields stay as they are. Config keys are
// merged into the stored config, and a key set to nil is removed.
type Patch = domain.SourcePatch

// Create validates in and stores it as a new source.
func (s *Service) Create(ctx context.Context, in Input) (*domain.Source, error) {
	var probs domain.Problems
	name := strings.TrimSpace(in.Name)
	probs = append(probs, s.checkName(ctx, name, uuid.Nil)...)
	probs = append(probs, checkSchedule(in.Schedule)...)
	if in.Kind == "" {
		probs = append(probs, domain.FieldError{Field: "kind", Message: "is required"})
		return nil, &domain.InputError{Problems: probs}
	}
	cfg, secretFields, cfgProbs, err := s.checkConfig(ctx, in.Kind, in.Config)
	if err != nil {
		return nil, err
	}
	probs = append(probs, cfgProbs...)
	if len(probs) > 0 {
		return nil, &domain.InputError{Problems: probs}
	}
	src := &domain.Source{ID: uuid.Must(uuid.NewV7()), Kind: in.Kind, Name: name, Schedule: in.Schedule}
	if err := s.seal(src, cfg, secretFields); err != nil {
		return nil, err
	}
	if err := s.DB.WithContext(ctx).Create(src).Error; err != nil {
		return nil, fmt.Errorf("sources: create %s: %w", name, err)
	}
	return src, nil
}

// Update applies p to the source id after validating the result.
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (*domain.Source, error) {
	src, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	var probs domain.Problems
	if p.Name != nil {
		name := strings.TrimSpace(*p.Name)
		probs = append(probs, s.checkName(ctx, name, id)...)
		src.Name = name
	}
	if p.Schedule != nil {
		probs = append(probs, checkSchedule(*p.Schedule)...)
		src.Schedule = *p.Schedule
	}
	cfg, err := s.Config(src)
	if err != nil {
		return nil, err
	}
	for k, v := range p.Config {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	cfg, secretFields, cfgProbs, err := s.checkConfig(ctx, src.Kind, cfg)
	if err != nil {
		return nil, err
	}
	probs = append(probs, cfgProbs...)
	if len(probs) > 0 {
		return nil, &domain.InputError{Problems: probs}
	}
	if err := s.seal(src, cfg, secretFields); err != nil {
		return nil, err
	}
	err = s.DB.WithContext(ctx).Model(src).Select("name", "schedule", "config", "secret_config", "updated_at").Updates(src).Error
	if err != nil {
		return nil, fmt.Errorf("sources: update %s: %w", src.Name, err)
	}
	return src, nil
}

// Delete removes a source, its runs and checkpoints and the records only it
// provided; accounts, contacts and teammates that no other source knows are
// soft-deleted.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	return s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		for _, table := range []string{"accounts", "contacts", "people"} {
			err := tx.Exec(`UPDATE `+table+` t SET deleted_at = now()
				WHERE deleted_at IS NULL AND EXISTS (SELECT 1 FROM external_refs r WHERE r.entity_id = t.id AND r.source_id = ?)
				AND NOT EXISTS (SELECT 1 FROM external_refs r WHERE r.entity_id = t.id AND r.source_id <> ? AND r.deleted_at IS NULL)`, id, id).Error
			if err != nil {
				return fmt.Errorf("sources: delete: %s: %w", table, err)
			}
		}
		res := tx.Exec("DELETE FROM sources WHERE id = ?", id)
		if res.Error != nil {
			return fmt.Errorf("sources: delete: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return domain.NotFound("source", id)
		}
		return nil
	})
}

// Get returns the source id.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (*domain.Source, error) {
	var src domain.Source
	err := s.DB.WithContext(ctx).First(&src, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.NotFound("source", id)
	}
	if err != nil {
		return nil, fmt.Errorf("sources: get %s: %w", id, err)
	}
	return &src, nil
}

// GetByName returns the source called name.
func (s *Service) GetByName(ctx context.Context, name string) (*domain.Source, error) {
	var src domain.Source
	err := s.DB.WithContext(ctx).First(&src, "name = ?", name).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, domain.NotFound("source", strconv.Quote(name))
	}
	if err != nil {
		return nil, fmt.Errorf("sources: get %q: %w", name, err)
	}
	return &src, nil
}

// List returns every source by name.
func (s *Service) List(ctx context.Context) ([]domain.Source, error) {
	var out []domain.Source
	if err := s.DB.WithContext(ctx).Order("name, id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("sources: list: %w", err)
	}
	return out, nil
}

// Config returns the source's full configuration, secrets included, for the
// connector. It must never reach an API response.
func (s *Service) Config(src *domain.Source) (map[string]any, error) {
	cfg := map[string]any{}
	for k, v := range src.Config {
		cfg[k] = v
	}
	sec, err := s.open(src)
	if err != nil {
		return nil, err
	}
	for path, v := range sec {
		setPath(cfg, path, v)
	}
	return cfg, nil
}

// ConfigJSON is Config encoded for the protocol.
func (s *Service) ConfigJSON(src *domain.Source) ([]byte, error) {
	cfg, err := s.Config(src)
	if err != nil {
		return nil, err
	}
	return json.Marshal(cfg)
}

// SecretKeys lists which config fields of the source are sealed.
func (s *Service) SecretKeys(src *domain.Source) ([]string, error) {
	sec, err := s.open(src)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(sec))
	for k := range sec {
		keys = append(keys, k)
	}
	return keys, nil
}

// SecretValues lists the values of the source's sealed fields, so that
// they can be redacted from whatever its connector says (see
// secrets.Redactor).
func (s *Service) SecretValues(src *domain.Source) ([]string, error) {
	sec, err := s.open(src)
	if err != nil {
		return nil, err
	}
	return secrets.SecretValues(sec), nil
}

// open decodes the source's sealed fields, by path; nil when it has none.
func (s *Service) open(src *domain.Source) (map[string]any, error) {
	if len(src.SecretConfig) == 0 {
		return nil, nil
	}
	plain, err := s.Box.Open(src.SecretConfig)
	if err != nil {
		return nil, fmt.Errorf("sources: %s: %w", src.Name, err)
	}
	var sec map[string]any
	if err := json.Unmarshal(plain, &sec); err != nil {
		return nil, fmt.Errorf("sources: %s: secrets: %w", src.Name, err)
	}
	return sec, nil
}

func (s *Service) checkName(ctx context.Context, name string, self uuid.UUID) domain.Problems {
	if name == "" {
		return domain.Problems{{Field: "name", Message: "is required"}}
	}
	var n int64
	if err := s.DB.WithContext(ctx).Model(&domain.Source{}).Where("name = ? AND id <> ?", name, self).Count(&n).Error; err == nil && n > 0 {
		return domain.Problems{{Field: "name", Message: fmt.Sprintf("a source called %q already exists", name)}}
	}
	return nil
}

func checkSchedule(schedule string) domain.Problems {
	if schedule == "" {
		return nil
	}
	d, err := time.ParseDuration(schedule)
	if err != nil {
		return domain.Problems{{Field: "schedule", Message: fmt.Sprintf("%q is not a duration like 30m or 6h", schedule)}}
	}
	if d < MinSchedule {
		return domain.Problems{{Field: "schedule", Message: fmt.Sprintf("must be at least %s, got %s", MinSchedule, d)}}
	}
	return nil
}

// checkConfig coerces cfg to the connector's schema and runs its Check.
func (s *Service) checkConfig(ctx context.Context, kind string, cfg map[string]any) (map[string]any, []string, domain.Problems, error) {
	conn, err := s.Host.Launch(ctx, kind)
	if errors.Is(err, host.ErrNotFound) {
		return nil, nil, domain.Problems{{Field: "kind", Message: s.unknownKind(kind)}}, nil
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sources: %w", err)
	}
	defer conn.Close()
	spec, err := conn.Spec(ctx)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sources: %w", err)
	}
	if cfg == nil {
		cfg = map[string]any{}
	}
	cfg = Coerce(spec.GetConfigSchemaJson(), cfg)
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sources: encode config: %w", err)
	}
	secretFields, err := sdk.SecretFields(spec.GetConfigSchemaJson())
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sources: connector %s: %w", kind, err)
	}
	// A vendor's answer to the check may echo the credentials it was
	// given, and so may a connector that crashes with them in hand (its
	// error carries what it printed): problems and errors are shown and
	// logged.
	red := secrets.NewRedactor(secretValues(cfg, secretFields)...)
	diags, err := conn.Check(ctx, raw)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("sources: check %s: %s", kind, red.Redact(err.Error()))
	}
	var probs domain.Problems
	for _, d := range diags {
		if d.GetSeverity() != connectorpb.Diagnostic_SEVERITY_ERROR {
			continue
		}
		field := "config"
		if d.GetField() != "" {
			field += "." + d.GetField()
		}
		msg := d.GetSummary()
		if d.GetDetail() != "" {
			msg += ": " + d.GetDetail()
		}
		probs = append(probs, domain.FieldError{Field: field, Message: msg})
	}
	for i := range probs {
		probs[i].Message = red.Redact(probs[i].Message)
	}
	return cfg, secretFields, probs, nil
}

// unknownKind says that no connector is called kind, and which are.
func (s *Service) unknownKind(kind string) string {
	msg := fmt.Sprintf("no connector called %q is installed", kind)
	plugins, err := s.Host.List()
	if err != nil || len(plugins) == 0 {
		return msg
	}
	names := make([]string, len(plugins))
	for i, p := range plugins {
		names[i] = p.Name
	}
	return msg + "; the connectors are " + strings.Join(names, ", ")
}

// secretValues are the values of cfg's secret fields.
func secretValues(cfg map[string]any, secretFields []string) []string {
	rest := maps.Clone(cfg)
	sec := map[string]any{}
	for _, path := range secretFields {
		if v, ok := takePath(rest, path); ok {
			sec[path] = v
		}
	}
	return secrets.SecretValues(sec)
}

// seal moves the secret fields of cfg into the sealed part of src.
func (s *Service) seal(src *domain.Source, cfg map[string]any, secretFields []string) error {
	public := map[string]any{}
	for k, v := range cfg {
		public[k] = v
	}
	sec := map[string]any{}
	for _, path := range secretFields {
		if v, ok := takePath(public, path); ok {
			sec[path] = v
		}
	}
	src.Config = public
	src.SecretConfig = nil
	if len(sec) == 0 {
		return nil
	}
	plain, err := json.Marshal(sec)
	if err != nil {
		return fmt.Errorf("sources: encode secrets: %w", err)
	}
	src.SecretConfig, err = s.Box.Seal(plain)
	return err
}

func takePath(m map[string]any, path string) (any, bool) {
	head, rest, nested := strings.Cut(path, ".")
	v, ok := m[head]
	if !ok {
		return nil, false
	}
	if !nested {
		delete(m, head)
		return v, true
	}
	child, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	copied := make(map[string]any, len(child))
	for k, x := range child {
		copied[k] = x
	}
	m[head] = copied
	return takePath(copied, rest)
}

func setPath(m map[string]any, path string, v any) {
	head, rest, nested := strings.Cut(path, ".")
	if !nested {
		m[head] = v
		return
	}
	child, ok := m[head].(map[string]any)
	if !ok {
		child = map[string]any{}
		m[head] = child
	}
	setPath(child, rest, v)
}

// Coerce converts string values to the type the schema's top-level
// properties ask for, so settings typed on a command line as key=value
// (size=500, verbose=true) validate as numbers and booleans; and it makes a
// relative path in a property of format "path" absolute, since the
// connector runs later from another folder.
func Coerce(schema string, cfg map[string]any) map[string]any {
	var root struct {
		Properties map[string]struct {
			Type   any    `json:"type"`
			Format string `json:"format"`
		} `json:"properties"`
	}
	if json.Unmarshal([]byte(schema), &root) != nil {
		return cfg
	}
	out := make(map[string]any, len(cfg))
	for k, v := range cfg {
		out[k] = v
		str, ok := v.(string)
		if !ok {
			continue
		}
		if root.Properties[k].Format == "path" && str != "" && !filepath.IsAbs(str) {
			if abs, err := filepath.Abs(str); err == nil {
				out[k] = abs
			}
			continue
		}
		types := typeList(root.Properties[k].Type)
		if types["string"] {
			continue
		}
		switch {
		case types["integer"]:
			if n, err := strconv.ParseInt(str, 10, 64); err == nil {
				out[k] = n
			}
		case types["number"]:
			if f, err := strconv.ParseFloat(str, 64); err == nil {
				out[k] = f
			}
		case types["boolean"]:
			if b, err := strconv.ParseBool(str); err == nil {
				out[k] = b
			}
		}
	}
	return out
}

func typeList(t any) map[string]bool {
	out := map[string]bool{}
	switch v := t.(type) {
	case string:
		out[v] = true
	case []any:
		for _, x := range v {
			if s, ok := x.(string); ok {
				out[s] = true
			}
		}
	}
	return out
}
