package domain

// Limits of the dead-letter list; the same as each service's (pkg/platform/deadletter, checked by
// a test), so that a limit the gateway accepts is one every service accepts.
const (
	DefaultDeadLetterLimit = 100
	MaxDeadLetterLimit     = 1000
)

// Limits of identifiers taken from the path, query and headers.
const (
	MaxIDLength             = 128
	MaxIdempotencyKeyLength = 200
)

// ValidID reports whether id may be used as a path segment towards a service: 1 to MaxIDLength
// characters from [A-Za-z0-9._~:-], not "." or "..". Anything else (slashes, encoded characters,
// spaces) is rejected so that a client cannot steer a request to another upstream path.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDLength || id == "." || id == ".." {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '~', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// ValidCustomerID reports whether a customerId query value is usable: 1 to MaxCustomerIDLength
// characters.
func ValidCustomerID(id string) bool {
	return id != "" && len(id) <= MaxCustomerIDLength
}

// ValidIdempotencyKey reports whether key is 1 to MaxIdempotencyKeyLength printable ASCII
// characters (spaces allowed inside, as in UUIDs or "order 42 attempt 1").
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyLength {
		return false
	}
	for i := range len(key) {
		if key[i] < ' ' || key[i] > '~' {
			return false
		}
	}
	return true
}
