package configtest_test

import (
	"errors"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/orderflow/orderflow/pkg/platform/config/configtest"
)

func TestRejectsSetsExactlyTheCaseVariables(t *testing.T) {
	t.Setenv("CONFIGTEST_A", "ambient")
	t.Setenv("CONFIGTEST_B", "ambient")
	type seen struct{ a, b, c string }
	var got []seen
	load := func() error {
		_, aSet := os.LookupEnv("CONFIGTEST_A")
		b, _ := os.LookupEnv("CONFIGTEST_B")
		c, _ := os.LookupEnv("CONFIGTEST_C")
		a := "unset"
		if aSet {
			a = os.Getenv("CONFIGTEST_A")
		}
		got = append(got, seen{a, b, c})
		return errors.New("CONFIGTEST_B is bad")
	}
	configtest.Rejects(t, load, []string{"CONFIGTEST_A", "CONFIGTEST_B"},
		configtest.Case{Name: "empty b", Env: map[string]string{"CONFIGTEST_B": ""}, Want: "CONFIGTEST_B"},
		configtest.Case{Name: "extra variable", Env: map[string]string{"CONFIGTEST_A": "x", "CONFIGTEST_B": "y", "CONFIGTEST_C": "z"}},
	)
	assert.Equal(t, []seen{{"unset", "", ""}, {"x", "y", "z"}}, got)
	assert.Equal(t, "ambient", os.Getenv("CONFIGTEST_A"), "restored after the case")
	_, cSet := os.LookupEnv("CONFIGTEST_C")
	assert.False(t, cSet, "restored after the case")
}
