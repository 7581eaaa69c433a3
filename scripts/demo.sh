#!/usr/bin/env bash
# The demo: build a two-container pod from an offline busybox image, boot
# it, ask its web server a question through a published port, stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin
WORK=$PWD/.cache/demo
PORT=${PORT:-8080}
mkdir -p "$WORK"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "an offline busybox image (Debian's busybox-static as an OCI layout)"
go run ./internal/cmd/mkimage busybox "$WORK/busybox-oci" 1.36

step "compile examples/web.hcl into one bootable image"
"$BIN/hyperbuild" validate examples/web.hcl -var image=oci:"$WORK/busybox-oci":1.36
"$BIN/hyperbuild" examples/web.hcl -o "$WORK/web.img" -var image=oci:"$WORK/busybox-oci":1.36 -var port="$PORT"
"$BIN/hyperbuild" inspect "$WORK/web.img"

step "boot it (hyperboot picks the best backend: kvm, else qemu)"
"$BIN/hyperboot" --verbose "$WORK/web.img" &
boot=$!
trap 'kill $boot 2>/dev/null || true' EXIT

answered=
for _ in $(seq 1 120); do
	if out=$(curl -fsS --max-time 2 "http://127.0.0.1:$PORT/" 2>/dev/null); then answered=1; break; fi
	kill -0 $boot 2>/dev/null || break
	sleep 1
done
if [ -z "$answered" ]; then
	echo "demo: the pod did not answer on http://127.0.0.1:$PORT/" >&2
	exit 1
fi
step "the host asks the pod: curl http://127.0.0.1:$PORT/"
echo "$out"

step "stop the pod gracefully (SIGTERM to hyperboot, like Ctrl-C)"
sleep 2
kill -TERM $boot
set +e
wait $boot
status=$?
set -e
trap - EXIT
echo "hyperboot exited with the pod's status: $status"

cat <<MSG

Do it by hand:
  make build
  go run ./internal/cmd/mkimage busybox /tmp/busybox-oci 1.36
  bin/hyperbuild examples/web.hcl -o web.img -var image=oci:/tmp/busybox-oci:1.36
  bin/hyperboot web.img            # then, elsewhere: curl http://127.0.0.1:$PORT/
  bin/hyperbuild examples/hello.hcl -o hello.img -var image=oci:/tmp/busybox-oci:1.36
  bin/hyperboot hello.img; echo \$?
MSG
exit "$status"
