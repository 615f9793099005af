// Package model holds the GraphQL API's own types: the scalars and enums,
// bound to the domain's types by marshalling functions so that resolvers
// hand domain values over unconverted, the timeline events, the
// connections, and the types gqlgen generates from the schema.
package model
