#!/usr/bin/env bash
# Fuzz every Fuzz target of the module for FUZZTIME each (default 10s).
#
# A target fails the run only on a real finding: Go writes the failing
# input under the package's testdata/fuzz/TARGET/ and says so. Go 1.26's
# fuzz coordinator also fails a target with a bare "context deadline
# exceeded" when the -fuzztime deadline fires while a worker is mid-call
# on a loaded machine (go.dev/issue/75804, fixed in Go 1.27): no input is
# written and nothing reproduces. Such a run is retried with a count
# budget (-fuzztime Nx, which sets no deadline), and only that retry's
# verdict counts.
set -uo pipefail

GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10s}
RETRY_EXECS=${RETRY_EXECS:-5000x}
logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT

# fuzz PKG TARGET BUDGET LOG: one run; prints its last progress line.
fuzz() {
	local pkg=$1 target=$2 budget=$3 log=$4
	$GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" "$pkg" >"$log" 2>&1
	local rc=$?
	grep -E '^fuzz: elapsed' "$log" | tail -1
	return $rc
}

# unreproduced PKG TARGET LOG: the run failed only because a worker
# ended while minimizing ("hung or terminated unexpectedly while
# minimizing"), which the coordinator's -fuzztime deadline does when it
# fires mid-minimization, and the input it wrote passes when run on its
# own (with a timeout, so that a real hang still fails). Such an input is
# no finding: it is removed and the target retried. A panic, or an input
# that fails again, is a real failure.
unreproduced() {
	local pkg=$1 target=$2 log=$3 input dir
	grep -q 'hung or terminated unexpectedly while minimizing' "$log" || return 1
	grep -qE '^\s*(panic:|fatal error:)' "$log" && return 1
	input=$(sed -n "s|.*Failing input written to testdata/fuzz/${target}/\([0-9a-f]*\)\$|\1|p" "$log" | tail -1)
	[ -n "$input" ] || return 1
	if ! $GO test -count=1 -timeout 120s -run "^${target}\$/^${input}\$" "$pkg" >"$log.rerun" 2>&1; then
		cat "$log.rerun" >>"$log"
		return 1
	fi
	dir=$($GO list -f '{{.Dir}}' "$pkg")
	rm -f "$dir/testdata/fuzz/$target/$input"
	return 0
}

found=0 flakes=0 targets=0
for pkg in $($GO list ./...); do
	for target in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz'); do
		targets=$((targets + 1))
		echo "fuzz $pkg $target ($FUZZTIME)"
		log=$logdir/$target.log
		if fuzz "$pkg" "$target" "$FUZZTIME" "$log"; then
			continue
		fi
		if unreproduced "$pkg" "$target" "$log"; then
			flakes=$((flakes + 1))
			echo "fuzz: $target: a worker died while minimizing (the -fuzztime deadline killing it), and the input it wrote passes when run again; retrying for $RETRY_EXECS"
			if ! fuzz "$pkg" "$target" "$RETRY_EXECS" "$log"; then
				cat "$log"
				echo "fuzz: $target: failed on retry" >&2
				found=$((found + 1))
			fi
			continue
		fi
		if grep -q 'Failing input written to' "$log" ||
			! grep -q 'context deadline exceeded' "$log"; then
			cat "$log"
			dir=$($GO list -f '{{.Dir}}' "$pkg")
			echo "fuzz: $target: a real failure (log above; a failing input is kept under ${dir#$PWD/}/testdata/fuzz/$target)" >&2
			found=$((found + 1))
			continue
		fi
		flakes=$((flakes + 1))
		echo "fuzz: $target: deadline race in Go's fuzz coordinator (go.dev/issue/75804), no input written; retrying for $RETRY_EXECS"
		if ! fuzz "$pkg" "$target" "$RETRY_EXECS" "$log"; then
			cat "$log"
			echo "fuzz: $target: failed on retry" >&2
			found=$((found + 1))
		fi
	done
done
echo "fuzz: $targets targets, $found failed, $flakes retried after the coordinator's deadline race"
if [ "$targets" -eq 0 ]; then
	echo "fuzz: no fuzz targets found (does the module build?)" >&2
	exit 1
fi
[ "$found" -eq 0 ]
