package graph

//go:generate go run github.com/99designs/gqlgen@v0.17.94 generate

// The merged schema for code generators; TestSchemaFileIsFresh fails when
// it is stale.
//go:generate sh -c "go run ../cmd/pulse schema > schema.graphql"
