package events

import (
	"embed"
	"fmt"
	"io/fs"
	"strconv"
)

// schemaFiles holds one JSON Schema (draft 2020-12) per event type and schema version, named
// "<type>.v<version>.json" (e.g. "order.created.v1.json"). Each describes the event's data object
// exactly as the Go struct marshals it.
//
// Schemas may only evolve additively (new optional properties). Every schema has a committed copy
// in testdata/baseline, and TestSchemaBaseline fails on any non-additive difference. A breaking
// change needs a new schema version (a new file) instead. When a change is additive and intended,
// update the baseline deliberately by copying the file:
//
//	cp pkg/events/schemas/order.created.v1.json pkg/events/testdata/baseline/
//
//go:embed schemas/*.json
var schemaFiles embed.FS

// schemaFS is schemaFiles rooted at the schemas directory.
var schemaFS = func() fs.FS {
	sub, err := fs.Sub(schemaFiles, "schemas")
	if err != nil {
		panic(err) // cannot happen: "schemas" is a valid, embedded directory
	}
	return sub
}()

// schemaFileName is the name of the schema file of an event type and schema version within
// SchemaFS, e.g. schemaFileName("order.created", 1) == "order.created.v1.json".
func schemaFileName(eventType string, version int) string {
	return eventType + ".v" + strconv.Itoa(version) + ".json"
}

// Schema returns the JSON Schema (draft 2020-12) of the data of eventType at the given schema
// version. The error wraps fs.ErrNotExist when no such schema exists.
func Schema(eventType string, version int) ([]byte, error) {
	name := schemaFileName(eventType, version)
	if version < 1 || !fs.ValidPath(name) {
		return nil, fmt.Errorf("events: no schema for %q version %d: %w", eventType, version, fs.ErrNotExist)
	}
	b, err := fs.ReadFile(schemaFS, name)
	if err != nil {
		return nil, fmt.Errorf("events: no schema for %q version %d: %w", eventType, version, err)
	}
	return b, nil
}

// SchemaFS returns every schema as a read-only file system whose root holds the files
// "<type>.v<version>.json". Each schema's $id ends with its file name, so tools can register
// the files with a JSON Schema compiler by that name.
func SchemaFS() fs.FS {
	return schemaFS
}
