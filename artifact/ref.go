package artifact

import "strings"

// trimTransport drops skopeo's "docker://", which hyper's image
// references accept too.
func trimTransport(ref string) string { return strings.TrimPrefix(ref, "docker://") }

// LooksLikeRef reports whether s reads as a registry reference rather
// than a file path: "docker://..." always; otherwise a first component
// that is a host (it has a "." or a ":", or is localhost), a last
// component with a tag or digest, and no "./" or "/" at the start. A
// caller asks this only of an argument that names no file.
func LooksLikeRef(s string) bool {
	if strings.HasPrefix(s, "docker://") {
		return true
	}
	if strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || strings.ContainsAny(s, " \t\n\\") {
		return false
	}
	host, rest, ok := strings.Cut(s, "/")
	if !ok || rest == "" {
		return false
	}
	if !strings.ContainsAny(host, ".:") && host != "localhost" {
		return false
	}
	last := rest[strings.LastIndex(rest, "/")+1:]
	return strings.Contains(last, ":") || strings.Contains(rest, "@sha256:")
}

// CheckRef checks that ref is a registry reference Push and Pull take.
func CheckRef(ref string) error {
	_, err := makeOptions().parseRef(ref)
	return err
}
