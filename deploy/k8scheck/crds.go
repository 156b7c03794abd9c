package k8scheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsinstall "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	crvalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

// DaprModule is the Go module of the Dapr runtime; its charts/dapr/crds directory holds the CRDs
// the Dapr Helm chart installs, which are what a cluster validates Dapr resources against.
const DaprModule = "github.com/dapr/dapr"

// DaprCRDDir returns the charts/dapr/crds directory of DaprModule at version (e.g. "v1.18.2"),
// downloading the module into the module cache if it is not there yet (`go mod download`).
// No copy of the CRDs is kept in the repository: they always come from the release itself.
func DaprCRDDir(version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", DaprModule+"@"+version)
	// Outside any module or workspace, so that nothing of ours is read or changed.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %v %s", DaprModule, version, err, info.Error)
	}
	dir := filepath.Join(info.Dir, "charts", "dapr", "crds")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("dapr CRDs: %w", err)
	}
	return dir, nil
}

// CRDs validates custom resources the way the API server does: against the openAPIV3Schema of
// the served CRD version, and (stricter than the server, which silently prunes them) rejecting
// fields the schema does not know.
type CRDs struct {
	versions map[schema.GroupVersionKind]*crdVersion
}

type crdVersion struct {
	crd        string
	served     bool
	structural *structuralschema.Structural
	validator  crvalidation.SchemaValidator
}

var crdScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	apiextensionsinstall.Install(s)
	return s
}()

// LoadCRDs reads every *.yaml CustomResourceDefinition in dir.
func LoadCRDs(dir string) (*CRDs, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no CRDs in %s", dir)
	}
	c := &CRDs{versions: map[schema.GroupVersionKind]*crdVersion{}}
	decoder := serializer.NewCodecFactory(crdScheme, serializer.EnableStrict).UniversalDeserializer()
	for _, path := range paths {
		objs, err := LoadFile(path)
		if err != nil {
			return nil, err
		}
		for _, u := range objs {
			data, err := u.MarshalJSON()
			if err != nil {
				return nil, err
			}
			var v1crd apiextensionsv1.CustomResourceDefinition
			if _, _, err := decoder.Decode(data, nil, &v1crd); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			if err := c.add(&v1crd); err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	return c, nil
}

func (c *CRDs) add(v1crd *apiextensionsv1.CustomResourceDefinition) error {
	var crd apiextensions.CustomResourceDefinition
	if err := crdScheme.Convert(v1crd, &crd, nil); err != nil {
		return err
	}
	for _, v := range crd.Spec.Versions {
		// The internal type keeps a schema shared by every version once, at the top.
		validation, err := apiextensions.GetSchemaForVersion(&crd, v.Name)
		if err != nil || validation == nil || validation.OpenAPIV3Schema == nil {
			return fmt.Errorf("CRD %s %s has no schema", crd.Name, v.Name)
		}
		schemaProps := validation.OpenAPIV3Schema
		structural, err := structuralschema.NewStructural(schemaProps)
		if err != nil {
			return fmt.Errorf("CRD %s %s: %w", crd.Name, v.Name, err)
		}
		if errs := structuralschema.ValidateStructural(nil, structural); len(errs) > 0 {
			return fmt.Errorf("CRD %s %s: schema is not structural: %w", crd.Name, v.Name, errs.ToAggregate())
		}
		validator, _, err := crvalidation.NewSchemaValidator(schemaProps)
		if err != nil {
			return fmt.Errorf("CRD %s %s: %w", crd.Name, v.Name, err)
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		c.versions[gvk] = &crdVersion{crd: crd.Name, served: v.Served, structural: structural, validator: validator}
	}
	return nil
}

// Kinds lists the group/version/kinds the CRDs define, sorted.
func (c *CRDs) Kinds() []string {
	var kinds []string
	for gvk := range c.versions {
		kinds = append(kinds, gvk.String())
	}
	sort.Strings(kinds)
	return kinds
}

// Validate checks u against the schema of its CRD version: unknown kind or version, a version
// the CRD does not serve, schema violations and unknown fields are all errors.
func (c *CRDs) Validate(u *unstructured.Unstructured) error {
	gvk := u.GroupVersionKind()
	v, ok := c.versions[gvk]
	if !ok {
		return fmt.Errorf("no CRD defines %s", gvk)
	}
	if !v.served {
		return fmt.Errorf("CRD %s does not serve %s", v.crd, gvk.Version)
	}
	var errs []error
	if u.GetName() == "" {
		errs = append(errs, errors.New("metadata.name: required"))
	}
	for _, e := range crvalidation.ValidateCustomResource(nil, u.UnstructuredContent(), v.validator) {
		errs = append(errs, e)
	}
	unknown := pruning.PruneWithOptions(runtime.DeepCopyJSON(u.Object), v.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})
	if len(unknown) > 0 {
		sort.Strings(unknown)
		errs = append(errs, fmt.Errorf("unknown fields (not in the %s schema): %s", v.crd, strings.Join(unknown, ", ")))
	}
	return errors.Join(errs...)
}
