package hyperstart

import (
	"os"
	"path"
	"strings"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// prefetchBinaries asks the kernel to read each container's program into
// the page cache (POSIX_FADV_WILLNEED) as soon as the pod partition is
// mounted, so that the disk reads overlap hyperstart's own set-up instead
// of following the container's exec. The overlay root shares the lower
// file's pages. It is only a hint: whatever it cannot find is skipped.
func prefetchBinaries(l *Log, p *contract.Pod) {
	for i := range p.Containers {
		c := &p.Containers[i]
		if c.Process == nil || len(c.Process.Args) == 0 {
			continue
		}
		root := path.Join(PodMount, contract.RootfsDir(c.Name))
		if file := findInRoot(root, c.Process.Args[0], envValue(BuildEnv(c.Process.Env, "", ""), "PATH")); file != "" {
			if fadviseWillNeed(file) == nil {
				l.Debugf("prefetch %s", file)
			}
		}
	}
}

// findInRoot finds arg0 as the container will (its PATH when arg0 has no
// slash) inside root, following symbolic links of the last component
// relative to root; "" when not found.
func findInRoot(root, arg0, pathEnv string) string {
	var dirs []string
	if strings.Contains(arg0, "/") {
		dirs = []string{""}
	} else {
		dirs = strings.Split(pathEnv, ":")
	}
	for _, d := range dirs {
		p := path.Join("/", d, arg0)
		for hops := 0; hops < 8; hops++ {
			target, err := os.Readlink(root + p)
			if err != nil {
				break
			}
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(p), target)
			}
			p = path.Clean(target)
		}
		if fi, err := os.Stat(root + p); err == nil && fi.Mode().IsRegular() {
			return root + p
		}
	}
	return ""
}

func fadviseWillNeed(file string) error {
	fd, err := unix.Open(file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return unix.Fadvise(fd, 0, 0, unix.FADV_WILLNEED)
}
