// Package csv is the "csv" connector: it imports a folder of CSV exports,
// one file per canonical entity (accounts.csv, people.csv, activities.csv,
// ...), one stream per file.
//
// The file and column names are a public contract: users produce these files
// by hand or from spreadsheets. Columns are matched by header name, ignoring
// case and order; columns with no canonical place land in the record's custom
// map. A row that cannot become a record is reported with its file, line and
// column and the import goes on, so the user can fix every problem in one
// pass. A file is re-read only when its SHA-256 changed, and an interrupted
// read resumes at the line after its last checkpoint.
package csv
