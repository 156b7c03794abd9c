package pubsubtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/httpserver"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
	"github.com/orderflow/orderflow/pkg/platform/pubsub/pubsubtest"
)

const token = "app-token"

func TestDeliverAndRequest(t *testing.T) {
	router := pubsub.NewRouter("test", token, slog.New(slog.DiscardHandler))
	router.Handle("/events/created", events.TypeOrderCreated, func(_ context.Context, ev events.CloudEvent) error {
		if ev.ID == "poison" {
			return pubsub.Permanent(errors.New("invalid"))
		}
		return nil
	})
	e := httpserver.New(httpserver.Options{Logger: slog.New(slog.DiscardHandler), BodyLimitSkipper: router.Skipper}).Echo
	router.Register(e)
	e.GET("/things", func(c echo.Context) error {
		return c.String(http.StatusOK, c.Request().Header.Get("Content-Type"))
	}, router.RequireAppToken)

	event := func(id string) []byte {
		now := time.Now()
		b, err := json.Marshal(events.CloudEvent{SpecVersion: "1.0", ID: id, Source: "order", Type: events.TypeOrderCreated,
			Time: &now, DataContentType: "application/json", Data: json.RawMessage(`{}`)})
		require.NoError(t, err)
		return b
	}
	assert.Equal(t, pubsub.StatusSuccess, pubsubtest.Deliver(t, e, token, "/events/created", event("ev-1")))
	assert.Equal(t, pubsub.StatusDrop, pubsubtest.Deliver(t, e, token, "/events/created", event("poison")))

	code, body := pubsubtest.Request(t, e, http.MethodGet, "/things", token, "text/plain", "")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "text/plain", body)
	code, _ = pubsubtest.Request(t, e, http.MethodGet, "/things", "", "", "")
	assert.Equal(t, http.StatusUnauthorized, code, "no token sent when empty")
}
