#!/bin/sh
# Run the whole lxcnet test suite on a fresh Debian 12 machine, as root:
# dependencies (apt), autogen, configure, build and `make check` twice
# (warnings as errors; then ASan+UBSan), and `make distcheck` (the tarball
# builds, installs and passes its unit tests; the integration tests, which
# ran in both builds, skip there).
# The last line is the summary "N passed, N failed, N skipped" over every
# test case that ran; the exit status is 0 only if none failed.
#
# Options: --no-sanitizers  skip the ASan/UBSan build
#          --no-distcheck   skip make distcheck
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
sanitizers=yes
distcheck=yes
for arg in "$@"; do
	case "$arg" in
	--no-sanitizers) sanitizers=no ;;
	--no-distcheck) distcheck=no ;;
	-h|--help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "run-tests.sh: unknown option '$arg'" >&2; exit 2 ;;
	esac
done

passed=0
failed=0
skipped=0

# Add the counts of one build directory's test-suite.log (each TAP case counts).
count_suite() {
	log="$1/test-suite.log"
	if [ ! -f "$log" ]; then
		echo "run-tests.sh: no $log" >&2
		failed=$((failed + 1))
		return
	fi
	p=$(sed -n 's/^# PASS: *//p' "$log"); f=$(sed -n 's/^# FAIL: *//p' "$log")
	e=$(sed -n 's/^# ERROR: *//p' "$log"); x=$(sed -n 's/^# XPASS: *//p' "$log")
	s=$(sed -n 's/^# SKIP: *//p' "$log"); xf=$(sed -n 's/^# XFAIL: *//p' "$log")
	passed=$((passed + ${p:-0} + ${xf:-0}))
	failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
	skipped=$((skipped + ${s:-0}))
	# Show what failed, with its log, so CI output explains itself.
	if [ $((${f:-0} + ${e:-0} + ${x:-0})) -gt 0 ]; then
		grep -E '^(FAIL|ERROR|XPASS):' "$log" | head -50
		for t in $(sed -n 's/^\(FAIL\|ERROR\|XPASS\): \([^ ]*\).*/\2/p' "$log" | sort -u); do
			[ -f "$1/$t.log" ] && { echo "---- $t.log"; tail -40 "$1/$t.log"; }
		done
	fi
}

# run_build NAME CONFIGURE-ARGS...: configure, build and check in build-ci-NAME.
# The demo and Debian package tests build and install on their own: only the
# first build runs them, not the sanitizer build or distcheck.
skip_packaging=0
run_build() {
	name="$1"; shift
	dir="$top/build-ci-$name"
	rm -rf "$dir" && mkdir -p "$dir" || { failed=$((failed + 1)); return 1; }
	echo "== $name: configure $*"
	if ! (cd "$dir" && ../configure "$@" >configure.out 2>&1); then
		tail -30 "$dir/configure.out"; echo "run-tests.sh: $name: configure failed" >&2
		failed=$((failed + 1)); return 1
	fi
	echo "== $name: build"
	if ! (cd "$dir" && make -j"$jobs" >build.out 2>&1); then
		grep -E 'error|warning' "$dir/build.out" | head -40; echo "run-tests.sh: $name: build failed" >&2
		failed=$((failed + 1)); return 1
	fi
	echo "== $name: make check"
	(cd "$dir" && LXCNET_SKIP_PACKAGING=$skip_packaging make -j"$jobs" check >check.out 2>&1)
	skip_packaging=1
	grep -E '^# (TOTAL|PASS|SKIP|FAIL|ERROR)' "$dir/test-suite.log" 2>/dev/null | tr '\n' ' '; echo
	count_suite "$dir"
}

echo "== dependencies"
if ! sh contrib/deps.sh; then
	echo "run-tests.sh: installing dependencies failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
if ! ./autogen.sh >/dev/null 2>autogen.err; then
	cat autogen.err >&2
	echo "0 passed, 1 failed"
	exit 1
fi
rm -f autogen.err

run_build werror --enable-werror
[ "$sanitizers" = yes ] && run_build sanitizers --enable-werror --enable-sanitizers

if [ "$distcheck" = yes ] && [ -f "$top/build-ci-werror/Makefile" ]; then
	echo "== make distcheck"
	# The tarball builds and its unit tests pass; the integration tests ran in both builds above.
	if (cd "$top/build-ci-werror" && LXCNET_SKIP_PACKAGING=1 LXCNET_SKIP_INTEGRATION=1 make -j"$jobs" distcheck \
		>distcheck.out 2>&1); then
		echo "ok - make distcheck"
		passed=$((passed + 1))
	else
		tail -40 "$top/build-ci-werror/distcheck.out"
		echo "not ok - make distcheck"
		failed=$((failed + 1))
	fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
