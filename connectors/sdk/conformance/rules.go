package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/launch"
	"github.com/pulseproject/pulse/connectors/sdk/validate"
)

// maxResumes bounds how many checkpoints the resume rule resumes from.
const maxResumes = 5

func (s *suite) ruleSpec(ctx context.Context) Result {
	s.blocked = "the connector did not start"
	var err error
	switch {
	case s.opts.Plugin != nil:
		s.plugin = *s.opts.Plugin
	case strings.ContainsRune(s.opts.Connector, os.PathSeparator):
		if s.plugin, err = launch.FromPath(s.opts.Connector); err != nil {
			return fail("%v", err)
		}
	case s.opts.Launch == nil:
		return fail("%q is not a path to a plugin binary (say ./%s), and no Launch was given to find it by name", s.opts.Connector, s.opts.Connector)
	}
	if s.conn, err = s.launch(ctx); err != nil {
		return fail("%v", err)
	}
	spec, err := s.conn.Spec(ctx)
	if err != nil {
		return fail("%v", err)
	}
	var problems []string
	if spec.GetName() == "" {
		problems = append(problems, "no name")
	}
	if spec.GetVersion() == "" {
		problems = append(problems, "no version")
	}
	if len(spec.GetStreams()) == 0 {
		problems = append(problems, "no streams")
	}
	if _, err := sdk.CompileSchema(spec.GetConfigSchemaJson()); err != nil {
		problems = append(problems, err.Error())
	} else {
		var root struct {
			Type any `json:"type"`
		}
		_ = json.Unmarshal([]byte(spec.GetConfigSchemaJson()), &root) // it compiled, so it is JSON
		if root.Type != "object" {
			problems = append(problems, `config schema: want "type": "object" at the top`)
		}
	}
	if len(problems) > 0 {
		s.blocked = "the spec is invalid"
		return fail("spec: %s", strings.Join(problems, "; "))
	}
	s.spec = spec
	s.blocked = ""
	return pass("%s %s, protocol %d, %d streams, config schema compiles", spec.GetName(), spec.GetVersion(), spec.GetProtocolVersion(), len(spec.GetStreams()))
}

// configSchema is the part of the config schema the check rule derives bad
// configurations from.
type configSchema struct {
	Required   []string                   `json:"required"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// propertyTypes are the JSON types a property's schema allows, nil when it
// does not say.
func propertyTypes(raw json.RawMessage) []string {
	var p struct {
		Type any `json:"type"`
	}
	if json.Unmarshal(raw, &p) != nil {
		return nil
	}
	switch t := p.Type.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// wrongValue is a value of a JSON type that types does not allow.
func wrongValue(types []string) (any, bool) {
	allowed := map[string]bool{}
	for _, t := range types {
		allowed[t] = true
	}
	candidates := []struct {
		typ   string
		value any
	}{
		{"object", map[string]any{"conformance": "wrong type"}},
		{"array", []any{"wrong type"}},
		{"boolean", true},
		{"string", "wrong type"},
		{"number", 1.5},
	}
	for _, c := range candidates {
		if !allowed[c.typ] {
			return c.value, true
		}
	}
	return nil, false
}

func (s *suite) ruleCheck(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	var good map[string]any
	if err := json.Unmarshal(s.opts.Config, &good); err != nil || good == nil {
		return fail("the config to test with is not a JSON object: %s", strings.TrimSpace(string(s.opts.Config)))
	}
	problems, err := s.conn.Check(ctx, s.opts.Config)
	if err != nil {
		return fail("%v", err)
	}
	var errs []string
	for _, d := range problems {
		if d.GetSeverity() == connectorpb.Diagnostic_SEVERITY_ERROR {
			errs = append(errs, fmt.Sprintf("%s: %s", fieldName(d.GetField()), d.GetSummary()))
		}
	}
	if len(errs) > 0 {
		return fail("the good config has problems: %s", strings.Join(errs, "; "))
	}
	var schema configSchema
	_ = json.Unmarshal([]byte(s.spec.GetConfigSchemaJson()), &schema) // the spec rule compiled it
	type badConfig struct {
		field, how string
		config     map[string]any
	}
	var bad []badConfig
	for _, f := range schema.Required {
		if _, ok := good[f]; ok {
			c := maps.Clone(good)
			delete(c, f)
			bad = append(bad, badConfig{f, "missing", c})
		}
	}
	for _, f := range slices.Sorted(maps.Keys(schema.Properties)) {
		types := propertyTypes(schema.Properties[f])
		if types == nil {
			continue
		}
		if v, ok := wrongValue(types); ok {
			c := maps.Clone(good)
			c[f] = v
			bad = append(bad, badConfig{f, "wrong type", c})
		}
	}
	var missed, named []string
	for _, b := range bad {
		raw, err := json.Marshal(b.config)
		if err != nil {
			return fail("encode a bad config: %v", err)
		}
		problems, err := s.conn.Check(ctx, raw)
		if err != nil {
			return fail("check with %s %s: %v", b.field, b.how, err)
		}
		found := false
		var got []string
		for _, d := range problems {
			if d.GetSeverity() != connectorpb.Diagnostic_SEVERITY_ERROR {
				continue
			}
			got = append(got, fieldName(d.GetField()))
			if d.GetField() == b.field || strings.HasPrefix(d.GetField(), b.field+".") {
				found = true
			}
		}
		if found {
			named = append(named, fmt.Sprintf("%s (%s)", b.field, b.how))
			continue
		}
		if len(got) == 0 {
			missed = append(missed, fmt.Sprintf("with %s %s, Check found no problem", b.field, b.how))
		} else {
			missed = append(missed, fmt.Sprintf("with %s %s, Check named %s, not %s", b.field, b.how, strings.Join(got, ", "), b.field))
		}
	}
	if len(missed) > 0 {
		return fail("%s", strings.Join(missed, "; "))
	}
	if len(bad) == 0 {
		return pass("good config passes; the schema declares no required or typed property to break")
	}
	return pass("good config passes; %d bad configs each named their field: %s", len(bad), strings.Join(named, ", "))
}

func fieldName(f string) string {
	if f == "" {
		return "(config)"
	}
	return f
}

func (s *suite) ruleDiscover(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	s.blocked = "discover failed"
	streams, err := s.conn.Discover(ctx, s.opts.Config)
	if err != nil {
		return fail("%v", err)
	}
	if len(streams) == 0 {
		return fail("discover listed no streams")
	}
	var problems []string
	s.streams = map[string]*connectorpb.StreamSpec{}
	for _, st := range streams {
		name := st.GetName()
		switch {
		case name == "":
			problems = append(problems, "a stream has no name")
			continue
		case s.streams[name] != nil:
			problems = append(problems, name+": listed twice")
		}
		s.streams[name] = st
		if st.GetEntityType() == connectorpb.EntityType_ENTITY_TYPE_UNSPECIFIED {
			problems = append(problems, name+": no entity type")
		}
		if len(st.GetPrimaryKey()) == 0 {
			problems = append(problems, name+": no primary key")
		}
		if st.GetIncremental() && st.GetCursorField() == "" {
			problems = append(problems, name+": incremental without a cursor field")
		}
	}
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "; "))
	}
	s.blocked = ""
	incremental := 0
	for _, st := range streams {
		if st.GetIncremental() {
			incremental++
		}
	}
	return pass("%d streams with primary keys, %d incremental with cursor fields", len(streams), incremental)
}

func (s *suite) ruleRead(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	s.blocked = "the full read failed"
	full := s.read(ctx, s.conn, s.opts.Config, nil, nil)
	if msg := full.failure(); msg != "" {
		return fail("%s", msg)
	}
	var problems []string
	records, tombstones, checkpoints := 0, 0, 0
	byStream := map[string]bool{}
	for _, e := range full.events {
		if cp := e.checkpoint; cp != nil {
			checkpoints++
			if s.streams[cp.GetStream()] == nil {
				problems = append(problems, fmt.Sprintf("a checkpoint names stream %q, which discover did not list", cp.GetStream()))
			}
			if !json.Valid(cp.GetStateJson()) {
				problems = append(problems, fmt.Sprintf("a checkpoint of %s is not JSON: %q", cp.GetStream(), cp.GetStateJson()))
			}
			continue
		}
		records++
		byStream[e.rec.stream] = true
		problems = append(problems, s.recordProblems(*e.rec)...)
		if e.rec.pb.GetDeleted() {
			tombstones++
		}
	}
	for _, re := range full.recordErrors {
		problems = append(problems, fmt.Sprintf("%s: record error at %s: %s: %s", re.GetStream(), re.GetOrigin(), fieldName(re.GetField()), re.GetMessage()))
	}
	if records == 0 {
		problems = append(problems, "the read emitted no records; test with a config whose read emits some")
	}
	if len(problems) > 0 {
		return fail("%d problems: %s", len(problems), examples(problems))
	}
	s.full = full
	s.blocked = ""
	return pass("%d records (%d tombstones) in %d streams, %d checkpoints, all valid", records, tombstones, len(byStream), checkpoints)
}

// recordProblems checks one record against its stream and the rules a sync
// applies.
func (s *suite) recordProblems(r record) []string {
	where := r.label()
	if o := r.pb.GetOrigin(); o != "" {
		where += " (" + o + ")"
	}
	var out []string
	st := s.streams[r.stream]
	if st == nil {
		return []string{fmt.Sprintf("%s: stream %q was not listed by discover", where, r.stream)}
	}
	if r.pb.GetEntityType() != st.GetEntityType() {
		out = append(out, fmt.Sprintf("%s: entity type %s in a stream of %s", where, r.pb.GetEntityType(), st.GetEntityType()))
	}
	if !r.pb.GetDeleted() {
		for _, p := range validate.ValidateRecord(r.pb) {
			out = append(out, fmt.Sprintf("%s: %s: %s", where, p.Field, p.Message))
		}
	}
	for i, l := range r.pb.GetLinks() {
		if l.GetKind() == "" || l.GetExternalId() == "" {
			out = append(out, fmt.Sprintf("%s: links[%d]: needs a kind and an external id", where, i))
		}
	}
	return out
}

// checkpointed are the streams that checkpointed in the full read.
func (s *suite) checkpointed() map[string]bool {
	out := map[string]bool{}
	for st := range s.full.finalState() {
		out[st] = true
	}
	return out
}

// fullRefresh names the discovered streams that never checkpoint.
func (s *suite) fullRefresh() []string {
	cp := s.checkpointed()
	var out []string
	for _, name := range slices.Sorted(maps.Keys(s.streams)) {
		if !cp[name] {
			out = append(out, name)
		}
	}
	return out
}

func (s *suite) ruleFinalState(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	cp := s.checkpointed()
	if len(cp) == 0 {
		return fail("no stream checkpointed, so every read starts over")
	}
	second := s.read(ctx, s.conn, s.opts.Config, s.full.finalState(), nil)
	if msg := second.failure(); msg != "" {
		return fail("reading from the final state: %s", msg)
	}
	s.second = second
	again := second.records(cp)
	if n := again.size(); n > 0 {
		return fail("reading from the final state emitted %d records again: %s", n, examples(excess(nil, again)))
	}
	if len(second.recordErrors) > 0 {
		return fail("reading from the final state reported %d record errors", len(second.recordErrors))
	}
	detail := fmt.Sprintf("from the final state: no records, %d checkpoints", len(second.checkpoints()))
	if fr := s.fullRefresh(); len(fr) > 0 {
		detail += "; full-refresh streams (no checkpoint) read again: " + strings.Join(fr, ", ")
	}
	return pass("%s", detail)
}

func (s *suite) ruleNoRegress(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	if s.second == nil {
		return fail("not run: final-state failed")
	}
	state := s.full.finalState()
	maps.Copy(state, s.second.finalState())
	third := s.read(ctx, s.conn, s.opts.Config, state, nil)
	if msg := third.failure(); msg != "" {
		return fail("reading from the second read's final state: %s", msg)
	}
	cp := s.checkpointed()
	if extra := excess(s.second.records(cp), third.records(cp)); len(extra) > 0 {
		return fail("the second read moved the cursor back: a read from its final state emits %d records a read from the first's did not: %s",
			len(extra), examples(extra))
	}
	return pass("the second read's final state is as far on as the first's: a read from it emits nothing new")
}

// spread picks up to n of items, evenly, first and last included.
func spread(items []int, n int) []int {
	if len(items) <= n {
		return items
	}
	out := make([]int, n)
	for i := range n {
		out[i] = items[i*(len(items)-1)/(n-1)]
	}
	return out
}

func (s *suite) ruleResume(ctx context.Context) Result {
	if s.blocked != "" {
		return s.notRun()
	}
	cps := s.full.checkpoints()
	if len(cps) == 0 {
		return fail("the read sent no checkpoint to resume from")
	}
	want := s.full.records(nil)
	var tried []string
	for _, at := range spread(cps, maxResumes) {
		n := slices.Index(cps, at) + 1
		state, done := s.full.committed(at + 1)
		resumed := s.read(ctx, s.conn, s.opts.Config, state, nil)
		cp := s.full.events[at].checkpoint
		where := fmt.Sprintf("checkpoint %d of %d (%s %s)", n, len(cps), cp.GetStream(), cp.GetStateJson())
		if msg := resumed.failure(); msg != "" {
			return fail("resuming from %s: %s", where, msg)
		}
		if d := describeDiff(diff(want, done.plus(resumed.records(nil)))); d != "" {
			return fail("resuming from %s: %s", where, d)
		}
		tried = append(tried, fmt.Sprint(n))
	}
	return pass("resumed from checkpoints %s of %d: each yields exactly the rest of %d records", strings.Join(tried, ", "), len(cps), want.size())
}

func (s *suite) ruleDeletes(context.Context) Result {
	if len(s.opts.Deletes) == 0 {
		return skip("no stream is named as producing deletes under this config")
	}
	if s.blocked != "" {
		return s.notRun()
	}
	count := map[string]int{}
	for _, e := range s.full.events {
		if e.rec != nil && e.rec.pb.GetDeleted() {
			count[e.rec.stream]++
		}
	}
	var problems, found []string
	for _, name := range s.opts.Deletes {
		switch {
		case s.streams[name] == nil:
			problems = append(problems, fmt.Sprintf("%s: no such stream", name))
		case count[name] == 0:
			problems = append(problems, fmt.Sprintf("%s: no tombstone", name))
		default:
			found = append(found, fmt.Sprintf("%s %d", name, count[name]))
		}
	}
	if len(problems) > 0 {
		return fail("%s", strings.Join(problems, "; "))
	}
	return pass("tombstones: %s", strings.Join(found, ", "))
}
