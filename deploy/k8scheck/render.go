// Package k8scheck renders kustomize overlays and checks them without a cluster: every object
// decodes strictly into its Kubernetes API type, every Dapr resource validates against the CRD
// schemas of the Dapr release the project runs, and the invariants that would otherwise fail
// only in a cluster (sidecar annotations and ports, pub/sub scopes, images, production
// hardening) hold. The Orderflow specifics (overlay paths, service contracts, image allow-list)
// live in the tests; this package knows Kubernetes, Dapr and skaffold only.
package k8scheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Render builds the kustomization in dir as `kubectl apply -k` and skaffold do, with the
// default load restrictions (LoadRestrictionsRootOnly): a kustomization may include another
// kustomization directory outside its root (deploy/k8s/base includes ../../dapr that way), but
// no loose file outside it.
func Render(dir string) ([]*unstructured.Unstructured, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	objs := make([]*unstructured.Unstructured, 0, resMap.Size())
	for _, r := range resMap.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(data); err != nil {
			return nil, fmt.Errorf("kustomize build %s: %s: %w", dir, r.CurId(), err)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// LoadFile reads the objects of a YAML file holding one or more documents (empty ones are
// skipped), e.g. a Dapr component file that daprd loads directly.
func LoadFile(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	objs, err := ParseYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return objs, nil
}

// ParseYAML reads the objects of a multi-document YAML stream (empty documents are skipped).
func ParseYAML(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for doc := 1; ; doc++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		// Decoded like the API server decodes a request: integers stay int64.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("document %d: %w", doc, err)
		}
		objs = append(objs, u)
	}
}

// describe names an object for messages: Kind/name.
func describe(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetName()
}
