// Package pubsub is the subscriber side of Dapr pub/sub: echo routes that receive structured
// CloudEvents from the sidecar, check its app token, run typed handlers and answer with the
// outcome Dapr understands (SUCCESS, RETRY or DROP), for single events and bulk batches, plus
// the routes that store each consumer's dead letters.
//
// Errors decide outcomes: nil is SUCCESS, a permanent error (Permanent, or anything wrapping
// events.ErrInvalid) is DROP — Dapr then publishes the event to the subscription's dead-letter
// topic — and every other error is RETRY.
package pubsub

import (
	"errors"

	"github.com/orderflow/orderflow/pkg/events"
)

// Status is the outcome of one event, as Dapr expects it in the response body.
type Status string

// The statuses Dapr understands.
const (
	StatusSuccess Status = "SUCCESS" // processed (or deliberately ignored): acknowledge
	StatusRetry   Status = "RETRY"   // transient failure: deliver again later
	StatusDrop    Status = "DROP"    // can never succeed: send to the dead-letter topic
)

// permanentError marks an error that redelivery cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// Permanent marks err as permanent: the event is dropped to its dead-letter topic instead of
// being retried. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// IsPermanent reports whether err, or an error it wraps, was marked with Permanent or is
// events.ErrInvalid.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p) || errors.Is(err, events.ErrInvalid)
}

// StatusFor maps a handler's error to the status answered to Dapr: nil is SUCCESS, a permanent
// error is DROP, anything else (including context cancellation and deadlines) is RETRY.
func StatusFor(err error) Status {
	switch {
	case err == nil:
		return StatusSuccess
	case IsPermanent(err):
		return StatusDrop
	default:
		return StatusRetry
	}
}
