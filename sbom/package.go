package sbom

import (
	"cmp"
	"errors"
	"slices"
)

// Errors, checked with errors.Is.
var (
	// ErrMalformed is a package database or os-release that does not
	// parse; the error names the file and line.
	ErrMalformed = errors.New("malformed package database")
	// ErrTooLarge is a database past one of the Max limits.
	ErrTooLarge = errors.New("package database too large")
	// ErrUnsupported is a database the scanner cannot read where it is
	// (a symlink or hard link in place of the file).
	ErrUnsupported = errors.New("unsupported package database")
)

// Limits on what one image's databases may hold. A real Debian system
// with thousands of packages has a status file of a few MiB.
const (
	// MaxDatabaseBytes bounds all of one image's databases together.
	MaxDatabaseBytes = 64 << 20
	// MaxLineBytes bounds one database line.
	MaxLineBytes = 1 << 20
	// MaxPackages bounds one image's packages.
	MaxPackages = 100_000
	// MaxOSReleaseBytes bounds os-release.
	MaxOSReleaseBytes = 64 << 10
)

// Package types, as package URLs (purl) name them.
const (
	TypeDeb = "deb"
	TypeApk = "apk"
)

// Package is one installed package.
type Package struct {
	Type    string // TypeDeb or TypeApk
	Name    string
	Version string
	Arch    string
	// Source is the source package (dpkg's Source, apk's origin) and
	// SourceVersion its version when it differs; both empty when the
	// package is its own source.
	Source        string
	SourceVersion string
	Maintainer    string
	// License is the apk database's license (dpkg keeps none).
	License  string
	Homepage string
	// Summary is the description's first line.
	Summary string
	// Database is where the package was found (var/lib/dpkg/status).
	Database string
}

// OS is what os-release says the image's distribution is.
type OS struct {
	ID         string // debian, alpine
	VersionID  string // 12, 3.20.3
	PrettyName string
}

// Inventory is what Scan found in one image.
type Inventory struct {
	OS OS
	// Packages in order of type, name, architecture, version.
	Packages []Package
}

func sortPackages(ps []Package) {
	slices.SortFunc(ps, func(a, b Package) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Arch, b.Arch), cmp.Compare(a.Version, b.Version),
			cmp.Compare(a.Database, b.Database))
	})
}
