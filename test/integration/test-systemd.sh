#!/bin/sh
# lxcnetd under a real systemd: a Debian node booted under User-Mode Linux
# (test/kernel/uml-run --systemd: systemd 252 as PID 1 on an overlay of this
# machine's root, nothing of the host written) installs the .deb built from
# this tree with dpkg -i and runs test/kernel/node-lxcnetd.sh there: the
# agent started by D-Bus activation and systemctl with the unit exactly as
# the package ships it, containers plugged by the hooks, hotplug on a
# privileged and an unprivileged container, BindVNet, a storage network
# probed by name, metrics, a plugin, the legacy path, journald fields, the
# watchdog and Restart=; then, in a second node, test/kernel/node-takeover.sh:
# the package beside stand-ins of lxc-pve and pve-container, with real apt.
# Their TAP lines are this test's. Each node's journal and console are kept
# in test/integration/systemd-node/<script>/ of the build dir.
. "$(dirname "$0")/lib.sh"
it_init 99
[ "${LXCNET_SKIP_PACKAGING:-0}" = 1 ] && skip_all "LXCNET_SKIP_PACKAGING=1 (run-tests.sh runs it in the first build only)"
it_need linux.uml dpkg-buildpackage dh fakeroot
dpkg -s lxcnet >/dev/null 2>&1 && skip_all "the lxcnet package is installed here already"

deb_source && deb_build; ok $? "the package to install: ${deb##*/}"
[ -f "$deb" ] || it_done

# Each node script in a node of its own, both nodes at once (a node is one
# process, mostly on one CPU): node-lxcnetd.sh (the agent under systemd),
# node-takeover.sh (the package on a node with lxc-pve and pve-container
# stand-ins, real apt and dpkg). Their results are read in that order.
pids=""
for script in node-lxcnetd node-takeover; do
	logs="$BUILD/test/integration/systemd-node/$script"
	rm -rf "$logs"
	"$IT_SRC/test/kernel/uml-run" --systemd --timeout 900 --out "$logs" --env LXCNET_DEB="$deb" \
		"$IT_SRC/test/kernel/$script.sh" >"$T/$script.tap" 2>"$T/$script.err" &
	pids="$pids $!"
	IT_PIDS="$IT_PIDS $!"
done
for script in node-lxcnetd node-takeover; do
	set -- $pids
	wait "$1"
	rc=$?
	pids=${pids#* $1}
	ok $rc "$script: the node booted, ran the test and powered off (uml-run exit $rc) $(tail -5 "$T/$script.err" | tr '\n' ' ')"
	tap_forward "$script" "$T/$script.tap"
	ok $? "$script: ran all its checks ($TAP_RAN of ${TAP_PLANNED:-?})"
done
it_done
