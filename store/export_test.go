package store

// ReadWindowsByTimeFrom makes measuring read a window by time from n
// targets sharing an instant, and returns what restores the threshold.
func ReadWindowsByTimeFrom(n int) (restore func()) {
	was := sharedInstantMin
	sharedInstantMin = n
	return func() { sharedInstantMin = was }
}
