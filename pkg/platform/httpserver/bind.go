package httpserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// unknownFieldPrefix starts the error encoding/json returns for a field that DisallowUnknownFields rejects.
const unknownFieldPrefix = "json: unknown field "

// BindJSON decodes the request body into v strictly: the Content-Type must be application/json, the
// body must hold exactly one JSON value, and fields v does not declare are rejected. The returned
// error is an *Error: 415 unsupported_media_type, 400 unknown_field (details name the field),
// 400 invalid_json, 400 validation_failed for a value of the wrong type (details name the field), or
// 413 payload_too_large when the body exceeds the server's limit.
func BindJSON(c echo.Context, v any) error {
	req := c.Request()
	if !isJSON(req.Header.Get(echo.HeaderContentType)) {
		return NewError(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "Content-Type must be application/json")
	}
	dec := json.NewDecoder(req.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if isTooLarge(err) {
			return errTooLarge()
		}
		return NewError(http.StatusBadRequest, CodeInvalidJSON, "request body must hold a single JSON value")
	}
	return nil
}

// isJSON reports whether contentType is application/json, with or without parameters.
func isJSON(contentType string) bool {
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == echo.MIMEApplicationJSON
}

// decodeError maps an error from json.Decoder.Decode to the Error the client sees.
func decodeError(err error) *Error {
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case isTooLarge(err):
		return errTooLarge()
	case errors.Is(err, io.EOF):
		return NewError(http.StatusBadRequest, CodeInvalidJSON, "request body is empty")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return NewError(http.StatusBadRequest, CodeInvalidJSON, "request body is not valid JSON")
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return ValidationError(map[string]string{typeErr.Field: "has the wrong type (got JSON " + typeErr.Value + ")"})
	case strings.HasPrefix(err.Error(), unknownFieldPrefix):
		field := strings.Trim(strings.TrimPrefix(err.Error(), unknownFieldPrefix), `"`)
		return NewError(http.StatusBadRequest, CodeUnknownField, fmt.Sprintf("unknown field %q", field)).
			WithDetails(map[string]string{"field": field})
	default:
		return NewError(http.StatusBadRequest, CodeInvalidJSON, "request body does not match the expected JSON")
	}
}

// isTooLarge reports whether err comes from a body reader that hit its size limit: echo's BodyLimit
// middleware or http.MaxBytesReader.
func isTooLarge(err error) bool {
	var httpErr *echo.HTTPError
	var maxBytesErr *http.MaxBytesError
	return errors.As(err, &maxBytesErr) || (errors.As(err, &httpErr) && httpErr.Code == http.StatusRequestEntityTooLarge)
}

func errTooLarge() *Error {
	return NewError(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "request body is too large")
}
