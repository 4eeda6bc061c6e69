#!/bin/sh
# The kernel a Proxmox node runs: each test/kernel/kernel-*.sh runs under
# User-Mode Linux (test/kernel/uml-run, Debian's 6.1 kernel with bridge
# VLAN filtering, 802.1ad bridges and 8021q), with this build tree; their
# TAP lines are this test's.
. "$(dirname "$0")/lib.sh"
it_init 96
command -v linux.uml >/dev/null || skip_all "linux.uml is not installed (contrib/deps.sh installs user-mode-linux)"
[ -x "$BUILD/lxcnet-netup" ] || skip_all "lxcnet-netup is not built"
# Inside, the tests take the kernel's own integration lock, not this one.
for script in "$IT_SRC"/test/kernel/kernel-*.sh; do
	name=${script##*/}
	"$IT_SRC/test/kernel/uml-run" --timeout 600 --env LXCNET_BUILDDIR="$BUILD" "$script" >"$T/$name.tap" 2>"$T/$name.err"
	rc=$?
	planned=$(sed -n 's/^1\.\.\([0-9]*\).*$/\1/p' "$T/$name.tap")
	ran=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*) ran=$((ran + 1)); ok 0 "${name%.sh}: ${line#ok [0-9]* - }" ;;
		"not ok "*) ran=$((ran + 1)); ok 1 "${name%.sh}: ${line#not ok [0-9]* - }" ;;
		"1..0 # SKIP"*) diag "${name%.sh}: ${line#1..0 }" ;;
		"1.."*) ;;
		*) echo "# ${name%.sh}: $line" ;;
		esac
	done <"$T/$name.tap"
	[ $rc -eq 0 ] && [ -n "$planned" ] && [ "$ran" -eq "$planned" ]
	ok $? "${name%.sh}: ran under UML, all $ran of ${planned:-?} reported (uml-run exit $rc) $(tail -3 "$T/$name.err" | tr '\n' ' ')"
done
it_done
