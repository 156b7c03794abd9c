package pubsub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// Benchmarks of the delivery path as the sidecar drives it: an HTTP request through echo and
// httptest (no network), the app-token check, CloudEvent decode and validation, and the handler.
// The handlers do no I/O, so the numbers are the router's own cost per delivery.

// BenchmarkRouterSingle delivers one order.created CloudEvent to a typed route whose handler
// (pubsub.Typed) decodes and validates the OrderCreated data; the answer is SUCCESS.
func BenchmarkRouterSingle(b *testing.B) {
	r := pubsub.NewRouter(consumerName, testToken, slog.New(slog.DiscardHandler))
	r.Handle(pathCreated, events.TypeOrderCreated, pubsub.Typed(
		func(context.Context, events.CloudEvent, events.OrderCreated) error { return nil }))
	e := newServer(r)
	body := mustJSON(b, cloudEvent(b, "ev-1", events.TypeOrderCreated, orderCreated()))

	if got := benchStatus(b, deliver(e, pathCreated, testToken, events.ContentTypeCloudEvents, body).Body.Bytes()); got != pubsub.StatusSuccess {
		b.Fatalf("status %s, want SUCCESS", got)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if rec := deliver(e, pathCreated, testToken, events.ContentTypeCloudEvents, body); rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
}

// BenchmarkRouterBulk100 delivers a bulk envelope of 100 order.created entries to a bulk route
// whose handler decodes and validates each entry's OrderCreated data (as analytics does before
// its one write); every entry is answered SUCCESS. ns/op is per delivery of 100 events.
func BenchmarkRouterBulk100(b *testing.B) {
	const n = 100
	r := pubsub.NewRouter(consumerName, testToken, slog.New(slog.DiscardHandler))
	r.Bulk(pathBulk, func(_ context.Context, entries []pubsub.BulkEntry) map[string]error {
		var errs map[string]error
		for _, en := range entries {
			var data events.OrderCreated
			err := en.Event.DecodeData(&data)
			if err == nil {
				err = data.Validate()
			}
			if err != nil {
				if errs == nil {
					errs = make(map[string]error)
				}
				errs[en.EntryID] = pubsub.Permanent(err)
			}
		}
		return errs
	})
	e := newServer(r)
	entries := make([]any, n)
	for i := range entries {
		id := fmt.Sprintf("e%03d", i)
		entries[i] = bulkEntry(id, cloudEvent(b, "ev-"+id, events.TypeOrderCreated, orderCreated()))
	}
	body := bulkBody(b, entries...)

	var resp struct {
		Statuses []bulkStatus `json:"statuses"`
	}
	rec := deliver(e, pathBulk, testToken, events.ContentTypeCloudEvents, body)
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || len(resp.Statuses) != n {
		b.Fatalf("bulk answer %s: %v", rec.Body.String(), err)
	}
	for _, s := range resp.Statuses {
		if s.Status != pubsub.StatusSuccess {
			b.Fatalf("entry %s: status %s, want SUCCESS", s.EntryID, s.Status)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if rec := deliver(e, pathBulk, testToken, events.ContentTypeCloudEvents, body); rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
	}
}

// benchStatus decodes a single-event answer.
func benchStatus(b *testing.B, body []byte) pubsub.Status {
	b.Helper()
	var resp struct {
		Status pubsub.Status `json:"status"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		b.Fatalf("answer %s: %v", body, err)
	}
	return resp.Status
}
