// Package kafkaproof proves the production Kafka pub/sub component where no Kafka can run: real
// daprd sidecars load deploy/dapr/components/kafka (the production component minus broker
// addresses and authentication) and talk to a Kafka-protocol TEST broker that runs in the test
// process (github.com/twmb/franz-go/pkg/kfake). The test broker speaks the Kafka wire protocol,
// consumer groups included, but it is not Kafka: the proof covers Dapr's use of the protocol and
// the component's settings, not a Kafka cluster's operation.
package kafkaproof

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// StartTestBroker starts an in-process Kafka-protocol test broker (kfake, one broker) with topics
// created up front, each with partitions partitions, and returns its bootstrap address
// (host:port, the component's brokers value). It is closed at the end of the test.
func StartTestBroker(t testing.TB, partitions int32, topics ...string) string {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...))
	if err != nil {
		t.Fatalf("kafka test broker: %v", err)
	}
	t.Cleanup(cluster.Close)
	return strings.Join(cluster.ListenAddrs(), ",")
}
