package csv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/pulseproject/pulse/connectors/sdk"
)

// configSchema is the connector's configuration: the folder to import, and
// whether a file may remove more than half of its previous rows.
const configSchema = `{"type":"object","required":["path"],"properties":{"path":{"type":"string","minLength":1,"format":"path","description":"folder holding the CSV files; a relative path is taken from where the source is added"},"allow_mass_delete":{"type":"boolean","default":false,"description":"import a file that drops more than half of the rows of its previous version, removing them; otherwise such a file is refused as empty or truncated"}},"additionalProperties":false}`

type config struct {
	Path            string `json:"path"`
	AllowMassDelete bool   `json:"allow_mass_delete"`
}

// New returns the csv connector.
func New() *sdk.Connector {
	return &sdk.Connector{
		Name:         "csv",
		Version:      "1.0.0",
		Description:  "Imports a folder of CSV exports, one file per entity: accounts.csv, people.csv, activities.csv and so on.",
		ConfigSchema: configSchema,
		Streams:      streams(nil),
		CheckFunc:    check,
		DiscoverFunc: discover,
	}
}

// streams declares one stream per table; custom names, per stream, the
// custom columns found in its file's header.
func streams(custom map[string][]string) []sdk.Stream {
	out := make([]sdk.Stream, 0, len(tables))
	for _, t := range tables {
		out = append(out, sdk.Stream{
			Name: t.stream, EntityType: t.entity, PrimaryKey: t.key,
			// The cursor follows the file's line; with the file's hash in
			// the state, a changed file is read again from the top.
			Incremental:  true,
			CursorField:  "line",
			CustomFields: custom[t.stream],
			Read:         t.read,
		})
	}
	return out
}

// folder returns the configured folder once it is known to be a readable
// directory; otherwise a config error on path says why not.
func folder(cfg sdk.Config) (string, error) {
	var c config
	if err := cfg.Decode(&c); err != nil {
		return "", &sdk.ConfigError{Err: err}
	}
	bad := func(format string, args ...any) error {
		return &sdk.ConfigError{Field: "path", Err: fmt.Errorf(format, args...)}
	}
	info, err := os.Stat(c.Path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", bad("folder %s does not exist", c.Path)
	case err != nil:
		return "", bad("cannot open folder: %v", err)
	case !info.IsDir():
		return "", bad("%s is a file, not a folder", c.Path)
	}
	// Stat succeeds on a folder the plugin may not list; listing one entry
	// is the real test.
	d, err := os.Open(c.Path)
	if err == nil {
		_, err = d.Readdirnames(1)
		_ = d.Close() // read-only: nothing to lose
	}
	if err != nil && err != io.EOF {
		return "", bad("cannot read folder: %v", err)
	}
	return c.Path, nil
}

// check reports a folder that cannot be imported, and every header that
// lacks a required column, so a broken file is found before a sync runs.
func check(_ context.Context, cfg sdk.Config) sdk.Diagnostics {
	var diags sdk.Diagnostics
	dir, err := folder(cfg)
	if err != nil {
		diags.Errorf(errorField(err), "%s", errorText(err))
		return diags
	}
	found := 0
	for _, t := range tables {
		hdr, probs, present, err := t.headerIn(dir)
		if err != nil {
			diags.Errorf("path", "%s", errorText(err))
			continue
		}
		if present {
			found++
		}
		for _, p := range probs {
			diags.Errorf("path", "%s: %s", t.file, p)
		}
		if hdr != nil {
			for _, w := range hdr.warnings {
				diags = append(diags, sdk.Diagnostic{Field: "path", Warning: true, Summary: t.file + ": " + w})
			}
		}
	}
	if found == 0 {
		// Not an error, since missing files are skipped, but most likely
		// the wrong folder.
		diags = append(diags, sdk.Diagnostic{Field: "path", Warning: true,
			Summary: fmt.Sprintf("%s holds none of the files this connector reads (accounts.csv, people.csv, ...)", dir)})
	}
	return diags
}

// headerIn reads t's header in dir; present is false when the file is not
// there.
func (t *table) headerIn(dir string) (hdr *header, probs []string, present bool, err error) {
	f, _, err := t.open(dir)
	if err != nil || f == nil {
		return nil, nil, false, err
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose
	hdr, probs, err = readHeader(t, newReader(f))
	if err != nil {
		return nil, nil, true, fmt.Errorf("cannot read %s: %w", t.file, err)
	}
	return hdr, probs, true, nil
}

// discover lists the streams with the custom columns their files have now,
// so the host can show them before a sync. A file it cannot read or make
// sense of lists none: Check and the stream's own read report why.
func discover(_ context.Context, cfg sdk.Config) ([]sdk.Stream, error) {
	dir, err := folder(cfg)
	if err != nil {
		return nil, err
	}
	custom := map[string][]string{}
	for _, t := range tables {
		hdr, _, _, err := t.headerIn(dir)
		if err != nil || hdr == nil {
			continue
		}
		for _, i := range hdr.custom {
			custom[t.stream] = append(custom[t.stream], hdr.names[i])
		}
	}
	return streams(custom), nil
}

// errorField and errorText unpack a config error into a diagnostic.
func errorField(err error) string {
	if ce, ok := errors.AsType[*sdk.ConfigError](err); ok {
		return ce.Field
	}
	return ""
}

func errorText(err error) string {
	if ce, ok := errors.AsType[*sdk.ConfigError](err); ok {
		return ce.Err.Error()
	}
	return err.Error()
}
