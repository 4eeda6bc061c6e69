#!/bin/sh
# The kernel a Proxmox node runs: each test/kernel/kernel-*.sh runs under
# User-Mode Linux (test/kernel/uml-run, Debian's 6.1 kernel with bridge
# VLAN filtering, 802.1ad bridges and 8021q), with this build tree; their
# TAP lines are this test's.
. "$(dirname "$0")/lib.sh"
it_init 96
[ "${LXCNET_SKIP_PACKAGING:-0}" = 1 ] && skip_all "LXCNET_SKIP_PACKAGING=1 (run-tests.sh runs the UML tests in the first build only)"
command -v linux.uml >/dev/null || skip_all "linux.uml is not installed (contrib/deps.sh installs user-mode-linux)"
[ -x "$BUILD/lxcnet-netup" ] || skip_all "lxcnet-netup is not built"
ldd "$BUILD/lxcnet-netup" 2>/dev/null | grep -q libasan &&
	skip_all "an ASan build: its shadow memory collides with User-Mode Linux's address space"
# Inside, the tests take the kernel's own integration lock, not this one.
for script in "$IT_SRC"/test/kernel/kernel-*.sh; do
	name=${script##*/}
	"$IT_SRC/test/kernel/uml-run" --timeout 600 --env LXCNET_BUILDDIR="$BUILD" --env LXCNET_SAMPLES_DIR="${LXCNET_SAMPLES_DIR:-}" \
		"$script" >"$T/$name.tap" 2>"$T/$name.err"
	rc=$?
	tap_forward "${name%.sh}" "$T/$name.tap"
	[ $? -eq 0 ] && [ $rc -eq 0 ]
	ok $? "${name%.sh}: ran under UML, all $TAP_RAN of ${TAP_PLANNED:-?} reported (uml-run exit $rc) $(tail -3 "$T/$name.err" | tr '\n' ' ')"
done
it_done
