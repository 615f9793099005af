package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
)

const (
	defaultSeed = 1
	defaultSize = 500
	// maxSize keeps account numbers at six digits, so external ids sort
	// in account order.
	maxSize = 1_000_000
	// checkpointEvery is how many accounts (teammates, days of rates) one
	// checkpoint covers: small enough that a resumed read repeats little,
	// large enough that checkpoints cost nothing next to the records.
	checkpointEvery = 200
)

// configSchema accepts seed and size as numeric strings too, because a
// key=value on the command line arrives as a string.
const configSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "seed": {
      "type": ["integer", "string"],
      "pattern": "^-?[0-9]+$",
      "default": 1,
      "description": "Seed of the generator: the same seed, size and end_date give the same records."
    },
    "size": {
      "type": ["integer", "string"],
      "minimum": 1,
      "maximum": 1000000,
      "pattern": "^[1-9][0-9]*$",
      "default": 500,
      "description": "Number of accounts."
    },
    "end_date": {
      "type": "string",
      "format": "date",
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
      "description": "Last day of the data, YYYY-MM-DD. When absent, today's date (UTC), so store an explicit date to keep the data stable."
    }
  }
}`

// New returns the demo connector. Without an end_date it reads up to the
// day New was called: the same day for every stream of a read, even one
// running past midnight, so references between streams still hold.
func New() *sdk.Connector {
	today := time.Now()
	stream := func(name string, t connectorpb.EntityType, read readFunc, custom ...string) sdk.Stream {
		return sdk.Stream{
			Name:         name,
			EntityType:   t,
			PrimaryKey:   []string{"id"},
			CustomFields: custom,
			Read: func(ctx context.Context, cfg sdk.Config, state sdk.State, w *sdk.Writer) error {
				c, diags := parseConfig(cfg, today)
				if diags.HasErrors() {
					return &sdk.ConfigError{Field: diags[0].Field, Err: errors.New(diags[0].Summary)}
				}
				return read(newGenerator(c), ctx, state, w)
			},
		}
	}
	return &sdk.Connector{
		Name:         "demo",
		Version:      "1.0.0",
		Description:  "Deterministic synthetic customer data: two years of accounts, subscriptions, touches, tickets and surveys for a seed, a size and an end date.",
		ConfigSchema: configSchema,
		CheckFunc: func(_ context.Context, cfg sdk.Config) sdk.Diagnostics {
			_, diags := parseConfig(cfg, today)
			return diags
		},
		// The host resolves references in this order: teammates and
		// accounts before what refers to them, contacts before touches.
		Streams: []sdk.Stream{
			stream("people", sdk.Person, (*generator).readPeople),
			stream("accounts", sdk.Account, (*generator).readAccounts, "employees", "region"),
			stream("account_team", sdk.AccountTeam, (*generator).readAccountTeam),
			stream("contacts", sdk.Contact, (*generator).readContacts),
			stream("subscriptions", sdk.SubscriptionItem, (*generator).readSubscriptions),
			stream("deals", sdk.Deal, (*generator).readDeals),
			stream("activities", sdk.Activity, (*generator).readActivities),
			stream("tickets", sdk.Ticket, (*generator).readTickets),
			stream("surveys", sdk.SurveyResponse, (*generator).readSurveys),
			stream("fx_rates", sdk.FxRate, (*generator).readFxRates),
		},
	}
}

// readFunc reads one stream with a generator made for the read.
type readFunc func(g *generator, ctx context.Context, state sdk.State, w *sdk.Writer) error

// config is the decoded configuration.
type config struct {
	seed int64
	size int
	// end is midnight UTC of the last day of the data.
	end time.Time
}

// parseConfig decodes cfg, reporting every bad field. now supplies the end
// date when none is configured.
func parseConfig(cfg sdk.Config, now time.Time) (config, sdk.Diagnostics) {
	c := config{seed: defaultSeed, size: defaultSize}
	var diags sdk.Diagnostics
	var raw struct {
		Seed    json.RawMessage `json:"seed"`
		Size    json.RawMessage `json:"size"`
		EndDate *string         `json:"end_date"`
	}
	if err := cfg.Decode(&raw); err != nil {
		diags.Errorf("", "%v", err)
		return c, diags
	}
	if raw.Seed != nil {
		n, ok := parseInteger(raw.Seed)
		if !ok {
			diags.Errorf("seed", "must be a whole number, got %s", raw.Seed)
		}
		c.seed = n
	}
	if raw.Size != nil {
		n, ok := parseInteger(raw.Size)
		if !ok || n < 1 || n > maxSize {
			diags.Errorf("size", "must be a whole number of accounts from 1 to %d, got %s", maxSize, raw.Size)
		}
		c.size = int(n)
	}
	c.end = now.UTC().Truncate(24 * time.Hour)
	if raw.EndDate != nil {
		d, err := time.Parse(time.DateOnly, *raw.EndDate)
		if err != nil {
			diags.Errorf("end_date", "must be a date, YYYY-MM-DD, got %q", *raw.EndDate)
		}
		c.end = d
	}
	return c, diags
}

// parseInteger reads a JSON integer, or a string holding one. A number
// such as 1e3 or 5.0 is a JSON Schema integer too, so it is accepted when
// it is whole.
func parseInteger(raw json.RawMessage) (int64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int64(f), true
}

// Streams, as the second half of the seed of their generators. streamProfile
// draws what every stream must agree on about an account.
const (
	streamProfile uint64 = iota + 1
	streamPeople
	streamAccounts
	streamTeam
	streamContacts
	streamSubscriptions
	streamDeals
	streamActivities
	streamTickets
	streamSurveys
)

// generator produces one read's records. It is not safe for concurrent use:
// it reuses its random sources and scratch buffers from account to account,
// so generating an account allocates little beyond the records themselves.
type generator struct {
	cfg  config
	seed uint64
	// end is midnight of the last day, horizon the instant after it: every
	// timestamp is before horizon and at or after start, two years earlier.
	end, start, horizon time.Time
	windowDays          int
	nameOffset          uint64
	people              int
	personIDs           []string
	byTeam              [numTeams][]int

	src, ticketSrc *rand.PCG
	rng, ticketRng *rand.Rand

	p       profile
	tickets []ticket
	buf     []byte
}

func newGenerator(c config) *generator {
	g := &generator{cfg: c, seed: mix(uint64(c.seed)), end: c.end}
	g.horizon = c.end.AddDate(0, 0, 1)
	g.start = g.horizon.AddDate(-2, 0, 0)
	g.windowDays = int(g.horizon.Sub(g.start) / day)
	g.nameOffset = g.seed % uint64(nameSpace)
	// The roster grows slowly with the customer base, so books get bigger
	// as size grows, as they do in a real company.
	g.people = 20 + c.size/250
	g.personIDs = make([]string, g.people)
	for j := range g.people {
		g.personIDs[j] = string(appendPadded([]byte("per-"), j+1, 3))
		t := teamCycle[j%len(teamCycle)]
		g.byTeam[t] = append(g.byTeam[t], j)
	}
	g.src = rand.NewPCG(0, 0)
	g.ticketSrc = rand.NewPCG(0, 0)
	g.rng = rand.New(g.src)
	g.ticketRng = rand.New(g.ticketSrc)
	return g
}

// reseed points src at the sequence of (seed, stream, i).
func (g *generator) reseed(src *rand.PCG, stream uint64, i int) {
	src.Seed(g.seed, mix(stream<<40^uint64(i)))
}

// mix is splitmix64's finaliser: it spreads neighbouring seeds apart, so
// account i and i+1 draw unrelated sequences.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// checkpoint is every stream's state: the index (of account, teammate or
// day of rates) the next read starts at.
type checkpoint struct {
	Next int `json:"next"`
}

// each calls emit for every index from the checkpoint in state up to n,
// checkpointing along the way and once at the end.
func (g *generator) each(ctx context.Context, state sdk.State, w *sdk.Writer, n int, emit func(i int) error) error {
	var cp checkpoint
	if _, err := state.Decode(&cp); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	if cp.Next < 0 {
		return fmt.Errorf("demo: state: next is %d, want an index from 0", cp.Next)
	}
	for i := cp.Next; i < n; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(i); err != nil {
			return err
		}
		if (i+1)%checkpointEvery == 0 && i+1 < n {
			if err := w.Checkpoint(checkpoint{Next: i + 1}); err != nil {
				return err
			}
		}
	}
	return w.Checkpoint(checkpoint{Next: n})
}

// eachAccount calls emit with the profile of every account from the
// checkpoint on.
func (g *generator) eachAccount(ctx context.Context, state sdk.State, w *sdk.Writer, emit func(p *profile) error) error {
	return g.each(ctx, state, w, g.cfg.size, func(i int) error {
		g.build(i)
		return emit(&g.p)
	})
}
