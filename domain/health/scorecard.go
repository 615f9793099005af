package health

import (
	_ "embed"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pulseproject/pulse/domain"
)

// Scorecard says how an account's health is scored. Scorecards are
// identified by name; each save of a name is a new version, and the old
// versions are kept.
type Scorecard struct {
	// Name identifies the scorecard across its versions.
	Name string
	// Version grows with each save of the name.
	Version int
	// Segment is the accounts' segment the scorecard is for; empty for the
	// default scorecard, which scores accounts of segments without one.
	Segment string
	// Description says what the scorecard is for, in words.
	Description string
	Bands       Bands
	Measures    []Measure
	// Source is the YAML document the scorecard was read from.
	Source string
	// CreatedAt is when the version was saved; zero before it is.
	CreatedAt time.Time
}

// Bands cut scores into red (below Red), yellow (from Red to below Green)
// and green (Green and above).
type Bands struct {
	Red   float64
	Green float64
}

// DefaultBands are the bands of a scorecard that names none: red < 40 ≤
// yellow < 70 ≤ green.
var DefaultBands = Bands{Red: 40, Green: 70}

// Band is a score's colour.
type Band string

// The bands, worst first; BandNone is the band of an account with no
// score, for want of any data.
const (
	BandNone   Band = ""
	BandRed    Band = "red"
	BandYellow Band = "yellow"
	BandGreen  Band = "green"
)

// AllBands lists the bands, worst first.
var AllBands = []Band{BandRed, BandYellow, BandGreen}

// Of is the band of score.
func (b Bands) Of(score float64) Band {
	switch {
	case score < b.Red:
		return BandRed
	case score < b.Green:
		return BandYellow
	}
	return BandGreen
}

// Mode is how a measure's thresholds map its raw value to a sub-score.
type Mode string

// The modes of a measure.
const (
	// ModeLinear interpolates linearly between the two thresholds around
	// the value; below the first or above the last, the value gets the
	// score of that threshold.
	ModeLinear Mode = "linear"
	// ModeSteps gives the value the score of the last threshold whose
	// value it reaches; below the first, the first's score.
	ModeSteps Mode = "steps"
)

// Measure is one weighted measure of a scorecard.
type Measure struct {
	// Measure is which built-in measure (see Measures).
	Measure MeasureID
	// Team narrows a measure of touches to one team's; empty for every
	// team's. Only measures whose MeasureInfo.ByTeam allow it.
	Team   string
	Weight float64
	Mode   Mode
	// Thresholds map raw values to sub-scores, in increasing value.
	Thresholds []Threshold
}

// Threshold is a point of a measure's mapping: the raw value Value scores
// Score (0–100).
type Threshold struct {
	Value float64
	Score float64
}

// SubScore maps a raw value to 0–100 by m's thresholds and mode.
func (m Measure) SubScore(v float64) float64 {
	t := m.Thresholds
	if v <= t[0].Value {
		return t[0].Score
	}
	for i := 1; i < len(t); i++ {
		if v < t[i].Value {
			if m.Mode == ModeSteps {
				return t[i-1].Score
			}
			frac := (v - t[i-1].Value) / (t[i].Value - t[i-1].Value)
			return t[i-1].Score + frac*(t[i].Score-t[i-1].Score)
		}
	}
	return t[len(t)-1].Score
}

// Key names the measure within its scorecard: the measure, and its team
// when it has one (days_since_last_touch/cs).
func (m Measure) Key() string {
	if m.Team == "" {
		return string(m.Measure)
	}
	return string(m.Measure) + "/" + m.Team
}

//go:embed default.yaml
var defaultYAML string

// DefaultScorecard is the scorecard Pulse ships, read from default.yaml.
func DefaultScorecard() Scorecard {
	sc, err := Parse(defaultYAML)
	if err != nil {
		panic("health: the shipped default.yaml is invalid: " + err.Error())
	}
	return *sc
}

// DefaultName is the name of the shipped scorecard, the one that applies to
// accounts of segments without their own.
const DefaultName = "default"

var scorecardName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Parse reads a scorecard from YAML. A document that does not parse, or
// breaks any rule, is refused with a *domain.InputError naming every
// problem by its path, such as measures[2].weight.
func Parse(src string) (*Scorecard, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return nil, domain.Invalid(domain.FieldError{Field: "yaml", Message: strings.TrimPrefix(err.Error(), "yaml: ")})
	}
	if len(doc.Content) == 0 {
		return nil, domain.Invalid(domain.FieldError{Field: "yaml", Message: "is empty"})
	}
	p := &parser{}
	sc := &Scorecard{Source: src, Bands: DefaultBands}
	var measureKeys []map[string]bool
	top := p.mapping(doc.Content[0], "", map[string]func(string, *yaml.Node){
		"name":        func(path string, n *yaml.Node) { sc.Name = p.str(n, path) },
		"version":     func(path string, n *yaml.Node) { sc.Version = p.integer(n, path) },
		"segment":     func(path string, n *yaml.Node) { sc.Segment = p.str(n, path) },
		"description": func(path string, n *yaml.Node) { sc.Description = p.str(n, path) },
		"bands": func(path string, n *yaml.Node) {
			p.mapping(n, path, map[string]func(string, *yaml.Node){
				"red":   func(path string, n *yaml.Node) { sc.Bands.Red = p.number(n, path) },
				"green": func(path string, n *yaml.Node) { sc.Bands.Green = p.number(n, path) },
			})
		},
		"measures": func(path string, n *yaml.Node) {
			for i, item := range p.sequence(n, path) {
				m, keys := p.measure(item, fmt.Sprintf("%s[%d]", path, i))
				sc.Measures = append(sc.Measures, m)
				measureKeys = append(measureKeys, keys)
			}
		},
	})
	if doc.Content[0].Kind == yaml.MappingNode {
		for _, key := range []string{"name", "version", "measures"} {
			if !top[key] {
				p.add(key, "is required")
			}
		}
	}
	p.problems = append(p.problems, sc.validate(top, measureKeys)...)
	if len(p.problems) > 0 {
		return nil, &domain.InputError{Problems: p.problems}
	}
	return sc, nil
}

// validate checks the rules that span fields; the parser has checked each
// field's type. top holds the keys the document gave, measureKeys those
// of each measure.
func (sc *Scorecard) validate(top map[string]bool, measureKeys []map[string]bool) domain.Problems {
	var p domain.Problems
	add := func(field, format string, args ...any) {
		p = append(p, domain.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if sc.Name != "" && !scorecardName.MatchString(sc.Name) {
		add("name", "%q must be lower-case letters, digits, - and _, starting with a letter or digit", sc.Name)
	}
	if top["version"] && sc.Version < 1 {
		add("version", "must be at least 1, got %d", sc.Version)
	}
	if sc.Name == DefaultName && sc.Segment != "" {
		add("segment", "must be empty: %q is the scorecard of accounts whose segment has none of its own", DefaultName)
	}
	if sc.Name != "" && sc.Name != DefaultName && sc.Segment == "" {
		add("segment", "is required: only %q scores accounts of every segment", DefaultName)
	}
	for _, b := range []struct {
		field string
		v     float64
	}{{"bands.red", sc.Bands.Red}, {"bands.green", sc.Bands.Green}} {
		if b.v < 0 || b.v > 100 {
			add(b.field, "must be between 0 and 100, got %s", num(b.v))
		}
	}
	if sc.Bands.Green <= sc.Bands.Red {
		add("bands.green", "must be greater than bands.red (%s), got %s", num(sc.Bands.Red), num(sc.Bands.Green))
	}
	if top["measures"] && len(sc.Measures) == 0 {
		add("measures", "must list at least one measure")
	}
	first := map[string]int{}
	for i, m := range sc.Measures {
		path := fmt.Sprintf("measures[%d]", i)
		keys := measureKeys[i]
		info, known := MeasureByID(m.Measure)
		switch {
		case !keys["measure"]:
			add(path+".measure", "is required")
		case !known:
			add(path+".measure", "%q is not a measure; the measures are %s", m.Measure, strings.Join(measureIDs(), ", "))
		}
		teamOK := true
		if m.Team != "" {
			if !slices.Contains(domain.Teams, m.Team) {
				teamOK = false
				add(path+".team", "%q is not one of %s", m.Team, strings.Join(domain.Teams, ", "))
			} else if known && !info.ByTeam {
				add(path+".team", "%s is not measured per team", m.Measure)
			}
		}
		if !keys["weight"] {
			add(path+".weight", "is required")
		} else if m.Weight <= 0 {
			add(path+".weight", "must be > 0, got %s", num(m.Weight))
		}
		if m.Mode != ModeLinear && m.Mode != ModeSteps {
			add(path+".mode", "%q is not one of linear, steps", m.Mode)
		}
		switch {
		case !keys["thresholds"]:
			add(path+".thresholds", "is required")
		case len(m.Thresholds) == 0:
			add(path+".thresholds", "must list at least one point")
		case m.Mode == ModeLinear && len(m.Thresholds) < 2:
			add(path+".thresholds", "a linear mapping needs at least two points, got %d", len(m.Thresholds))
		}
		for j, t := range m.Thresholds {
			tp := fmt.Sprintf("%s.thresholds[%d]", path, j)
			if t.Score < 0 || t.Score > 100 {
				add(tp+".score", "must be between 0 and 100, got %s", num(t.Score))
			}
			if j > 0 && t.Value <= m.Thresholds[j-1].Value {
				add(tp+".value", "must be greater than the value before it (%s), got %s", num(m.Thresholds[j-1].Value), num(t.Value))
			}
		}
		if known && teamOK {
			if k, dup := first[m.Key()]; dup {
				add(path, "measures %s again: measures[%d] already does", m.Key(), k)
			} else {
				first[m.Key()] = i
			}
		}
	}
	return p
}

// num prints a number the way a YAML author wrote it.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// parser walks a YAML tree, collecting every problem with its path.
type parser struct {
	problems domain.Problems
}

func (p *parser) add(path, format string, args ...any) {
	p.problems = append(p.problems, domain.FieldError{Field: path, Message: fmt.Sprintf(format, args...)})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping calls fields[key] on each entry of n, reports unknown and
// repeated keys, and returns the keys given.
func (p *parser) mapping(n *yaml.Node, path string, fields map[string]func(string, *yaml.Node)) map[string]bool {
	seen := map[string]bool{}
	if n.Kind != yaml.MappingNode {
		p.add(orDocument(path), "must be a mapping of keys to values")
		return seen
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		fieldPath := join(path, key)
		f, ok := fields[key]
		switch {
		case !ok:
			known := make([]string, 0, len(fields))
			for k := range fields {
				known = append(known, k)
			}
			slices.Sort(known)
			p.add(fieldPath, "is not a field; the fields are %s", strings.Join(known, ", "))
		case seen[key]:
			p.add(fieldPath, "is given twice")
		default:
			seen[key] = true
			f(fieldPath, value)
		}
	}
	return seen
}

func orDocument(path string) string {
	if path == "" {
		return "yaml"
	}
	return path
}

func (p *parser) sequence(n *yaml.Node, path string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.add(path, "must be a list")
		return nil
	}
	return n.Content
}

func (p *parser) scalar(n *yaml.Node, path, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.add(path, "must be %s", what)
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(n *yaml.Node, path string) string {
	s, _ := p.scalar(n, path, "a string")
	return s
}

func (p *parser) number(n *yaml.Node, path string) float64 {
	s, ok := p.scalar(n, path, "a number")
	if !ok {
		return 0
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		p.add(path, "must be a number, got %q", s)
		return 0
	}
	return v
}

func (p *parser) integer(n *yaml.Node, path string) int {
	s, ok := p.scalar(n, path, "a whole number")
	if !ok {
		return 0
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		p.add(path, "must be a whole number, got %q", s)
		return 0
	}
	return v
}

// measure reads one measure, and returns the keys it gave.
func (p *parser) measure(n *yaml.Node, path string) (Measure, map[string]bool) {
	m := Measure{Mode: ModeLinear}
	keys := p.mapping(n, path, map[string]func(string, *yaml.Node){
		"measure": func(path string, n *yaml.Node) { m.Measure = MeasureID(p.str(n, path)) },
		"team":    func(path string, n *yaml.Node) { m.Team = p.str(n, path) },
		"weight":  func(path string, n *yaml.Node) { m.Weight = p.number(n, path) },
		"mode":    func(path string, n *yaml.Node) { m.Mode = Mode(p.str(n, path)) },
		"thresholds": func(path string, n *yaml.Node) {
			m.Thresholds = []Threshold{}
			for j, item := range p.sequence(n, path) {
				// NaN marks a missing number, which is reported as
				// required and compared with nothing.
				t := Threshold{Value: math.NaN(), Score: math.NaN()}
				tp := fmt.Sprintf("%s[%d]", path, j)
				tk := p.mapping(item, tp, map[string]func(string, *yaml.Node){
					"value": func(path string, n *yaml.Node) { t.Value = p.number(n, path) },
					"score": func(path string, n *yaml.Node) { t.Score = p.number(n, path) },
				})
				for _, k := range []string{"value", "score"} {
					if item.Kind == yaml.MappingNode && !tk[k] {
						p.add(tp+"."+k, "is required")
					}
				}
				m.Thresholds = append(m.Thresholds, t)
			}
		},
	})
	return m, keys
}
