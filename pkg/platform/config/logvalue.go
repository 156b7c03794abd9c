package config

import (
	"log/slog"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// mask replaces secret values when a configuration is logged.
const mask = "***"

// LogValue returns a slog group with every env-tagged field of cfg (a struct or a pointer to one),
// keyed by its environment variable name. It descends into embedded and nested structs and applies
// their envPrefix tags. Fields tagged secret:"true" are shown as "***" ("" when unset), and the
// password of any URL-valued field is replaced by "xxxxx" (as url.URL.Redacted does).
func LogValue(cfg any) slog.Value {
	v := reflect.ValueOf(cfg)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return slog.GroupValue()
	}
	return slog.GroupValue(structAttrs(v, "")...)
}

// structAttrs lists the env-tagged fields of the struct v, naming each prefix + its variable name.
func structAttrs(v reflect.Value, prefix string) []slog.Attr {
	var attrs []slog.Attr
	t := v.Type()
	for i := range t.NumField() {
		field := t.Field(i)
		if !field.IsExported() {
			continue
		}
		fv := v.Field(i)
		if name, ok := envName(field); ok {
			attrs = append(attrs, slog.Attr{Key: prefix + name, Value: fieldValue(fv, field.Tag.Get("secret") == "true")})
			continue
		}
		if nested, ok := structValue(fv); ok {
			attrs = append(attrs, structAttrs(nested, prefix+field.Tag.Get("envPrefix"))...)
		}
	}
	return attrs
}

// envName returns the variable name of an env tag such as `env:"DATABASE_URL,required"`.
func envName(field reflect.StructField) (string, bool) {
	name, _, _ := strings.Cut(field.Tag.Get("env"), ",")
	return name, name != ""
}

// structValue returns v, or what v points to, when that is a struct.
func structValue(v reflect.Value) (reflect.Value, bool) {
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return v, false
		}
		v = v.Elem()
	}
	return v, v.Kind() == reflect.Struct
}

// fieldValue renders one configuration value with its secrets masked.
func fieldValue(v reflect.Value, secret bool) slog.Value {
	if secret {
		if v.IsZero() {
			return slog.StringValue("")
		}
		return slog.StringValue(mask)
	}
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return slog.StringValue("")
		}
		v = v.Elem()
	}
	switch x := v.Interface().(type) {
	case time.Duration:
		return slog.StringValue(x.String())
	case url.URL:
		return slog.StringValue(x.Redacted())
	case string:
		return slog.StringValue(maskURLString(x))
	case []string:
		masked := make([]string, len(x))
		for i, s := range x {
			masked[i] = maskURLString(s)
		}
		return slog.AnyValue(masked)
	default:
		return slog.AnyValue(x)
	}
}

// maskURLString replaces the password of s with "xxxxx" if s looks like a URL. A URL-looking value
// that does not parse is masked entirely, as its password cannot be located reliably.
func maskURLString(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return mask
	}
	return u.Redacted()
}
