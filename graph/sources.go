package graph

import (
	"context"

	"github.com/google/uuid"

	"github.com/pulseproject/pulse/domain"
)

// sourceOf loads the source a record came from; nil when it has none or
// the source is gone.
func sourceOf(ctx context.Context, id *uuid.UUID) (*domain.Source, error) {
	if id == nil {
		return nil, nil
	}
	return requestOf(ctx).source.Load(ctx, *id)
}
