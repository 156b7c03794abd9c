// Package configtest checks that a service's configuration rejects bad environments, the same
// way in every service.
package configtest

import (
	"os"
	"strings"
	"testing"
)

// Case is an environment a configuration must reject.
type Case struct {
	Name string
	// Env holds the variables set for the case (an empty value is set, not unset); every
	// variable of Rejects' vars that Env lacks is unset.
	Env map[string]string
	// Want is text the error must contain, such as the offending variable's name.
	Want string
}

// Rejects runs a subtest per case: it sets the case's variables and unsets the other ones of
// vars (restoring all of them after the test), then requires load to fail with an error
// containing the case's Want.
func Rejects(t *testing.T, load func() error, vars []string, cases ...Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			for _, k := range vars {
				if _, set := c.Env[k]; !set {
					t.Setenv(k, "") // restores the variable after the test
					if err := os.Unsetenv(k); err != nil {
						t.Fatal(err)
					}
				}
			}
			for k, v := range c.Env {
				t.Setenv(k, v)
			}
			err := load()
			if err == nil {
				t.Fatalf("configuration loaded from %v, want an error containing %q", c.Env, c.Want)
			}
			if !strings.Contains(err.Error(), c.Want) {
				t.Fatalf("error %q does not contain %q", err, c.Want)
			}
		})
	}
}
