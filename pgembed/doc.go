// Package pgembed runs a PostgreSQL server from the machine's own PostgreSQL
// binaries (initdb, pg_ctl, postgres), so Pulse works without a separately
// managed database: `pulse serve` uses it when no DATABASE_URL is given, and
// tests use it when no server is reachable.
//
// The cluster lives inside a folder Pulse owns (Options.DataDir):
//
//	DataDir/pg        the PostgreSQL cluster (pg/pulse.conf holds Pulse's settings, including the port)
//	DataDir/pg.log    the server log
//	DataDir/pg.lock   serialises Start and Stop across processes
//	DataDir/pg.owner  pid of the process that started the server and will stop it
//
// The server listens only on 127.0.0.1 over TCP, with trust authentication
// for the superuser postgres, and has a database named pulse. Unix sockets are
// disabled because their default directory needs root to create and their
// path length limit is easily exceeded by data directories.
//
// Several processes may share one DataDir: the first Start launches the
// server, later ones attach to it and their Stop does nothing. If the owning
// process dies without stopping the server, the next Start adopts it.
//
// PostgreSQL refuses to run as root, so when the caller is root the server
// runs as the OS user postgres (or nobody when that does not exist), and the
// cluster is owned by that user.
package pgembed
