// Package salesforce is the "salesforce" connector: it reads a Salesforce
// org through the REST API's SOQL endpoints — Users, Accounts (and their
// owners), Contacts, Opportunities, Tasks, Events and Cases — into Pulse's
// canonical entities.
//
// Every stream reads incrementally on SystemModstamp with the record id
// as tie-break, through queryAll so that deleted records (IsDeleted) come
// back as tombstones; pages follow nextRecordsUrl, and each page ends with
// a checkpoint of its last (SystemModstamp, Id), from which a resumed read
// asks again. Custom fields (names ending in __c) are found by describing
// each object and land in a record's custom map; configured fields may
// instead give an account its tier, segment, renewal date, and links to
// the same company in other tools.
//
// An account's owner (OwnerId) is its account-team member in the sales
// role, with the account and the role as the membership's id
// ("001…|sales"): an account has one owner, so a new owner is the same
// membership with a new person and replaces the old one.
//
// Only real users (UserType 'Standard') are people: the system users every
// org has (Automated Process, Chatter Expert, integration users, sharing
// one noreply@ address) are nobody's teammate, and what they logged is kept
// with no author. A deactivated user (IsActive false) stays a person, with
// custom active: false, so their history keeps its author, but leaves the
// team of every account they own: on the next read, even though the
// accounts themselves did not change.
//
// Salesforce reports a spent daily API allowance with 403
// REQUEST_LIMIT_EXCEEDED and its usage in the Sforce-Limit-Info header;
// both pause the run rather than fail it.
package salesforce
