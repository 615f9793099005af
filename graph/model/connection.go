package model

import (
	"context"
	"errors"
)

// Total counts a connection's rows over every page. It runs only when
// totalCount is asked for: the resolver that builds the connection sets
// Count, which knows the list's filter and owner.
type Total struct {
	Count func(context.Context) (int, error)
}

// TotalCount answers the connection's totalCount.
func (t Total) TotalCount(ctx context.Context) (int, error) {
	if t.Count == nil {
		return 0, errors.New("model: a connection without a count")
	}
	return t.Count(ctx)
}

// The connections with a totalCount; their edges are gqlgen's.
type (
	AccountConnection struct {
		Edges    []AccountEdge
		PageInfo PageInfo
		Total
	}
	ContactConnection struct {
		Edges    []ContactEdge
		PageInfo PageInfo
		Total
	}
	TicketConnection struct {
		Edges    []TicketEdge
		PageInfo PageInfo
		Total
	}
	DealConnection struct {
		Edges    []DealEdge
		PageInfo PageInfo
		Total
	}
	SurveyResponseConnection struct {
		Edges    []SurveyResponseEdge
		PageInfo PageInfo
		Total
	}
	SyncRunConnection struct {
		Edges    []SyncRunEdge
		PageInfo PageInfo
		Total
	}
	IdentitySuggestionConnection struct {
		Edges    []IdentitySuggestionEdge
		PageInfo PageInfo
		Total
	}
)

// Node is any object with a global id: node(id) answers one of the
// domain's records or of the API's own types. It is empty because the
// domain's types, bound to the schema's, cannot carry a marker method; the
// schema says which types implement it, and gqlgen's type switch which Go
// types those are.
type Node any
