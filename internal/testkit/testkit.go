package testkit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	connectorpb "github.com/pulseproject/pulse/connectors/proto"
	"github.com/pulseproject/pulse/connectors/sdk"
	"github.com/pulseproject/pulse/connectors/sdk/webapi"
)

// Config chooses what a read does.
type Config struct {
	// Accounts is how many accounts to emit, each with one activity.
	Accounts int `json:"accounts"`
	// Orphans is how many extra activities refer to an account that does
	// not exist (yet): acc-N for N from Accounts on.
	Orphans int `json:"orphans"`
	// Deleted lists account numbers sent as tombstones after the others.
	Deleted []int `json:"deleted"`
	// Invalid is how many accounts carry a tier outside A/B/C.
	Invalid int `json:"invalid"`
	// CheckpointEvery is how many accounts go in one checkpoint.
	CheckpointEvery int `json:"checkpoint_every"`
	// CrashAfter panics after emitting this many accounts (0: never),
	// taking the process down.
	CrashAfter int `json:"crash_after"`
	// HangAfter stops sending after this many accounts (0: never).
	HangAfter int `json:"hang_after"`
	// Fail ends the read with a typed error: "config", "transient",
	// "system"; "check_panic" crashes the process in Check, its panic
	// naming the token, as a careless connector's might.
	Fail string `json:"fail"`
	// Token is a secret setting, for tests of what may show it.
	Token string `json:"token"`
	// Name prefixes account names, so a changed config changes data.
	Name string `json:"name"`
	// Break makes the connector break one conformance rule on purpose:
	// "regress_cursor" ends a read given a state with a checkpoint back at
	// the start; "double_on_resume" resumes one account before its
	// checkpoint.
	Break string `json:"break"`
	// APIURL, when set, makes both streams read their records from an HTTP
	// API instead of making them up (see readPages), each stream with a
	// webapi.Client of its own, as a connector that built one client per
	// stream would: only the host's rate limiter is then shared by them.
	APIURL string `json:"api_url"`
	// MaxWaitMS is the clients' MaxWait in milliseconds; 0 leaves
	// webapi's default.
	MaxWaitMS int `json:"max_wait_ms"`
}

const schema = `{
  "type": "object",
  "properties": {
    "accounts": {"type": "integer", "minimum": 0},
    "orphans": {"type": "integer", "minimum": 0},
    "deleted": {"type": "array", "items": {"type": "integer"}},
    "invalid": {"type": "integer", "minimum": 0},
    "checkpoint_every": {"type": "integer", "minimum": 1},
    "crash_after": {"type": "integer", "minimum": 0},
    "hang_after": {"type": "integer", "minimum": 0},
    "fail": {"enum": ["", "config", "transient", "system", "check_panic"]},
    "name": {"type": "string"},
    "break": {"enum": ["", "regress_cursor", "double_on_resume"]},
    "api_url": {"type": "string"},
    "max_wait_ms": {"type": "integer", "minimum": 0},
    "token": {"type": "string", "secret": true}
  },
  "additionalProperties": false
}`

// cursor is the accounts stream's state: the next account (with api_url,
// the next page), and how many of the tombstones that follow the accounts
// were sent.
type cursor struct {
	Next    int `json:"next"`
	Deleted int `json:"deleted,omitempty"`
}

// New returns the connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name: "testkit", Version: "0.0.1", ConfigSchema: schema,
		CheckFunc: check,
		Streams: []sdk.Stream{
			{Name: "accounts", EntityType: sdk.Account, PrimaryKey: []string{"id"}, CursorField: "n", Incremental: true, Read: readAccounts},
			{Name: "activities", EntityType: sdk.Activity, PrimaryKey: []string{"id"}, Read: readActivities},
		},
	}
}

func check(_ context.Context, raw sdk.Config) sdk.Diagnostics {
	var cfg Config
	if err := raw.Decode(&cfg); err != nil {
		panic(err)
	}
	if cfg.Fail == "check_panic" {
		panic("testkit: the vendor refused the token " + cfg.Token)
	}
	return nil
}

func readAccounts(ctx context.Context, raw sdk.Config, state sdk.State, w *sdk.Writer) error {
	var cfg Config
	if err := raw.Decode(&cfg); err != nil {
		return err
	}
	if cfg.CheckpointEvery == 0 {
		cfg.CheckpointEvery = 10
	}
	var cur cursor
	resumed, err := state.Decode(&cur)
	if err != nil {
		return err
	}
	if cfg.APIURL != "" {
		return readPages(ctx, cfg, "accounts", max(cur.Next, 1), w, func(id string) *connectorpb.Record {
			return sdk.NewAccount("acc-"+id, &connectorpb.Account{
				Name: cfg.Name + "Account " + id, Domain: "a" + id + ".example", Tier: "A", Lifecycle: "customer",
			})
		})
	}
	if resumed && cfg.Break == "double_on_resume" && cur.Next > 0 {
		cur.Next--
	}
	w.SetTotal(int64(cfg.Accounts))
	for i := cur.Next; i < cfg.Accounts; i++ {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cfg.CrashAfter > 0 && i == cfg.CrashAfter {
			panic(fmt.Sprintf("testkit: crashing on purpose after %d accounts", i))
		}
		if cfg.HangAfter > 0 && i == cfg.HangAfter {
			if err := w.Flush(); err != nil {
				return err
			}
			<-ctx.Done()
			return ctx.Err()
		}
		tier := []string{"A", "B", "C"}[i%3]
		if i < cfg.Invalid {
			tier = "Z"
		}
		rec := sdk.NewAccount(fmt.Sprintf("acc-%d", i), &connectorpb.Account{
			Name: fmt.Sprintf("%sAccount %d", cfg.Name, i), Domain: fmt.Sprintf("a%d.example", i), Tier: tier, Lifecycle: "customer",
		})
		rec.Origin = fmt.Sprintf("accounts/%d", i)
		if err := w.Emit(rec); err != nil {
			return err
		}
		if (i+1)%cfg.CheckpointEvery == 0 {
			if err := w.Checkpoint(cursor{Next: i + 1}); err != nil {
				return err
			}
		}
	}
	for _, d := range cfg.Deleted[min(cur.Deleted, len(cfg.Deleted)):] {
		if err := w.Emit(sdk.Tombstone(sdk.Account, fmt.Sprintf("acc-%d", d))); err != nil {
			return err
		}
	}
	switch cfg.Fail {
	case "config":
		return &sdk.ConfigError{Field: "token", Err: errors.New("the vendor refused the token")}
	case "transient":
		return &sdk.TransientError{Err: errors.New("rate limited"), RetryAfter: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	case "system":
		return errors.New("unexpected vendor response")
	}
	if resumed && cfg.Break == "regress_cursor" {
		return w.Checkpoint(cursor{})
	}
	return w.Checkpoint(cursor{Next: cfg.Accounts, Deleted: len(cfg.Deleted)})
}

func readActivities(ctx context.Context, raw sdk.Config, _ sdk.State, w *sdk.Writer) error {
	var cfg Config
	if err := raw.Decode(&cfg); err != nil {
		return err
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if cfg.APIURL != "" {
		return readPages(ctx, cfg, "activities", 1, w, func(id string) *connectorpb.Record {
			return sdk.NewActivity("act-"+id, &connectorpb.Activity{
				AccountExternalId: "acc-" + id, Team: "sales", Kind: "email", Direction: "outbound",
				OccurredAt: sdk.Timestamp(day), Subject: "Hello " + id,
			})
		})
	}
	for i := 0; i < cfg.Accounts+cfg.Orphans; i++ {
		rec := sdk.NewActivity(fmt.Sprintf("act-%d", i), &connectorpb.Activity{
			AccountExternalId: fmt.Sprintf("acc-%d", i), Team: "sales", Kind: "email", Direction: "outbound",
			OccurredAt: sdk.Timestamp(day.Add(time.Duration(i) * time.Hour)), Subject: fmt.Sprintf("Hello %d", i),
		})
		rec.Origin = fmt.Sprintf("activities/%d", i)
		if err := w.Emit(rec); err != nil {
			return err
		}
	}
	return nil
}

// page is one answer of the API readPages reads.
type page struct {
	IDs  []string `json:"ids"`
	More bool     `json:"more"`
}

// readPages reads stream from cfg.APIURL page by page, from page from on:
// GET {api_url}/{stream}?page=N answers a page, whose ids become records
// and which says whether more follow. The accounts stream checkpoints the
// next page after each one. Answers saying X-Quota-Remaining: 0 ask to
// wait X-Quota-Reset seconds before the next call.
func readPages(ctx context.Context, cfg Config, stream string, from int, w *sdk.Writer, record func(id string) *connectorpb.Record) error {
	api := &webapi.Client{
		BaseURL: cfg.APIURL,
		MaxWait: time.Duration(cfg.MaxWaitMS) * time.Millisecond,
		Pace:    quotaPace,
	}
	for n := from; ; n++ {
		var p page
		if err := api.Get(ctx, "/"+stream, url.Values{"page": {strconv.Itoa(n)}}, &p); err != nil {
			return fmt.Errorf("testkit: %s page %d: %w", stream, n, err)
		}
		for _, id := range p.IDs {
			if err := w.Emit(record(id)); err != nil {
				return err
			}
		}
		if stream == "accounts" {
			if err := w.Checkpoint(cursor{Next: n + 1}); err != nil {
				return err
			}
		}
		if !p.More {
			return nil
		}
	}
}

// quotaPace reads the test API's quota headers.
func quotaPace(r *http.Response) time.Duration {
	if r.Header.Get("X-Quota-Remaining") != "0" {
		return 0
	}
	secs, err := strconv.ParseFloat(r.Header.Get("X-Quota-Reset"), 64)
	if err != nil {
		return 0
	}
	return time.Duration(secs * float64(time.Second))
}
