package graph

// Resolver resolves the schema's fields; gqlgen generates the per-type
// resolvers around it in *.resolvers.go.
type Resolver struct {
	backend Backend
	sources SourceService
	syncs   SyncRunner
	// The reports of the answers; each may be nil, and its fields then
	// answer INTERNAL.
	revenue    RevenueReports
	engagement EngagementReports
	health     HealthService
	identity   IdentityService
	apiKeys    APIKeyService
	// events feeds the subscriptions; nil answers them INTERNAL.
	events Events
}
