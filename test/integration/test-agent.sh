#!/bin/sh
# lxcnetd on a private dbus-daemon that uses the project's policy file:
# introspection, each method and named error, unprivileged callers, signals,
# netlink tracking, hook notifications, kill -9 and restart with 50 bindings
# while a ping between two tagged namespaces loses nothing.
. "$(dirname "$0")/lib.sh"
it_init 97
for t in dbus-daemon busctl dbus-monitor setpriv bpftool; do
	command -v $t >/dev/null || skip_all "$t is not installed (contrib/deps.sh)"
done
BR=lxnt97
bridge $BR 1500 || skip_all "cannot create a bridge"
chmod 755 "$T" # the unprivileged caller must reach the bus socket
export LXCNET_NOTIFY_SOCKET="$T/notify"
bc() { busctl --address="$BUS" "$@"; }
call() { bc call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager "$@"; }

private_bus || skip_all "dbus-daemon did not start"

start_agent() {
	"$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" >>"$T/agent.log" 2>&1 &
	AGENT=$!
	IT_PIDS="$IT_PIDS $AGENT"
	for _ in $(seq 50); do bc status org.lxcnet1 >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
# plug N VMID TAG-or-VNET: a namespace "container" with host veth veth<VMID>i0, plugged by lxcnet-netup
plug() {
	netns lxnt97n$1 && ip link add veth$2i0 type veth peer name eth0 netns lxnt97n$1 &&
		in_ns lxnt97n$1 ip addr add 10.97.0.$1/24 dev eth0 && in_ns lxnt97n$1 ip link set eth0 up &&
		pve_conf "$2" "net0: name=eth0,bridge=$3" && "$BUILD/lxcnet-netup" "$2" net up veth "veth$2i0"
}
cat >"$T/pve/sdn/.running-config" <<JSON
{"zones": {"ids": {"zv": {"type": "vlan", "bridge": "$BR"}}},
 "vnets": {"ids": {"v97": {"type": "vnet", "zone": "zv", "tag": 97}}}}
JSON

# Two tagged "containers" before the agent runs: it must find them at start.
plug 1 9701 "$BR,tag=100"; ok $? "9701 plugged with tag=100 (no agent yet)"
plug 3 9703 "$BR,tag=100"; ok $? "9703 plugged with tag=100"
# 47 more host veths named like container ports: 50 bindings in all with 9702 below.
i=0; while [ $i -lt 47 ]; do ip link add veth$((9750 + i))i0 type veth peer name lxnt97p$i && IT_LINKS="$IT_LINKS veth$((9750 + i))i0"; i=$((i + 1)); done
start_agent; ok $? "lxcnetd starts and owns org.lxcnet1"
found=$(sed -n 's/.*Found \([0-9]*\) bound interfaces.*/\1/p' "$T/agent.log" | tail -1)
[ "${found:-0}" -ge 49 ]; ok $? "at start it reports the 49 interfaces it found ($(grep Found "$T/agent.log" | tail -1))"

# Introspection documents every method, signal and property, with argument names.
bc introspect --xml-interface org.lxcnet1 /org/lxcnet1 >"$T/intro.xml"
missing=""
for name in ListBindings GetBinding ListContainers GetStatistics NotifyBinding Reload BindingChanged VNetBound \
	VNetUnbound ContainerStarted ContainerStopped Version NBindings; do
	grep -q "name=\"$name\"" "$T/intro.xml" || missing="$missing $name"
done
[ -z "$missing" ]; ok $? "introspection lists every method, signal and property${missing:+ (missing:$missing)}"
grep -q '<arg type="s" name="container" direction="in"/>' "$T/intro.xml"; ok $? "introspection names the arguments"

dbus-monitor --address "$BUS" "type='signal',sender='org.lxcnet1'" >"$T/signals" 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.3
plug 2 9702 v97; ok $? "9702 plugged into VNet v97 while the agent runs"
sleep 0.5
out=$(call GetBinding ss 9702 net0)
echo "$out" | grep -q '"9702" "net0" [0-9]* "veth9702i0" "lxnt97" "v97" true'; ok $? "GetBinding: bridge and the VNet the hook reported ($out)"
grep -q 'member=ContainerStarted' "$T/signals" && grep -A1 'member=ContainerStarted' "$T/signals" | grep -q '"9702"'
ok $? "ContainerStarted signal for 9702"
grep -A3 'member=VNetBound' "$T/signals" | grep -q '"v97"'; ok $? "VNetBound signal with v97"
out=$(call GetBinding ss 9701 net0)
echo "$out" | grep -q '"9701" "net0" [0-9]* "veth9701i0" "lxnt97" "" true'; ok $? "GetBinding 9701 ($out)"
# ours: this test's bindings (containers 97xx) in ListBindings, one per line
ours() { call ListBindings | grep -o '"97[0-9][0-9]" "net0" [0-9]* "veth97[0-9]*i0" "[^"]*" "[^"]*" [a-z]*' | sort; }
ours >"$T/before"
[ "$(wc -l <"$T/before")" -eq 50 ]; ok $? "ListBindings has this test's 50 bindings ($(wc -l <"$T/before"))"
nb=$(bc get-property org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager NBindings | cut -d' ' -f2)
[ "$nb" -ge 50 ]; ok $? "NBindings counts them ($nb)"
call ListContainers | grep -q '"9701" 1'; ok $? "ListContainers"
in_ns lxnt97n1 ping -c 2 -W 1 10.97.0.3 >/dev/null; ok $? "9701 pings 9703 (both tag=100)"
out=$(call GetStatistics ss 9701 net0)
echo "$out" | awk '{ exit !($2 >= 2 && $4 >= 2) }'; ok $? "GetStatistics counts the ping both ways ($out)"

# Named errors; a failed call changes nothing.
out=$(call GetBinding ss 4242 net0 2>&1); echo "$out" | grep -q "Container '4242' has no bound interface for net0"
ok $? "GetBinding of an unknown container: NoSuchBinding ($out)"
out=$(call GetBinding ss 9701 netX 2>&1); echo "$out" | grep -q "'netX' is not a NIC key (net0..net31)"
ok $? "GetBinding with a bad net: InvalidArgument ($out)"
out=$(call GetStatistics ss 9750 net0 2>&1); echo "$out" | grep -q "No datapath counters for 'veth9750i0'"
ok $? "GetStatistics of a port without datapath: NoDatapath ($out)"
out=$(call NotifyBinding sss 4242 net0 v97 2>&1); echo "$out" | grep -q "Container '4242' has no interface for net0"
ok $? "NotifyBinding for an unknown interface: NoSuchBinding"

# An unprivileged caller reads but cannot change anything.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address="$BUS" "$@"; }
as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager ListBindings >/dev/null 2>&1; ok $? "nobody may ListBindings"
as_nobody introspect org.lxcnet1 /org/lxcnet1 >/dev/null 2>&1; ok $? "nobody may introspect"
out=$(as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager NotifyBinding sss 9701 net0 v97 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -qi 'denied'; ok $? "nobody may not NotifyBinding ($out)"
out=$(as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager Reload 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -qi 'denied'; ok $? "nobody may not Reload"
out=$(call GetBinding ss 9701 net0)
echo "$out" | grep -q '"lxnt97" "" true'; ok $? "the denied NotifyBinding changed nothing"
call Reload >/dev/null; ok $? "root may Reload"

# lxcnetctl's agent verbs, over DBUS_SYSTEM_BUS_ADDRESS.
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
out=$(ctl status); echo "$out" | grep -q '^lxcnetd [0-9.]*: running, [0-9]* bound interfaces$'; ok $? "lxcnetctl status ($out)"
ctl bindings --json | python3 -c 'import json,sys; b={(x["container"],x["net"]):x for x in json.load(sys.stdin)}; assert b[("9702","net0")]["vnet"]=="v97" and b[("9701","net0")]["bridge"]=="lxnt97"'
ok $? "lxcnetctl bindings --json"
ctl binding 9702 net0 | grep -q '^9702 *net0 *veth9702i0 *lxnt97 *v97 *up$'; ok $? "lxcnetctl binding 9702 net0"
out=$(ctl binding 4242 net0 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "Container '4242' has no bound interface for net0 (org.lxcnet1.Error.NoSuchBinding)"
ok $? "lxcnetctl binding of an unknown container: exit 1 with the named error"
ctl stats 9701 net0 --json | python3 -c 'import json,sys; s=json.load(sys.stdin); assert s["packets_from_container"] >= 2 and "spoofed-mac" in s["drops"]'
ok $? "lxcnetctl stats --json"
ctl containers | grep -q '^9703 *1$'; ok $? "lxcnetctl containers"
ctl reload; ok $? "lxcnetctl reload as root"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" reload 2>&1)
[ $? -eq 1 ] && echo "$out" | grep -qi 'denied'; ok $? "lxcnetctl reload as nobody: exit 1, denied"

# kill -9 with 50 bindings and start again: the same bindings, no ping lost.
in_ns lxnt97n1 ping -i 0.1 -c 40 -W 1 10.97.0.3 >"$T/ping" 2>&1 &
pingpid=$!
sleep 1
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
sleep 0.5
start_agent; ok $? "lxcnetd starts again after kill -9"
wait $pingpid
grep -q ' 0% packet loss' "$T/ping"; ok $? "the ping between the tagged namespaces lost nothing ($(grep -o '[0-9]*% packet loss' "$T/ping"))"
ours >"$T/after"
cmp -s "$T/before" "$T/after"; ok $? "after the restart: the same 50 bindings (container, net, ifindex, veth, bridge, VNet, state)"
out=$(call GetBinding ss 9702 net0 2>&1); echo "$out" | grep -q "\"v97\" true"; ok $? "the VNet of 9702 survived the restart (state file): $out"

# A host veth deleted behind the agent's back ends its binding and its datapath entry.
idx=$(cat /sys/class/net/veth9702i0/ifindex)
: >"$T/signals2"
dbus-monitor --address "$BUS" "type='signal',sender='org.lxcnet1'" >"$T/signals2" 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.3
ip link del veth9702i0
sleep 0.5
out=$(call GetBinding ss 9702 net0 2>&1); echo "$out" | grep -q 'no bound interface'; ok $? "the deleted veth's binding is gone"
grep -q 'member=VNetUnbound' "$T/signals2"; ok $? "VNetUnbound signal"
grep -q 'member=ContainerStopped' "$T/signals2"; ok $? "ContainerStopped signal"
key=$(printf '%08x' "$idx" | sed 's/\(..\)\(..\)\(..\)\(..\)/0x\4 0x\3 0x\2 0x\1/')
! bpftool map lookup pinned "$LXCNET_BPF_ROOT/v1/lxcnet_ports" key $key >/dev/null 2>&1; ok $? "its datapath entry is gone"
kill "$AGENT"; wait "$AGENT" 2>/dev/null; ok $? "lxcnetd stops on SIGTERM"
out=$(ctl status 2>&1); [ $? -eq 1 ] && echo "$out" | grep -q 'lxcnetd is not reachable'; ok $? "lxcnetctl status without the agent: exit 1 ($out)"
it_done
