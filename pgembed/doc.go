// Package pgembed runs a PostgreSQL server from the machine's own PostgreSQL
// binaries (initdb, pg_ctl, postgres), so Pulse works without a separately
// managed database: `pulse serve` uses it when no DATABASE_URL is given, and
// tests use it when no server is reachable.
//
// The cluster lives inside a folder Pulse owns (Options.DataDir):
//
//	DataDir/pg        the PostgreSQL cluster (pg/pulse.conf holds Pulse's settings, including the port)
//	DataDir/pg.log    the server log
//	DataDir/pg.lock   serialises Start, Stop and restarts across processes
//	DataDir/pg.owner  says Pulse started the server (with the pid that did), so Pulse stops it
//	DataDir/pg.users  one file per user of the server, locked while it uses it
//
// The server listens only on 127.0.0.1 over TCP, with trust authentication
// for the superuser postgres, and has a database named pulse. Unix sockets are
// disabled because their default directory needs root to create and their
// path length limit is easily exceeded by data directories.
//
// Several processes may share one DataDir: the first Start launches the
// server, later ones attach to it, and each Server is a user of it until its
// Stop. The server keeps running while it has users, and the Stop of the
// last one stops it, whichever started it. A user holds a flock on its own
// file in pg.users, which the kernel drops when its process dies, even by
// SIGKILL; so a user that crashed is no longer counted, and if every user
// died, the next Start attaches and its Stop stops the server. Start, Stop
// and KeepRunning's restarts each hold pg.lock, so that a last user stopping
// and a new one attaching never overlap. A server started outside Pulse (no
// pg.owner) is used but never stopped.
//
// A long-running user calls KeepRunning, which starts the server again on
// the same port when it finds it gone: stopped by an administrator, or
// killed.
//
// PostgreSQL refuses to run as root, so when the caller is root the server
// runs as the OS user postgres (or nobody when that does not exist), and the
// cluster is owned by that user.
package pgembed
