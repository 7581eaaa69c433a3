package sbom

import (
	"fmt"
	"regexp"
	"strings"
)

// The SPDX 2.3 JSON document (spdx.github.io/spdx-spec/v2.3), the parts
// used here.
type spdxDocument struct {
	SPDXVersion       string             `json:"spdxVersion"`
	DataLicense       string             `json:"dataLicense"`
	SPDXID            string             `json:"SPDXID"`
	Name              string             `json:"name"`
	DocumentNamespace string             `json:"documentNamespace"`
	CreationInfo      spdxCreationInfo   `json:"creationInfo"`
	Packages          []spdxPackage      `json:"packages"`
	Relationships     []spdxRelationship `json:"relationships"`
}

type spdxCreationInfo struct {
	Created  string   `json:"created"`
	Creators []string `json:"creators"`
}

type spdxPackage struct {
	SPDXID                string            `json:"SPDXID"`
	Name                  string            `json:"name"`
	VersionInfo           string            `json:"versionInfo,omitempty"`
	Supplier              string            `json:"supplier,omitempty"`
	DownloadLocation      string            `json:"downloadLocation"`
	FilesAnalyzed         bool              `json:"filesAnalyzed"`
	Checksums             []spdxChecksum    `json:"checksums,omitempty"`
	Homepage              string            `json:"homepage,omitempty"`
	SourceInfo            string            `json:"sourceInfo,omitempty"`
	LicenseConcluded      string            `json:"licenseConcluded"`
	LicenseDeclared       string            `json:"licenseDeclared"`
	LicenseComments       string            `json:"licenseComments,omitempty"`
	CopyrightText         string            `json:"copyrightText"`
	Summary               string            `json:"summary,omitempty"`
	Comment               string            `json:"comment,omitempty"`
	ExternalRefs          []spdxExternalRef `json:"externalRefs,omitempty"`
	PrimaryPackagePurpose string            `json:"primaryPackagePurpose,omitempty"`
}

type spdxChecksum struct {
	Algorithm     string `json:"algorithm"`
	ChecksumValue string `json:"checksumValue"`
}

type spdxExternalRef struct {
	ReferenceCategory string `json:"referenceCategory"`
	ReferenceType     string `json:"referenceType"`
	ReferenceLocator  string `json:"referenceLocator"`
}

type spdxRelationship struct {
	SPDXElementID      string `json:"spdxElementId"`
	RelationshipType   string `json:"relationshipType"`
	RelatedSPDXElement string `json:"relatedSpdxElement"`
}

const noAssertion = "NOASSERTION"

// spdxNamespaceBase is where the document namespaces live; SPDX requires
// a unique URI, not one that resolves.
const spdxNamespaceBase = "https://github.com/hyperbuild/hyper/sbom/"

func (d *Document) spdx() *spdxDocument {
	doc := &spdxDocument{
		SPDXVersion: "SPDX-2.3",
		DataLicense: "CC0-1.0",
		SPDXID:      "SPDXRef-DOCUMENT",
		Name:        "hyper-pod-" + d.Pod,
		CreationInfo: spdxCreationInfo{
			Created:  d.timestamp(),
			Creators: []string{"Tool: hyperbuild-" + d.ToolVersion},
		},
		Packages:      []spdxPackage{},
		Relationships: []spdxRelationship{},
	}
	h := d.digest(SPDX)
	doc.DocumentNamespace = fmt.Sprintf("%s%s-%s", spdxNamespaceBase, spdxIDPart(d.Pod), uuid(h))
	rel := func(a, typ, b string) {
		doc.Relationships = append(doc.Relationships, spdxRelationship{a, typ, b})
	}

	const pod = "SPDXRef-Pod"
	doc.Packages = append(doc.Packages, spdxPackage{
		SPDXID:           pod,
		Name:             d.Pod,
		DownloadLocation: noAssertion,
		LicenseConcluded: noAssertion,
		LicenseDeclared:  noAssertion,
		CopyrightText:    noAssertion,
		Comment:          "a hyper pod: a bootable VM image built by hyperbuild from the images it contains",
	})
	rel(doc.SPDXID, "DESCRIBES", pod)
	for i, img := range d.Images {
		id := fmt.Sprintf("SPDXRef-Image%d", i+1)
		p := spdxPackage{
			SPDXID:                id,
			Name:                  img.Ref,
			VersionInfo:           img.Digest,
			DownloadLocation:      noAssertion,
			LicenseConcluded:      noAssertion,
			LicenseDeclared:       noAssertion,
			CopyrightText:         noAssertion,
			Comment:               "run by the pod's containers: " + strings.Join(img.Containers, ", "),
			ExternalRefs:          []spdxExternalRef{purlRef(imageURL(img))},
			PrimaryPackagePurpose: "CONTAINER",
		}
		if h := hexDigest(img.Digest); h != "" {
			p.Checksums = []spdxChecksum{{"SHA256", h}}
		}
		doc.Packages = append(doc.Packages, p)
		rel(pod, "CONTAINS", id)
		inv := img.Inventory
		if inv.OS.ID != "" {
			osID := id + "-os"
			doc.Packages = append(doc.Packages, spdxPackage{
				SPDXID:                osID,
				Name:                  inv.OS.ID,
				VersionInfo:           inv.OS.VersionID,
				DownloadLocation:      noAssertion,
				LicenseConcluded:      noAssertion,
				LicenseDeclared:       noAssertion,
				CopyrightText:         noAssertion,
				Summary:               inv.OS.PrettyName,
				PrimaryPackagePurpose: "OPERATING_SYSTEM", // the JSON schema spells it so
			})
			rel(id, "CONTAINS", osID)
		}
		for j, pk := range inv.Packages {
			pid := fmt.Sprintf("%s-%s-%d-%s", id, pk.Type, j+1, spdxIDPart(pk.Name))
			doc.Packages = append(doc.Packages, spdxPackageOf(pid, pk, inv.OS))
			rel(id, "CONTAINS", pid)
		}
	}
	return doc
}

func spdxPackageOf(id string, p Package, os OS) spdxPackage {
	sp := spdxPackage{
		SPDXID:           id,
		Name:             p.Name,
		VersionInfo:      p.Version,
		Supplier:         spdxSupplier(p.Maintainer),
		DownloadLocation: noAssertion,
		LicenseConcluded: noAssertion,
		LicenseDeclared:  noAssertion,
		CopyrightText:    noAssertion,
		Summary:          p.Summary,
		Homepage:         httpURL(p.Homepage),
		ExternalRefs:     []spdxExternalRef{purlRef(packageURL(p, os))},
		Comment:          "from " + p.Database,
	}
	if isLicenseExpression(p.License) {
		sp.LicenseDeclared = p.License
	}
	if p.License != "" {
		sp.LicenseComments = "the package database says: " + p.License
	}
	if p.Source != "" {
		sp.SourceInfo = "built from source package " + p.Source
		if p.SourceVersion != "" {
			sp.SourceInfo += " " + p.SourceVersion
		}
	}
	return sp
}

func purlRef(u string) spdxExternalRef {
	return spdxExternalRef{"PACKAGE-MANAGER", "purl", u}
}

// spdxSupplier turns "Name <mail>" into SPDX's "Person: Name (mail)".
func spdxSupplier(m string) string {
	if m == "" {
		return noAssertion
	}
	name, mail, ok := strings.Cut(m, "<")
	if ok && strings.HasSuffix(mail, ">") {
		name = strings.TrimSpace(name)
		mail = strings.TrimSuffix(mail, ">")
		if name == "" {
			name = mail
		}
		return fmt.Sprintf("Person: %s (%s)", name, mail)
	}
	return "Person: " + m
}

// httpURL keeps a homepage that is a plain http(s) URL; SPDX wants a URL
// there, and a database may hold anything.
func httpURL(s string) string {
	if (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && !strings.ContainsAny(s, " \t\"<>") {
		return s
	}
	return ""
}

// spdxIDPart makes s fit an SPDX identifier: letters, digits, "." and "-".
func spdxIDPart(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}

// licenseToken is an SPDX license identifier, LicenseRef or exception.
var licenseToken = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.+-]*$`)

// isLicenseExpression is a cheap check of SPDX's license expression
// syntax (identifiers joined by AND, OR, WITH, in balanced parentheses).
// Alpine's L: is usually one, but not always ("GPL-2.0 with exceptions"
// style prose); prose is not claimed as an expression.
func isLicenseExpression(s string) bool {
	if s == "" || len(s) > 1024 {
		return false
	}
	s = strings.NewReplacer("(", " ( ", ")", " ) ").Replace(s)
	depth, wantID := 0, true
	for _, t := range strings.Fields(s) {
		switch {
		case t == "(" && wantID:
			depth++
		case t == ")" && !wantID:
			if depth--; depth < 0 {
				return false
			}
		case (t == "AND" || t == "OR" || t == "WITH") && !wantID:
			wantID = true
		case wantID && licenseToken.MatchString(t) && t != "AND" && t != "OR" && t != "WITH":
			wantID = false
		default:
			return false
		}
	}
	return depth == 0 && !wantID
}
