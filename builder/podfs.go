package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk/ext4"
	"github.com/hyperbuild/hyper/layers"
)

// writePodFS streams each container's flattened image straight into the
// ext4 writer: no layer or rootfs is ever extracted on the host.
//
// Containers of the same image that have no files of their own share one
// root: the first one's is written, the others' containers/NAME/rootfs is
// a symlink to it (overlayfs follows it for lowerdir, and the guest's page
// cache then holds the image's files once). A container's files are merged
// into its root, so a container with files always gets a root of its own.
//
// With an SBOM (bom not nil), each image's root is also read by
// sbom.Scan as it streams, once per image.
func writePodFS(ctx context.Context, file string, pod *contract.Pod, images []*layers.Image, free int64, epoch time.Time, bom *sbomOutput) (int64, error) {
	f, err := os.Create(file)
	if err != nil {
		return 0, fmt.Errorf("creating the pod filesystem: %w", err)
	}
	defer f.Close()
	w, err := ext4.NewWriter(f, ext4.WithLabel(contract.PodLabel), ext4.WithFreeSpace(free), ext4.WithTime(epoch))
	if err != nil {
		return 0, fmt.Errorf("starting the pod filesystem: %w", err)
	}
	rootOf := map[string]string{} // image digest → container whose root holds it
	for i, c := range pod.Containers {
		files := layers.FilesFor(pod.Files, c.Name)
		if len(files) == 0 {
			if owner, ok := rootOf[images[i].Digest]; ok {
				if err := w.AddTar(path.Dir(contract.RootfsDir(c.Name)), sharedRoot(owner, epoch)); err != nil {
					return 0, fmt.Errorf("writing container %q into the pod filesystem: %w", c.Name, err)
				}
				continue
			}
			rootOf[images[i].Digest] = c.Name
		}
		pr, pw := io.Pipe()
		sink, finish := bom.writer(pw, images[i].Digest)
		go func() {
			err := images[i].Flatten(ctx, sink, files)
			pw.CloseWithError(err)
			finish(err)
		}()
		err := w.AddTar(contract.RootfsDir(c.Name), pr)
		pr.CloseWithError(errors.New("pod filesystem writer stopped"))
		if err != nil {
			return 0, fmt.Errorf("writing container %q into the pod filesystem: %w", c.Name, err)
		}
	}
	st, err := w.Close()
	if err != nil {
		return 0, fmt.Errorf("finishing the pod filesystem: %w", err)
	}
	return st.Size, f.Close()
}

// sharedRoot is a tar of one entry, "rootfs", a symlink to the root of
// container owner (relative, so that it resolves wherever the pod
// partition is mounted).
func sharedRoot(owner string, epoch time.Time) io.Reader {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	// Writing one header into memory cannot fail.
	tw.WriteHeader(&tar.Header{
		Typeflag: tar.TypeSymlink,
		Name:     path.Base(contract.RootfsDir(owner)),
		Linkname: path.Join("..", owner, path.Base(contract.RootfsDir(owner))),
		Mode:     0o777,
		ModTime:  epoch,
		Format:   tar.FormatPAX,
	})
	tw.Close()
	return &b
}
