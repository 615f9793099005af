package model

import (
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/pulseproject/pulse/domain"
	"github.com/pulseproject/pulse/domain/identity"
)

// vocabulary is one of the domain's closed sets of values and the names of
// the GraphQL enum that carries it: each value in capitals.
type vocabulary[T ~string] struct {
	names  map[T]string
	values map[string]T
}

func newVocabulary[T ~string](values ...T) vocabulary[T] {
	v := vocabulary[T]{names: map[T]string{}, values: map[string]T{}}
	for _, x := range values {
		name := strings.ToUpper(string(x))
		v.names[x] = name
		v.values[name] = x
	}
	return v
}

// marshal writes x's enum name. A value outside the vocabulary, such as
// the empty string of a field a source left unset, reads as null.
func (v vocabulary[T]) marshal(x T) graphql.Marshaler {
	name, ok := v.names[x]
	if !ok {
		return graphql.Null
	}
	return graphql.MarshalString(name)
}

func (v vocabulary[T]) unmarshal(in any) (T, error) {
	name, _ := in.(string)
	x, ok := v.values[name]
	if !ok {
		return x, invalid("%v is not one of the enum's values", in)
	}
	return x, nil
}

var (
	tiers           = newVocabulary(domain.Tiers...)
	lifecycles      = newVocabulary(domain.Lifecycles...)
	teams           = newVocabulary(domain.Teams...)
	roles           = newVocabulary(domain.Roles...)
	activityKinds   = newVocabulary(domain.ActivityKind...)
	directions      = newVocabulary(domain.Directions...)
	priorities      = newVocabulary(domain.Priorities...)
	ticketStates    = newVocabulary(domain.TicketStates...)
	dealStatuses    = newVocabulary(domain.DealStatuses...)
	dealKinds       = newVocabulary(domain.DealKinds...)
	intervals       = newVocabulary(domain.Intervals...)
	surveyKinds     = newVocabulary(domain.SurveyKinds...)
	touchpoints     = newVocabulary(domain.Touchpoints...)
	runStatuses     = newVocabulary(domain.RunStatuses...)
	issueKinds      = newVocabulary(domain.IssueRejected, domain.IssueDeferred, domain.IssueSource, domain.IssueWarning)
	timelineKinds   = newVocabulary(domain.TimelineKinds...)
	accountOrderBys = newVocabulary(domain.SortByName, domain.SortByMRR, domain.SortByRenewalDate, domain.SortByLastTouch,
		domain.SortByCreatedAt, domain.SortByTier, domain.SortBySegment, domain.SortByHealthScore)
	contactOrderBys    = newVocabulary(domain.ContactByName, domain.ContactByEmail, domain.ContactByTitle)
	ticketOrderBys     = newVocabulary(domain.TicketByOpenedAt, domain.TicketByResolvedAt, domain.TicketByPriority)
	dealOrderBys       = newVocabulary(domain.DealByOccurredAt, domain.DealByClosedAt, domain.DealByAmount, domain.DealByName)
	surveyOrderBys     = newVocabulary(domain.SurveyByRespondedAt, domain.SurveyByScore)
	syncRunOrderBys    = newVocabulary(domain.SyncRunByStartedAt, domain.SyncRunByFinishedAt)
	suggestionOrderBys = newVocabulary(identity.SuggestionByCreatedAt, identity.SuggestionByConfidence)
	apiKeyRoles        = newVocabulary(domain.AccessLevels...)
)

// The functions below bind each GraphQL enum to the domain's values.

func MarshalTier(s string) graphql.Marshaler            { return tiers.marshal(s) }
func UnmarshalTier(v any) (string, error)               { return tiers.unmarshal(v) }
func MarshalLifecycle(s string) graphql.Marshaler       { return lifecycles.marshal(s) }
func UnmarshalLifecycle(v any) (string, error)          { return lifecycles.unmarshal(v) }
func MarshalTeam(s string) graphql.Marshaler            { return teams.marshal(s) }
func UnmarshalTeam(v any) (string, error)               { return teams.unmarshal(v) }
func MarshalRole(s string) graphql.Marshaler            { return roles.marshal(s) }
func UnmarshalRole(v any) (string, error)               { return roles.unmarshal(v) }
func MarshalActivityKind(s string) graphql.Marshaler    { return activityKinds.marshal(s) }
func UnmarshalActivityKind(v any) (string, error)       { return activityKinds.unmarshal(v) }
func MarshalDirection(s string) graphql.Marshaler       { return directions.marshal(s) }
func UnmarshalDirection(v any) (string, error)          { return directions.unmarshal(v) }
func MarshalTicketPriority(s string) graphql.Marshaler  { return priorities.marshal(s) }
func UnmarshalTicketPriority(v any) (string, error)     { return priorities.unmarshal(v) }
func MarshalTicketStatus(s string) graphql.Marshaler    { return ticketStates.marshal(s) }
func UnmarshalTicketStatus(v any) (string, error)       { return ticketStates.unmarshal(v) }
func MarshalDealStatus(s string) graphql.Marshaler      { return dealStatuses.marshal(s) }
func UnmarshalDealStatus(v any) (string, error)         { return dealStatuses.unmarshal(v) }
func MarshalDealKind(s string) graphql.Marshaler        { return dealKinds.marshal(s) }
func UnmarshalDealKind(v any) (string, error)           { return dealKinds.unmarshal(v) }
func MarshalBillingInterval(s string) graphql.Marshaler { return intervals.marshal(s) }
func UnmarshalBillingInterval(v any) (string, error)    { return intervals.unmarshal(v) }
func MarshalSurveyKind(s string) graphql.Marshaler      { return surveyKinds.marshal(s) }
func UnmarshalSurveyKind(v any) (string, error)         { return surveyKinds.unmarshal(v) }
func MarshalTouchpoint(s string) graphql.Marshaler      { return touchpoints.marshal(s) }
func UnmarshalTouchpoint(v any) (string, error)         { return touchpoints.unmarshal(v) }
func MarshalSyncRunStatus(s string) graphql.Marshaler   { return runStatuses.marshal(s) }
func UnmarshalSyncRunStatus(v any) (string, error)      { return runStatuses.unmarshal(v) }
func MarshalSyncIssueKind(s string) graphql.Marshaler   { return issueKinds.marshal(s) }
func UnmarshalSyncIssueKind(v any) (string, error)      { return issueKinds.unmarshal(v) }

func MarshalTimelineKind(k domain.TimelineKind) graphql.Marshaler { return timelineKinds.marshal(k) }
func UnmarshalTimelineKind(v any) (domain.TimelineKind, error)    { return timelineKinds.unmarshal(v) }

func MarshalAccountOrderField(s domain.AccountSort) graphql.Marshaler {
	return accountOrderBys.marshal(s)
}
func UnmarshalAccountOrderField(v any) (domain.AccountSort, error) {
	return accountOrderBys.unmarshal(v)
}

func MarshalContactOrderField(s domain.ContactSort) graphql.Marshaler {
	return contactOrderBys.marshal(s)
}
func UnmarshalContactOrderField(v any) (domain.ContactSort, error) {
	return contactOrderBys.unmarshal(v)
}

func MarshalTicketOrderField(s domain.TicketSort) graphql.Marshaler {
	return ticketOrderBys.marshal(s)
}
func UnmarshalTicketOrderField(v any) (domain.TicketSort, error) {
	return ticketOrderBys.unmarshal(v)
}

func MarshalDealOrderField(s domain.DealSort) graphql.Marshaler { return dealOrderBys.marshal(s) }
func UnmarshalDealOrderField(v any) (domain.DealSort, error)    { return dealOrderBys.unmarshal(v) }

func MarshalSurveyOrderField(s domain.SurveySort) graphql.Marshaler {
	return surveyOrderBys.marshal(s)
}
func UnmarshalSurveyOrderField(v any) (domain.SurveySort, error) {
	return surveyOrderBys.unmarshal(v)
}

func MarshalSyncRunOrderField(s domain.SyncRunSort) graphql.Marshaler {
	return syncRunOrderBys.marshal(s)
}
func UnmarshalSyncRunOrderField(v any) (domain.SyncRunSort, error) {
	return syncRunOrderBys.unmarshal(v)
}

func MarshalIdentitySuggestionOrderField(s identity.SuggestionSort) graphql.Marshaler {
	return suggestionOrderBys.marshal(s)
}
func UnmarshalIdentitySuggestionOrderField(v any) (identity.SuggestionSort, error) {
	return suggestionOrderBys.unmarshal(v)
}

func MarshalApiKeyRole(a domain.Access) graphql.Marshaler { return apiKeyRoles.marshal(a) }
func UnmarshalApiKeyRole(v any) (domain.Access, error)    { return apiKeyRoles.unmarshal(v) }
