// Package hubspot is the "hubspot" connector: it reads a HubSpot portal
// through the CRM v3 API — owners, companies and their owners, contacts,
// deals, emails, calls, meetings, notes, tickets and feedback submissions
// — into Pulse's canonical entities. It authenticates with a private
// app's access token (Bearer), and reads the portal's time zone and
// currency once per read (GET /account-info/v3/details).
//
// # Reading changes
//
// Every object stream reads incrementally through the CRM search API
// (POST /crm/v3/objects/{type}/search), filtered on its last-modified
// property (hs_lastmodifieddate; lastmodifieddate for contacts) and sorted
// on it. The search API allows one sort and will not page past 10,000
// results, so the reader never pages with `after`: it re-anchors after
// every page. It commits the records of a page older than the page's last
// timestamp, checkpoints that timestamp and asks again for what came
// after it. When a whole page shares one timestamp it walks that
// timestamp by hs_object_id instead, checkpointing (timestamp, id).
// Re-anchoring also keeps a record modified mid-read from shifting later
// pages, which offset paging of a changing result set would do. Records
// are emitted in (timestamp, id) order, since HubSpot orders ties in no
// documented way, so a resumed read asks again from its checkpoint and
// emits exactly what followed it. Reads stop two minutes short of the
// present, which HubSpot's search index may not show yet.
//
// After the changes, each stream lists the object's archived records
// (GET /crm/v3/objects/{type}?archived=true, paged by `after`) and sends a
// tombstone for every one archived since the previous listing began.
// Owners, which the owners API (GET /crm/v3/owners) cannot filter by
// change, are read whole every time: live ones as people, archived ones
// as tombstones, queues not at all.
//
// # Mapping
//
// An owner's team is that of their HubSpot teams (the primary first)
// that team_map names, by name or id, else default_team. A company's
// owner (hubspot_owner_id) becomes its account-team member in owner_role,
// with the company and the role as the membership's id, so that a new
// owner replaces the old one. Companies take their tier, segment,
// industry and renewal date from configurable properties, their
// lifecycle from lifecyclestage through lifecycle_map, and links to the
// same customer in other tools from link_properties (by default
// salesforceaccountid, stripe_customer_id, zendesk_organization_id and
// intercom_company_id). Deals take their stage's label and kind from the
// pipelines API (GET /crm/v3/pipelines/{type}) and deal_type_map, and are
// won or lost as hs_is_closed_won and hs_is_closed say; tickets take
// their status from their stage (ticket_status_map, else closed when the
// stage closes the ticket, new when it comes first, pending when it waits
// on the contact, else open). Engagements are touches of their owner's
// team; a meeting's hs_activity_type may make it a QBR or an onboarding
// session (meeting_type_map). NPS submissions keep their 0-10 score;
// HubSpot's CSAT answers (0, 1, 2) become 1, 3 and 5; other surveys are
// left out.
//
// Search results carry no associations: the company of a deal, ticket,
// engagement or submission comes from the v4 associations batch read
// (POST /crm/v4/associations/{from}/{to}/batch/read), its primary company
// first, and when it names only contacts, from those contacts'
// associatedcompanyid (POST /crm/v3/objects/contacts/batch/read). Pulse
// files every such record under an account, so one of no company is sent
// as a tombstone: a record that lost its company leaves the account it
// was filed under.
//
// Properties a portal added itself (not hubspotDefined, per the properties
// API, GET /crm/v3/properties/{type}) land in a record's custom map, typed
// as their definition says; Discover lists them per stream.
//
// # Limits and errors
//
// HubSpot's quota headers pace the client: X-HubSpot-RateLimit-Remaining
// over X-HubSpot-RateLimit-Interval-Milliseconds for the rolling window,
// X-HubSpot-RateLimit-Daily-Remaining for the day. Search answers carry
// none, so a search 429 is waited out by its Retry-After, or backed off.
// A spent daily quota (the header at zero, or a 429 whose policyName is
// DAILY) ends the read as a transient error paused until the next
// midnight in the portal's time zone. Errors are read from HubSpot's body
// ({status, message, correlationId, category}): a refused token or a
// missing scope names access_token, saying which scope to grant. Check
// tries the token on the account details and on each object type: a
// token that cannot read companies is an error, one that cannot read
// another object type a warning that its stream will fail.
package hubspot
