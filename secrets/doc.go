// Package secrets seals connector credentials with AES-256-GCM before they
// are stored, under a key from PULSE_SECRET_KEY or, failing that, one
// generated once and kept in Pulse's data folder.
package secrets
