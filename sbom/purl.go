package sbom

import (
	"sort"
	"strings"
)

// purl writes a package URL (github.com/package-url/purl-spec):
// pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS, qualifiers sorted by key,
// empty ones left out.
func purl(typ, namespace, name, version string, qualifiers map[string]string) string {
	var b strings.Builder
	b.WriteString("pkg:" + typ + "/")
	if namespace != "" {
		b.WriteString(escape(namespace, "") + "/")
	}
	b.WriteString(escape(name, ""))
	if version != "" {
		b.WriteString("@" + escape(version, ""))
	}
	keys := make([]string, 0, len(qualifiers))
	for k, v := range qualifiers {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for i, k := range keys {
		sep := "&"
		if i == 0 {
			sep = "?"
		}
		b.WriteString(sep + k + "=" + escape(qualifiers[k], "/"))
	}
	return b.String()
}

// escape percent-encodes all but RFC 3986's unreserved characters and
// those in keep.
func escape(s, keep string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("-._~", c) >= 0 || strings.IndexByte(keep, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + string(hex[c>>4]) + string(hex[c&15]))
	}
	return b.String()
}

// packageURL is p's purl: pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12.
func packageURL(p Package, os OS) string {
	ns := strings.ToLower(os.ID)
	if ns == "" {
		ns = map[string]string{TypeDeb: "debian", TypeApk: "alpine"}[p.Type]
	}
	q := map[string]string{"arch": p.Arch}
	if os.ID != "" && os.VersionID != "" {
		q["distro"] = os.ID + "-" + os.VersionID
	}
	if p.Source != "" {
		q["upstream"] = p.Source
		if p.SourceVersion != "" {
			q["upstream"] += "@" + p.SourceVersion
		}
	}
	return purl(p.Type, ns, p.Name, p.Version, q)
}

// imageURL is an image's purl: pkg:oci/busybox@sha256%3A…?repository_url=index.docker.io/library/busybox.
func imageURL(img Image) string {
	name := strings.ToLower(img.Name)
	if name == "" {
		name = "image"
	}
	return purl("oci", "", name, img.Digest, map[string]string{"repository_url": img.Repository})
}
