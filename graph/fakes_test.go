package graph_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/graph"
)

// fakeSources is an in-memory graph.SourceService. It "seals" secrets as
// plain JSON in SecretConfig: what matters to the API is that they are
// kept apart from Config. Its zero value is ready to use.
type fakeSources struct {
	mu      sync.Mutex
	sources []domain.Source
	created int
	// err, when set, is returned by every method, as a database failure
	// would be.
	err error
}

// fakeSecretFields are the settings each connector kind marks secret.
var fakeSecretFields = map[string][]string{
	"hubspot": {"token"},
	"stripe":  {"api_key", "webhook_secret"},
	"zendesk": {"token"},
	"csv":     nil,
}

func (f *fakeSources) List(ctx context.Context) ([]domain.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	out := slices.Clone(f.sources)
	slices.SortFunc(out, func(a, b domain.Source) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeSources) Get(ctx context.Context, id uuid.UUID) (*domain.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	for _, s := range f.sources {
		if s.ID == id {
			return &s, nil
		}
	}
	return nil, domain.NotFound("source", id)
}

func (f *fakeSources) Create(ctx context.Context, in domain.SourceInput) (*domain.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	probs := f.check(uuid.Nil, in.Name, in.Schedule)
	secrets, known := fakeSecretFields[in.Kind]
	switch {
	case in.Kind == "":
		probs = append(probs, domain.FieldError{Field: "kind", Message: "is required"})
	case !known:
		probs = append(probs, domain.FieldError{Field: "kind", Message: fmt.Sprintf("no connector called %q is installed", in.Kind)})
	case in.Kind == "csv" && in.Config["path"] == nil:
		probs = append(probs, domain.FieldError{Field: "config.path", Message: "is required"})
	}
	if len(probs) > 0 {
		return nil, &domain.InputError{Problems: probs}
	}
	f.created++
	src := domain.Source{
		ID:   uuid.MustParse(fmt.Sprintf("0000c0c1-0000-0000-0000-%012d", 900+f.created)),
		Kind: in.Kind, Name: in.Name, Schedule: in.Schedule,
		CreatedAt: fixtureNow, UpdatedAt: fixtureNow,
	}
	seal(&src, in.Config, secrets)
	f.sources = append(f.sources, src)
	return &src, nil
}

func (f *fakeSources) Update(ctx context.Context, id uuid.UUID, p domain.SourcePatch) (*domain.Source, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	i := slices.IndexFunc(f.sources, func(s domain.Source) bool { return s.ID == id })
	if i < 0 {
		return nil, domain.NotFound("source", id)
	}
	src := f.sources[i]
	if p.Name != nil {
		src.Name = *p.Name
	}
	if p.Schedule != nil {
		src.Schedule = *p.Schedule
	}
	if probs := f.check(id, src.Name, src.Schedule); len(probs) > 0 {
		return nil, &domain.InputError{Problems: probs}
	}
	cfg := maps.Clone(map[string]any(src.Config))
	var sealed map[string]any
	json.Unmarshal(src.SecretConfig, &sealed)
	maps.Copy(cfg, sealed)
	for k, v := range p.Config {
		if v == nil {
			delete(cfg, k)
		} else {
			cfg[k] = v
		}
	}
	seal(&src, cfg, fakeSecretFields[src.Kind])
	f.sources[i] = src
	return &src, nil
}

func (f *fakeSources) Delete(ctx context.Context, id uuid.UUID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	i := slices.IndexFunc(f.sources, func(s domain.Source) bool { return s.ID == id })
	if i < 0 {
		return domain.NotFound("source", id)
	}
	f.sources = slices.Delete(f.sources, i, i+1)
	return nil
}

func (f *fakeSources) SecretKeys(src *domain.Source) ([]string, error) {
	var sealed map[string]any
	if len(src.SecretConfig) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(src.SecretConfig, &sealed); err != nil {
		return nil, err
	}
	// Map order, like the real service: the API must sort.
	return slices.Collect(maps.Keys(sealed)), nil
}

func (f *fakeSources) check(self uuid.UUID, name, schedule string) domain.Problems {
	var probs domain.Problems
	if strings.TrimSpace(name) == "" {
		probs = append(probs, domain.FieldError{Field: "name", Message: "is required"})
	}
	for _, s := range f.sources {
		if s.Name == name && s.ID != self {
			probs = append(probs, domain.FieldError{Field: "name", Message: fmt.Sprintf("a source called %q already exists", name)})
		}
	}
	if d, err := time.ParseDuration(schedule); schedule != "" && (err != nil || d < time.Minute) {
		probs = append(probs, domain.FieldError{Field: "schedule", Message: fmt.Sprintf("%q is not a duration of at least 1m", schedule)})
	}
	return probs
}

// seal splits cfg into src's public Config and its "sealed" secrets.
func seal(src *domain.Source, cfg map[string]any, secretFields []string) {
	src.Config = domain.Custom{}
	sealed := map[string]any{}
	for k, v := range cfg {
		if slices.Contains(secretFields, k) {
			sealed[k] = v
		} else {
			src.Config[k] = v
		}
	}
	src.SecretConfig = nil
	if len(sealed) > 0 {
		src.SecretConfig, _ = json.Marshal(sealed)
	}
}

// fakeSyncs is an in-memory graph.SyncRunner whose runs never end, so a
// second start of the same source conflicts. Its zero value is ready to
// use.
type fakeSyncs struct {
	mu      sync.Mutex
	running map[uuid.UUID]bool
}

func (f *fakeSyncs) Start(ctx context.Context, src *domain.Source, trigger string) (*domain.SyncRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running[src.ID] {
		return nil, fmt.Errorf("sync %s: a sync of this source is already running: %w", src.Name, graph.ErrConflict)
	}
	if f.running == nil {
		f.running = map[uuid.UUID]bool{}
	}
	f.running[src.ID] = true
	return &domain.SyncRun{
		ID:       uuid.MustParse(fmt.Sprintf("0000d0d1-0000-0000-0000-%012d", 900+len(f.running))),
		SourceID: src.ID, Status: domain.RunRunning, Trigger: trigger, StartedAt: fixtureNow,
	}, nil
}
