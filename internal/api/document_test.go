package api

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/acme/backorders/internal/contract"
	"github.com/acme/backorders/internal/operations"
)

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(Document)
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()), "openapi.json is a valid OpenAPI 3 document")
	return doc
}

// The document and the routes describe the same API: every documented
// operation is routed with the scope (x-scope) and Idempotency-Key it
// documents, and every route is documented.
func TestDocumentMatchesRoutes(t *testing.T) {
	doc := loadDocument(t)
	require.Len(t, doc.Servers, 1)
	assert.Equal(t, Prefix, doc.Servers[0].URL)

	routed := map[string]route{}
	for _, rt := range (&api{}).routes() {
		routed[rt.method+" "+rt.path] = rt
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			documented[key] = true
			rt, ok := routed[key]
			if !assert.True(t, ok, "%s is documented but not routed", key) {
				continue
			}
			assert.Equal(t, string(rt.scope), op.Extensions["x-scope"], "%s: x-scope", key)
			assert.Contains(t, op.Description, "Scope: `"+string(rt.scope)+"`", "%s: the description names the scope", key)
			takesKey := slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool {
				return p.Value.In == openapi3.ParameterInHeader && p.Value.Name == IdempotencyKeyHeader
			})
			assert.Equal(t, rt.idempotent, takesKey, "%s: takes an Idempotency-Key", key)
			for _, status := range []string{"401", "403"} {
				assert.NotNil(t, op.Responses.Value(status), "%s documents %s", key, status)
			}
		}
	}
	for key := range routed {
		assert.True(t, documented[key], "%s is routed but not documented", key)
	}
}

// Each schema the API answers with or reads names exactly the JSON fields
// of the Go type behind it, so the document cannot drift from what is
// sent, including the status query's state, which lives in contract.
func TestDocumentSchemasMatchTheirTypes(t *testing.T) {
	doc := loadDocument(t)
	for name, v := range map[string]any{
		"BackorderState": contract.BackorderState{},
		"TaskState":      contract.TaskState{},
		"Backorder":      operations.BackorderView{},
		"BackorderList":  backorderList{},
		"Task":           taskView{},
		"TaskList":       taskList{},
		"TaskCompletion": taskCompletion{},
		"TaskCompleted":  taskCompleted{},
		"OrderView":      orderView{},
		"StatusChange":   statusChange{},
		"OrderClosed":    orderClosed{},
		"ImportSummary":  importSummary{},
		"Problem":        Problem{},
	} {
		schema := doc.Components.Schemas[name]
		if !assert.NotNil(t, schema, name) {
			continue
		}
		assert.ElementsMatch(t, jsonFields(reflect.TypeOf(v)), slices.Collect(maps.Keys(schema.Value.Properties)), "schema %s", name)
	}
	errSchema := doc.Components.Schemas["Error"].Value.Properties["error"].Value
	assert.ElementsMatch(t, jsonFields(reflect.TypeOf(Error{})), slices.Collect(maps.Keys(errSchema.Properties)), "schema Error")
}

func jsonFields(typ reflect.Type) []string {
	var names []string
	for f := range typ.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.Anonymous {
			names = append(names, jsonFields(f.Type)...)
			continue
		}
		if name != "-" && f.IsExported() {
			names = append(names, name)
		}
	}
	return names
}
