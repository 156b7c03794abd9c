package httpserver

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The request metrics are shared by every Server in the process and registered once with the
// default registry, however many servers are created (tests create many).
var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "http_requests_total",
		Help: "HTTP requests served, by route template and status code.",
	}, []string{"service", "method", "route", "status"})

	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "http_request_duration_seconds",
		Help:    "Time to serve an HTTP request, by route template.",
		Buckets: prometheus.DefBuckets,
	}, []string{"service", "method", "route"})

	registerOnce sync.Once
)

// knownMethods bounds the method label; any other method counts as "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

func registerMetrics() {
	registerOnce.Do(func() {
		prometheus.MustRegister(requestsTotal, requestDuration)
	})
}

// observeRequest records one served request.
func observeRequest(service, method, route string, status int, elapsed time.Duration) {
	if !knownMethods[method] {
		method = "other"
	}
	requestsTotal.WithLabelValues(service, method, route, strconv.Itoa(status)).Inc()
	requestDuration.WithLabelValues(service, method, route).Observe(elapsed.Seconds())
}
