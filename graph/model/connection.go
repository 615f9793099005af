package model

import "github.com/pulseproject/pulse/domain"

// AccountConnection is a page of accounts. It keeps the filter it was read
// with so that totalCount, a count over every page, runs only when asked
// for.
type AccountConnection struct {
	Edges    []AccountEdge
	PageInfo PageInfo
	Filter   domain.AccountFilter
}
