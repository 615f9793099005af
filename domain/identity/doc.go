// Package identity holds the rules that make one customer seen in several
// tools one account: the matching rules and their confidences, the
// suggestions made below the merge threshold, field precedence, and the
// audited, reversible manual merges and splits.
//
// Matching itself runs in the sync engine, set-based per batch; the keys
// it compares (normalised domain, name and email) are computed by the
// database functions identity_domain_key, identity_name_key and
// identity_email_key, so that lookups, indexes and existing rows agree.
package identity
