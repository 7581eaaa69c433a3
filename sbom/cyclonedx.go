package sbom

import (
	"fmt"
	"strings"
)

// The CycloneDX 1.5 JSON BOM (cyclonedx.org/docs/1.5/json), the parts
// used here.
type cdxBOM struct {
	BOMFormat    string          `json:"bomFormat"`
	SpecVersion  string          `json:"specVersion"`
	SerialNumber string          `json:"serialNumber"`
	Version      int             `json:"version"`
	Metadata     cdxMetadata     `json:"metadata"`
	Components   []cdxComponent  `json:"components"`
	Dependencies []cdxDependency `json:"dependencies"`
}

type cdxMetadata struct {
	Timestamp string       `json:"timestamp"`
	Tools     cdxTools     `json:"tools"`
	Component cdxComponent `json:"component"`
}

type cdxTools struct {
	Components []cdxComponent `json:"components"`
}

type cdxComponent struct {
	BOMRef       string           `json:"bom-ref,omitempty"`
	Type         string           `json:"type"`
	Supplier     *cdxSupplier     `json:"supplier,omitempty"`
	Name         string           `json:"name"`
	Version      string           `json:"version,omitempty"`
	Description  string           `json:"description,omitempty"`
	Hashes       []cdxHash        `json:"hashes,omitempty"`
	Licenses     []cdxLicense     `json:"licenses,omitempty"`
	PURL         string           `json:"purl,omitempty"`
	ExternalRefs []cdxExternalRef `json:"externalReferences,omitempty"`
	Properties   []cdxProperty    `json:"properties,omitempty"`
	Components   []cdxComponent   `json:"components,omitempty"`
}

type cdxSupplier struct {
	Name string `json:"name"`
}

type cdxHash struct {
	Alg     string `json:"alg"`
	Content string `json:"content"`
}

// cdxLicense is one of {"expression": …} or {"license": {"name": …}}.
type cdxLicense struct {
	Expression string          `json:"expression,omitempty"`
	License    *cdxLicenseName `json:"license,omitempty"`
}

type cdxLicenseName struct {
	Name string `json:"name"`
}

type cdxExternalRef struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type cdxProperty struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type cdxDependency struct {
	Ref       string   `json:"ref"`
	DependsOn []string `json:"dependsOn,omitempty"`
}

func (d *Document) cycloneDX() *cdxBOM {
	const pod = "pod"
	bom := &cdxBOM{
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		SerialNumber: "urn:uuid:" + uuid(d.digest(CycloneDX)),
		Version:      1,
		Metadata: cdxMetadata{
			Timestamp: d.timestamp(),
			Tools: cdxTools{Components: []cdxComponent{
				{Type: "application", Name: "hyperbuild", Version: d.ToolVersion},
			}},
			Component: cdxComponent{
				BOMRef:      pod,
				Type:        "application",
				Name:        d.Pod,
				Description: "a hyper pod: a bootable VM image built by hyperbuild from the images it contains",
			},
		},
		Components:   []cdxComponent{},
		Dependencies: []cdxDependency{},
	}
	podDep := cdxDependency{Ref: pod}
	for i, img := range d.Images {
		ref := fmt.Sprintf("image-%d", i+1)
		c := cdxComponent{
			BOMRef:  ref,
			Type:    "container",
			Name:    img.Ref,
			Version: img.Digest,
			PURL:    imageURL(img),
		}
		if h := hexDigest(img.Digest); h != "" {
			c.Hashes = []cdxHash{{"SHA-256", h}}
		}
		for _, name := range img.Containers {
			c.Properties = append(c.Properties, cdxProperty{"hyper:container", name})
		}
		inv := img.Inventory
		if inv.OS.ID != "" {
			c.Components = append(c.Components, cdxComponent{
				BOMRef:      ref + "-os",
				Type:        "operating-system",
				Name:        inv.OS.ID,
				Version:     inv.OS.VersionID,
				Description: inv.OS.PrettyName,
			})
		}
		for j, p := range inv.Packages {
			c.Components = append(c.Components, cdxComponentOf(fmt.Sprintf("%s-%s-%d", ref, p.Type, j+1), p, inv.OS))
		}
		bom.Components = append(bom.Components, c)
		podDep.DependsOn = append(podDep.DependsOn, ref)
	}
	bom.Dependencies = append(bom.Dependencies, podDep)
	return bom
}

func cdxComponentOf(ref string, p Package, os OS) cdxComponent {
	c := cdxComponent{
		BOMRef:      ref,
		Type:        "library",
		Name:        p.Name,
		Version:     p.Version,
		Description: p.Summary,
		PURL:        packageURL(p, os),
		Properties:  []cdxProperty{{"hyper:package-database", p.Database}},
	}
	if p.Maintainer != "" {
		c.Supplier = &cdxSupplier{Name: p.Maintainer}
	}
	switch {
	case isLicenseExpression(p.License):
		c.Licenses = []cdxLicense{{Expression: p.License}}
	case p.License != "":
		c.Licenses = []cdxLicense{{License: &cdxLicenseName{Name: p.License}}}
	}
	if u := httpURL(p.Homepage); u != "" {
		c.ExternalRefs = []cdxExternalRef{{"website", u}}
	}
	if p.Arch != "" {
		c.Properties = append(c.Properties, cdxProperty{"hyper:arch", p.Arch})
	}
	if p.Source != "" {
		src := p.Source
		if p.SourceVersion != "" {
			src += " " + p.SourceVersion
		}
		c.Properties = append(c.Properties, cdxProperty{"hyper:source-package", strings.TrimSpace(src)})
	}
	return c
}
