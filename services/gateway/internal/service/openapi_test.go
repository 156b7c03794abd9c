package service_test

import (
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/orderflow/orderflow/pkg/platform/contract/contracttest"
	"github.com/orderflow/orderflow/pkg/platform/daprtest"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/subscriptions"
	"github.com/orderflow/orderflow/services/gateway/contract"
)

// operational routes are served by every service and are not part of the API document.
var operational = []string{"/healthz", "/readyz", "/metrics", "/openapi.yaml"}

type openAPIDoc struct {
	OpenAPI    string                                 `yaml:"openapi"`
	Paths      map[string]map[string]openAPIOperation `yaml:"paths"`
	Components struct {
		SecuritySchemes map[string]any `yaml:"securitySchemes"`
	} `yaml:"components"`
}

type openAPIOperation struct {
	OperationID string                `yaml:"operationId"`
	Security    []map[string][]string `yaml:"security"`
	Parameters  []map[string]any      `yaml:"parameters"`
	Responses   map[string]any        `yaml:"responses"`
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// pathParam matches an OpenAPI path parameter such as {id}.
var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

func loadOpenAPI(t *testing.T) openAPIDoc {
	t.Helper()
	var doc openAPIDoc
	require.NoError(t, yaml.Unmarshal(contract.OpenAPI, &doc))
	return doc
}

// documented returns "METHOD /path/:param" for every operation of the document.
func documented(doc openAPIDoc) []string {
	var out []string
	for path, item := range doc.Paths {
		echoPath := pathParam.ReplaceAllString(path, ":$1")
		for method := range item {
			if slices.Contains(httpMethods, method) {
				out = append(out, strings.ToUpper(method)+" "+echoPath)
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	g := newGateway(t, setup{})
	var served []string
	for _, r := range g.srv.Echo.Routes() {
		if slices.Contains(operational, r.Path) {
			continue
		}
		served = append(served, r.Method+" "+r.Path)
	}
	sort.Strings(served)
	served = slices.Compact(served)

	doc := loadOpenAPI(t)
	docs := documented(doc)

	for _, r := range served {
		assert.Contains(t, docs, r, "route served but missing from contract/openapi.yaml")
	}
	for _, r := range docs {
		assert.Contains(t, served, r, "route documented in contract/openapi.yaml but not served")
	}
	var fromContract []string
	for _, r := range contract.Spec.Routes {
		fromContract = append(fromContract, r.String())
	}
	sort.Strings(fromContract)
	assert.Equal(t, fromContract, served, "contract.Spec.Routes lists exactly the served routes")
	require.NoError(t, contracttest.CheckServed(contract.Spec, g.srv.Echo.Routes(), nil), "no event router: the gateway consumes nothing")
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	assert.True(t, strings.HasPrefix(doc.OpenAPI, "3.1."), "OpenAPI 3.1, got %q", doc.OpenAPI)
	assert.Contains(t, doc.Components.SecuritySchemes, "apiKey")
	assert.Contains(t, doc.Components.SecuritySchemes, "adminApiKey")

	ids := map[string]bool{}
	for _, r := range contract.Spec.Routes {
		path := regexp.MustCompile(`:(\w+)`).ReplaceAllString(r.Path, "{$1}")
		op, ok := doc.Paths[path][strings.ToLower(r.Method)]
		require.True(t, ok, "%s %s", r.Method, path)
		name := r.Method + " " + path
		assert.NotEmpty(t, op.OperationID, name)
		assert.False(t, ids[op.OperationID], "duplicate operationId %s", op.OperationID)
		ids[op.OperationID] = true
		assert.Contains(t, op.Responses, "401", name)
		assert.Contains(t, op.Responses, "429", name)
		assert.Contains(t, op.Responses, "503", name)
		if contract.IsAdmin(r) {
			assert.Equal(t, []map[string][]string{{"adminApiKey": {}}}, op.Security, "%s needs the admin key", name)
			assert.Contains(t, op.Responses, "403", name)
		} else {
			assert.Empty(t, op.Security, "%s uses the document's default apiKey security", name)
		}
		// Every {param} of the path is declared (directly or by $ref).
		for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
			assert.NotEmpty(t, op.Parameters, "%s declares %s", name, m[0])
		}
	}
}

// TestOpenAPIReferencesResolve checks that every $ref points at a component that exists.
func TestOpenAPIReferencesResolve(t *testing.T) {
	var root map[string]any
	require.NoError(t, yaml.Unmarshal(contract.OpenAPI, &root))
	var refs []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				if k == "$ref" {
					refs = append(refs, child.(string))
					continue
				}
				walk(child)
			}
		case []any:
			for _, child := range x {
				walk(child)
			}
		}
	}
	walk(root)
	require.NotEmpty(t, refs)
	for _, ref := range refs {
		require.True(t, strings.HasPrefix(ref, "#/"), "local refs only: %s", ref)
		var node any = root
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			m, ok := node.(map[string]any)
			require.True(t, ok, "%s: %s is not an object", ref, part)
			node, ok = m[part]
			require.True(t, ok, "%s does not resolve (%s missing)", ref, part)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	g := newGateway(t, setup{})

	rec := g.do(request{method: http.MethodGet, path: "/openapi.yaml"})

	require.Equal(t, http.StatusOK, rec.Code, "served without an API key")
	assert.Equal(t, "application/yaml", rec.Header().Get("Content-Type"))
	assert.Equal(t, contract.OpenAPI, rec.Body.Bytes())
}

// TestNoSubscriptions: the gateway consumes no topic, so no subscription may route to it.
func TestNoSubscriptions(t *testing.T) {
	subs, err := subscriptions.Load(daprtest.DaprPath(t, "subscriptions"))
	require.NoError(t, err)
	require.NotEmpty(t, subs)

	assert.Empty(t, subscriptions.ForApp(subs, contract.AppID), "no subscription is scoped to (or unscoped towards) the gateway")
	assert.Empty(t, contract.Spec.Consumes)
	assert.Empty(t, contract.Spec.DeadLetterTopics)
	assert.Empty(t, contract.Spec.Publishes)
	assert.Empty(t, contract.Spec.EventRoutes)
}
