// Package domain is Pulse's model of customers and the teams around them:
// accounts, teammates and their account teams, contacts, activities
// (touches), deals, subscription items, tickets and survey responses, plus
// the configured sources that feed them. Entities carry provenance (which
// source last wrote them, under which external id, when) and the rules a
// record must satisfy before it is stored.
//
// The package does not import an ORM: the structs carry gorm tags for the
// store, and the API layer can use them without depending on gorm.
package domain
