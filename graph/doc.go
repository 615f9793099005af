// Package graph is Pulse's GraphQL API: the schema in schema/*.graphqls,
// its resolvers, the dataloaders that keep a page of accounts to a handful
// of SQL statements, the mapping of domain errors to extensions.code, and
// the HTTP handler that serves it all with GraphiQL.
//
// Every list is a Relay connection paged both ways in keyset order
// (cursor.go, lists.go), and every object with an id is a Node that
// node(id) fetches by its id alone (node.go); who may resolve what is said
// in one place, access.go.
//
// The package does not know the database: it reads through the Backend,
// SourceService, SyncRunner and service interfaces (health, identity,
// reports, API keys), which the store, sources and sync packages
// implement, and a test keeps it free of gorm.
package graph
