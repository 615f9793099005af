// Package csv is the "csv" connector: it imports a folder of CSV exports,
// one file per canonical entity (accounts.csv, people.csv, activities.csv,
// ...), one stream per file.
//
// The file and column names are a public contract: users produce these files
// by hand or from spreadsheets. Columns are matched by header name, ignoring
// case and order; columns with no canonical place land in the record's custom
// map. A row that cannot become a record is reported with its file, line and
// column and the import goes on, so the user can fix every problem in one
// pass. An id a file lists twice is taken from its first row: every later
// row of it is reported, naming the first's line, and not imported. A
// currency is upper-cased here and checked against ISO 4217 by the host,
// as every connector's are; the record carries the cell's place, so that
// the problem names file, line and column too. A file is re-read only when
// its SHA-256 changed, and an interrupted read resumes at the line after
// its last checkpoint.
//
// Each file is a full export. The checkpoint of a whole file keeps the ids
// of its rows, and a new version of the file tombstones the rows the
// previous version had and it lacks (sdk.Gone), before its first row. A
// new version that drops more than half of the previous rows (a file with
// a header and no rows, a truncated one) is refused: reported as an issue
// naming the file, imported not at all and not checkpointed, until the
// source's allow_mass_delete setting is true. A file absent from the
// folder is skipped, not taken as empty, and removes nothing.
package csv
