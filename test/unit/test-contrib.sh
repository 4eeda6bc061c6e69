#!/bin/sh
# The shipped service unit and D-Bus files: systemd-analyze verify passes,
# the offline exposure stays low, the XML parses.
set -u
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
BUILD=${LXCNET_BUILDDIR:-$(pwd)}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/lxcnet-contrib-XXXXXX) || { echo "1..0 # SKIP no temp dir"; exit 0; }
trap 'rm -rf "$tmp"' EXIT

if command -v systemd-analyze >/dev/null; then
	# The unit as built, with ExecStart pointing at this build's lxcnetd.
	sed "s|^ExecStart=.*|ExecStart=$BUILD/lxcnetd|" "$BUILD/contrib/systemd/lxcnetd.service" >"$tmp/lxcnetd.service"
	# Documentation= names man pages: this build's, when scdoc made them.
	man=--man=no
	if [ -f "$BUILD/contrib/man/lxcnetd.8" ]; then
		mkdir -p "$tmp/man/man5" "$tmp/man/man8"
		for p in "$BUILD"/contrib/man/*.[58]; do cp "$p" "$tmp/man/man${p##*.}/"; done
		man=--man=yes
	fi
	cp "$SRC/contrib/systemd/lxcnet-bpffs.service" "$tmp/"
	MANPATH="$tmp/man" systemd-analyze verify $man "$tmp/lxcnetd.service" "$tmp/lxcnet-bpffs.service" >"$tmp/verify" 2>&1
	[ $? -eq 0 ] && [ ! -s "$tmp/verify" ]
	ok $? "systemd-analyze verify $man lxcnetd.service lxcnet-bpffs.service, no message $(tr '\n' ' ' <"$tmp/verify")"
	level=$(systemd-analyze security --offline=yes "$tmp/lxcnetd.service" 2>/dev/null | sed -n 's/.*Overall exposure level for lxcnetd.service: \([0-9.]*\).*/\1/p')
	awk -v l="${level:-10}" 'BEGIN { exit !(l <= 3.0) }'; ok $? "systemd-analyze security exposure ${level:-?} <= 3.0"
	# Every loosened line says which operation needs it (the comment just above it).
	for key in CapabilityBoundingSet RestrictNamespaces RestrictAddressFamilies ProtectKernelTunables ProtectProc ReadWritePaths; do
		grep -B1 "^$key=" "$tmp/lxcnetd.service" | head -1 | grep -q '^#' || echo "$key" >>"$tmp/uncommented"
	done
	[ ! -s "$tmp/uncommented" ]; ok $? "each loosened sandbox line has its reason above it $(cat "$tmp/uncommented" 2>/dev/null | tr '\n' ' ')"
	grep -q '^Type=notify$' "$tmp/lxcnetd.service" && grep -q '^BusName=org.lxcnet1$' "$tmp/lxcnetd.service"
	ok $? "Type=notify with BusName=org.lxcnet1"
fi
python3 -c 'import sys, xml.dom.minidom as m; m.parse(sys.argv[1])' "$SRC/contrib/dbus/org.lxcnet1.conf"; ok $? "D-Bus policy XML parses"
grep -q '^SystemdService=lxcnetd.service$' "$BUILD/contrib/dbus/org.lxcnet1.service"; ok $? "D-Bus activation file names lxcnetd.service"
echo "1..$n"
