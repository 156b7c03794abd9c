package deadletter

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// RegisterAdmin mounts the dead-letter admin API of s on g (which carries the admin
// authentication):
//
//	GET  /deadletters?limit=100&pending=true  200 {"deadLetters":[...]}, newest first
//	GET  /deadletters/:id                     200 {"deadLetter":{...}}, 404
//	POST /deadletters/:id/replay              200 {"deadLetter":{...}}, 404, 422, 503
//
// The replay body is optional: {"data":{...}} replaces the event's data. A replay that fails
// permanently (the event is still invalid) answers 422 and one that fails transiently 503;
// either way the letter keeps the error as its lastError. dispatch is the consumer's
// pubsub.Router.Dispatch.
func RegisterAdmin(g *echo.Group, s *Store, dispatch func(ctx context.Context, ev events.CloudEvent) error) {
	a := admin{store: s, dispatch: dispatch}
	g.GET("/deadletters", a.list)
	g.GET("/deadletters/:id", a.get)
	g.POST("/deadletters/:id/replay", a.replay)
}

type admin struct {
	store    *Store
	dispatch func(ctx context.Context, ev events.CloudEvent) error
}

type listResponse struct {
	DeadLetters []Letter `json:"deadLetters"`
}

type letterResponse struct {
	DeadLetter Letter `json:"deadLetter"`
}

type replayRequest struct {
	Data json.RawMessage `json:"data"`
}

func (a admin) list(c echo.Context) error {
	f, err := parseFilter(c)
	if err != nil {
		return err
	}
	letters, err := a.store.List(c.Request().Context(), f)
	if err != nil {
		return publicError(err)
	}
	return c.JSON(http.StatusOK, listResponse{DeadLetters: letters})
}

func (a admin) get(c echo.Context) error {
	l, err := a.store.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return publicError(err)
	}
	return c.JSON(http.StatusOK, letterResponse{DeadLetter: l})
}

func (a admin) replay(c echo.Context) error {
	var req replayRequest
	if hasBody(c.Request()) {
		if err := httpserver.BindJSON(c, &req); err != nil {
			return err
		}
	}
	l, err := a.store.Replay(c.Request().Context(), c.Param("id"), req.Data, a.dispatch)
	if err != nil {
		return publicError(err)
	}
	return c.JSON(http.StatusOK, letterResponse{DeadLetter: l})
}

// hasBody reports whether r carries a body. The Dapr sidecar forwards an empty body of a service
// invocation with an unknown length (-1), so the body is peeked when the length is unknown.
func hasBody(r *http.Request) bool {
	if r.ContentLength >= 0 {
		return r.ContentLength > 0
	}
	br := bufio.NewReader(r.Body)
	if _, err := br.Peek(1); err != nil {
		return false
	}
	r.Body = peekedBody{Reader: br, Closer: r.Body}
	return true
}

// peekedBody is a request body whose start was read into Reader.
type peekedBody struct {
	io.Reader
	io.Closer
}

// parseFilter reads limit (1 to MaxLimit, DefaultLimit when absent) and pending.
func parseFilter(c echo.Context) (ListFilter, error) {
	f := ListFilter{Limit: DefaultLimit}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxLimit {
			return f, httpserver.ValidationError(map[string]string{"limit": fmt.Sprintf("must be an integer from 1 to %d", MaxLimit)})
		}
		f.Limit = n
	}
	if v := c.QueryParam("pending"); v != "" {
		pending, err := strconv.ParseBool(v)
		if err != nil {
			return f, httpserver.ValidationError(map[string]string{"pending": "must be true or false"})
		}
		f.Pending = pending
	}
	return f, nil
}

// publicError maps a store error to the answer: 404 and 400 for the request's mistakes, 422
// for a permanent replay failure, 503 otherwise (the database or the handler's dependencies
// are down; trying again later can succeed). The 503 keeps its cause for the error log.
func publicError(err error) error {
	switch {
	case errors.Is(err, ErrNotFound):
		return httpserver.NewError(http.StatusNotFound, "not_found", "dead letter not found")
	case errors.Is(err, ErrInvalidData):
		return httpserver.NewError(http.StatusBadRequest, "invalid_data", "data must be a JSON object")
	case pubsub.IsPermanent(err):
		return httpserver.NewError(http.StatusUnprocessableEntity, "replay_failed", err.Error())
	default:
		return fmt.Errorf("%w: %w", httpserver.NewError(http.StatusServiceUnavailable, "unavailable",
			"dead letters are unavailable, try again later"), err)
	}
}
