#!/bin/sh
# lxcnetd on a private dbus-daemon that uses the project's policy file:
# introspection, each method and named error, unprivileged callers, signals,
# netlink tracking, hook notifications, kill -9 and restart with 50 bindings
# while a ping between two tagged namespaces loses nothing.
. "$(dirname "$0")/lib.sh"
it_init 97
it_need dbus-daemon busctl dbus-monitor setpriv bpftool
BR=lxnt97
bridge $BR 1500 || skip_all "cannot create a bridge"
chmod 755 "$T" # the unprivileged caller must reach the bus socket
export LXCNET_NOTIFY_SOCKET="$T/notify"
bc() { busctl --address="$BUS" "$@"; }
call() { bc call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager "$@"; }

private_bus || skip_all "dbus-daemon did not start"

start_agent() {
	LXCNET_TEST_HOLD="$T/hold" "$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" >>"$T/agent.log" 2>&1 &
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
{"zones": {"ids": {"zv": {"type": "vlan", "bridge": "$BR"},
                   "zgone": {"type": "vlan", "bridge": "lxnt97x"}}},
 "vnets": {"ids": {"v97": {"type": "vnet", "zone": "zv", "tag": 97},
                   "v98": {"type": "vnet", "zone": "zv", "tag": 98, "alias": "second"},
                   "vgone": {"type": "vnet", "zone": "zgone", "tag": 5}}}}
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
for name in ListBindings GetBinding BindVNet UnbindVNet ListVNets ValidateVNet ListContainers GetStatistics \
	NotifyBinding Reload BindingChanged VNetBound VNetUnbound ContainerStarted ContainerStopped Version NBindings; do
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
out=$(call GetBinding ss 9701 netX 2>&1); echo "$out" | grep -q "'netX' is not a NIC key (net0..net31, or <network>/<ifname> for a CNI attachment)"
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
# Every method against Debian's system-bus default policy: the reading ones answer an unprivileged caller
# (a named error of lxcnetd's at most), the mutating ones are denied by the bus.
for m in "ListBindings" "GetBinding ss 9701 net0" "ListContainers" "GetStatistics ss 9701 net0" "ListVNets" \
	"ValidateVNet s v97" "GetOperation o /org/lxcnet1/operation/1" "ListOperations" "DescribeRollout" "GetMetrics" \
	"ListPlugins" "GetPluginHistory" "ListStorageNetworks" "GetStorageStatus s nosuch"; do
	# shellcheck disable=SC2086
	out=$(as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager $m 2>&1)
	! echo "$out" | grep -qi 'AccessDenied\|denied'; ok $? "nobody may call ${m%% *} ($(printf '%.60s' "$out"))"
done
for m in "NotifyBinding sss 9701 net0 v97" "BindVNet sss 9701 net0 v97" "UnbindVNet ss 9701 net0" \
	"AddInterface sss 9701 net5 name=eth5" "RemoveInterface ss 9701 net0" "UpdateInterface sss 9701 net0 name=eth0" \
	"CancelOperation o /org/lxcnet1/operation/1" "Reload" "SetPhase s observe" "SetFallback b false" \
	"ConfigureStorageNetwork ssqasdas s1 lxnt97 10 0 0 0" "RemoveStorageNetwork s s1"; do
	# shellcheck disable=SC2086
	out=$(as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager $m 2>&1)
	[ $? -ne 0 ] && echo "$out" | grep -q 'Access denied'; ok $? "nobody may not call ${m%% *} ($(printf '%.60s' "$out"))"
done
for p in Version Phase; do
	as_nobody get-property org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager $p >/dev/null 2>&1; ok $? "nobody may read the property $p"
done
for v in "operations" "phase show" "plugins" "storage list" "metrics" "bindings" "status"; do
	# shellcheck disable=SC2086
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" $v 2>&1)
	ok $? "lxcnetctl $v works for an unprivileged user ($(printf '%.60s' "$out"))"
done

call Reload >/dev/null; ok $? "root may Reload"

# lxcnetctl's agent verbs, over DBUS_SYSTEM_BUS_ADDRESS.
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
out=$(ctl status); echo "$out" | grep -q '^lxcnetd [0-9.]*: running, [0-9]* bound interfaces$' &&
	echo "$out" | grep -q '^node: lxc (no pve-container here' && echo "$out" | grep -q '^phase: full (default), fallback off, reconcile on$'
ok $? "lxcnetctl status: the node's wiring, the phase, the agent ($(echo "$out" | tr '\n' '|'))"
ctl bindings --json | python3 -c 'import json,sys; b={(x["container"],x["net"]):x for x in json.load(sys.stdin)}; assert b[("9702","net0")]["vnet"]=="v97" and b[("9701","net0")]["bridge"]=="lxnt97" and b[("9701","net0")]["runtime"]=="lxc"'
ok $? "lxcnetctl bindings --json (runtime lxc)"
ctl binding 9702 net0 | grep -q '^9702 *net0 *veth9702i0 *lxnt97 *v97 *up *none *lxc$'; ok $? "lxcnetctl binding 9702 net0"
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

# NotifyBinding takes only what BindVNet would: a VNet id, or "" for none.
for v in "../x" "v97
x" "averyveryverylongvnet" "9x"; do
	out=$(call NotifyBinding sss 9702 net0 "$v" 2>&1)
	echo "$out" | grep -q "is not a VNet id"; ok $? "NotifyBinding with VNet '$(printf '%s' "$v" | tr '\n' '|')': InvalidArgument"
done
call GetBinding ss 9702 net0 | grep -q '"v97" true'; ok $? "...and 9702 is still on v97"

# The state file: a bad one is said so and kept aside, bad entries are dropped one by one, the writer follows no link.
kill "$AGENT"; wait "$AGENT" 2>/dev/null
cp "$T/state/bindings.json" "$T/good.json"
printf '[{"container":"9702",' >"$T/state/bindings.json"
: >"$T/agent.log"; start_agent
grep -q "Ignoring the state file '$T/state/bindings.json': .*; its VNet annotations are lost, the file is kept as $T/state/bindings.json.bad" "$T/agent.log" &&
	[ "$(cat "$T/state/bindings.json.bad")" = '[{"container":"9702",' ]
ok $? "an unparsable state file: the reason logged, the file kept as bindings.json.bad ($(grep 'state file' "$T/agent.log"))"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
head -c 17000000 /dev/zero >"$T/state/bindings.json"
: >"$T/agent.log"; start_agent
grep -q "Ignoring the state file '$T/state/bindings.json': larger than 16 MiB" "$T/agent.log"; ok $? "a state file over 16 MiB: said so"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
python3 - "$T/good.json" "$T/state/bindings.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
a += [{"container": "9701", "net": 0, "vnet": "averyveryverylongvnet", "since": 5},
      {"container": "9703", "net": 0, "vnet": "", "since": -5},
      {"container": "9750", "net": 40, "vnet": ""},
      {"container": "c0ffee", "net": 0, "runtime": "cni", "nic": "eth0", "vnet": ""},
      {"container": "c0 ffee", "net": 0, "runtime": "oci", "nic": "net0", "vnet": ""},
      {"container": "c0ffee", "net": 0, "runtime": "crio", "nic": "net0", "vnet": ""}]
json.dump(a, open(sys.argv[2], "w"))
PY
echo keep >"$T/victim"
ln -sf "$T/victim" "$T/state/bindings.json.tmp"
: >"$T/agent.log"; start_agent
[ "$(grep -c "Ignoring entry [0-9]* of the state file" "$T/agent.log")" -eq 6 ] && grep -q "vnet: not a VNet id" "$T/agent.log" &&
	grep -q "since: not a time" "$T/agent.log" && grep -q "net: not 0..31" "$T/agent.log" &&
	[ "$(grep -c "runtime: not oci, or cni with a <network>/<ifname> nic" "$T/agent.log")" -eq 2 ] &&
	grep -q "container, nic: not a container id and a NIC of its runtime" "$T/agent.log"
ok $? "six bad entries dropped, each with its reason (a CNI nic without its network, an id with a space, an unknown runtime)"
call GetBinding ss 9702 net0 | grep -q '"v97" true' && call GetBinding ss 9701 net0 | grep -q '"lxnt97" "" true'
ok $? "the good entries were used (9702 on v97), the bad ones not (9701 on no VNet)"
[ "$(cat "$T/victim")" = keep ] && [ -f "$T/state/bindings.json" ] && [ ! -L "$T/state/bindings.json" ] &&
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/state/bindings.json"
ok $? "saving did not write through a link planted at bindings.json.tmp"

# Bad paths are named, not crashed on.
out=$("$BUILD/lxcnetd" --bus-address="$BUS" --notify-socket relsock 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "notify-socket: 'relsock' is not an absolute path"; ok $? "--notify-socket relsock: usage error 2 ($out)"
out=$("$BUILD/lxcnetd" --bus-address="$BUS" --state-dir=/nonexistent-lxcnet/state 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "'/nonexistent-lxcnet/state'"; ok $? "a state directory that cannot be made is named ($(echo "$out" | head -1))"
out=$("$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state2" --notify-socket=/nonexistent-lxcnet/a/notify 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "'/nonexistent-lxcnet/a'"; ok $? "a notify socket directory that cannot be made is named ($(echo "$out" | grep nonexistent | head -1))"

# Binding objects: /org/lxcnet1/binding/<host veth>, properties from the kernel, the config and the datapath.
bprop() { bc get-property org.lxcnet1 "/org/lxcnet1/binding/$1" org.lxcnet1.Binding "$2"; }
bc tree org.lxcnet1 | grep -q '/org/lxcnet1/binding/veth9701i0'; ok $? "busctl tree lists the binding objects"
bc introspect --xml-interface org.lxcnet1 /org/lxcnet1/binding/veth9701i0 >"$T/intro-b.xml"
missing=""
for name in Container Net IfName IfIndex Bridge VNet Zone Tag Trunks Rate Firewall State Since PacketsFromContainer \
	BytesFromContainer PacketsToContainer BytesToContainer Drops; do
	grep -q "name=\"$name\"" "$T/intro-b.xml" || missing="$missing $name"
done
[ -z "$missing" ]; ok $? "org.lxcnet1.Binding has every property${missing:+ (missing:$missing)}"
out="$(bprop veth9701i0 Container) $(bprop veth9701i0 Net) $(bprop veth9701i0 Bridge) $(bprop veth9701i0 Tag) $(bprop veth9701i0 State)"
[ "$out" = 's "9701" s "net0" s "lxnt97" q 100 s "up"' ]; ok $? "binding properties of 9701 ($out)"
[ "$(bprop veth9701i0 IfIndex)" = "u $(cat /sys/class/net/veth9701i0/ifindex)" ]; ok $? "IfIndex is the host veth's"
out=$(bprop veth9701i0 PacketsFromContainer); [ "${out#t }" -ge 2 ]; ok $? "PacketsFromContainer counts the pings ($out)"
out="$(bprop veth9702i0 VNet) $(bprop veth9702i0 Zone)"; [ "$out" = 's "v97" s "zv"' ]; ok $? "VNet and Zone of 9702 ($out)"
out=$(bc get-property org.lxcnet1 /org/lxcnet1/binding/veth4242i0 org.lxcnet1.Binding Bridge 2>&1)
[ $? -ne 0 ]; ok $? "no object for an interface that is not bound ($out)"

# A 15 MB container config costs one read, not one per property and GetAll: 60 GetAll on it take about as long
# as on a small one (reading it each time cost 18 ms a call here). The file's change is noticed.
getall() { as_nobody call org.lxcnet1 "/org/lxcnet1/binding/$1" org.freedesktop.DBus.Properties GetAll s org.lxcnet1.Binding; }
cp "$T/pve/lxc/9701.conf" "$T/9701.small"
python3 -c 'import sys; f=open(sys.argv[1],"a"); f.write(("#" + "x" * 99 + "\n") * 150000)' "$T/pve/lxc/9701.conf"
getall veth9701i0 >/dev/null
ms() { t0=$(date +%s%N); for _ in $(seq 60); do getall "$1" >/dev/null; done; echo $(( ($(date +%s%N) - t0) / 1000000 )); }
small=$(ms veth9703i0); big=$(ms veth9701i0)
[ "$big" -lt $((small * 3 / 2 + 300)) ]; ok $? "60 GetAll of a binding with a 15 MB config: ${big} ms, with a small one: ${small} ms"
sed -i 's/^net0: \(.*\)$/net0: \1,rate=7/' "$T/pve/lxc/9701.conf"
[ "$(bprop veth9701i0 Rate)" = "d 7" ]; ok $? "a changed config is read again (Rate $(bprop veth9701i0 Rate))"
cp "$T/9701.small" "$T/pve/lxc/9701.conf"

# VNets: list, validate.
out=$(call ListVNets)
echo "$out" | grep -q '"v97" "zv" "vlan" 97 false "" "lxnt97" "" [1-9]'; ok $? "ListVNets: v97 plugs into lxnt97 and has bindings"
echo "$out" | grep -q '"vgone" "zgone" "vlan" 5 false "" "" "VNet [^ ]*vgone[^ ]*: bridge [^ ]*lxnt97x[^ ]* of zone [^ ]*zgone[^ ]* does not exist" 0'
ok $? "ListVNets: vgone cannot plug here, and says why ($(echo "$out" | grep -o '"vgone".*'))"
[ "$(call ValidateVNet s v98)" = 'sqq "lxnt97" 98 0' ]; ok $? "ValidateVNet v98: lxnt97, tag 98"
out=$(call ValidateVNet s nope 2>&1); echo "$out" | grep -q "VNet 'nope' is not defined in"; ok $? "ValidateVNet nope: NoSuchVNet ($out)"
out=$(call ValidateVNet s vgone 2>&1); echo "$out" | grep -q "bridge 'lxnt97x' of zone 'zgone' does not exist"
ok $? "ValidateVNet vgone: InvalidConfig ($out)"
out=$(call ValidateVNet s 'x!' 2>&1); echo "$out" | grep -q "'x!' is not a VNet id"; ok $? "ValidateVNet 'x!': InvalidArgument"
as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager ListVNets >/dev/null 2>&1 &&
	as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager ValidateVNet s v97 >/dev/null 2>&1 &&
	as_nobody get-property org.lxcnet1 /org/lxcnet1/binding/veth9701i0 org.lxcnet1.Binding Tag >/dev/null 2>&1
ok $? "nobody may ListVNets, ValidateVNet and read binding properties"
ctl vnets | grep -q '^v98 *zv *vlan *98 *lxnt97 *0 *second$'; ok $? "lxcnetctl vnets"
ctl vnets --json | python3 -c 'import json,sys; v={x["vnet"]:x for x in json.load(sys.stdin)}; assert v["v97"]["bridge"]=="lxnt97" and v["vgone"]["problem"]'
ok $? "lxcnetctl vnets --json"

# BindVNet / UnbindVNet: live, persisted, signalled; a failed call changes nothing.
# reach N ADDR: namespace lxnt97n<N> reaches ADDR (neighbour entries failed by earlier isolation checks flushed)
reach() { in_ns lxnt97n$1 ip neigh flush dev eth0; in_ns lxnt97n$1 ping -c 1 -w 3 "$2" >/dev/null; }
plug 4 9704 "$BR"; ok $? "9704 plugged untagged into $BR"
plug 5 9705 v97; ok $? "9705 plugged into VNet v97"
sleep 0.3
! in_ns lxnt97n4 ping -c 1 -W 1 10.97.0.5 >/dev/null; ok $? "untagged 9704 cannot reach 9705 on v97"
: >"$T/signals3"
dbus-monitor --address "$BUS" "type='signal',sender='org.lxcnet1'" >"$T/signals3" 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.3
conf="$T/pve/lxc/9704.conf"
cp "$conf" "$T/9704.orig"
out=$(call BindVNet sss 9704 net0 nope 2>&1); echo "$out" | grep -q "VNet 'nope' is not defined"; ok $? "BindVNet to an unknown VNet: NoSuchVNet ($out)"
out=$(call BindVNet sss 9704 net0 vgone 2>&1); echo "$out" | grep -q "bridge 'lxnt97x' of zone 'zgone' does not exist"
ok $? "BindVNet to a VNet that cannot plug here: InvalidConfig ($out)"
out=$(call BindVNet sss 9701 net0 v97 2>&1); echo "$out" | grep -q "tag: not allowed on VNet 'v97' (not VLAN-aware)"
ok $? "BindVNet of a tagged NIC to a VNet that is not VLAN-aware: InvalidConfig ($out)"
out=$(call BindVNet sss 4242 net0 v97 2>&1); echo "$out" | grep -q "Container '4242' has no bound interface for net0"
ok $? "BindVNet of an unknown container: NoSuchBinding"
out=$(call BindVNet sss 9704 net0 'v-1' 2>&1); echo "$out" | grep -q "'v-1' is not a VNet id"; ok $? "BindVNet 'v-1': InvalidArgument"
out=$(as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager BindVNet sss 9704 net0 v97 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -qi 'denied'; ok $? "nobody may not BindVNet ($out)"
out=$(as_nobody call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager UnbindVNet ss 9702 net0 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -qi 'denied'; ok $? "nobody may not UnbindVNet"
# Somebody else holds the container's config lock (as Proxmox's pct would).
mkdir -p /run/lock/lxc
sh -c 'exec 9>/run/lock/lxc/pve-config-9704.lock; flock 9; exec sleep 20' &
holder=$!
IT_PIDS="$IT_PIDS $holder"
sleep 0.3
out=$(call BindVNet sss 9704 net0 v97 2>&1); echo "$out" | grep -q "Busy\|still locked"; ok $? "BindVNet while the config is locked: Busy ($out)"
kill "$holder"; wait "$holder" 2>/dev/null
# The write fails (a directory where the backup goes): the kernel state goes back.
mkdir -p "$conf.bak/x"
out=$(call BindVNet sss 9704 net0 v97 2>&1); echo "$out" | grep -q "org.lxcnet1.Error.Failed\|cannot"; ok $? "BindVNet whose config write fails: Failed ($out)"
rm -r "$conf.bak"
cmp -s "$conf" "$T/9704.orig"; ok $? "the failed calls left 9704.conf byte for byte"
[ "$(link_field veth9704i0)" = "master=$BR mtu=1500 up=1" ] && call GetBinding ss 9704 net0 | grep -q '"lxnt97" "" true'
ok $? "...and its NIC where it was ($(link_field veth9704i0), no VNet)"
! in_ns lxnt97n4 ping -c 1 -W 1 10.97.0.5 >/dev/null; ok $? "...and still isolated from v97 (the old policy is back)"

ctl bind 9704 net0 v97; ok $? "lxcnetctl bind 9704 net0 v97"
grep -qx 'net0: name=eth0,bridge=v97' "$conf"; ok $? "the config line reads back bridge=v97 ($(grep net0 "$conf"))"
reach 4 10.97.0.5; ok $? "9704 now reaches 9705 on v97"
out=$(call GetBinding ss 9704 net0); echo "$out" | grep -q '"lxnt97" "v97" true'; ok $? "GetBinding 9704: VNet v97 ($out)"
[ "$(bprop veth9704i0 Zone)" = 's "zv"' ]; ok $? "binding object: Zone zv"
sleep 0.3
grep -A3 'member=VNetBound' "$T/signals3" | grep -q '"9704"'; ok $? "VNetBound signal for 9704"
grep -A2 'interface=org.freedesktop.DBus.Properties; member=PropertiesChanged' "$T/signals3" | grep -q 'veth9704i0'
ok $? "PropertiesChanged on /org/lxcnet1/binding/veth9704i0"

call UnbindVNet ss 9704 net0 >/dev/null; ok $? "UnbindVNet 9704 net0"
grep -qx 'net0: name=eth0,bridge=v97,link_down=1' "$conf"; ok $? "the config line reads back link_down=1 ($(grep net0 "$conf"))"
sleep 0.3
[ "$(link_field veth9704i0)" = "master=- mtu=1500 up=0" ]; ok $? "the host veth is out of the bridge and down ($(link_field veth9704i0))"
! in_ns lxnt97n4 ping -c 1 -W 1 10.97.0.5 >/dev/null; ok $? "9704 reaches nothing"
grep -A3 'member=VNetUnbound' "$T/signals3" | grep -q '"9704"'; ok $? "VNetUnbound signal for 9704"
[ "$(bprop veth9704i0 State)" = 's "down"' ]; ok $? "binding object: State down"
out=$(call UnbindVNet ss 9704 net0 2>&1); echo "$out" | grep -q "is not bound to a VNet"; ok $? "UnbindVNet again: InvalidConfig, not bound ($out)"
ctl unbind 9701 net0 >/dev/null 2>&1; [ $? -eq 1 ]; ok $? "lxcnetctl unbind of a NIC on a plain bridge: exit 1"
ctl bind 9704 net0 v97 && grep -qx 'net0: name=eth0,bridge=v97' "$conf" && reach 4 10.97.0.5
ok $? "bind again: link_down is gone and 9704 reaches 9705"
ctl bind 9704 net0 v98 && grep -qx 'net0: name=eth0,bridge=v98' "$conf" && ! in_ns lxnt97n4 ping -c 1 -W 1 10.97.0.5 >/dev/null
ok $? "bind to v98: the config says so and v97 is out of reach"
ctl unbind 9704 net0 && ctl bind 9704 net0 v97; ok $? "lxcnetctl unbind, bind"
# A bind between its kernel change and its config line (held there) is no drift to reconciliation.
tag9704() { dp_port "$(cat /sys/class/net/veth9704i0/ifindex)" tag 2>/dev/null; }
touch "$T/hold"
ctl bind 9704 net0 v98 >"$T/held-bind.out" 2>&1 &
held=$!
for _ in $(seq 100); do [ "$(tag9704)" = 98 ] && break; sleep 0.05; done
out=$(ctl reconcile 9704 2>&1)
echo "$out" | grep -q "^9704 *net0 *busy *a hotplug operation or a bind of the container is in progress$" && [ "$(tag9704)" = 98 ]
ok $? "a bind held before its config line: lxcnetctl reconcile says busy and leaves VLAN 98 ($out)"
rm -f "$T/hold"
wait $held
grep -qx 'net0: name=eth0,bridge=v98' "$conf" && [ "$(tag9704)" = 98 ]
ok $? "the bind ends on v98 ($(cat "$T/held-bind.out"))"

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
! dp_port "$idx" >/dev/null; ok $? "its datapath entry is gone"

# The pins removed under the running agent: the next hook pins a new datapath, the agent follows it and says so;
# ports still on the old one are named; Reload re-opens; a restart names them again.
rm -rf "$(dp_pins)"
: >"$T/agent.log"
plug 6 9706 "$BR,tag=100"; ok $? "with the pins removed, a hook plugs 9706 (and pins a new datapath)"
out=$(ctl stats 9706 net0 2>&1); ok $? "lxcnetctl stats of the new port works without an agent restart (${out%%
*})"
grep -q "The eBPF datapath pinned in '$(dp_pins)' was removed or replaced; opening the pinned one again" "$T/agent.log" &&
	grep -q "Opened the eBPF datapath pinned in '$(dp_pins)'" "$T/agent.log"
ok $? "the agent logged that the pins were replaced and that it opened the new ones"
grep -q "Interface 'veth9701i0' of container '9701' runs an eBPF datapath whose pins were removed" "$T/agent.log"
ok $? "and named the ports still on the old datapath"
out=$(call GetStatistics ss 9701 net0 2>&1); echo "$out" | grep -q "runs a datapath whose pins were removed"
ok $? "GetStatistics of such a port: NoDatapath saying why ($out)"
rm -rf "$(dp_pins)"
: >"$T/agent.log"
ctl reload; ok $? "lxcnetctl reload after the pins were removed again"
grep -q "No eBPF datapath is pinned now" "$T/agent.log"; ok $? "Reload noticed they are gone ($(grep -i 'pinned' "$T/agent.log" | head -1))"
kill "$AGENT"; wait "$AGENT" 2>/dev/null
: >"$T/agent.log"
start_agent; ok $? "lxcnetd starts again"
grep -q "Interface 'veth9706i0' of container '9706' runs an eBPF datapath whose pins were removed" "$T/agent.log"
ok $? "at start it names the ports whose datapath is no longer pinned"
kill "$AGENT"; wait "$AGENT" 2>/dev/null; ok $? "lxcnetd stops on SIGTERM"
out=$(ctl status 2>&1); [ $? -eq 1 ] && echo "$out" | grep -q 'lxcnetd is not reachable' && echo "$out" | grep -q '^node: '
ok $? "lxcnetctl status without the agent: the node's wiring, then exit 1 ($(echo "$out" | tail -1))"
it_done
