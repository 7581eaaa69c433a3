package contract

import (
	"strconv"
	"strings"
	"testing"
)

func TestShareMountOptions(t *testing.T) {
	if !strings.Contains(","+ShareMountOptions+",", ",msize="+strconv.Itoa(ShareMsize)+",") {
		t.Errorf("ShareMountOptions %q do not ask for msize %d", ShareMountOptions, ShareMsize)
	}
}
