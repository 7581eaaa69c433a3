package layers

import (
	"io"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows one bar per layer being pulled, on a terminal only.
type progress struct{ p *mpb.Progress }

func newProgress(w io.Writer, tty bool) *progress {
	if w == nil || !tty {
		return nil
	}
	// The caller knows w is a terminal: refresh even if mpb cannot tell.
	return &progress{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithAutoRefresh())}
}

// track wraps a layer's download in a bar named name of size bytes; done
// completes or drops the bar.
func (p *progress) track(r io.Reader, name string, size int64) (io.Reader, func(ok bool)) {
	if p == nil {
		return r, func(bool) {}
	}
	bar := p.p.AddBar(size,
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace)),
	)
	pr, err := bar.ProxyReader(r)
	if err != nil {
		return r, func(bool) { bar.Abort(true) }
	}
	return pr, func(ok bool) {
		if ok {
			bar.SetTotal(-1, true)
			return
		}
		bar.Abort(false)
	}
}

// wait lets the bars finish drawing.
func (p *progress) wait() {
	if p != nil {
		p.p.Wait()
	}
}
