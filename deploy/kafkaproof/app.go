package kafkaproof

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/orderflow/orderflow/pkg/events"
	"github.com/orderflow/orderflow/pkg/platform/pubsub"
)

// App is a subscriber test app standing in for one service behind its sidecar: it accepts every
// delivery on any path (the paths come from deploy/dapr/subscriptions), checks the sidecar's
// APP_API_TOKEN, records the event, and answers with the status decide returns.
type App struct {
	Port int

	token  string
	decide func(Delivery) pubsub.Status
	mu     sync.Mutex
	got    []Delivery
}

// Delivery is one event as the sidecar delivered it.
type Delivery struct {
	Path  string
	Event events.CloudEvent
}

// StartApp serves an App on a free port of 127.0.0.1 until the end of the test.
func StartApp(t testing.TB, token string, decide func(Delivery) pubsub.Status) *App {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &App{Port: ln.Addr().(*net.TCPAddr).Port, token: token, decide: decide}
	srv := &http.Server{Handler: http.HandlerFunc(a.serve)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("test app: %v", err)
		}
	}()
	t.Cleanup(func() { _ = srv.Close() })
	return a
}

func (a *App) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/dapr/subscribe" {
		_, _ = w.Write([]byte("[]")) // declarative subscriptions only
		return
	}
	if r.Header.Get(pubsub.HeaderAPIToken) != a.token {
		http.Error(w, "missing or wrong dapr-api-token", http.StatusUnauthorized)
		return
	}
	var ev events.CloudEvent
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil || ev.Validate() != nil {
		writeStatus(w, pubsub.StatusDrop)
		return
	}
	d := Delivery{Path: r.URL.Path, Event: ev}
	a.mu.Lock()
	a.got = append(a.got, d)
	a.mu.Unlock()
	writeStatus(w, a.decide(d))
}

func writeStatus(w http.ResponseWriter, s pubsub.Status) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]pubsub.Status{"status": s})
}

// Received returns the deliveries so far, in arrival order, each event id once per path: Kafka
// delivery is at least once (a consumer group rebalance may redeliver), so a repeat is not a new
// arrival.
func (a *App) Received() []Delivery {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Delivery
	for _, d := range a.got {
		if !slices.ContainsFunc(out, func(o Delivery) bool { return o.Path == d.Path && o.Event.ID == d.Event.ID }) {
			out = append(out, d)
		}
	}
	return out
}
