package pgembed

// SystemDirGlobs lets tests replace the install locations searched after PATH,
// which on a machine with PostgreSQL would otherwise always succeed.
var SystemDirGlobs = &systemDirGlobs
