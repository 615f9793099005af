// Package testdb gives each test its own empty PostgreSQL database.
//
// Packages using it call Main from TestMain, then New in each test:
//
//	func TestMain(m *testing.M) { testdb.Main(m) }
//
//	func TestSomething(t *testing.T) {
//		url := testdb.New(t) // dropped when the test ends
//		...
//	}
//
// The server is chosen once per test binary: the one named by
// PULSE_TEST_DATABASE_URL (a postgres:// URL whose user may create and drop
// databases); else the conventional local server at 127.0.0.1:5432 (user
// postgres, database test or postgres); else a server started with pgembed
// in a temporary directory, stopped and removed by Main when the tests end.
//
// Databases are named pulse_t_<pid>_<counter>_<random> and carry a comment
// naming this host, so that the first New of a later test binary can drop
// the ones left by test binaries on this host that died before their cleanup
// ran. Embedded servers left by such binaries are stopped and removed the
// same way. Many test binaries may share one server at once.
//
// Migrations are not applied: the database is empty.
package testdb
