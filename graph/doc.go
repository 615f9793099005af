// Package graph is Pulse's GraphQL API: the schema in schema/*.graphqls,
// its resolvers, the dataloaders that keep a page of accounts to a handful
// of SQL statements, the mapping of domain errors to extensions.code, and
// the HTTP handler that serves it all with GraphiQL.
//
// The package does not know the database: it reads through the Backend,
// SourceService and SyncRunner interfaces, which the store, sources and
// sync packages implement, and a test keeps it free of gorm.
package graph
