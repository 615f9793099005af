package sdk

import (
	"fmt"
	"slices"
)

// MassDeleteShare is the share of a previous export's records that a new
// export may drop at most before Gone refuses it: dropping more than half
// looks like an empty or truncated file rather than real deletions.
const MassDeleteShare = 0.5

// MassDeleteError is a new full export that would remove more than
// MassDeleteShare of the previous one's records.
type MassDeleteError struct {
	// Previous and Current count the ids of the two exports, Removed those
	// of the previous one that the new one lacks.
	Previous, Current, Removed int
}

func (e *MassDeleteError) Error() string {
	return fmt.Sprintf("the export has %d records and would remove %d of the previous export's %d, more than half of them; "+
		"it looks empty or truncated, so nothing of it was imported: fix the export, or set allow_mass_delete=true on the source to remove them",
		e.Current, e.Removed, e.Previous)
}

// Gone compares a full export with the previous one, both given as the
// external ids they hold: it returns, sorted, the ids that the previous
// export had and the new one lacks, whose records a connector tombstones
// since a full export lists everything that exists. When they are more
// than MassDeleteShare of the previous ids, and allowMass is false, it
// returns them with a *MassDeleteError instead: the connector reports it
// and imports nothing of that export. A connector with no previous export
// to compare with (previous nil) removes nothing.
func Gone(previous, current []string, allowMass bool) ([]string, error) {
	have := make(map[string]bool, len(current))
	for _, id := range current {
		have[id] = true
	}
	var gone []string
	seen := make(map[string]bool, len(previous))
	for _, id := range previous {
		if !have[id] && !seen[id] {
			gone = append(gone, id)
		}
		seen[id] = true
	}
	slices.Sort(gone)
	if !allowMass && float64(len(gone)) > MassDeleteShare*float64(len(seen)) {
		return gone, &MassDeleteError{Previous: len(seen), Current: len(have), Removed: len(gone)}
	}
	return gone, nil
}
