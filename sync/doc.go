// Package sync runs a source's connector and stores what it reads: batches
// are validated, their references resolved to Pulse ids, upserted in bulk
// keyed on (source, external id), and committed in one transaction with the
// checkpoint that covers them. A run killed at any point resumes from the
// last committed checkpoint and ends with the same data as a clean run.
//
// Records that break a rule of the model are rejected and listed on the run;
// records whose references do not resolve yet are kept aside and retried at
// the end of every later run.
package sync
