package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// api calls the gateway.
type api struct {
	base, key, adminKey string
	http                *http.Client
}

func newAPI(sys System) *api {
	base, key, admin := sys.Gateway()
	return &api{base: strings.TrimRight(base, "/"), key: key, adminKey: admin, http: &http.Client{Timeout: 15 * time.Second}}
}

// response is an answer of the gateway, body read in full.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) String() string {
	return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Body))
}

// request describes one call. Body is sent as is when it is []byte, else JSON-encoded.
type request struct {
	Method  string
	Path    string
	Body    any
	Key     *string // API key; nil: the public key
	Headers map[string]string
}

func (a *api) do(ctx context.Context, r request) (response, error) {
	var body io.Reader
	contentType := ""
	switch b := r.Body.(type) {
	case nil:
	case []byte:
		body, contentType = bytes.NewReader(b), "application/json"
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		body, contentType = bytes.NewReader(enc), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, a.base+r.Path, body)
	if err != nil {
		return response{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	key := a.key
	if r.Key != nil {
		key = *r.Key
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for k, v := range r.Headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// must performs r and fails the test when no answer came.
func (a *api) must(t testing.TB, r request) response {
	t.Helper()
	resp, err := a.do(context.Background(), r)
	require.NoError(t, err, "%s %s", r.Method, r.Path)
	return resp
}

// getJSON GETs path (public key) and decodes a 200 answer into v.
func (a *api) getJSON(path string, v any) error {
	resp, err := a.do(context.Background(), request{Method: http.MethodGet, Path: path})
	if err != nil {
		return err
	}
	if resp.Status != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp)
	}
	return json.Unmarshal(resp.Body, v)
}

// The gateway's JSON bodies, as far as the suite reads them.

type item struct {
	ProductID string `json:"productId"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"`
}

type newOrder struct {
	CustomerID   string `json:"customerId"`
	Currency     string `json:"currency"`
	Items        []item `json:"items"`
	PaymentToken string `json:"paymentToken,omitempty"`
}

func (o newOrder) total() int64 {
	var sum int64
	for _, it := range o.Items {
		sum += int64(it.Quantity) * it.UnitPrice
	}
	return sum
}

type order struct {
	OrderID      string `json:"orderId"`
	CustomerID   string `json:"customerId"`
	Status       string `json:"status"`
	StatusReason string `json:"statusReason"`
	Currency     string `json:"currency"`
	Items        []item `json:"items"`
	TotalAmount  int64  `json:"totalAmount"`
	Version      int64  `json:"version"`
}

type payment struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
}

type notification struct {
	ID        string `json:"id"`
	EventID   string `json:"eventId"`
	EventType string `json:"eventType"`
	OrderID   string `json:"orderId"`
	Recipient string `json:"recipient"`
	Channel   string `json:"channel"`
	Subject   string `json:"subject"`
}

type deadLetter struct {
	ID          string          `json:"id"`
	Service     string          `json:"service"`
	Consumer    string          `json:"consumer"`
	Topic       string          `json:"topic"`
	EventID     string          `json:"eventId"`
	EventType   string          `json:"eventType"`
	Event       json.RawMessage `json:"event"`
	ReplayedAt  *time.Time      `json:"replayedAt"`
	ReplayCount int             `json:"replayCount"`
	LastError   string          `json:"lastError"`
}

type errorBody struct {
	Error *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	} `json:"error"`
}

// placeOrder POSTs o with a fresh idempotency key and requires 201.
func (a *api) placeOrder(t testing.TB, o newOrder) order {
	t.Helper()
	resp := a.must(t, request{Method: http.MethodPost, Path: "/orders", Body: o, Headers: map[string]string{"Idempotency-Key": newID()}})
	require.Equal(t, http.StatusCreated, resp.Status, "POST /orders: %s", resp)
	var got order
	require.NoError(t, json.Unmarshal(resp.Body, &got), resp.String())
	require.NotEmpty(t, got.OrderID, resp.String())
	return got
}

func (a *api) order(id string) (order, error) {
	var o order
	err := a.getJSON("/orders/"+url.PathEscape(id), &o)
	return o, err
}

func (a *api) ordersOf(customerID string) ([]order, error) {
	var body struct {
		Orders []order `json:"orders"`
	}
	err := a.getJSON("/orders?limit=100&customerId="+url.QueryEscape(customerID), &body)
	return body.Orders, err
}

func (a *api) payments(orderID string) ([]payment, error) {
	var body struct {
		Payments []payment `json:"payments"`
	}
	err := a.getJSON("/orders/"+url.PathEscape(orderID)+"/payments", &body)
	return body.Payments, err
}

func (a *api) notifications(orderID string) ([]notification, error) {
	var body struct {
		Notifications []notification `json:"notifications"`
	}
	err := a.getJSON("/orders/"+url.PathEscape(orderID)+"/notifications", &body)
	return body.Notifications, err
}

func (a *api) deadLetters() ([]deadLetter, error) {
	resp, err := a.do(context.Background(), request{Method: http.MethodGet, Path: "/admin/deadletters?limit=1000", Key: &a.adminKey})
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, fmt.Errorf("GET /admin/deadletters: %s", resp)
	}
	var body struct {
		DeadLetters []deadLetter      `json:"deadLetters"`
		Errors      map[string]string `json:"errors"`
	}
	if err := json.Unmarshal(resp.Body, &body); err != nil {
		return nil, err
	}
	if len(body.Errors) > 0 {
		return nil, fmt.Errorf("GET /admin/deadletters: services failed: %v", body.Errors)
	}
	return body.DeadLetters, nil
}

// stats are the analytics aggregates of one currency.
type stats struct {
	OrdersCreated, OrdersPaid, OrdersCancelled, PaymentsFailed, PaymentsRefunded int64
	Revenue, Refunded                                                            int64
}

// analytics sums the hourly aggregates of currency over the last day (and the next hour, for
// clocks a little apart).
func (a *api) analytics(currency string) (stats, error) {
	now := time.Now().UTC()
	q := url.Values{"from": {now.Add(-24 * time.Hour).Format(time.RFC3339)}, "to": {now.Add(time.Hour).Format(time.RFC3339)}}
	var body struct {
		Hourly []struct {
			Currency         string      `json:"currency"`
			OrdersCreated    int64       `json:"ordersCreated"`
			OrdersPaid       int64       `json:"ordersPaid"`
			OrdersCancelled  int64       `json:"ordersCancelled"`
			PaymentsFailed   int64       `json:"paymentsFailed"`
			PaymentsRefunded int64       `json:"paymentsRefunded"`
			Revenue          json.Number `json:"revenue"`
			Refunded         json.Number `json:"refunded"`
		} `json:"hourly"`
	}
	if err := a.getJSON("/analytics/summary?"+q.Encode(), &body); err != nil {
		return stats{}, err
	}
	var s stats
	for _, h := range body.Hourly {
		if h.Currency != currency {
			continue
		}
		s.OrdersCreated += h.OrdersCreated
		s.OrdersPaid += h.OrdersPaid
		s.OrdersCancelled += h.OrdersCancelled
		s.PaymentsFailed += h.PaymentsFailed
		s.PaymentsRefunded += h.PaymentsRefunded
		rev, err := amount(h.Revenue)
		if err != nil {
			return stats{}, err
		}
		ref, err := amount(h.Refunded)
		if err != nil {
			return stats{}, err
		}
		s.Revenue += rev
		s.Refunded += ref
	}
	return s, nil
}

func amount(n json.Number) (int64, error) {
	if n == "" {
		return 0, nil
	}
	v, ok := new(big.Int).SetString(string(n), 10)
	if !ok || !v.IsInt64() {
		return 0, fmt.Errorf("amount %q is not an int64", n)
	}
	return v.Int64(), nil
}

func countWhere[T any](xs []T, f func(T) bool) int {
	n := 0
	for _, x := range xs {
		if f(x) {
			n++
		}
	}
	return n
}

func itoa(n int) string { return strconv.Itoa(n) }
