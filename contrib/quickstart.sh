#!/bin/sh
# lxcnet's main job on a fresh Debian 12 machine, as root: install the
# dependencies, build, and show what lxcnet reads from a Proxmox node.
#
# Today this runs lxcnetctl's offline verbs on example Proxmox configs
# (contrib/examples/pve, and the real Proxmox samples in ../shared if
# present): each container's NICs, validation with file:line errors, SDN
# zones/VNets and where lxcnet plugs them, and the lxc.net.N lines for LXC.
# It grows into the live demo (agent, hooks, containers) as those land.
# It changes nothing on the machine outside the source tree's build-demo/.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
step() { printf '\n== %s\n' "$*"; }
fail() { printf 'FAILED: %s\n' "$*" >&2; exit 1; }

step "Installing dependencies (apt)"
sh contrib/deps.sh || fail "contrib/deps.sh"

step "Building"
./autogen.sh >/dev/null 2>&1 || fail "autogen.sh"
mkdir -p build-demo
(cd build-demo && { [ -f Makefile ] || ../configure >configure.out 2>&1; } && make -j"$(nproc)" >build.out 2>&1) \
	|| fail "build (see build-demo/build.out)"
ctl="$top/build-demo/lxcnetctl"
pve="$top/contrib/examples/pve"
echo "built $ctl ($("$ctl" --version))"

step "Container 100: its NICs as lxcnet reads them (lxcnetctl config show 100)"
"$ctl" --pve-dir "$pve" config show 100 || fail "config show"

step "Container 100 validates (lxcnetctl config check 100)"
"$ctl" --pve-dir "$pve" config check 100 && echo "valid"

step "Container 101 does not: the error names file, line, key and reason"
"$ctl" --pve-dir "$pve" config check 101 && fail "101 should be invalid"

step "SDN zones and VNets, and where lxcnet plugs each VNet on this host (lxcnetctl sdn show)"
"$ctl" --pve-dir "$pve" sdn show || fail "sdn show"

step "The lxc.net.N lines LXC needs for container 100 (lxcnetctl lxc-config 100)"
"$ctl" --pve-dir "$pve" lxc-config 100 2>/dev/null || fail "lxc-config"

samples="$top/../shared/pve-samples"
if [ -d "$samples" ]; then
	step "Real Proxmox sample configs ($samples)"
	for f in $(find "$samples" -name '[0-9]*.conf' | sort); do
		d=$(mktemp -d) && mkdir -p "$d/lxc" && cp "$f" "$d/lxc/"
		id=$(basename "$f" .conf)
		if out=$("$ctl" --pve-dir "$d" config show "$id" --json 2>&1); then
			printf 'ok   %s: %s NIC(s)\n' "${f#"$samples"/}" "$(printf '%s' "$out" | grep -c '"spec"')"
		else
			printf 'FAIL %s: %s\n' "${f#"$samples"/}" "$out"
		fi
		rm -rf "$d"
	done
fi

step "Done. The test suite: contrib/run-tests.sh"
