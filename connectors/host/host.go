package host

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/pulseproject/pulse/connectors/sdk/launch"
)

// BinaryPrefix starts the file name of every connector plugin.
const BinaryPrefix = launch.BinaryPrefix

// SumsFile lists the trusted plugins of a folder with their SHA-256.
const SumsFile = "SHA256SUMS"

// ErrNotFound is returned for a connector no folder or built-in provides.
var ErrNotFound = errors.New("host: connector not found")

// ErrUntrusted is returned for a plugin binary that is not listed in its
// folder's SHA256SUMS, or whose checksum does not match.
var ErrUntrusted = errors.New("host: plugin not trusted")

// Plugin is a connector the host can launch. Its SHA256 is nil when the
// binary is not listed in its folder's SHA256SUMS.
type Plugin = launch.Plugin

// Conn is a running plugin process and its client; the launch package,
// which the SDK's conformance suite shares, starts it.
type Conn = launch.Conn

// CrashError reports a plugin process that died during a call.
type CrashError = launch.CrashError

// Options configures a Host.
type Options struct {
	// Dirs are searched in order; a plugin found in an earlier folder
	// shadows one of the same name in a later folder or a built-in.
	Dirs []string
	// Builtins are connectors the running binary serves itself when
	// started with BuiltinArgs(name).
	Builtins    []string
	BuiltinArgs func(name string) []string
	// CallTimeout bounds Spec, Check and Discover; default 30s.
	CallTimeout time.Duration
	// IdleTimeout ends a Read that sends nothing for this long; default 5m.
	IdleTimeout time.Duration
	// StartTimeout bounds the plugin handshake; default 20s.
	StartTimeout time.Duration
	Logger       *slog.Logger
	// OnLaunch, when set, is told of each plugin process started, and
	// OnCrash of each one that died during a call, for metrics.
	OnLaunch func(Plugin)
	OnCrash  func(*CrashError)
	// Now is the clock rate-limit holds are read against; nil means
	// time.Now. Tests move it past a hold instead of waiting.
	Now func() time.Time
}

// Host launches connector plugins.
type Host struct {
	opts     Options
	selfOnce gosync.Once
	self     string
	selfSum  []byte
	selfErr  error

	limitsMu gosync.Mutex
	limits   map[string]*Limiter
}

// New returns a Host.
func New(opts Options) *Host {
	if opts.CallTimeout == 0 {
		opts.CallTimeout = 30 * time.Second
	}
	if opts.IdleTimeout == 0 {
		opts.IdleTimeout = 5 * time.Minute
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 20 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Host{opts: opts, limits: map[string]*Limiter{}}
}

// DefaultDirs is the plugin folder next to the running binary, then the
// folders in PULSE_PLUGIN_DIR (a path list).
func DefaultDirs() []string {
	var dirs []string
	if env := os.Getenv("PULSE_PLUGIN_DIR"); env != "" {
		dirs = append(dirs, filepath.SplitList(env)...)
	}
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Join(filepath.Dir(exe), "plugins"))
	}
	return dirs
}

// List returns every connector the host can find, by name.
func (h *Host) List() ([]Plugin, error) {
	byName := map[string]Plugin{}
	for _, dir := range h.opts.Dirs {
		found, err := scanDir(dir)
		if err != nil {
			return nil, err
		}
		for _, p := range found {
			if _, ok := byName[p.Name]; !ok {
				byName[p.Name] = p
			}
		}
	}
	for _, name := range h.opts.Builtins {
		if _, ok := byName[name]; ok {
			continue
		}
		p, err := h.builtin(name)
		if err != nil {
			return nil, err
		}
		byName[name] = p
	}
	out := make([]Plugin, 0, len(byName))
	for _, p := range byName {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Find returns the connector called name.
func (h *Host) Find(name string) (Plugin, error) {
	all, err := h.List()
	if err != nil {
		return Plugin{}, err
	}
	for _, p := range all {
		if p.Name == name {
			return p, nil
		}
	}
	return Plugin{}, fmt.Errorf("%w: %q (looked in %s and the built-ins %s)", ErrNotFound, name,
		strings.Join(h.opts.Dirs, ", "), strings.Join(h.opts.Builtins, ", "))
}

// ListedPath describes a plugin binary given by path that its folder's
// SHA256SUMS lists: launched, it must match the checksum listed there. A
// binary no SHA256SUMS lists gives an error wrapping ErrUntrusted.
func ListedPath(path string) (Plugin, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Plugin{}, fmt.Errorf("host: %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return Plugin{}, fmt.Errorf("host: %w", err)
	}
	sums, err := ReadSums(filepath.Dir(abs))
	if err != nil {
		return Plugin{}, err
	}
	sum, ok := sums[filepath.Base(abs)]
	if !ok {
		return Plugin{}, fmt.Errorf("%w: %s is not listed in %s", ErrUntrusted, abs, filepath.Join(filepath.Dir(abs), SumsFile))
	}
	name := strings.TrimPrefix(filepath.Base(abs), BinaryPrefix)
	return Plugin{Name: name, Path: abs, SHA256: sum}, nil
}

func (h *Host) builtin(name string) (Plugin, error) {
	h.selfOnce.Do(func() {
		h.self, h.selfErr = os.Executable()
		if h.selfErr == nil {
			h.selfSum, h.selfErr = launch.FileSHA256(h.self)
		}
	})
	if h.selfErr != nil {
		return Plugin{}, fmt.Errorf("host: built-in connector %s: %w", name, h.selfErr)
	}
	return Plugin{Name: name, Path: h.self, Args: h.opts.BuiltinArgs(name), SHA256: h.selfSum, Builtin: true}, nil
}

func scanDir(dir string) ([]Plugin, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("host: read plugin folder: %w", err)
	}
	sums, err := ReadSums(dir)
	if err != nil {
		return nil, err
	}
	var out []Plugin
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), BinaryPrefix) {
			continue
		}
		out = append(out, Plugin{
			Name:   strings.TrimPrefix(e.Name(), BinaryPrefix),
			Path:   filepath.Join(dir, e.Name()),
			SHA256: sums[e.Name()],
		})
	}
	return out, nil
}

// ReadSums reads a folder's SHA256SUMS; a missing file lists nothing.
func ReadSums(dir string) (map[string][]byte, error) {
	f, err := os.Open(filepath.Join(dir, SumsFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[string][]byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	defer f.Close()
	sums := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		hexSum, file, ok := strings.Cut(text, " ")
		sum, err := hex.DecodeString(hexSum)
		if !ok || err != nil || len(sum) != sha256.Size {
			return nil, fmt.Errorf("host: %s line %d: want \"<sha256 hex>  <file>\"", filepath.Join(dir, SumsFile), line)
		}
		sums[strings.TrimPrefix(strings.TrimSpace(file), "*")] = sum
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("host: read %s: %w", SumsFile, err)
	}
	return sums, nil
}

// Install copies a plugin binary into dir as pulse-connector-NAME and
// records its checksum in the folder's SHA256SUMS, replacing any previous
// entry of that name.
func Install(dir, name, binary string) (Plugin, error) {
	if name == "" || strings.ContainsAny(name, `/\ `) {
		return Plugin{}, fmt.Errorf("host: install: invalid connector name %q", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Plugin{}, fmt.Errorf("host: install: %w", err)
	}
	src, err := os.Open(binary)
	if err != nil {
		return Plugin{}, fmt.Errorf("host: install: %w", err)
	}
	defer src.Close()
	file := BinaryPrefix + name
	dst := filepath.Join(dir, file)
	tmp, err := os.CreateTemp(dir, "."+file+".*")
	if err != nil {
		return Plugin{}, fmt.Errorf("host: install: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(tmp, h), src); err != nil {
		tmp.Close()
		return Plugin{}, fmt.Errorf("host: install: copy: %w", err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return Plugin{}, fmt.Errorf("host: install: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Plugin{}, fmt.Errorf("host: install: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Plugin{}, fmt.Errorf("host: install: %w", err)
	}
	sums, err := ReadSums(dir)
	if err != nil {
		return Plugin{}, err
	}
	sum := h.Sum(nil)
	sums[file] = sum
	if err := writeSums(dir, sums); err != nil {
		return Plugin{}, err
	}
	return Plugin{Name: name, Path: dst, SHA256: sum}, nil
}

func writeSums(dir string, sums map[string][]byte) error {
	names := make([]string, 0, len(sums))
	for n := range sums {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%x  %s\n", sums[n], n)
	}
	if err := os.WriteFile(filepath.Join(dir, SumsFile), []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("host: write %s: %w", SumsFile, err)
	}
	return nil
}

// Launch verifies and starts the named connector.
func (h *Host) Launch(ctx context.Context, name string) (*Conn, error) {
	p, err := h.Find(name)
	if err != nil {
		return nil, err
	}
	return h.LaunchPlugin(ctx, p)
}

// LaunchPlugin verifies and starts p. A binary with no trusted checksum, or
// whose checksum differs, is refused without being run.
func (h *Host) LaunchPlugin(ctx context.Context, p Plugin) (*Conn, error) {
	if p.SHA256 == nil {
		return nil, fmt.Errorf("%w: %s is not listed in %s; install it with `pulse connector install %s`",
			ErrUntrusted, p.Path, SumsFile, p.Path)
	}
	c, err := launch.Start(ctx, p, launch.Options{
		CallTimeout: h.opts.CallTimeout, IdleTimeout: h.opts.IdleTimeout, StartTimeout: h.opts.StartTimeout,
		Logger: h.opts.Logger, OnCrash: h.opts.OnCrash,
	})
	if errors.Is(err, launch.ErrChecksum) {
		return nil, fmt.Errorf("%w: %s does not match its checksum in %s (was the binary replaced after it was installed?)",
			ErrUntrusted, p.Path, SumsFile)
	}
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	if h.opts.OnLaunch != nil {
		h.opts.OnLaunch(p)
	}
	return c, nil
}
