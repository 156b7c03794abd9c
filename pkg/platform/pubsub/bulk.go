package pubsub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// bulkRequest is the part of Dapr's bulk envelope the router needs. Entries stay raw so that
// one malformed entry cannot hide the entry IDs of the others.
type bulkRequest struct {
	Entries []json.RawMessage `json:"entries"`
}

type bulkRequestEntry struct {
	EntryID  string            `json:"entryId"`
	Event    json.RawMessage   `json:"event"`
	Metadata map[string]string `json:"metadata"`
}

type bulkResponse struct {
	Statuses []bulkStatus `json:"statuses"`
}

type bulkStatus struct {
	EntryID string `json:"entryId"`
	Status  Status `json:"status"`
}

// bulkItem is one answerable entry and its outcome so far.
type bulkItem struct {
	entry BulkEntry
	err   error
}

func (r *Router) serveBulk(path string, h BulkHandler) func(ctx context.Context, d delivery) any {
	return func(ctx context.Context, d delivery) any {
		items := r.decodeBulk(ctx, path, d)
		var valid []BulkEntry
		for _, it := range items {
			if it.err == nil {
				valid = append(valid, it.entry)
			}
		}
		var errs map[string]error
		if len(valid) > 0 {
			errs = r.invokeBulk(ctx, h, valid)
		}
		resp := bulkResponse{Statuses: make([]bulkStatus, 0, len(items))}
		for _, it := range items {
			err := it.err
			if err == nil {
				err = errs[it.entry.EntryID]
			}
			status := r.outcome(ctx, path, it.entry.EntryID, it.entry.Event, err)
			resp.Statuses = append(resp.Statuses, bulkStatus{EntryID: it.entry.EntryID, Status: status})
		}
		return resp
	}
}

// decodeBulk returns every entry that can be answered — those with an entry ID, once each —
// with a permanent error for the ones that are not valid CloudEvents. What cannot be answered
// is logged.
func (r *Router) decodeBulk(ctx context.Context, path string, d delivery) []bulkItem {
	var req bulkRequest
	err := d.err
	if err == nil {
		err = json.Unmarshal(d.body, &req)
	}
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelError, "pubsub: bulk delivery not decodable, no entry to answer",
			slog.String("route", path), slog.String("error", err.Error()))
		return nil
	}
	items := make([]bulkItem, 0, len(req.Entries))
	seen := make(map[string]bool, len(req.Entries))
	for i, raw := range req.Entries {
		entry, err := decodeEntry(raw)
		if entry.EntryID == "" || seen[entry.EntryID] {
			r.log.LogAttrs(ctx, slog.LevelError, "pubsub: bulk entry without a unique entryId, not answered",
				slog.String("route", path), slog.Int("index", i), slog.String("entry_id", entry.EntryID))
			continue
		}
		seen[entry.EntryID] = true
		items = append(items, bulkItem{entry: entry, err: err})
	}
	return items
}

// decodeEntry decodes one bulk entry; an entry whose event is not a valid CloudEvent (such as
// the base64 string Dapr sends for a raw payload) is a permanent error.
func decodeEntry(raw json.RawMessage) (BulkEntry, error) {
	var e bulkRequestEntry
	if err := json.Unmarshal(raw, &e); err != nil {
		return BulkEntry{EntryID: e.EntryID}, Permanent(fmt.Errorf("pubsub: decode bulk entry: %w", err))
	}
	ev, err := decodeEvent(e.Event)
	return BulkEntry{EntryID: e.EntryID, Event: ev, Metadata: e.Metadata}, err
}

// invokeBulk runs h; a panic fails every entry with a (transient) error.
func (r *Router) invokeBulk(ctx context.Context, h BulkHandler, entries []BulkEntry) (errs map[string]error) {
	defer func() {
		if p := recover(); p != nil {
			err := r.panicError(ctx, p, slog.Int("entries", len(entries)))
			errs = make(map[string]error, len(entries))
			for _, e := range entries {
				errs[e.EntryID] = err
			}
		}
	}()
	return h(ctx, entries)
}
