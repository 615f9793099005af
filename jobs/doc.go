// Package jobs runs Pulse's background work — syncs and rescoring — as River jobs in PostgreSQL.
package jobs
