package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"time"

	"github.com/orderflow/orderflow/services/gateway/contract"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
)

// Per-service errors reported by the dead-letter fan-out.
const (
	FanOutUnavailable  = "unavailable"    // unreachable or timed out
	FanOutUpstreamFail = "upstream_error" // failed or answered something unexpected
)

// DeadLetterFilter narrows the dead-letter list; Limit also bounds the merged list.
type DeadLetterFilter struct {
	Limit   int
	Pending *bool
}

// DeadLetters is the merged dead-letter list: every service's letters, each tagged with its
// service, newest first, and the services that could not be asked.
type DeadLetters struct {
	DeadLetters []json.RawMessage `json:"deadLetters"`
	Errors      map[string]string `json:"errors"`
}

// AllUnavailableError is returned when no service could be asked for its dead letters.
type AllUnavailableError struct {
	Errors map[string]string
}

func (e *AllUnavailableError) Error() string {
	return fmt.Sprintf("no service answered for its dead letters: %v", e.Errors)
}

// Unwrap makes the error an ErrUnavailable.
func (e *AllUnavailableError) Unwrap() error { return ErrUnavailable }

// ListDeadLetters asks every service for its dead letters at once and merges the answers. A service
// that fails is named in Errors and the others' letters are still returned; only when all of them
// fail is the result an *AllUnavailableError.
func (g *Gateway) ListDeadLetters(ctx context.Context, client domain.Client, f DeadLetterFilter) (DeadLetters, error) {
	query := url.Values{}
	if f.Limit > 0 {
		query.Set("limit", fmt.Sprint(f.Limit))
	}
	if f.Pending != nil {
		query.Set("pending", fmt.Sprint(*f.Pending))
	}
	type answer struct {
		service string
		letters []json.RawMessage
		err     string
	}
	answers := make(chan answer, len(contract.Upstreams))
	for _, service := range contract.Upstreams {
		go func() {
			letters, err := g.serviceDeadLetters(ctx, client, service, query)
			answers <- answer{service: service, letters: letters, err: err}
		}()
	}
	out := DeadLetters{DeadLetters: []json.RawMessage{}, Errors: map[string]string{}}
	for range contract.Upstreams {
		a := <-answers
		if a.err != "" {
			out.Errors[a.service] = a.err
			continue
		}
		out.DeadLetters = append(out.DeadLetters, a.letters...)
	}
	if len(out.Errors) == len(contract.Upstreams) {
		return DeadLetters{}, &AllUnavailableError{Errors: out.Errors}
	}
	sortNewestFirst(out.DeadLetters)
	if f.Limit > 0 && len(out.DeadLetters) > f.Limit {
		out.DeadLetters = out.DeadLetters[:f.Limit]
	}
	return out, nil
}

// serviceDeadLetters asks one service and tags each of its letters with "service". It returns
// the error to report for that service, or "".
func (g *Gateway) serviceDeadLetters(ctx context.Context, client domain.Client, service string, query url.Values) ([]json.RawMessage, string) {
	resp, err := g.get(ctx, client, service, "/admin/deadletters", query)
	if err != nil {
		level := FanOutUpstreamFail
		if errors.Is(err, ErrUnavailable) {
			level = FanOutUnavailable
		}
		g.log.WarnContext(ctx, "dead letters of a service unavailable", "app", service, "error", err)
		return nil, level
	}
	var body struct {
		DeadLetters []map[string]json.RawMessage `json:"deadLetters"`
	}
	if resp.Status != http.StatusOK || json.Unmarshal(resp.Body, &body) != nil {
		g.log.WarnContext(ctx, "unexpected dead-letter answer", "app", service, "status", resp.Status, "body", snippet(resp.Body))
		return nil, FanOutUpstreamFail
	}
	tag := mustJSON(service)
	letters := make([]json.RawMessage, 0, len(body.DeadLetters))
	for _, l := range body.DeadLetters {
		if l == nil {
			continue
		}
		l["service"] = tag
		letters = append(letters, mustJSON(l))
	}
	return letters, ""
}

// sortNewestFirst orders letters by receivedAt, newest first; letters without a parseable
// receivedAt go last. The sort is stable, so each service's own order is kept among equals.
func sortNewestFirst(letters []json.RawMessage) {
	at := make(map[int]time.Time, len(letters))
	idx := make([]int, len(letters))
	for i, l := range letters {
		idx[i] = i
		var v struct {
			ReceivedAt time.Time `json:"receivedAt"`
		}
		if json.Unmarshal(l, &v) == nil {
			at[i] = v.ReceivedAt
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return at[idx[a]].After(at[idx[b]]) })
	sorted := make([]json.RawMessage, len(letters))
	for i, j := range idx {
		sorted[i] = letters[j]
	}
	copy(letters, sorted)
}

// GetDeadLetter returns one dead letter of a service.
func (g *Gateway) GetDeadLetter(ctx context.Context, client domain.Client, service, id string) (Response, error) {
	if !slices.Contains(contract.Upstreams, service) {
		return Response{}, ErrUnknownService
	}
	return g.get(ctx, client, service, "/admin/deadletters/"+url.PathEscape(id), nil)
}

// ReplayDeadLetter asks a service to replay one of its dead letters; body (optional, JSON) is
// passed on as it is.
func (g *Gateway) ReplayDeadLetter(ctx context.Context, client domain.Client, service, id string, body []byte) (Response, error) {
	if !slices.Contains(contract.Upstreams, service) {
		return Response{}, ErrUnknownService
	}
	call := Call{
		App: service, Method: http.MethodPost, Path: "/admin/deadletters/" + url.PathEscape(id) + "/replay",
		Header: clientHeader(client),
	}
	if len(body) > 0 {
		call.Body = body
		call.Header.Set(headerContentType, mimeJSON)
	}
	return g.Forward(ctx, call)
}
