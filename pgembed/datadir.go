package pgembed

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultDataDir returns the folder Pulse keeps its data in: $PULSE_DATA_DIR
// if set; /var/lib/pulse for root, because the unprivileged user the server
// runs as cannot traverse /root; otherwise $XDG_DATA_HOME/pulse or
// ~/.local/share/pulse.
func DefaultDataDir() (string, error) {
	if dir := os.Getenv("PULSE_DATA_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	if os.Geteuid() == 0 {
		return "/var/lib/pulse", nil
	}
	// The XDG spec says relative values are invalid and must be ignored.
	if xdg := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(xdg) {
		return filepath.Join(xdg, "pulse"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("pgembed: no data directory: set PULSE_DATA_DIR: %w", err)
	}
	return filepath.Join(home, ".local", "share", "pulse"), nil
}
