package pgembed

// SystemDirGlobs lets tests replace the install locations searched after PATH,
// which on a machine with PostgreSQL would otherwise always succeed.
var SystemDirGlobs = &systemDirGlobs

// ProcessAlive lets tests wait until a process they killed is gone as
// pgembed sees it (zombies count as gone).
var ProcessAlive = processAlive
