package pubsub

import (
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/orderflow/orderflow/pkg/events"
)

// The collectors are registered once, with the default registry, however many routers exist.
var (
	eventsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "pubsub_events_total",
		Help: "Events received from the Dapr sidecar, by consumer, route, event type and answered status.",
	}, []string{"consumer", "route", "type", "status"})

	requestDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pubsub_request_duration_seconds",
		Help:    "Time to answer one delivery from the Dapr sidecar (a single event or a whole bulk batch).",
		Buckets: prometheus.DefBuckets,
	}, []string{"consumer", "route"})
)

// typeLabel bounds the type label's cardinality: the type comes from the request body.
func typeLabel(eventType string) string {
	if eventType == "" || slices.Contains(events.Types(), eventType) {
		return eventType
	}
	return "unknown"
}

func (r *Router) countEvent(route, eventType string, status Status) {
	eventsTotal.WithLabelValues(r.consumer, route, typeLabel(eventType), string(status)).Inc()
}

func (r *Router) observeDuration(route string, start time.Time) {
	requestDuration.WithLabelValues(r.consumer, route).Observe(time.Since(start).Seconds())
}
