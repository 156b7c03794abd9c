package composestack

import (
	"archive/tar"
	"io"
	"maps"
	"slices"

	"github.com/moby/moby/api/pkg/stdcopy"
)

// writeTar writes files (name → content) as a tar archive, e.g. a build context.
func writeTar(w io.Writer, files map[string][]byte) error {
	tw := tar.NewWriter(w)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		body := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))}); err != nil {
			return err
		}
		if _, err := tw.Write(body); err != nil {
			return err
		}
	}
	return tw.Close()
}

// demux copies a container log stream (stdout and stderr multiplexed) to w.
func demux(w io.Writer, r io.Reader) error {
	_, err := stdcopy.StdCopy(w, w, r)
	return err
}
