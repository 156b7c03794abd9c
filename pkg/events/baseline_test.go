package events_test

// Schema baseline.
//
// testdata/baseline holds a committed copy of every schema in schemas/. TestSchemaBaseline fails
// when a current schema differs from its baseline in any way other than an additive one, when a
// baseline schema has been removed, or when a schema has no baseline yet.
//
// Events travel between services deployed at different times, so a producer on one schema and a
// consumer on another must both keep working. The only change that is safe in both directions is
// adding an optional property (consumers ignore unknown properties; additionalProperties stays
// allowed). Everything else is breaking: tightening a constraint rejects data old producers still
// send, loosening it lets through data old consumers cannot handle. A breaking change needs a new
// schema version (a new file, e.g. order.created.v2.json) instead.
//
// The baseline is never updated by a tool or flag. After an intended additive change, or when
// adding a new schema file, copy the file deliberately and commit it with the change:
//
//	cp pkg/events/schemas/order.created.v1.json pkg/events/testdata/baseline/

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
)

// annotationKeywords do not affect validation and may change freely.
var annotationKeywords = map[string]bool{
	"title":       true,
	"description": true,
	"$comment":    true,
	"examples":    true,
	"deprecated":  true,
}

// schemaMapKeywords hold a map of name → subschema. Entries may be added (a new optional
// property or definition) but not removed; kept entries are compared recursively.
var schemaMapKeywords = map[string]bool{
	"properties": true,
	"$defs":      true,
}

// exactSchemaMapKeywords hold a map of name → subschema whose key set must stay the same.
var exactSchemaMapKeywords = map[string]bool{
	"patternProperties": true,
	"dependentSchemas":  true,
}

// schemaKeywords hold one subschema. The value says whether a missing keyword means "anything
// is allowed" (the same as the schema true), so that absent and true compare equal.
var schemaKeywords = map[string]bool{
	"items":                 true,
	"additionalProperties":  true,
	"unevaluatedProperties": true,
	"unevaluatedItems":      true,
	"propertyNames":         true,
	"then":                  true,
	"else":                  true,
	"contains":              false,
	"not":                   false,
	"if":                    false,
}

// schemaListKeywords hold a list of subschemas, compared position by position.
var schemaListKeywords = map[string]bool{
	"allOf":       true,
	"anyOf":       true,
	"oneOf":       true,
	"prefixItems": true,
}

// checkAdditive reports every non-additive difference between a baseline schema and the current
// version of it, joined into one error, or nil when current only adds to baseline.
//
// Allowed: new optional properties and $defs entries, and changed annotations (title,
// description, $comment, examples, deprecated). Breaking: a removed property or definition; a
// property added to or dropped from required; additionalProperties (or any other subschema)
// turned false or restricted; any change to type, format, enum, const, pattern, $ref, numeric
// or length bounds or any other validation keyword, whether it narrows or widens.
func checkAdditive(baseline, current []byte) error {
	var b, c any
	if err := json.Unmarshal(baseline, &b); err != nil {
		return fmt.Errorf("baseline is not JSON: %w", err)
	}
	if err := json.Unmarshal(current, &c); err != nil {
		return fmt.Errorf("current schema is not JSON: %w", err)
	}
	return errors.Join(compareSchema("#", b, c)...)
}

// compareSchema compares two (sub)schemas found at the JSON pointer at.
func compareSchema(at string, base, cur any) []error {
	bm, bok := asSchemaObject(base)
	cm, cok := asSchemaObject(cur)
	if !bok || !cok {
		// At least one side is the schema false or not a schema at all: only equality is safe.
		if !reflect.DeepEqual(base, cur) {
			return []error{fmt.Errorf("%s: changed from %s to %s", at, js(base), js(cur))}
		}
		return nil
	}
	var errs []error
	for _, k := range unionKeys(bm, cm) {
		if annotationKeywords[k] {
			continue
		}
		bv, inBase := bm[k]
		cv, inCur := cm[k]
		kat := at + "/" + k
		switch {
		case k == "required":
			errs = append(errs, compareRequired(at, bv, cv)...)
		case schemaMapKeywords[k] || exactSchemaMapKeywords[k]:
			errs = append(errs, compareSchemaMap(kat, k, bv, cv, exactSchemaMapKeywords[k])...)
		case schemaListKeywords[k] && inBase && inCur:
			bl, bok := bv.([]any)
			cl, cok := cv.([]any)
			if !bok || !cok || len(bl) != len(cl) {
				errs = append(errs, fmt.Errorf("%s: changed from %s to %s", kat, js(bv), js(cv)))
				continue
			}
			for i := range bl {
				errs = append(errs, compareSchema(fmt.Sprintf("%s/%d", kat, i), bl[i], cl[i])...)
			}
		case isSchemaKeyword(k):
			if anything := schemaKeywords[k]; anything {
				if !inBase {
					bv = true
				}
				if !inCur {
					cv = true
				}
			} else if inBase != inCur {
				errs = append(errs, keywordPresenceError(kat, inBase, bv, cv))
				continue
			}
			errs = append(errs, compareSchema(kat, bv, cv)...)
		case !inBase || !inCur:
			errs = append(errs, keywordPresenceError(kat, inBase, bv, cv))
		case !reflect.DeepEqual(bv, cv):
			errs = append(errs, fmt.Errorf("%s: changed from %s to %s", kat, js(bv), js(cv)))
		}
	}
	return errs
}

func isSchemaKeyword(k string) bool {
	_, ok := schemaKeywords[k]
	return ok || schemaListKeywords[k]
}

func keywordPresenceError(at string, inBase bool, bv, cv any) error {
	if inBase {
		return fmt.Errorf("%s: removed (was %s)", at, js(bv))
	}
	return fmt.Errorf("%s: added (%s)", at, js(cv))
}

// asSchemaObject returns a schema as an object, with the schema true as the empty object.
func asSchemaObject(v any) (map[string]any, bool) {
	switch v := v.(type) {
	case map[string]any:
		return v, true
	case bool:
		if v {
			return map[string]any{}, true
		}
	}
	return nil, false
}

func compareRequired(at string, base, cur any) []error {
	b, c := stringSet(base), stringSet(cur)
	var errs []error
	for _, name := range sortedKeys(c) {
		if !b[name] {
			errs = append(errs, fmt.Errorf("%s/required: %q newly required", at, name))
		}
	}
	for _, name := range sortedKeys(b) {
		if !c[name] {
			errs = append(errs, fmt.Errorf("%s/required: %q no longer required (consumers rely on it)", at, name))
		}
	}
	return errs
}

func compareSchemaMap(at, keyword string, base, cur any, exact bool) []error {
	bm, _ := base.(map[string]any)
	cm, _ := cur.(map[string]any)
	var errs []error
	for _, name := range unionKeys(bm, cm) {
		bs, inBase := bm[name]
		cs, inCur := cm[name]
		switch {
		case !inCur:
			errs = append(errs, fmt.Errorf("%s: %q removed", at, name))
		case !inBase && exact:
			errs = append(errs, fmt.Errorf("%s: %q added", at, name))
		case !inBase:
			// A new property or definition: additive. (Making it required is caught by required.)
		default:
			errs = append(errs, compareSchema(at+"/"+escapePointer(name), bs, cs)...)
		}
	}
	return errs
}

func stringSet(v any) map[string]bool {
	set := map[string]bool{}
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			set[s] = true
		}
	}
	return set
}

func unionKeys(maps ...map[string]any) []string {
	var keys []string
	for _, m := range maps {
		for k := range m {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func js(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// checkBaselineDir compares every schema file in baseline with the file of the same name in
// current: a baseline file missing from current is a removed schema, a current file missing
// from baseline needs its baseline copied in.
func checkBaselineDir(baseline, current fs.FS) error {
	bnames, err := fs.Glob(baseline, "*.json")
	if err != nil {
		return err
	}
	cnames, err := fs.Glob(current, "*.json")
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range bnames {
		b, err := fs.ReadFile(baseline, name)
		if err != nil {
			return err
		}
		c, err := fs.ReadFile(current, name)
		if errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("%s: schema removed; publish a new version instead", name))
			continue
		} else if err != nil {
			return err
		}
		if err := checkAdditive(b, c); err != nil {
			errs = append(errs, fmt.Errorf("%s: non-additive change (publish a new schema version instead):\n%w", name, err))
		}
	}
	for _, name := range cnames {
		if !slices.Contains(bnames, name) {
			errs = append(errs, fmt.Errorf("%s: no baseline; review it and copy it to testdata/baseline/", name))
		}
	}
	return errors.Join(errs...)
}

func TestSchemaBaseline(t *testing.T) {
	err := checkBaselineDir(os.DirFS("testdata/baseline"), events.SchemaFS())
	require.NoError(t, err, "to accept an intended additive change, copy the schema to testdata/baseline/")
}

// Every baseline file is byte-identical to its schema today; the comparison must not depend on it.
func TestSchemaBaselineMatchesItself(t *testing.T) {
	names, err := fs.Glob(events.SchemaFS(), "*.json")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	for _, name := range names {
		b, err := fs.ReadFile(events.SchemaFS(), name)
		require.NoError(t, err)
		assert.NoError(t, checkAdditive(b, b), name)
	}
}

// mutate decodes a schema, applies fn and encodes it again.
func mutate(t *testing.T, schema []byte, fn func(s map[string]any)) []byte {
	t.Helper()
	var s map[string]any
	require.NoError(t, json.Unmarshal(schema, &s))
	fn(s)
	out, err := json.Marshal(s)
	require.NoError(t, err)
	return out
}

func props(s map[string]any) map[string]any { return s["properties"].(map[string]any) }

func prop(s map[string]any, name string) map[string]any { return props(s)[name].(map[string]any) }

func def(s map[string]any, name string) map[string]any {
	return s["$defs"].(map[string]any)[name].(map[string]any)
}

func TestCheckAdditive(t *testing.T) {
	base, err := events.Schema(events.TypeOrderCreated, 1)
	require.NoError(t, err)
	statusBase, err := events.Schema(events.TypeOrderStatusChanged, 1)
	require.NoError(t, err)

	tests := []struct {
		name    string
		base    []byte
		change  func(s map[string]any)
		wantErr []string // substrings of the error; none means the change is additive
	}{
		{name: "unchanged", base: base, change: func(map[string]any) {}},
		{
			name: "new optional property",
			base: base,
			change: func(s map[string]any) {
				props(s)["couponCode"] = map[string]any{"type": "string"}
			},
		},
		{
			name: "new optional property in a nested definition",
			base: base,
			change: func(s map[string]any) {
				def(s, "orderItem")["properties"].(map[string]any)["sku"] = map[string]any{"type": "string"}
			},
		},
		{
			name: "new definition",
			base: base,
			change: func(s map[string]any) {
				s["$defs"].(map[string]any)["address"] = map[string]any{"type": "object"}
			},
		},
		{
			name: "annotations changed",
			base: base,
			change: func(s map[string]any) {
				s["title"] = "another title"
				prop(s, "currency")["description"] = "changed"
				prop(s, "currency")["examples"] = []any{"EUR"}
				delete(prop(s, "totalAmount"), "description")
			},
		},
		{
			name: "required reordered",
			base: base,
			change: func(s map[string]any) {
				r := s["required"].([]any)
				slices.Reverse(r)
			},
		},
		{
			name: "additionalProperties true dropped (same meaning)",
			base: base,
			change: func(s map[string]any) {
				delete(s, "additionalProperties")
			},
		},
		{
			name:    "property removed",
			base:    base,
			change:  func(s map[string]any) { delete(props(s), "paymentToken") },
			wantErr: []string{`#/properties: "paymentToken" removed`},
		},
		{
			name: "required property removed",
			base: base,
			change: func(s map[string]any) {
				delete(props(s), "customerId")
				s["required"] = slices.DeleteFunc(s["required"].([]any), func(v any) bool { return v == "customerId" })
			},
			wantErr: []string{`"customerId" removed`, `"customerId" no longer required`},
		},
		{
			name: "nested property removed",
			base: base,
			change: func(s map[string]any) {
				delete(def(s, "orderItem")["properties"].(map[string]any), "unitPrice")
			},
			wantErr: []string{`#/$defs/orderItem/properties: "unitPrice" removed`},
		},
		{
			name:    "definition removed",
			base:    statusBase,
			change:  func(s map[string]any) { delete(s["$defs"].(map[string]any), "orderStatus") },
			wantErr: []string{`#/$defs: "orderStatus" removed`},
		},
		{
			name: "optional property newly required",
			base: base,
			change: func(s map[string]any) {
				s["required"] = append(s["required"].([]any), "paymentToken")
			},
			wantErr: []string{`"paymentToken" newly required`},
		},
		{
			name: "new property added as required",
			base: base,
			change: func(s map[string]any) {
				props(s)["channel"] = map[string]any{"type": "string"}
				s["required"] = append(s["required"].([]any), "channel")
			},
			wantErr: []string{`"channel" newly required`},
		},
		{
			name: "nested property newly required",
			base: base,
			change: func(s map[string]any) {
				d := def(s, "orderItem")
				d["properties"].(map[string]any)["sku"] = map[string]any{"type": "string"}
				d["required"] = append(d["required"].([]any), "sku")
			},
			wantErr: []string{`#/$defs/orderItem/required: "sku" newly required`},
		},
		{
			name:    "type changed",
			base:    base,
			change:  func(s map[string]any) { prop(s, "totalAmount")["type"] = "number" },
			wantErr: []string{`#/properties/totalAmount/type: changed from "integer" to "number"`},
		},
		{
			name:    "type widened to a list",
			base:    base,
			change:  func(s map[string]any) { prop(s, "paymentToken")["type"] = []any{"string", "null"} },
			wantErr: []string{`#/properties/paymentToken/type: changed`},
		},
		{
			name: "nested type changed",
			base: base,
			change: func(s map[string]any) {
				def(s, "orderItem")["properties"].(map[string]any)["quantity"].(map[string]any)["type"] = "string"
			},
			wantErr: []string{`#/$defs/orderItem/properties/quantity/type: changed`},
		},
		{
			name:    "format removed",
			base:    base,
			change:  func(s map[string]any) { delete(prop(s, "createdAt"), "format") },
			wantErr: []string{`#/properties/createdAt/format: removed`},
		},
		{
			name:    "format changed",
			base:    base,
			change:  func(s map[string]any) { prop(s, "createdAt")["format"] = "date" },
			wantErr: []string{`#/properties/createdAt/format: changed from "date-time" to "date"`},
		},
		{
			name:    "pattern changed",
			base:    base,
			change:  func(s map[string]any) { prop(s, "currency")["pattern"] = "^[A-Z]{3,4}$" },
			wantErr: []string{`#/properties/currency/pattern: changed`},
		},
		{
			name:    "pattern added",
			base:    base,
			change:  func(s map[string]any) { prop(s, "orderId")["pattern"] = "^ord_" },
			wantErr: []string{`#/properties/orderId/pattern: added`},
		},
		{
			name:    "enum narrowed",
			base:    statusBase,
			change:  func(s map[string]any) { def(s, "orderStatus")["enum"] = []any{"pending", "paid", "cancelled"} },
			wantErr: []string{`#/$defs/orderStatus/enum: changed`},
		},
		{
			name: "enum widened",
			base: statusBase,
			change: func(s map[string]any) {
				def(s, "orderStatus")["enum"] = []any{"pending", "paid", "cancelled", "shipped", "delivered"}
			},
			wantErr: []string{`#/$defs/orderStatus/enum: changed`},
		},
		{
			name:    "ref changed",
			base:    statusBase,
			change:  func(s map[string]any) { prop(s, "to")["$ref"] = "#/$defs/other" },
			wantErr: []string{`#/properties/to/$ref: changed`},
		},
		{
			name:    "minimum raised",
			base:    base,
			change:  func(s map[string]any) { prop(s, "totalAmount")["minimum"] = 1 },
			wantErr: []string{`#/properties/totalAmount/minimum: changed from 0 to 1`},
		},
		{
			name:    "maximum added",
			base:    base,
			change:  func(s map[string]any) { prop(s, "totalAmount")["maximum"] = 1000000 },
			wantErr: []string{`#/properties/totalAmount/maximum: added`},
		},
		{
			name:    "additionalProperties turned false",
			base:    base,
			change:  func(s map[string]any) { s["additionalProperties"] = false },
			wantErr: []string{`#/additionalProperties: changed from true to false`},
		},
		{
			name:    "nested additionalProperties turned false",
			base:    base,
			change:  func(s map[string]any) { def(s, "orderItem")["additionalProperties"] = false },
			wantErr: []string{`#/$defs/orderItem/additionalProperties: changed`},
		},
		{
			name:    "additionalProperties restricted",
			base:    base,
			change:  func(s map[string]any) { s["additionalProperties"] = map[string]any{"type": "string"} },
			wantErr: []string{`#/additionalProperties/type: added`},
		},
		{
			name:    "unevaluatedProperties false added",
			base:    base,
			change:  func(s map[string]any) { s["unevaluatedProperties"] = false },
			wantErr: []string{`#/unevaluatedProperties: changed from true to false`},
		},
		{
			name:    "items schema changed",
			base:    base,
			change:  func(s map[string]any) { prop(s, "items")["items"] = map[string]any{"type": "string"} },
			wantErr: []string{`#/properties/items/items/$ref: removed`, `#/properties/items/items/type: added`},
		},
		{
			name: "property schema replaced by false",
			base: base,
			change: func(s map[string]any) {
				props(s)["paymentToken"] = false
			},
			wantErr: []string{`#/properties/paymentToken: changed`},
		},
		{
			name: "several breaks are all reported",
			base: base,
			change: func(s map[string]any) {
				delete(props(s), "paymentToken")
				prop(s, "currency")["type"] = "integer"
				s["additionalProperties"] = false
			},
			wantErr: []string{`"paymentToken" removed`, `currency/type: changed`, `#/additionalProperties: changed`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cur := mutate(t, tt.base, tt.change)
			err := checkAdditive(tt.base, cur)
			if len(tt.wantErr) == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, want := range tt.wantErr {
				assert.Contains(t, err.Error(), want)
			}
		})
	}
}

func TestCheckAdditiveRejectsNonJSON(t *testing.T) {
	good := []byte(`{"type":"object"}`)
	assert.ErrorContains(t, checkAdditive([]byte(`{`), good), "baseline is not JSON")
	assert.ErrorContains(t, checkAdditive(good, []byte(`{`)), "current schema is not JSON")
}

func TestCheckBaselineDir(t *testing.T) {
	a := []byte(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`)
	aOptional := []byte(`{"type":"object","properties":{"id":{"type":"string"},"note":{"type":"string"}},"required":["id"]}`)
	aBroken := []byte(`{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}`)
	b := []byte(`{"type":"object"}`)

	dir := func(files map[string][]byte) fs.FS {
		m := fstest.MapFS{}
		for name, data := range files {
			m[name] = &fstest.MapFile{Data: bytes.Clone(data)}
		}
		return m
	}
	tests := []struct {
		name     string
		baseline map[string][]byte
		current  map[string][]byte
		wantErr  string
	}{
		{
			name:     "identical",
			baseline: map[string][]byte{"a.v1.json": a, "b.v1.json": b},
			current:  map[string][]byte{"a.v1.json": a, "b.v1.json": b},
		},
		{
			name:     "additive change",
			baseline: map[string][]byte{"a.v1.json": a},
			current:  map[string][]byte{"a.v1.json": aOptional},
		},
		{
			name:     "breaking change",
			baseline: map[string][]byte{"a.v1.json": a},
			current:  map[string][]byte{"a.v1.json": aBroken},
			wantErr:  "a.v1.json: non-additive change",
		},
		{
			name:     "schema file removed",
			baseline: map[string][]byte{"a.v1.json": a, "b.v1.json": b},
			current:  map[string][]byte{"a.v1.json": a},
			wantErr:  "b.v1.json: schema removed",
		},
		{
			name:     "schema without baseline",
			baseline: map[string][]byte{"a.v1.json": a},
			current:  map[string][]byte{"a.v1.json": a, "a.v2.json": b},
			wantErr:  "a.v2.json: no baseline",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBaselineDir(dir(tt.baseline), dir(tt.current))
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

// The baseline directory holds schemas only, named like the schema files.
func TestBaselineFileNames(t *testing.T) {
	entries, err := os.ReadDir("testdata/baseline")
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, e.IsDir(), e.Name())
		assert.Equal(t, ".json", path.Ext(e.Name()), e.Name())
	}
}
