package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// Client is the caller an API key belongs to.
type Client struct {
	// ID is the client id the key maps to; services see it as X-Client-Id.
	ID string
	// KeyID identifies the key itself (a digest prefix, safe to store and log), e.g. for rate limits.
	KeyID string
	// Admin keys may use /admin.
	Admin bool
}

// APIKeys maps API keys to the client they identify. Keys are held as SHA-256 digests: the raw key
// is compared only through its digest and never kept, logged or stored elsewhere.
type APIKeys struct {
	byDigest map[[sha256.Size]byte]string
}

// ParseAPIKeys reads comma-separated key:clientId pairs, e.g. "dev-key:dev-client,ci-key:ci".
// Whitespace around entries is ignored; an empty string yields no keys. A key may not appear twice.
// Errors never contain a key.
func ParseAPIKeys(s string) (APIKeys, error) {
	k := APIKeys{byDigest: map[[sha256.Size]byte]string{}}
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		key, client, ok := strings.Cut(entry, ":")
		key, client = strings.TrimSpace(key), strings.TrimSpace(client)
		if !ok || key == "" || client == "" {
			return APIKeys{}, fmt.Errorf("entry %d is not key:clientId", i+1)
		}
		d := sha256.Sum256([]byte(key))
		if _, dup := k.byDigest[d]; dup {
			return APIKeys{}, fmt.Errorf("entry %d repeats a key", i+1)
		}
		k.byDigest[d] = client
	}
	return k, nil
}

// Len is the number of keys.
func (k APIKeys) Len() int { return len(k.byDigest) }

// Lookup returns the client id of key.
func (k APIKeys) Lookup(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	client, ok := k.byDigest[sha256.Sum256([]byte(key))]
	return client, ok
}

// Overlaps reports whether a key appears in both k and other.
func (k APIKeys) Overlaps(other APIKeys) bool {
	for d := range k.byDigest {
		if _, ok := other.byDigest[d]; ok {
			return true
		}
	}
	return false
}

// Authenticator identifies callers by API key: public keys and admin keys. An admin key is also
// accepted on the public routes.
type Authenticator struct {
	public, admin APIKeys
}

// ErrNoKeys means no key at all is configured, so nobody could call the gateway.
var ErrNoKeys = errors.New("no API key configured")

// NewAuthenticator returns an Authenticator for the given keys. A key may not be both public and
// admin.
func NewAuthenticator(public, admin APIKeys) (Authenticator, error) {
	if public.Len()+admin.Len() == 0 {
		return Authenticator{}, ErrNoKeys
	}
	if public.Overlaps(admin) {
		return Authenticator{}, errors.New("a key is both an API key and an admin API key")
	}
	return Authenticator{public: public, admin: admin}, nil
}

// Authenticate returns the client that key belongs to.
func (a Authenticator) Authenticate(key string) (Client, bool) {
	if id, ok := a.admin.Lookup(key); ok {
		return Client{ID: id, KeyID: KeyID(key), Admin: true}, true
	}
	if id, ok := a.public.Lookup(key); ok {
		return Client{ID: id, KeyID: KeyID(key)}, true
	}
	return Client{}, false
}

// KeyID is a stable, non-reversible id of an API key: the first 16 bytes of its SHA-256, in hex.
func KeyID(key string) string {
	d := sha256.Sum256([]byte(key))
	return hex.EncodeToString(d[:16])
}
