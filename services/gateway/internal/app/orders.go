package app

import (
	"context"
	"net/http"
	"net/url"

	"github.com/orderflow/orderflow/services/gateway/contract"
	"github.com/orderflow/orderflow/services/gateway/internal/domain"
	"github.com/orderflow/orderflow/services/gateway/internal/metrics"
)

// Headers the gateway sends to the services.
const (
	headerContentType = "Content-Type"
	mimeJSON          = "application/json"
)

// CreateOrder forwards a validated order to the order service, which is the source of truth for
// idempotency: it stores (client, key, request hash) with the order and answers repeats itself.
// With an idempotency key, Redis sits in front of it:
//   - a cached answer for (client, key) with the same request hash is returned as it was, with
//     Idempotent-Replayed: true, without calling the order service; another hash is ErrKeyReused;
//   - otherwise an in-flight lock (SET NX with a TTL) makes a concurrent duplicate fail with
//     ErrInProgress instead of racing the first request; the holder caches a 2xx answer.
//
// When Redis fails, both are skipped and the order service's answer decides.
func (g *Gateway) CreateOrder(ctx context.Context, client domain.Client, idempotencyKey string, order domain.CreateOrder) (Response, error) {
	body := order.Canonical()
	call := Call{
		App: contract.OrderApp, Method: http.MethodPost, Path: "/orders",
		Header: clientHeader(client), Body: body,
	}
	call.Header.Set(headerContentType, mimeJSON)
	if idempotencyKey == "" {
		return g.Forward(ctx, call)
	}
	call.Header.Set(contract.HeaderIdempotencyKey, idempotencyKey)
	hash := domain.RequestHash(body)

	resp, hit, storeUp, err := g.cached(ctx, client.ID, idempotencyKey, hash)
	if err != nil || hit {
		return resp, err
	}
	if !storeUp {
		return g.Forward(ctx, call) // Redis is down: the order service alone decides
	}
	token, locked, err := g.store.Lock(ctx, client.ID, idempotencyKey, g.opts.IdempotencyLockTTL)
	if err != nil {
		g.storeFailed(ctx, metrics.OpIdempotencyLock, err)
		return g.Forward(ctx, call)
	}
	if !locked {
		metrics.IdempotencyInProgress.Inc()
		return Response{}, ErrInProgress
	}
	defer g.unlock(ctx, client.ID, idempotencyKey, token)
	// The request that held the lock before may have cached its answer since our first look.
	if resp, hit, _, err := g.cached(ctx, client.ID, idempotencyKey, hash); err != nil || hit {
		return resp, err
	}

	resp, err = g.Forward(ctx, call)
	if err == nil && resp.Status/100 == 2 {
		g.save(ctx, client.ID, idempotencyKey, StoredResponse{
			RequestHash: hash, Status: resp.Status, Body: resp.Body, Location: resp.Header.Get("Location"),
		})
	}
	return resp, err
}

// save caches an answer, even when the client has gone away meanwhile: a retry then gets it.
func (g *Gateway) save(ctx context.Context, client, key string, r StoredResponse) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.opts.StoreTimeout)
	defer cancel()
	if err := g.store.Save(ctx, client, key, r, g.opts.IdempotencyTTL); err != nil {
		g.storeFailed(ctx, metrics.OpIdempotencySave, err)
	}
}

// cached looks (client, key) up in the idempotency cache. A hit with the same hash is the
// replayed answer; with another hash it is ErrKeyReused. storeUp is false when the store failed
// (or there is none), which counts as a miss.
func (g *Gateway) cached(ctx context.Context, client, key, hash string) (resp Response, hit, storeUp bool, err error) {
	if g.store == nil {
		return Response{}, false, false, nil
	}
	stored, ok, err := g.store.Get(ctx, client, key)
	if err != nil {
		g.storeFailed(ctx, metrics.OpIdempotencyGet, err)
		return Response{}, false, false, nil
	}
	if !ok {
		return Response{}, false, true, nil
	}
	if stored.RequestHash != hash {
		metrics.IdempotencyCache.WithLabelValues(metrics.CacheMismatch).Inc()
		return Response{}, true, true, ErrKeyReused
	}
	metrics.IdempotencyCache.WithLabelValues(metrics.CacheReplayed).Inc()
	h := http.Header{}
	h.Set(headerContentType, mimeJSON)
	h.Set(contract.HeaderIdempotentReplayed, "true")
	if stored.Location != "" {
		h.Set("Location", stored.Location)
	}
	return Response{Status: stored.Status, Header: h, Body: stored.Body}, true, true, nil
}

// unlock releases the in-flight lock even when the request's context has ended.
func (g *Gateway) unlock(ctx context.Context, client, key, token string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), g.opts.StoreTimeout)
	defer cancel()
	if err := g.store.Unlock(ctx, client, key, token); err != nil {
		g.storeFailed(ctx, metrics.OpIdempotencyUnlock, err)
	}
}

// GetOrder returns one order.
func (g *Gateway) GetOrder(ctx context.Context, client domain.Client, id string) (Response, error) {
	return g.get(ctx, client, contract.OrderApp, "/orders/"+url.PathEscape(id), nil)
}

// ListOrders lists orders; query (customerId, ...) is passed on.
func (g *Gateway) ListOrders(ctx context.Context, client domain.Client, query url.Values) (Response, error) {
	return g.get(ctx, client, contract.OrderApp, "/orders", query)
}

// ChangeOrderStatus asks the order service for a status change; it decides which transitions
// are allowed (409 otherwise).
func (g *Gateway) ChangeOrderStatus(ctx context.Context, client domain.Client, id string, change domain.StatusChange) (Response, error) {
	call := Call{
		App: contract.OrderApp, Method: http.MethodPut, Path: "/orders/" + url.PathEscape(id) + "/status",
		Header: clientHeader(client), Body: mustJSON(change),
	}
	call.Header.Set(headerContentType, mimeJSON)
	return g.Forward(ctx, call)
}

// OrderPayments lists the payments of an order.
func (g *Gateway) OrderPayments(ctx context.Context, client domain.Client, orderID string) (Response, error) {
	return g.get(ctx, client, contract.PaymentApp, "/payments", url.Values{"orderId": {orderID}})
}

// ListPayments lists payments; query (customerId, ...) is passed on.
func (g *Gateway) ListPayments(ctx context.Context, client domain.Client, query url.Values) (Response, error) {
	return g.get(ctx, client, contract.PaymentApp, "/payments", query)
}

// OrderNotifications lists the notifications about an order.
func (g *Gateway) OrderNotifications(ctx context.Context, client domain.Client, orderID string) (Response, error) {
	return g.get(ctx, client, contract.NotificationApp, "/notifications", url.Values{"orderId": {orderID}})
}

// ListNotifications lists notifications; query (customerId, ...) is passed on.
func (g *Gateway) ListNotifications(ctx context.Context, client domain.Client, query url.Values) (Response, error) {
	return g.get(ctx, client, contract.NotificationApp, "/notifications", query)
}

// AnalyticsSummary returns the analytics summary; query is passed on.
func (g *Gateway) AnalyticsSummary(ctx context.Context, client domain.Client, query url.Values) (Response, error) {
	return g.get(ctx, client, contract.AnalyticsApp, "/analytics/summary", query)
}

func (g *Gateway) get(ctx context.Context, client domain.Client, app, path string, query url.Values) (Response, error) {
	return g.Forward(ctx, Call{App: app, Method: http.MethodGet, Path: path, Query: query, Header: clientHeader(client)})
}

// clientHeader tells the service which API client is calling.
func clientHeader(client domain.Client) http.Header {
	h := http.Header{}
	h.Set(contract.HeaderClientID, client.ID)
	return h
}
