#!/bin/sh
# The README's main command, contrib/demo.sh, run as written (without apt,
# into a prefix and build directory of this test): every step succeeds,
# under 2 minutes; re-running it is safe; --cleanup leaves no container,
# link, pin, directory or process of the demo behind.
. "$(dirname "$0")/lib.sh"
it_init 99
[ "${LXCNET_SKIP_PACKAGING:-0}" = 1 ] && skip_all "LXCNET_SKIP_PACKAGING=1 (run-tests.sh runs it in the first build only)"
it_need dbus-daemon busctl iperf3 python3 nsenter
# Never tear down a demo someone left running.
if [ -e /var/lib/lxcnet-demo ] || [ -e /sys/class/net/lxdemo0 ]; then
	skip_all "a demo is running here (sh contrib/demo.sh --cleanup removes it)"
fi
DEMO="$IT_SRC/contrib/demo.sh"
policy_before=0
[ -e /etc/dbus-1/system.d/org.lxcnet1.conf ] && policy_before=1
ip netns list >"$T/netns-before"
run_lxcnet_before=0
[ -e /run/lxcnet ] && run_lxcnet_before=1
trap 'sh "$DEMO" --cleanup >/dev/null 2>&1; it_cleanup' EXIT

demo() {
	t0=$(date +%s)
	timeout 300 sh "$DEMO" --no-deps --prefix "$T/prefix" --build-dir "$T/build" >"$T/out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - t0 ))
	sed 's/^/#   /' "$T/out"
	return $rc
}
line_ok() { grep -q "^$1 .* ok ([0-9]* ms)$" "$T/out"; }

demo; ok $? "the demo runs to the end and exits 0"
[ "$secs" -lt 120 ]; ok $? "in under 2 minutes ($secs s)"
line_ok "9901 pings 9902 (both on blue)"; ok $? "containers on the same VNet ping"
line_ok "9903 (red) cannot reach 9901 (blue), same subnet" && line_ok "9901 cannot reach 9903 either"
ok $? "VNets are isolated"
line_ok "Hot-add net1 to 9901 (tag=30, rate=2) and to 9903 (tag=30)" && line_ok "9903 reaches 9901 over the hot-added VLAN 30"
ok $? "a NIC hot-added with a tag and a rate carries traffic"
grep -q "^Measured rate into 9901's net1 (limit 16.8 Mbit/s) *[0-9.]* Mbit/s" "$T/out"; ok $? "the rate is measured"
grep -q "^lxcnetd 0.1.0: running, 5 bound interfaces" "$T/out"; ok $? "lxcnetctl status shows the 5 bindings"
[ "$(cat /sys/class/net/veth9901i1/master/uevent 2>/dev/null | sed -n 's/^INTERFACE=//p')" = lxdemo0 ] &&
	grep -q '^net1: .*tag=30' /var/lib/lxcnet-demo/pve/lxc/9901.conf
ok $? "the hot-added NIC is plugged and in 9901.conf ($(grep '^net1:' /var/lib/lxcnet-demo/pve/lxc/9901.conf))"
[ -x "$T/prefix/sbin/lxcnetd" ] && [ -x "$T/prefix/libexec/lxcnet/lxcnet-netup" ]; ok $? "installed into the prefix"
agent=$(cat /run/lxcnet-demo/lxcnetd.pid 2>/dev/null)
bus=$(cat /run/lxcnet-demo/dbus.pid 2>/dev/null)

demo; ok $? "re-running it is safe: it replaces the running demo and succeeds again"
[ "$(lxc-ls -P /var/lib/lxcnet-demo/lxc | wc -w)" = 3 ]; ok $? "still three containers"
! kill -0 "$agent" 2>/dev/null; ok $? "the first run's lxcnetd ($agent) is gone"
agent2=$(cat /run/lxcnet-demo/lxcnetd.pid 2>/dev/null)
bus2=$(cat /run/lxcnet-demo/dbus.pid 2>/dev/null)

out=$(sh "$DEMO" --cleanup 2>&1); ok $? "demo.sh --cleanup ($out)"
left=""
for p in /var/lib/lxcnet-demo /run/lxcnet-demo /sys/fs/bpf/lxcnet-demo /sys/class/net/lxdemo0 "$T/prefix" "$T/build"; do
	[ -e "$p" ] && left="$left $p"
done
for l in /sys/class/net/veth990*; do [ -e "$l" ] && left="$left $l"; done
[ $policy_before -eq 0 ] && [ -e /etc/dbus-1/system.d/org.lxcnet1.conf ] && left="$left org.lxcnet1.conf"
[ $run_lxcnet_before -eq 0 ] && [ -e /run/lxcnet ] && left="$left /run/lxcnet"
[ -z "$left" ]; ok $? "nothing is left:${left:- no container, link, pin or directory}"
alive=""
for p in $agent $agent2 $bus $bus2; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
[ -z "$alive" ]; ok $? "no process of the demo runs:${alive:- lxcnetd and dbus-daemon are gone}"
[ "$(ip netns list)" = "$(cat "$T/netns-before")" ]; ok $? "no network namespace left"
it_done
