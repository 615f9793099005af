// Package store keeps Pulse's model in PostgreSQL: it opens the database,
// applies the versioned SQL migrations embedded in the binary, and offers
// the queries the rest of Pulse needs behind plain Go types, so that the API
// layer never touches the ORM.
package store
