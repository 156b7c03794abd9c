package k8scheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// Manifests are the objects of one rendered overlay, each decoded into its API type.
type Manifests struct {
	Deployments    []*appsv1.Deployment
	StatefulSets   []*appsv1.StatefulSet
	Services       []*corev1.Service
	ConfigMaps     []*corev1.ConfigMap
	Secrets        []*corev1.Secret
	HPAs           []*autoscalingv2.HorizontalPodAutoscaler
	PDBs           []*policyv1.PodDisruptionBudget
	Ingresses      []*networkingv1.Ingress
	Components     []*Component
	Subscriptions  []*Subscription
	Configurations []string // names of the Dapr Configurations
	Resiliencies   []string // names of the Dapr Resiliencies
	Other          []runtime.Object
}

// The API groups an overlay may use besides dapr.io. An object of any other group fails to
// decode: add its group here, with the checks it needs.
var k8sScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, autoscalingv2.AddToScheme, policyv1.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err)
		}
	}
	return s
}()

// strictDecoder rejects unknown and duplicate fields, as `kubectl apply --validate=strict` does.
var strictDecoder = serializer.NewCodecFactory(k8sScheme, serializer.EnableStrict).UniversalDeserializer()

// Decode decodes every object: Kubernetes objects strictly into their k8s.io/api types, Dapr
// resources (group dapr.io) after validating them against crds. Every failure is returned.
func Decode(objs []*unstructured.Unstructured, crds *CRDs) (*Manifests, error) {
	m := &Manifests{}
	var errs []error
	for _, u := range objs {
		if err := m.add(u, crds); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", describe(u), err))
		}
	}
	return m, errors.Join(errs...)
}

func (m *Manifests) add(u *unstructured.Unstructured, crds *CRDs) error {
	if u.GroupVersionKind().Group == DaprGroup {
		if err := crds.Validate(u); err != nil {
			return err
		}
		return m.addDapr(u)
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return err
	}
	obj, _, err := strictDecoder.Decode(data, nil, nil)
	if err != nil {
		return err
	}
	switch o := obj.(type) {
	case *appsv1.Deployment:
		m.Deployments = append(m.Deployments, o)
	case *appsv1.StatefulSet:
		m.StatefulSets = append(m.StatefulSets, o)
	case *corev1.Service:
		m.Services = append(m.Services, o)
	case *corev1.ConfigMap:
		m.ConfigMaps = append(m.ConfigMaps, o)
	case *corev1.Secret:
		m.Secrets = append(m.Secrets, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		m.HPAs = append(m.HPAs, o)
	case *policyv1.PodDisruptionBudget:
		m.PDBs = append(m.PDBs, o)
	case *networkingv1.Ingress:
		m.Ingresses = append(m.Ingresses, o)
	default:
		m.Other = append(m.Other, obj)
	}
	return nil
}

// addDapr records a Dapr resource that has passed its CRD validation.
func (m *Manifests) addDapr(u *unstructured.Unstructured) error {
	switch u.GetKind() {
	case "Component":
		var c Component
		if err := fromUnstructured(u, &c); err != nil {
			return err
		}
		m.Components = append(m.Components, &c)
	case "Subscription":
		var s Subscription
		if err := fromUnstructured(u, &s); err != nil {
			return err
		}
		m.Subscriptions = append(m.Subscriptions, &s)
	case "Configuration":
		m.Configurations = append(m.Configurations, u.GetName())
	case "Resiliency":
		m.Resiliencies = append(m.Resiliencies, u.GetName())
	default:
		return fmt.Errorf("no check covers Dapr kind %s", u.GetKind())
	}
	return nil
}

func fromUnstructured(u *unstructured.Unstructured, into any) error {
	data, err := u.MarshalJSON()
	if err != nil {
		return err
	}
	return json.Unmarshal(data, into)
}

// Workload is a pod template with the object that owns it.
type Workload struct {
	Kind     string // Deployment or StatefulSet
	Name     string
	Replicas *int32
	Template *corev1.PodTemplateSpec
}

// Workloads lists the Deployments and StatefulSets.
func (m *Manifests) Workloads() []Workload {
	var ws []Workload
	for _, d := range m.Deployments {
		ws = append(ws, Workload{Kind: "Deployment", Name: d.Name, Replicas: d.Spec.Replicas, Template: &d.Spec.Template})
	}
	for _, s := range m.StatefulSets {
		ws = append(ws, Workload{Kind: "StatefulSet", Name: s.Name, Replicas: s.Spec.Replicas, Template: &s.Spec.Template})
	}
	return ws
}

// Deployment returns the Deployment named name, or nil.
func (m *Manifests) Deployment(name string) *appsv1.Deployment {
	return find(m.Deployments, func(d *appsv1.Deployment) bool { return d.Name == name })
}

// Service returns the Service named name, or nil.
func (m *Manifests) Service(name string) *corev1.Service {
	return find(m.Services, func(s *corev1.Service) bool { return s.Name == name })
}

// Secret returns the Secret named name, or nil.
func (m *Manifests) Secret(name string) *corev1.Secret {
	return find(m.Secrets, func(s *corev1.Secret) bool { return s.Name == name })
}

// ConfigMap returns the ConfigMap named name, or nil.
func (m *Manifests) ConfigMap(name string) *corev1.ConfigMap {
	return find(m.ConfigMaps, func(c *corev1.ConfigMap) bool { return c.Name == name })
}

// PubSub returns the pub/sub Component named name, or nil.
func (m *Manifests) PubSub(name string) *Component {
	return find(m.Components, func(c *Component) bool { return c.Metadata.Name == name && c.IsPubSub() })
}

// find returns the first item that matches, or nil.
func find[T any](items []*T, match func(*T) bool) *T {
	if i := slices.IndexFunc(items, match); i >= 0 {
		return items[i]
	}
	return nil
}
