package model

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

func names[T ~string](v vocabulary[T]) []string {
	out := make([]string, 0, len(v.names))
	for _, n := range v.names {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// TestEnumsMatchTheDomain checks that every enum of the schema bound to a
// vocabulary names exactly the domain's values: gqlgen cannot see what the
// marshalling functions accept.
func TestEnumsMatchTheDomain(t *testing.T) {
	files, err := filepath.Glob("../schema/*.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, gqlErr := gqlparser.LoadSchema(sources...)
	if gqlErr != nil {
		t.Fatal(gqlErr)
	}
	bound := map[string][]string{
		"Tier": names(tiers), "Lifecycle": names(lifecycles), "Team": names(teams), "Role": names(roles),
		"ActivityKind": names(activityKinds), "Direction": names(directions),
		"TicketPriority": names(priorities), "TicketStatus": names(ticketStates),
		"DealStatus": names(dealStatuses), "DealKind": names(dealKinds), "BillingInterval": names(intervals),
		"SurveyKind": names(surveyKinds), "Touchpoint": names(touchpoints),
		"SyncRunStatus": names(runStatuses), "SyncIssueKind": names(issueKinds),
		"TimelineKind": names(timelineKinds), "AccountOrderField": names(accountOrderBys),
		"ContactOrderField": names(contactOrderBys), "TicketOrderField": names(ticketOrderBys),
		"DealOrderField": names(dealOrderBys), "SurveyOrderField": names(surveyOrderBys),
		"SyncRunOrderField": names(syncRunOrderBys), "IdentitySuggestionOrderField": names(suggestionOrderBys),
		"ApiKeyRole": names(apiKeyRoles),
	}
	// Enums gqlgen generates (type X string in models_gen.go) are checked
	// by the generated code; only those bound to a vocabulary need this.
	generated, err := os.ReadFile("models_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range schema.Types {
		if def.Kind != ast.Enum || def.BuiltIn || def.Name == "SortDirection" ||
			strings.Contains(string(generated), "\ntype "+def.Name+" string\n") {
			continue
		}
		want, ok := bound[def.Name]
		if !ok {
			t.Errorf("enum %s has no vocabulary", def.Name)
			continue
		}
		var got []string
		for _, v := range def.EnumValues {
			got = append(got, v.Name)
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("enum %s (-domain +schema):\n%s", def.Name, diff)
		}
	}
}
