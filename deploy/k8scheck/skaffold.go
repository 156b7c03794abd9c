package k8scheck

import (
	"fmt"
	"os"
	"strings"
	"text/template"

	"sigs.k8s.io/yaml"
)

// SkaffoldConfig is the part of a skaffold.yaml the checks read. The skaffold command itself
// validates the whole file (`skaffold diagnose`).
type SkaffoldConfig struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Build      struct {
		Artifacts []SkaffoldArtifact `json:"artifacts"`
	} `json:"build"`
	Manifests   SkaffoldManifests     `json:"manifests"`
	PortForward []SkaffoldPortForward `json:"portForward"`
	Profiles    []struct {
		Name      string             `json:"name"`
		Manifests *SkaffoldManifests `json:"manifests"`
	} `json:"profiles"`
}

// SkaffoldArtifact is one image skaffold builds.
type SkaffoldArtifact struct {
	Image   string `json:"image"`
	Context string `json:"context"`
	Docker  *struct {
		Dockerfile string             `json:"dockerfile"`
		BuildArgs  map[string]*string `json:"buildArgs"`
	} `json:"docker"`
}

// SkaffoldManifests is where skaffold renders the manifests from.
type SkaffoldManifests struct {
	Kustomize *struct {
		Paths []string `json:"paths"`
	} `json:"kustomize"`
}

// SkaffoldPortForward is one port skaffold forwards to localhost.
type SkaffoldPortForward struct {
	ResourceType string `json:"resourceType"`
	ResourceName string `json:"resourceName"`
	Port         int    `json:"port"`
	LocalPort    int    `json:"localPort"`
}

// LoadSkaffold reads a skaffold.yaml with a single configuration.
func LoadSkaffold(path string) (*SkaffoldConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cfg SkaffoldConfig
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &cfg, nil
}

// Artifact returns the artifact building image, or nil.
func (s *SkaffoldConfig) Artifact(image string) *SkaffoldArtifact {
	for i := range s.Build.Artifacts {
		if s.Build.Artifacts[i].Image == image {
			return &s.Build.Artifacts[i]
		}
	}
	return nil
}

// KustomizePaths returns the kustomize paths skaffold renders with profile ("" for none): the
// profile's manifests replace the top-level ones.
func (s *SkaffoldConfig) KustomizePaths(profile string) ([]string, error) {
	manifests := s.Manifests
	if profile != "" {
		found := false
		for _, p := range s.Profiles {
			if p.Name == profile && p.Manifests != nil {
				manifests, found = *p.Manifests, true
			}
		}
		if !found {
			return nil, fmt.Errorf("no profile %q with manifests", profile)
		}
	}
	if manifests.Kustomize == nil {
		return nil, nil
	}
	return manifests.Kustomize.Paths, nil
}

// ExpandTemplate expands a skaffold template field (such as a build arg) the way skaffold does:
// Go templates over the environment, a missing variable is empty, and sprig's `default` gives a
// fallback for empty values.
func ExpandTemplate(value string, env map[string]string) (string, error) {
	funcs := template.FuncMap{"default": func(fallback string, given ...string) string {
		if len(given) == 0 || given[0] == "" {
			return fallback
		}
		return given[0]
	}}
	tmpl, err := template.New("field").Option("missingkey=zero").Funcs(funcs).Parse(value)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, env); err != nil {
		return "", err
	}
	return b.String(), nil
}
