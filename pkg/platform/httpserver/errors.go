package httpserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// Error codes set by this package. Handlers may use any other snake_case code.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeUnknownField         = "unknown_field"
	CodeValidationFailed     = "validation_failed"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodePayloadTooLarge      = "payload_too_large"
	CodeTimeout              = "timeout"
	CodeInternal             = "internal"
)

// Error is an error meant for the client: handlers return it and the error handler writes it as
// {"error":{"code":...,"message":...,"details":...}} with status Status. It may be wrapped; to log the
// cause of a server error, wrap both: fmt.Errorf("%w: %w", httpserver.NewError(503, ...), err).
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Details any    `json:"details,omitempty"`
}

// NewError returns an Error with the given HTTP status, machine-readable code and human-readable message.
func NewError(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// WithDetails returns a copy of e carrying d, so that shared Error values are never modified.
func (e *Error) WithDetails(d any) *Error {
	withDetails := *e
	withDetails.Details = d
	return &withDetails
}

// Error implements error.
func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// ValidationError returns a 400 validation_failed Error whose details map each invalid field to
// what is wrong with it.
func ValidationError(details map[string]string) *Error {
	return NewError(http.StatusBadRequest, CodeValidationFailed, "request validation failed").WithDetails(details)
}

// ErrorResponse is the body of every error response, for clients decoding it.
type ErrorResponse struct {
	Error *Error `json:"error"`
}

// handleError is the echo HTTPErrorHandler: it maps err to an Error, logs server errors with their
// internal cause and writes the response unless one was already sent.
func (s *Server) handleError(err error, c echo.Context) {
	public := toPublic(err)
	ctx := c.Request().Context()
	if public.Status >= http.StatusInternalServerError {
		s.log.LogAttrs(ctx, slog.LevelError, "request failed",
			slog.String("method", c.Request().Method), slog.String("route", routeOf(c)),
			slog.Int("status", public.Status), slog.Any("error", err))
	}
	if c.Response().Committed {
		return
	}
	var writeErr error
	if c.Request().Method == http.MethodHead {
		writeErr = c.NoContent(public.Status)
	} else {
		writeErr = c.JSON(public.Status, ErrorResponse{Error: public})
	}
	if writeErr != nil {
		s.log.WarnContext(ctx, "writing error response failed", "error", writeErr)
	}
}

// toPublic maps any error to the Error the client sees. Errors that are not an *Error or an
// *echo.HTTPError become a 500 that reveals nothing about the cause.
func toPublic(err error) *Error {
	var public *Error
	if errors.As(err, &public) {
		return public
	}
	var httpErr *echo.HTTPError
	if errors.As(err, &httpErr) {
		return fromHTTPError(httpErr)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return NewError(http.StatusGatewayTimeout, CodeTimeout, "request timed out")
	}
	return NewError(http.StatusInternalServerError, CodeInternal, "internal error")
}

// fromHTTPError keeps the status of an echo error and its message when that is a string; the
// internal error it may wrap is never shown.
func fromHTTPError(e *echo.HTTPError) *Error {
	message, ok := e.Message.(string)
	if !ok {
		message = http.StatusText(e.Code)
	}
	return NewError(e.Code, codeForStatus(e.Code), message)
}

// codeForStatus derives an error code from an HTTP status: its status text in snake_case, except
// for 413, whose status text is dated.
func codeForStatus(status int) string {
	if status == http.StatusRequestEntityTooLarge {
		return CodePayloadTooLarge
	}
	return snakeCase(http.StatusText(status))
}

// snakeCase lowercases s and joins its words with underscores: "I'm a teapot" → "i_m_a_teapot".
func snakeCase(s string) string {
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < '0' || r > '9')
	})
	return strings.Join(words, "_")
}
