package events_test

import (
	"encoding/json"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
)

func TestSchema(t *testing.T) {
	for _, typ := range events.Types() {
		t.Run(typ, func(t *testing.T) {
			b, err := events.Schema(typ, events.SchemaVersion)
			require.NoError(t, err)
			fromFS, err := fs.ReadFile(events.SchemaFS(), typ+".v1.json")
			require.NoError(t, err)
			assert.Equal(t, fromFS, b)
			assert.True(t, json.Valid(b))
		})
	}

	tests := []struct {
		name      string
		eventType string
		version   int
	}{
		{"unknown type", "order.deleted", 1},
		{"empty type", "", 1},
		{"unknown version", events.TypeOrderCreated, 99},
		{"version zero", events.TypeOrderCreated, 0},
		{"negative version", events.TypeOrderCreated, -1},
		{"path traversal", "../schemas/order.created", 1},
		{"subdirectory", "schemas/order.created", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := events.Schema(tt.eventType, tt.version)
			assert.Nil(t, b)
			assert.ErrorIs(t, err, fs.ErrNotExist)
		})
	}
}

func TestSchemaFS(t *testing.T) {
	names, err := fs.Glob(events.SchemaFS(), "*")
	require.NoError(t, err)
	known := map[string]bool{}
	for _, typ := range events.Types() {
		known[typ] = true
	}
	for _, name := range names {
		m := sampleName.FindStringSubmatch(name)
		require.NotNil(t, m, name)
		assert.Empty(t, m[3], "%s: schema file names have no variant", name)
		assert.True(t, known[m[1]], "%s: unknown event type", name)
	}
	for _, typ := range events.Types() {
		assert.Contains(t, names, typ+".v1.json")
	}
}

// Every schema compiles as draft 2020-12 and follows the conventions of the package.
func TestSchemaConventions(t *testing.T) {
	compiledSchemas(t) // compiles, including every $ref
	names, err := fs.Glob(events.SchemaFS(), "*.json")
	require.NoError(t, err)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := readSchema(t, name)
			assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
			assert.Equal(t, schemaBaseURL+name, s["$id"])
			assert.Equal(t, "object", s["type"])
			assert.NotEmpty(t, s["title"])
			assert.NotEmpty(t, s["description"])
			assert.Contains(t, s["required"], "schemaVersion")
			assert.Equal(t, map[string]any{"type": "integer", "minimum": 1.0},
				withoutAnnotations(prop(s, "schemaVersion")),
				"schemaVersion must stay open to later versions (no const)")
			// Every object, at any depth, keeps additionalProperties true so properties can be added.
			walkObjects(s, "#", func(at string, obj map[string]any) {
				if obj["type"] == "object" {
					assert.Equal(t, true, obj["additionalProperties"], "%s: additionalProperties must be true", at)
				}
			})
		})
	}
}

func readSchema(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := fs.ReadFile(events.SchemaFS(), name)
	require.NoError(t, err)
	var s map[string]any
	require.NoError(t, json.Unmarshal(b, &s), name)
	return s
}

func withoutAnnotations(s map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range s {
		if !annotationKeywords[k] {
			out[k] = v
		}
	}
	return out
}

func walkObjects(v any, at string, fn func(at string, obj map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(at, v)
		for k, c := range v {
			walkObjects(c, at+"/"+k, fn)
		}
	case []any:
		for _, c := range v {
			walkObjects(c, at+"/[]", fn)
		}
	}
}

// resolve follows a local "$ref" ("#/$defs/name") from a property schema.
func resolve(t *testing.T, root, s map[string]any) map[string]any {
	t.Helper()
	ref, ok := s["$ref"].(string)
	if !ok {
		return s
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	require.True(t, ok, "only local $defs references are used: %s", ref)
	return resolve(t, root, def(root, name))
}

// Each schema describes its Go struct exactly: one property per JSON field, required exactly
// when the field has no omitempty, and a JSON type that matches the Go type.
func TestSchemasDescribeStructs(t *testing.T) {
	for _, typ := range events.Types() {
		t.Run(typ, func(t *testing.T) {
			s := readSchema(t, typ+".v1.json")
			goType := reflect.TypeOf(newEvent[typ]()).Elem()
			assertDescribes(t, s, s, goType, "#")
		})
	}
}

var timeType = reflect.TypeFor[time.Time]()

func assertDescribes(t *testing.T, root, s map[string]any, goType reflect.Type, at string) {
	t.Helper()
	properties := s["properties"].(map[string]any)
	var fields, required []string
	for f := range goType.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		require.NotEmpty(t, name, "%s.%s has no json name", goType, f.Name)
		fields = append(fields, name)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
		p, ok := properties[name].(map[string]any)
		if !assert.True(t, ok, "%s: no property %q for %s.%s", at, name, goType, f.Name) {
			continue
		}
		p = resolve(t, root, p)
		pat := at + "/properties/" + name
		switch {
		case f.Type == timeType:
			assert.Equal(t, "string", p["type"], pat)
			assert.Equal(t, "date-time", p["format"], pat)
		case f.Type.Kind() == reflect.String:
			assert.Equal(t, "string", p["type"], pat)
		case f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Int64:
			assert.Equal(t, "integer", p["type"], pat)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			assert.Equal(t, "array", p["type"], pat)
			items := resolve(t, root, p["items"].(map[string]any))
			assert.Equal(t, "object", items["type"], pat+"/items")
			assertDescribes(t, root, items, f.Type.Elem(), pat+"/items")
		default:
			t.Errorf("%s: no schema mapping for Go type %s", pat, f.Type)
		}
	}
	assert.ElementsMatch(t, fields, keys(properties), "%s: properties must match the JSON fields of %s", at, goType)
	assert.ElementsMatch(t, required, s["required"], "%s: required must be the fields of %s without omitempty", at, goType)
}

func keys(m map[string]any) []any {
	out := make([]any, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Money is integer minor units and currencies are ISO codes, in every schema.
func TestSchemaMoneyAndCurrency(t *testing.T) {
	for _, typ := range events.Types() {
		s := readSchema(t, typ+".v1.json")
		assert.Equal(t, "^[A-Z]{3}$", prop(s, "currency")["pattern"], typ)
		for _, name := range []string{"amount", "totalAmount"} {
			if p, ok := props(s)[name]; ok {
				assert.Equal(t, "integer", p.(map[string]any)["type"], "%s %s", typ, name)
			}
		}
	}
}

func TestSamplesValidateAgainstSchema(t *testing.T) {
	schemas := compiledSchemas(t)
	samples := loadSamples(t, "testdata/samples")
	for _, s := range samples {
		t.Run(s.Name(), func(t *testing.T) {
			assert.NoError(t, validateJSON(schemaFor(t, schemas, s.EventType, s.Version), s.Data))
		})
	}
	// Every event type has its main golden sample.
	for _, typ := range events.Types() {
		found := false
		for _, s := range samples {
			found = found || (s.EventType == typ && s.Version == events.SchemaVersion && s.Variant == "")
		}
		assert.True(t, found, "no testdata/samples/%s.v1.json", typ)
	}
}

// Invalid samples fail the schema and are rejected by Go as well: either they do not decode
// into the struct or the struct does not Validate.
func TestInvalidSamples(t *testing.T) {
	schemas := compiledSchemas(t)
	for _, s := range loadSamples(t, "testdata/invalid") {
		t.Run(s.Name(), func(t *testing.T) {
			require.NotEmpty(t, s.Variant, "name invalid samples <type>.v<version>.<what-is-wrong>.json")
			assert.Error(t, validateJSON(schemaFor(t, schemas, s.EventType, s.Version), s.Data), "schema accepted it")

			ev := newEvent[s.EventType]()
			if err := json.Unmarshal(s.Data, ev); err != nil {
				return // rejected while decoding (e.g. a float amount)
			}
			err := ev.Validate()
			require.Error(t, err, "Validate accepted it")
			assert.ErrorIs(t, err, events.ErrInvalid)
		})
	}
}
