package k8scheck

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Dapr sidecar annotations every app's pod template must carry.
const (
	AnnotationEnabled        = "dapr.io/enabled"
	AnnotationAppID          = "dapr.io/app-id"
	AnnotationAppPort        = "dapr.io/app-port"
	AnnotationConfig         = "dapr.io/config"
	AnnotationLogLevel       = "dapr.io/log-level"
	AnnotationAPITokenSecret = "dapr.io/api-token-secret"
	AnnotationAppTokenSecret = "dapr.io/app-token-secret"
	AnnotationGracefulSecs   = "dapr.io/graceful-shutdown-seconds"
	AnnotationBlockShutdown  = "dapr.io/block-shutdown-duration"
	AnnotationCPURequest     = "dapr.io/sidecar-cpu-request"
	AnnotationMemoryRequest  = "dapr.io/sidecar-memory-request"
	AnnotationCPULimit       = "dapr.io/sidecar-cpu-limit"
	AnnotationMemoryLimit    = "dapr.io/sidecar-memory-limit"
)

var requiredAnnotations = []string{
	AnnotationEnabled, AnnotationAppID, AnnotationAppPort, AnnotationConfig, AnnotationLogLevel,
	AnnotationAPITokenSecret, AnnotationAppTokenSecret, AnnotationGracefulSecs, AnnotationBlockShutdown,
	AnnotationCPURequest, AnnotationMemoryRequest, AnnotationCPULimit, AnnotationMemoryLimit,
}

// Environment variables through which the app container gets the tokens of its sidecar, and
// the key Dapr reads in the Secrets the token annotations name.
const (
	EnvAppAPIToken  = "APP_API_TOKEN"
	EnvDaprAPIToken = "DAPR_API_TOKEN"
	TokenSecretKey  = "token"
)

// Health endpoints every app serves on its app port.
const (
	LivenessPath  = "/healthz"
	ReadinessPath = "/readyz"
)

// secretLike matches names of environment variables, ConfigMap keys and component metadata
// that hold secrets: they must come from a Secret (or the sidecar's environment), never a
// literal.
var secretLike = regexp.MustCompile(`(?i)(token|password|passwd|secret|api_?keys?|credential|database_url|brokers)$`)

// Checker checks rendered manifests against the apps' contracts.
type Checker struct {
	Apps []App
	// PubSubName is the name of the pub/sub component every app and subscription uses.
	PubSubName string
	// AllowedImages lists the exact image references (pinned tags) allowed for containers that
	// are not apps: the apps run their skaffold artifacts.
	AllowedImages []string
	// Public lists the apps reachable from outside the cluster in production (a LoadBalancer
	// Service or an Ingress backend). No other app is ever exposed.
	Public []string
}

// problems collects every failure of a check, so one run reports them all.
type problems []error

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Errorf(format, args...)) }

func (p problems) err() error { return errors.Join(p...) }

// Common checks what every overlay must satisfy: the apps' contracts are valid, their
// Deployments and Services, every workload's hardening and images, no internal app exposed, the
// pub/sub component's scopes and the subscriptions.
func (c Checker) Common(m *Manifests) error {
	var p problems
	for _, app := range c.Apps {
		if err := app.Validate(); err != nil {
			p = append(p, err)
		}
		c.checkApp(&p, m, app)
	}
	for _, w := range m.Workloads() {
		c.checkWorkload(&p, m, w)
	}
	for _, cm := range m.ConfigMaps {
		for k := range cm.Data {
			if secretLike.MatchString(k) {
				p.addf("ConfigMap/%s: %s looks like a secret: put it in a Secret", cm.Name, k)
			}
		}
	}
	for _, svc := range m.Services {
		if svc.Spec.Type != corev1.ServiceTypeClusterIP && svc.Spec.Type != "" && !slices.Contains(c.Public, svc.Name) {
			p.addf("Service/%s: type %s exposes it outside the cluster; only %v may be", svc.Name, svc.Spec.Type, c.Public)
		}
	}
	for _, ing := range m.Ingresses {
		for _, backend := range ingressBackends(ing) {
			if !slices.Contains(c.Public, backend) {
				p.addf("Ingress/%s: exposes Service %s outside the cluster; only %v may be", ing.Name, backend, c.Public)
			}
		}
	}
	c.checkPubSub(&p, m)
	c.checkSubscriptions(&p, m)
	return p.err()
}

func ingressBackends(ing *networkingv1.Ingress) []string {
	var names []string
	if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
		names = append(names, b.Service.Name)
	}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, path := range rule.HTTP.Paths {
			if path.Backend.Service != nil {
				names = append(names, path.Backend.Service.Name)
			}
		}
	}
	return names
}

// exposed reports whether a Service is reachable from outside the cluster: of type
// LoadBalancer, or the backend of an Ingress.
func exposed(m *Manifests, svc string) bool {
	if s := m.Service(svc); s != nil && s.Spec.Type == corev1.ServiceTypeLoadBalancer {
		return true
	}
	return slices.ContainsFunc(m.Ingresses, func(ing *networkingv1.Ingress) bool {
		return slices.Contains(ingressBackends(ing), svc)
	})
}

func (c Checker) app(id string) (App, bool) {
	for _, a := range c.Apps {
		if a.AppID == id {
			return a, true
		}
	}
	return App{}, false
}

// checkApp checks an app's Deployment (sidecar annotations, ports, probes, tokens) and Service.
func (c Checker) checkApp(p *problems, m *Manifests, app App) {
	d := m.Deployment(app.AppID)
	if d == nil {
		p.addf("app %s: no Deployment named %s", app.AppID, app.AppID)
		return
	}
	where := "Deployment/" + d.Name
	ann := d.Spec.Template.Annotations
	for _, key := range requiredAnnotations {
		if ann[key] == "" {
			p.addf("%s: pod annotation %s is missing", where, key)
		}
	}
	if ann[AnnotationEnabled] != "true" {
		p.addf("%s: %s is %q, want \"true\"", where, AnnotationEnabled, ann[AnnotationEnabled])
	}
	if ann[AnnotationAppID] != app.AppID {
		p.addf("%s: %s is %q, want %q", where, AnnotationAppID, ann[AnnotationAppID], app.AppID)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, ann[AnnotationLogLevel]) {
		p.addf("%s: %s %q is not a daprd log level", where, AnnotationLogLevel, ann[AnnotationLogLevel])
	}
	if cfg := ann[AnnotationConfig]; cfg != "" && !slices.Contains(m.Configurations, cfg) {
		p.addf("%s: %s names Configuration %q, which is not rendered", where, AnnotationConfig, cfg)
	}
	for _, key := range []string{AnnotationCPURequest, AnnotationMemoryRequest, AnnotationCPULimit, AnnotationMemoryLimit} {
		if v := ann[key]; v != "" {
			if _, err := resource.ParseQuantity(v); err != nil {
				p.addf("%s: %s %q: %v", where, key, v, err)
			}
		}
	}
	checkShutdown(p, where, ann, d.Spec.Template.Spec.TerminationGracePeriodSeconds)

	port, err := strconv.Atoi(ann[AnnotationAppPort])
	if err != nil {
		p.addf("%s: %s %q is not a port", where, AnnotationAppPort, ann[AnnotationAppPort])
		return
	}
	if port != app.Port {
		p.addf("%s: %s is %d, but the %s contract says the app listens on %d", where, AnnotationAppPort, port, app.AppID, app.Port)
	}
	ctr := container(&d.Spec.Template.Spec, app.AppID)
	if ctr == nil {
		p.addf("%s: no container named %s", where, app.AppID)
		return
	}
	if !slices.ContainsFunc(ctr.Ports, func(cp corev1.ContainerPort) bool { return int(cp.ContainerPort) == port }) {
		p.addf("%s: %s is %d, but container %s declares no containerPort %d", where, AnnotationAppPort, port, ctr.Name, port)
	}
	checkProbe(p, where, "livenessProbe", ctr.LivenessProbe, ctr, LivenessPath, port)
	checkProbe(p, where, "readinessProbe", ctr.ReadinessProbe, ctr, ReadinessPath, port)
	checkTokenEnv(p, where, ctr, EnvAppAPIToken, ann[AnnotationAppTokenSecret])
	checkTokenEnv(p, where, ctr, EnvDaprAPIToken, ann[AnnotationAPITokenSecret])
	c.checkService(p, m, app, d.Spec.Template.Labels, ctr, port)
}

// checkShutdown checks that the sidecar's blocked shutdown and its graceful shutdown both fit
// in the pod's termination grace period (else the kubelet kills it mid-drain).
func checkShutdown(p *problems, where string, ann map[string]string, grace *int64) {
	graceful, err1 := strconv.Atoi(ann[AnnotationGracefulSecs])
	block, err2 := time.ParseDuration(ann[AnnotationBlockShutdown])
	if err1 != nil || err2 != nil {
		p.addf("%s: %s %q / %s %q do not parse", where, AnnotationGracefulSecs, ann[AnnotationGracefulSecs], AnnotationBlockShutdown, ann[AnnotationBlockShutdown])
		return
	}
	period := time.Duration(corev1.DefaultTerminationGracePeriodSeconds) * time.Second
	if grace != nil {
		period = time.Duration(*grace) * time.Second
	}
	if total := block + time.Duration(graceful)*time.Second; total >= period {
		p.addf("%s: sidecar shutdown (block %s + graceful %ds) does not fit in terminationGracePeriodSeconds %s", where, block, graceful, period)
	}
}

func container(spec *corev1.PodSpec, name string) *corev1.Container {
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	return nil
}

// resolvePort returns the number a probe or Service targetPort refers to in ctr.
func resolvePort(ctr *corev1.Container, port intstr.IntOrString) (int, bool) {
	if port.Type == intstr.Int {
		return port.IntValue(), true
	}
	for _, cp := range ctr.Ports {
		if cp.Name == port.StrVal {
			return int(cp.ContainerPort), true
		}
	}
	return 0, false
}

func checkProbe(p *problems, where, kind string, probe *corev1.Probe, ctr *corev1.Container, path string, port int) {
	if probe == nil || probe.HTTPGet == nil {
		p.addf("%s: container %s has no HTTP %s", where, ctr.Name, kind)
		return
	}
	if probe.HTTPGet.Path != path {
		p.addf("%s: %s path is %s, want %s", where, kind, probe.HTTPGet.Path, path)
	}
	if got, ok := resolvePort(ctr, probe.HTTPGet.Port); !ok || got != port {
		p.addf("%s: %s port %s is not the app port %d", where, kind, probe.HTTPGet.Port.String(), port)
	}
}

// checkTokenEnv checks that the container reads env from key "token" of the Secret the sidecar
// annotation names: the app and its sidecar must hold the same token.
func checkTokenEnv(p *problems, where string, ctr *corev1.Container, env, secret string) {
	ref := secretRef(ctr, env)
	switch {
	case ref == nil:
		p.addf("%s: container %s does not read %s from a Secret", where, ctr.Name, env)
	case ref.Name != secret || ref.Key != TokenSecretKey:
		p.addf("%s: %s comes from Secret %s key %s, but the sidecar reads Secret %q key %s", where, env, ref.Name, ref.Key, secret, TokenSecretKey)
	}
}

func secretRef(ctr *corev1.Container, env string) *corev1.SecretKeySelector {
	for _, e := range ctr.Env {
		if e.Name == env && e.ValueFrom != nil {
			return e.ValueFrom.SecretKeyRef
		}
	}
	return nil
}

// checkService checks the app's Service: it selects the app's pods and targets its app port.
func (c Checker) checkService(p *problems, m *Manifests, app App, podLabels map[string]string, ctr *corev1.Container, port int) {
	svc := m.Service(app.AppID)
	if svc == nil {
		p.addf("app %s: no Service named %s", app.AppID, app.AppID)
		return
	}
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(podLabels)) {
		p.addf("Service/%s: selector %v does not select the pods of Deployment/%s", svc.Name, svc.Spec.Selector, app.AppID)
	}
	targetsApp := false
	for _, sp := range svc.Spec.Ports {
		targetPort := sp.TargetPort
		if targetPort.Type == intstr.Int && targetPort.IntValue() == 0 {
			targetPort = intstr.FromInt32(sp.Port) // targetPort defaults to port
		}
		target, ok := resolvePort(ctr, targetPort)
		if !ok {
			p.addf("Service/%s: targetPort %s is no port of container %s", svc.Name, sp.TargetPort.String(), ctr.Name)
		}
		targetsApp = targetsApp || target == port
	}
	if !targetsApp {
		p.addf("Service/%s: no port targets the app port %d", svc.Name, port)
	}
}

// checkWorkload checks every container of a workload: hardening, resources, secrets from
// Secrets only, ConfigMaps that exist, and images (an app's artifact, else the allow-list).
func (c Checker) checkWorkload(p *problems, m *Manifests, w Workload) {
	where := w.Kind + "/" + w.Name
	spec := &w.Template.Spec
	podNonRoot := spec.SecurityContext != nil && isTrue(spec.SecurityContext.RunAsNonRoot)
	app, isApp := c.app(w.Name)
	isApp = isApp && w.Kind == "Deployment"
	for _, ctr := range append(slices.Clone(spec.InitContainers), spec.Containers...) {
		cw := fmt.Sprintf("%s container %s", where, ctr.Name)
		checkSecurityContext(p, cw, ctr.SecurityContext, podNonRoot)
		checkResources(p, cw, ctr.Resources)
		for _, e := range ctr.Env {
			if e.ValueFrom == nil && e.Value != "" && secretLike.MatchString(e.Name) {
				p.addf("%s: %s is a literal value: read it from a Secret (secretKeyRef)", cw, e.Name)
			}
		}
		for _, ef := range ctr.EnvFrom {
			if ef.ConfigMapRef != nil && !isTrue(ef.ConfigMapRef.Optional) && m.ConfigMap(ef.ConfigMapRef.Name) == nil {
				p.addf("%s: envFrom ConfigMap %s is not rendered", cw, ef.ConfigMapRef.Name)
			}
		}
		switch {
		case isApp && imageRepository(ctr.Image) != app.Image && !strings.HasSuffix(imageRepository(ctr.Image), "/"+app.Image):
			p.addf("%s: image %s is not the app's skaffold artifact %s", cw, ctr.Image, app.Image)
		case !isApp && !slices.Contains(c.AllowedImages, ctr.Image):
			p.addf("%s: image %s is not on the pinned allow-list %v", cw, ctr.Image, c.AllowedImages)
		}
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

func isFalse(b *bool) bool { return b != nil && !*b }

func checkSecurityContext(p *problems, where string, sc *corev1.SecurityContext, podNonRoot bool) {
	if sc == nil {
		p.addf("%s: no securityContext", where)
		return
	}
	if !podNonRoot && !isTrue(sc.RunAsNonRoot) {
		p.addf("%s: runAsNonRoot is not set (pod or container)", where)
	}
	if !isFalse(sc.AllowPrivilegeEscalation) {
		p.addf("%s: allowPrivilegeEscalation is not false", where)
	}
	if !isTrue(sc.ReadOnlyRootFilesystem) {
		p.addf("%s: readOnlyRootFilesystem is not true", where)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		p.addf("%s: capabilities do not drop ALL", where)
	}
}

func checkResources(p *problems, where string, r corev1.ResourceRequirements) {
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := r.Requests[name]; !ok {
			p.addf("%s: no %s request", where, name)
		}
		if _, ok := r.Limits[name]; !ok {
			p.addf("%s: no %s limit", where, name)
		}
	}
}

// imageRepository strips the tag and digest of an image reference.
func imageRepository(image string) string {
	image, _, _ = strings.Cut(image, "@")
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

// checkPubSub checks the pub/sub component: its topic scopes are exactly what the contracts
// say each app publishes and consumes, it is loaded only by the apps that use it, and no
// secret is a literal.
func (c Checker) checkPubSub(p *problems, m *Manifests) {
	for _, comp := range m.Components {
		checkComponentSecrets(p, comp)
	}
	comp := m.PubSub(c.PubSubName)
	if comp == nil {
		p.addf("no pub/sub component named %s", c.PubSubName)
		return
	}
	where := "Component/" + comp.Metadata.Name
	var users []string
	for _, a := range c.Apps {
		if a.UsesPubSub() {
			users = append(users, a.AppID)
		}
	}
	if got := union(comp.Scopes); !slices.Equal(got, union(users)) {
		p.addf("%s: scopes %v, want the apps that publish or consume: %v", where, got, union(users))
	}
	for _, sc := range []struct {
		key  string
		want func(App) []string
	}{{PublishingScopes, App.PublishingScope}, {SubscriptionScopes, App.SubscriptionScope}} {
		scopes, err := TopicScopes(comp.Value(sc.key))
		if err != nil || comp.Value(sc.key) == "" {
			p.addf("%s: %s %q: %v", where, sc.key, comp.Value(sc.key), err)
			continue
		}
		for app := range scopes {
			if _, ok := c.app(app); !ok {
				p.addf("%s: %s names app %s, which has no contract", where, sc.key, app)
			}
		}
		for _, a := range c.Apps {
			got, listed := scopes[a.AppID]
			want := sc.want(a)
			if !listed && len(want) == 0 {
				continue
			}
			if !slices.Equal(union(got), want) {
				p.addf("%s: %s of %s is %v, want %v (from its contract)", where, sc.key, a.AppID, got, want)
			}
		}
	}
}

// checkComponentSecrets rejects literal values for secret-looking component metadata.
func checkComponentSecrets(p *problems, comp *Component) {
	for _, it := range comp.Spec.Metadata {
		if it.Value != nil && fmt.Sprint(it.Value) != "" && secretLike.MatchString(it.Name) {
			p.addf("Component/%s: %s is a literal value: use secretKeyRef or envRef", comp.Metadata.Name, it.Name)
		}
	}
}

// checkSubscriptions checks every Subscription against the contracts of the apps it is scoped
// to, and that each app subscribes to exactly what it consumes.
func (c Checker) checkSubscriptions(p *problems, m *Manifests) {
	subscribed := map[string][]string{}
	for _, s := range m.Subscriptions {
		where := "Subscription/" + s.Metadata.Name
		if s.APIVersion != SubscriptionAPIVersion {
			p.addf("%s: apiVersion %s, want %s (routing rules)", where, s.APIVersion, SubscriptionAPIVersion)
		}
		if s.Spec.PubSubName != c.PubSubName {
			p.addf("%s: pubsubname %q, want %q", where, s.Spec.PubSubName, c.PubSubName)
		}
		if s.Spec.Routes.Default == "" {
			p.addf("%s: no default route", where)
		}
		if len(s.Scopes) == 0 {
			p.addf("%s: no scopes: it would apply to every app", where)
		}
		for _, id := range s.Scopes {
			app, ok := c.app(id)
			if !ok {
				p.addf("%s: scoped to %s, which has no contract", where, id)
				continue
			}
			subscribed[id] = append(subscribed[id], s.Spec.Topic)
			for _, path := range s.Paths() {
				if !slices.Contains(app.EventRoutes, path) {
					p.addf("%s: route %s is not a path of the %s contract", where, path, id)
				}
			}
			checkDeadLetterTopic(p, where, s, app)
		}
	}
	for _, a := range c.Apps {
		if got := union(subscribed[a.AppID]); !slices.Equal(got, a.SubscriptionScope()) {
			p.addf("app %s: subscriptions cover topics %v, want %v (from its contract)", a.AppID, got, a.SubscriptionScope())
		}
	}
}

// checkDeadLetterTopic: a subscription to one of the app's topics dead-letters to one of the
// app's dead-letter topics (which its sidecar may publish); a subscription to a dead-letter
// topic has none (a failing dead-letter handler is retried, never dead-lettered in a loop).
func checkDeadLetterTopic(p *problems, where string, s *Subscription, app App) {
	dlq := s.Spec.DeadLetterTopic
	if slices.Contains(app.DeadLetterTopics, s.Spec.Topic) {
		if dlq != "" {
			p.addf("%s: a dead-letter subscription has deadLetterTopic %s", where, dlq)
		}
		return
	}
	if !slices.Contains(app.DeadLetterTopics, dlq) {
		p.addf("%s: deadLetterTopic %q is not a dead-letter topic of the %s contract %v", where, dlq, app.AppID, app.DeadLetterTopics)
	}
}

// Dev checks the development overlay: one replica per app, and nothing it needs from outside:
// every Secret a workload, a sidecar annotation or a component refers to is rendered.
func (c Checker) Dev(m *Manifests) error {
	var p problems
	for _, a := range c.Apps {
		if d := m.Deployment(a.AppID); d != nil && (d.Spec.Replicas == nil || *d.Spec.Replicas != 1) {
			p.addf("Deployment/%s: replicas %v, want 1", d.Name, ptrValue(d.Spec.Replicas))
		}
	}
	for _, w := range m.Workloads() {
		for _, ctr := range w.Template.Spec.Containers {
			for _, e := range ctr.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					checkSecretKey(&p, m, w.Kind+"/"+w.Name+" env "+e.Name, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
				}
			}
		}
		for _, key := range []string{AnnotationAPITokenSecret, AnnotationAppTokenSecret} {
			if name := w.Template.Annotations[key]; name != "" {
				checkSecretKey(&p, m, w.Kind+"/"+w.Name+" "+key, name, TokenSecretKey)
			}
		}
	}
	for _, comp := range m.Components {
		for _, it := range comp.Spec.Metadata {
			if it.SecretKeyRef != nil {
				checkSecretKey(&p, m, "Component/"+comp.Metadata.Name+" "+it.Name, it.SecretKeyRef.Name, it.SecretKeyRef.Key)
			}
		}
	}
	return p.err()
}

func checkSecretKey(p *problems, m *Manifests, where, name, key string) {
	s := m.Secret(name)
	if s == nil {
		p.addf("%s: Secret %s is not rendered", where, name)
		return
	}
	_, inData := s.Data[key]
	_, inString := s.StringData[key]
	if !inData && !inString {
		p.addf("%s: Secret %s has no key %s", where, name, key)
	}
}

func ptrValue[T any](v *T) any {
	if v == nil {
		return nil
	}
	return *v
}

// Prod checks the production overlay: the public apps exposed, no Redis pub/sub, at least two
// replicas per app with one HorizontalPodAutoscaler and one PodDisruptionBudget each, and no
// Secret with a value (they are created outside the repository).
func (c Checker) Prod(m *Manifests) error {
	var p problems
	for _, comp := range m.Components {
		if comp.Spec.Type == "pubsub.redis" {
			p.addf("Component/%s: Redis pub/sub in production", comp.Metadata.Name)
		}
	}
	for _, app := range c.Public {
		if !exposed(m, app) {
			p.addf("app %s: not exposed (no LoadBalancer Service, no Ingress)", app)
		}
	}
	for _, s := range m.Secrets {
		if len(s.Data)+len(s.StringData) > 0 {
			p.addf("Secret/%s: carries literal data; production Secrets are created outside the repository", s.Name)
		}
	}
	for _, a := range c.Apps {
		d := m.Deployment(a.AppID)
		if d == nil {
			continue // reported by Common
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
			p.addf("Deployment/%s: replicas %v, want at least 2", d.Name, ptrValue(d.Spec.Replicas))
		}
		checkHPA(&p, m, d.Name)
		checkPDB(&p, m, d.Name, d.Spec.Template.Labels, d.Spec.Replicas)
	}
	return p.err()
}

func checkHPA(p *problems, m *Manifests, deployment string) {
	n := 0
	for _, h := range m.HPAs {
		ref := h.Spec.ScaleTargetRef
		if ref.Kind != "Deployment" || ref.Name != deployment || ref.APIVersion != "apps/v1" {
			continue
		}
		n++
		if h.Spec.MinReplicas == nil || *h.Spec.MinReplicas < 2 {
			p.addf("HorizontalPodAutoscaler/%s: minReplicas %v, want at least 2", h.Name, ptrValue(h.Spec.MinReplicas))
		}
		if h.Spec.MinReplicas != nil && h.Spec.MaxReplicas < *h.Spec.MinReplicas {
			p.addf("HorizontalPodAutoscaler/%s: maxReplicas %d < minReplicas %d", h.Name, h.Spec.MaxReplicas, *h.Spec.MinReplicas)
		}
		if len(h.Spec.Metrics) == 0 {
			p.addf("HorizontalPodAutoscaler/%s: no metrics", h.Name)
		}
	}
	if n != 1 {
		p.addf("Deployment/%s: %d HorizontalPodAutoscalers, want 1", deployment, n)
	}
}

func checkPDB(p *problems, m *Manifests, deployment string, podLabels map[string]string, replicas *int32) {
	n := 0
	for _, pdb := range m.PDBs {
		sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
		if err != nil || pdb.Spec.Selector == nil || sel.Empty() || !sel.Matches(labels.Set(podLabels)) {
			continue
		}
		n++
		switch {
		case pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil:
			p.addf("PodDisruptionBudget/%s: neither minAvailable nor maxUnavailable", pdb.Name)
		case pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.Type == intstr.Int && replicas != nil &&
			pdb.Spec.MinAvailable.IntValue() >= int(*replicas):
			p.addf("PodDisruptionBudget/%s: minAvailable %d with %d replicas blocks every drain", pdb.Name, pdb.Spec.MinAvailable.IntValue(), *replicas)
		}
	}
	if n != 1 {
		p.addf("Deployment/%s: %d PodDisruptionBudgets select its pods, want 1", deployment, n)
	}
}

// SameComponent reports how two components differ in type, version, scopes and metadata,
// except for the metadata entries named in ignore (e.g. broker addresses and credentials, which
// differ per environment) and auth.
func SameComponent(a, b *Component, ignore ...string) error {
	var p problems
	if a.Metadata.Name != b.Metadata.Name || a.Spec.Type != b.Spec.Type || a.Spec.Version != b.Spec.Version {
		p.addf("name/type/version %s %s %s vs %s %s %s", a.Metadata.Name, a.Spec.Type, a.Spec.Version, b.Metadata.Name, b.Spec.Type, b.Spec.Version)
	}
	if !slices.Equal(union(a.Scopes), union(b.Scopes)) {
		p.addf("scopes %v vs %v", a.Scopes, b.Scopes)
	}
	names := map[string]bool{}
	for _, it := range append(slices.Clone(a.Spec.Metadata), b.Spec.Metadata...) {
		names[it.Name] = true
	}
	for _, name := range union(keys(names)) {
		if slices.Contains(ignore, name) {
			continue
		}
		ia, oka := a.Item(name)
		ib, okb := b.Item(name)
		if oka != okb || describeItem(ia) != describeItem(ib) {
			p.addf("metadata %s: %s vs %s", name, describeItem(ia), describeItem(ib))
		}
	}
	return p.err()
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func describeItem(it MetadataItem) string {
	switch {
	case it.Name == "":
		return "(absent)"
	case it.SecretKeyRef != nil:
		return "secretKeyRef " + it.SecretKeyRef.Name + "/" + it.SecretKeyRef.Key
	case it.EnvRef != "":
		return "envRef " + it.EnvRef
	default:
		return fmt.Sprintf("%q", fmt.Sprint(it.Value))
	}
}
