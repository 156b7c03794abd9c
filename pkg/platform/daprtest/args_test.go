package daprtest

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestArgs(t *testing.T) {
	root := "/repo"
	opts := Options{AppID: "payment", AppPort: 8082, ResourcesPaths: DefaultResourcesPaths(root), Config: DefaultConfig(root)}
	args := Args(opts, Ports{HTTP: 3501, GRPC: 50002, Internal: 50102, Metrics: 9091})

	flag := func(name string) []string {
		var values []string
		for i, a := range args {
			if a == name && i+1 < len(args) {
				values = append(values, args[i+1])
			}
		}
		return values
	}
	assert.Equal(t, []string{"payment"}, flag("--app-id"))
	assert.Equal(t, []string{"3501"}, flag("--dapr-http-port"))
	assert.Equal(t, []string{"50002"}, flag("--dapr-grpc-port"))
	assert.Equal(t, []string{"50102"}, flag("--dapr-internal-grpc-port"))
	assert.Equal(t, []string{"9091"}, flag("--metrics-port"))
	assert.Equal(t, []string{"127.0.0.1"}, flag("--dapr-listen-addresses"), "never all interfaces")
	assert.Equal(t, []string{"8082"}, flag("--app-port"))
	assert.Equal(t, []string{"127.0.0.1"}, flag("--app-channel-address"))
	assert.Equal(t, []string{"info"}, flag("--log-level"))
	assert.Equal(t, []string{filepath.Join(root, "deploy/dapr/config/local.yaml")}, flag("--config"))
	assert.Equal(t, []string{
		filepath.Join(root, "deploy/dapr/components/local"),
		filepath.Join(root, "deploy/dapr/resiliency"),
		filepath.Join(root, "deploy/dapr/subscriptions"),
	}, flag("--resources-path"), "one flag per folder: daprd reads no subdirectories")

	publishOnly := Args(Options{AppID: "order"}, Ports{HTTP: 1, GRPC: 2, Internal: 3, Metrics: 4})
	assert.False(t, slices.Contains(publishOnly, "--app-port"), "no app channel without an app port")
}

func TestEnv(t *testing.T) {
	env := Env(Options{RedisAddr: "127.0.0.1:6380", RedisDB: 7, AppToken: "app", APIToken: "api", Env: []string{"X=1"}})
	for _, want := range []string{"DAPR_HOST_IP=127.0.0.1", "REDIS_HOST=127.0.0.1:6380", "REDIS_DB=7", "APP_API_TOKEN=app", "DAPR_API_TOKEN=api", "X=1"} {
		assert.Contains(t, env, want)
	}
	t.Setenv("TEST_REDIS_ADDR", "10.0.0.1:6379")
	assert.Contains(t, Env(Options{}), "REDIS_HOST=10.0.0.1:6379", "defaults to RedisAddr()")
}

func TestFindRepoRoot(t *testing.T) {
	root, err := FindRepoRoot(".")
	require.NoError(t, err)
	abs, _ := filepath.Abs(".")
	assert.Contains(t, abs, root)
	_, err = FindRepoRoot("/")
	assert.Error(t, err)
}
