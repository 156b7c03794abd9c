package events_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
)

// schemaBaseURL is the prefix of every schema's $id; the rest is the file name.
const schemaBaseURL = "https://github.com/orderflow/orderflow/pkg/events/schemas/"

// event is what every event struct has in common.
type event interface{ Validate() error }

// newEvent allocates the Go struct of each event type.
var newEvent = map[string]func() event{
	events.TypeOrderCreated:       func() event { return new(events.OrderCreated) },
	events.TypeOrderStatusChanged: func() event { return new(events.OrderStatusChanged) },
	events.TypePaymentCompleted:   func() event { return new(events.PaymentCompleted) },
	events.TypePaymentFailed:      func() event { return new(events.PaymentFailed) },
	events.TypePaymentRefunded:    func() event { return new(events.PaymentRefunded) },
}

// sampleName matches "<type>.v<version>.json" and "<type>.v<version>.<variant>.json".
var sampleName = regexp.MustCompile(`^([a-z]+(?:\.[a-z]+)+)\.v([1-9][0-9]*)(?:\.([a-z0-9-]+))?\.json$`)

// sample is one JSON file of testdata/samples or testdata/invalid.
type sample struct {
	File      string // file name
	EventType string
	Version   int
	Variant   string // "" for the main sample
	Data      []byte
}

// Name is a subtest name.
func (s sample) Name() string { return s.File }

func loadSamples(t *testing.T, dir string) []sample {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var out []sample
	for _, e := range entries {
		m := sampleName.FindStringSubmatch(e.Name())
		require.NotNil(t, m, "%s/%s: name must be <type>.v<version>[.<variant>].json", dir, e.Name())
		v, err := strconv.Atoi(m[2])
		require.NoError(t, err)
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		out = append(out, sample{File: e.Name(), EventType: m[1], Version: v, Variant: m[3], Data: data})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].File < out[j].File })
	require.NotEmpty(t, out, dir)
	return out
}

// compiledSchemas compiles every schema of events.SchemaFS with format assertions on (RFC 3339
// date-time is checked, not just annotated), keyed by file name.
func compiledSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	names, err := fs.Glob(events.SchemaFS(), "*.json")
	require.NoError(t, err)
	require.NotEmpty(t, names)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, name := range names {
		b, err := fs.ReadFile(events.SchemaFS(), name)
		require.NoError(t, err)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		require.NoError(t, err, name)
		require.NoError(t, c.AddResource(schemaBaseURL+name, doc), name)
	}
	out := make(map[string]*jsonschema.Schema, len(names))
	for _, name := range names {
		s, err := c.Compile(schemaBaseURL + name)
		require.NoError(t, err, name)
		out[name] = s
	}
	return out
}

// schemaFor returns the compiled schema of an event type and version.
func schemaFor(t *testing.T, schemas map[string]*jsonschema.Schema, eventType string, version int) *jsonschema.Schema {
	t.Helper()
	name := eventType + ".v" + strconv.Itoa(version) + ".json"
	s, ok := schemas[name]
	require.True(t, ok, "no schema %s", name)
	return s
}

// validateJSON validates a JSON document against a compiled schema. Numbers are decoded as
// json.Number, so 12.5 is not mistaken for an integer.
func validateJSON(s *jsonschema.Schema, data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}
