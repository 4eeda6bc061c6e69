#!/bin/sh
# Hotplug through lxcnetd on a private bus, with real running busybox
# containers: add, update (tag, rate, mtu, addresses, link_down, bridge,
# name) and remove, checked inside the container, on the host, in the
# config file and with traffic; net10/net31; failure injection (each named
# error, kernel and file unchanged); the operation API; 100 concurrent
# operations over 10 containers; an add cut off by kill -9 of lxcnetd,
# undone at its next start.
. "$(dirname "$0")/lib.sh"
it_init 94
it_need dbus-daemon busctl dbus-monitor iperf3 python3
BR=lxnt94
BR2=lxnt94b
bridge $BR 1500 || skip_all "cannot create a bridge"
bridge $BR2 1400 || skip_all "cannot create a bridge"
export LXCNET_NOTIFY_SOCKET="$T/notify"
private_bus || skip_all "dbus-daemon did not start"
bc() { busctl --address="$BUS" "$@"; }
call() { bc call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager "$@"; }
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
pid_of() { lxc-info -P "$T/lxc" -n "$1" -p -H; }
# inside CT CMD...: run a host tool in the container's network namespace
inside() { c=$1; shift; nsenter -n -t "$(pid_of "$c")" "$@"; }
ping_ok() { ct_exec "$1" ping -c 1 -w 3 "$2" >/dev/null 2>&1; }
conf_line() { grep "^$2:" "$T/pve/lxc/$1.conf"; }

# While $T/hold exists, operations wait just before they write the config.
LXCNET_TEST_HOLD="$T/hold" "$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" \
	--lxc-path="$T/lxc" >>"$T/agent.log" 2>&1 &
AGENT=$!
IT_PIDS="$IT_PIDS $AGENT"
for _ in $(seq 50); do bc status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
bc status org.lxcnet1 >/dev/null 2>&1; ok $? "lxcnetd runs"

for ct in 9401 9402; do
	pve_conf $ct "net0: name=eth0,bridge=$BR,ip=10.94.0.${ct#940}/24,host-managed=1"
	ct_create $ct && ct_start $ct
done
[ "$(ct_state 9401)" = RUNNING ] && [ "$(ct_state 9402)" = RUNNING ]; ok $? "containers 9401 and 9402 run"
pve_conf 9403 "net0: name=eth0,bridge=$BR"
ct_create 9403 # never started

for name in . ..; do
	out=$(ctl hotplug add 9401 net7 "name=$name,bridge=$BR" 2>&1); rc=$?
	[ $rc -ne 0 ] && echo "$out" | grep -q "name: '$name' is not an interface name (org.lxcnet1.Error.InvalidArgument)"
	ok $? "hotplug add with name=$name: InvalidArgument at once ($out)"
done
# Proxmox's guest firewall in effect with pve-firewall and ips: 1 (which lxcnet leaves to Proxmox's
# firewall): the NIC goes through Proxmox's firewall bridge, and updates of firewall replug as Proxmox's do.
mkdir -p "$T/pve/firewall"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
printf '[OPTIONS]\nenable: 1\nips: 1\n\n[RULES]\nIN ACCEPT -p icmp\nIN REJECT -p tcp -dport 4\n' >"$T/pve/firewall/9401.fw"
fwnet8() { ctl hotplug "$1" 9401 net8 "name=eth8,bridge=$BR,hwaddr=BC:24:11:94:01:08,firewall=$2" --wait >/dev/null; }
fwnet8 add 1 && [ "$(link_field veth9401i8)" = "master=fwbr9401i8 mtu=1500 up=1" ] &&
	[ "$(link_field fwpr9401p8)" = "master=$BR mtu=1500 up=1" ] && [ "$(link_field fwln9401i8)" = "master=fwbr9401i8 mtu=1500 up=1" ]
ok $? "hotplug add under Proxmox's iptables firewall: veth9401i8 in fwbr9401i8, fwpr9401p8 in $BR"
fwnet8 update 0 && [ "$(link_field veth9401i8)" = "master=$BR mtu=1500 up=1" ] &&
	[ "$(link_field fwbr9401i8) $(link_field fwln9401i8) $(link_field fwpr9401p8)" = "absent absent absent" ]
ok $? "update firewall=0: veth9401i8 straight in $BR, its firewall bridge gone ($(link_field veth9401i8))"
fwnet8 update 1 && [ "$(link_field veth9401i8)" = "master=fwbr9401i8 mtu=1500 up=1" ]
ok $? "update firewall=1: through fwbr9401i8 again ($(link_field veth9401i8))"
! dp_port "$(cat /sys/class/net/veth9401i8/ifindex)" tag >/dev/null 2>&1 &&
	dp_port "$(cat /sys/class/net/fwpr9401p8/ifindex)" tag >/dev/null 2>&1
ok $? "the datapath entry moved from the veth to fwpr9401p8"
ctl hotplug remove 9401 net8 --wait >/dev/null &&
	[ "$(link_field veth9401i8) $(link_field fwbr9401i8) $(link_field fwln9401i8) $(link_field fwpr9401p8)" = "absent absent absent absent" ] &&
	! grep -q '^net8:' "$T/pve/lxc/9401.conf"
ok $? "hotplug remove: no veth, fwbr, fwln or fwpr of net8 left, nor the config line"
# Without the rule lxcnet enforces the guest firewall itself, in the datapath of the veth in the bridge.
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/9401.fw"
fwnet8 add 1 && [ "$(link_field veth9401i8)" = "master=$BR mtu=1500 up=1" ] && [ "$(link_field fwbr9401i8)" = absent ] &&
	[ $(( $(dp_port "$(cat /sys/class/net/veth9401i8/ifindex)" flags) & 16 )) -ne 0 ]
ok $? "hotplug add, no rule: lxcnet's guest firewall on veth9401i8 in $BR, no firewall bridge"
ctl hotplug remove 9401 net8 --wait >/dev/null && [ "$(link_field veth9401i8)" = absent ]
ok $? "and hotplug remove"
rm -rf "$T/pve/firewall"
# A container sharing the host's network namespace (lxc.net.0.type = none) gets no NIC: it would land on the host.
# (No gw in the spec: should the refusal ever fail, the NIC must not take the host's default route with it.)
pve_conf 9404
ct_create 9404 && echo "lxc.net.0.type = none" >>"$T/lxc/9404/config" && ct_start 9404
IT_LINKS="$IT_LINKS lxnt94h veth9404i1"
out=$(ctl hotplug add 9404 net1 "name=lxnt94h,bridge=$BR,ip=10.94.44.1/24" --wait 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "org.lxcnet1.Error.InvalidConfig" && echo "$out" | grep -q "shares the host's network namespace" &&
	[ ! -e /sys/class/net/lxnt94h ] && [ "$(link_field veth9404i1)" = absent ] && ! ip -4 addr show | grep -q 10.94.44.1 &&
	! grep -q '^net1:' "$T/pve/lxc/9404.conf"
ok $? "hotplug add on a container in the host's namespace: InvalidConfig, nothing on the host, config unchanged ($out)"
ct_stop 9404

dbus-monitor --address "$BUS" "type='signal',sender='org.lxcnet1'" >"$T/signals" 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.3

# Add.
ctl hotplug add 9401 net1 "name=eth1,bridge=$BR,tag=10,ip=10.94.10.1/24" --wait >/dev/null
ok $? "hotplug add 9401 net1 (tag=10, ip)"
inside 9401 ip -o -4 addr show eth1 | grep -q 'inet 10.94.10.1/24'; ok $? "eth1 has 10.94.10.1/24 inside 9401"
mac=$(ct_exec 9401 cat /sys/class/net/eth1/address)
case $mac in bc:24:11:*) true ;; *) false ;; esac; ok $? "a generated MAC with Proxmox's prefix ($mac)"
conf_line 9401 net1 | grep -qix "net1: name=eth1,bridge=$BR,hwaddr=$mac,ip=10.94.10.1/24,tag=10"
ok $? "the config line reads back, with that hwaddr ($(conf_line 9401 net1))"
[ "$(link_field veth9401i1)" = "master=$BR mtu=1500 up=1" ]; ok $? "host veth9401i1 plugged ($(link_field veth9401i1))"
ctl hotplug add 9402 net1 "name=eth1,bridge=$BR,tag=10,hwaddr=BC:24:11:94:02:01,mtu=1400,ip=10.94.10.2/24,gw=10.94.10.254" --wait >/dev/null
ok $? "hotplug add 9402 net1 (hwaddr, mtu=1400, gw)"
[ "$(ct_exec 9402 cat /sys/class/net/eth1/address) $(ct_exec 9402 cat /sys/class/net/eth1/mtu)" = "bc:24:11:94:02:01 1400" ]
ok $? "inside 9402: MAC and MTU as asked"
inside 9402 ip -4 route show default | grep -q 'via 10.94.10.254 dev eth1'; ok $? "default route via the gw ($(inside 9402 ip -4 route show default))"
ping_ok 9401 10.94.10.2; ok $? "9401 reaches 9402 on VLAN 10"
grep -A2 'member=InterfaceAdded' "$T/signals" | grep -q '"9402"'; ok $? "InterfaceAdded signal"
call GetBinding ss 9402 net1 | grep -q "\"veth9402i1\" \"$BR\""; ok $? "the agent binds the new interface"

# Update, live.
ctl hotplug update 9402 net1 "name=eth1,bridge=$BR,tag=20,mtu=1400,ip=10.94.10.2/24,gw=10.94.10.254" --wait >/dev/null &&
	! ct_exec 9401 ping -c 1 -W 1 10.94.10.2 >/dev/null 2>&1
ok $? "update tag=20: 9402 is out of VLAN 10"
conf_line 9402 net1 | grep -q ',tag=20$'; ok $? "the config says tag=20 and kept the hwaddr ($(conf_line 9402 net1))"
conf_line 9402 net1 | grep -q 'hwaddr=BC:24:11:94:02:01'; ok $? "hwaddr kept when the spec has none"
ctl hotplug update 9402 net1 "name=eth1,bridge=$BR,tag=10,mtu=1300,ip=10.94.10.22/24" --wait >/dev/null
ok $? "update tag=10, mtu=1300, new ip, no gw"
[ "$(ct_exec 9402 cat /sys/class/net/eth1/mtu)" = 1300 ]; ok $? "inside: MTU 1300"
inside 9402 ip -o -4 addr show eth1 | grep -q '10.94.10.22/24' && ! inside 9402 ip -o -4 addr show eth1 | grep -q '10.94.10.2/'
ok $? "inside: the new address only ($(inside 9402 ip -o -4 addr show eth1 | awk '{ print $4 }' | tr '\n' ' '))"
[ -z "$(inside 9402 ip -4 route show default dev eth1)" ]; ok $? "inside: the default route is gone"
ping_ok 9401 10.94.10.22; ok $? "9401 reaches the new address on VLAN 10"

# rate: shaped after the update, unshaped after the next.
ctl hotplug update 9402 net1 "name=eth1,bridge=$BR,tag=10,ip=10.94.10.22/24,rate=5" --wait >/dev/null; ok $? "update rate=5"
inside 9402 iperf3 -s -1 -B 10.94.10.22 >/dev/null 2>&1 &
srv=$!
IT_PIDS="$IT_PIDS $srv"
sleep 0.5
mbit=$(inside 9401 timeout 20 iperf3 -c 10.94.10.22 -t 3 -J 2>/dev/null | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))' 2>/dev/null)
wait $srv 2>/dev/null
[ "${mbit:-0}" -ge 25 ] && [ "${mbit:-0}" -le 46 ]; ok $? "rate=5 (41.9 Mbit/s) to the container: $mbit Mbit/s"
ctl hotplug update 9402 net1 "name=eth1,bridge=$BR,tag=10,ip=10.94.10.22/24" --wait >/dev/null &&
	! tc qdisc show dev veth9402i1 | grep -q tbf
ok $? "update without rate: the shaper is gone"

ctl hotplug update 9402 net1 "name=eth1,bridge=$BR,tag=10,ip=10.94.10.22/24,link_down=1" --wait >/dev/null &&
	[ "$(link_field veth9402i1)" = "master=- mtu=1500 up=0" ]
ok $? "update link_down=1: the host end is out and down ($(link_field veth9402i1))"
ctl hotplug update 9402 net1 "name=eth1,bridge=$BR2,ip=10.94.10.22/24" --wait >/dev/null &&
	[ "$(link_field veth9402i1)" = "master=$BR2 mtu=1400 up=1" ] && [ "$(ct_exec 9402 cat /sys/class/net/eth1/mtu)" = 1400 ]
ok $? "update bridge=$BR2: plugged there, MTU of the new bridge ($(link_field veth9402i1))"
ctl hotplug update 9402 net1 "name=eth7,bridge=$BR,ip=10.94.10.22/24" --wait >/dev/null &&
	inside 9402 ip link show eth7 >/dev/null 2>&1 && ! inside 9402 ip link show eth1 >/dev/null 2>&1
ok $? "update name=eth7: the interface is replaced"
inside 9402 ip -o -4 addr show eth7 | grep -q '10.94.10.22/24' && [ "$(link_field veth9402i1)" = "master=$BR mtu=1500 up=1" ]
ok $? "...with its address and plugged"
grep -A2 'member=InterfaceUpdated' "$T/signals" | grep -q '"9402"'; ok $? "InterfaceUpdated signal"

# Failure injection: each named error; kernel state and file bytes unchanged.
cp "$T/pve/lxc/9402.conf" "$T/9402.orig"
links_before=$(ls /sys/class/net | sort | tr '\n' ' ')
inside_before=$(inside 9402 ip -o link | cut -d: -f2 | tr '\n' ' ')
fails() { # fails ERRORNAME DESCRIPTION hotplug-args...
	name=$1 what=$2; shift 2
	out=$(ctl hotplug "$@" --wait 2>&1)
	[ $? -eq 1 ] && echo "$out" | grep -q "$name"; ok $? "$what: $name ($(echo "$out" | head -1))"
}
fails InvalidConfig "unknown bridge" add 9402 net2 "name=eth2,bridge=nosuchbr"
fails InvalidArgument "tag out of range" add 9402 net2 "name=eth2,bridge=$BR,tag=5000"
fails InvalidConfig "MTU above the bridge's" update 9402 net1 "name=eth7,bridge=$BR2,mtu=9000"
fails NoSuchContainer "container not running" add 9403 net1 "name=eth1,bridge=$BR"
fails InvalidConfig "duplicate name" add 9402 net2 "name=eth0,bridge=$BR"
fails InvalidConfig "netN that exists" add 9402 net1 "name=eth9,bridge=$BR"
fails InvalidConfig "remove of a netN that does not exist" remove 9402 net5
fails InvalidArgument "a container name that is a path" add ../9402 net2 "name=eth2,bridge=$BR"
cmp -s "$T/pve/lxc/9402.conf" "$T/9402.orig"; ok $? "9402.conf is byte for byte what it was"
[ "$(ls /sys/class/net | sort | tr '\n' ' ')" = "$links_before" ]; ok $? "no host interface came or went"
[ "$(inside 9402 ip -o link | cut -d: -f2 | tr '\n' ' ')" = "$inside_before" ]; ok $? "no container interface came or went"
[ "$(link_field veth9402i1)" = "master=$BR mtu=1500 up=1" ]; ok $? "9402 net1 still plugged as before"
# The config write fails (a directory where the backup goes): the kernel goes back.
rm -f "$T/pve/lxc/9402.conf.bak"
mkdir -p "$T/pve/lxc/9402.conf.bak/x"
fails Failed "config write fails" update 9402 net1 "name=eth7,bridge=$BR,tag=30,ip=10.94.10.22/24"
rm -r "$T/pve/lxc/9402.conf.bak"
cmp -s "$T/pve/lxc/9402.conf" "$T/9402.orig"; ok $? "...the file is unchanged"
tag=$(dp_port "$(cat /sys/class/net/veth9402i1/ifindex)" tag)
[ "$tag" = 0 ]; ok $? "...and the port's policy is the old one again (untagged, not tag=30: $tag)"

# The container stops in the middle of an add (after the kernel part, before the file).
ct_start 9403
cp "$T/pve/lxc/9403.conf" "$T/9403.orig"
touch "$T/hold"
op=$(ctl hotplug add 9403 net1 "name=eth1,bridge=$BR")
for _ in $(seq 100); do [ "$(bc get-property org.lxcnet1 "$op" org.lxcnet1.Operation Step)" = 's "held"' ] && break; sleep 0.05; done
[ "$(bc get-property org.lxcnet1 "$op" org.lxcnet1.Operation Step)" = 's "held"' ] && [ "$(link_field veth9403i1)" != absent ]
ok $? "an add to 9403 holds with its veth made ($(link_field veth9403i1))"
ct_stop 9403
rm -f "$T/hold"
for _ in $(seq 100); do bc get-property org.lxcnet1 "$op" org.lxcnet1.Operation State | grep -q '"running"' || break; sleep 0.05; done
out=$(call GetOperation o "$op")
echo "$out" | grep -q '"failed" .* "org.lxcnet1.Error.NoSuchContainer" "Container .*9403.* stopped during the operation"'
ok $? "9403 stops meanwhile: the add fails with NoSuchContainer ($out)"
sleep 0.2
[ "$(link_field veth9403i1)" = absent ] && cmp -s "$T/pve/lxc/9403.conf" "$T/9403.orig"
ok $? "...no veth9403i1 is left and 9403.conf is byte for byte what it was"

# Remove.
ctl hotplug remove 9402 net1 --wait >/dev/null; ok $? "hotplug remove 9402 net1"
! inside 9402 ip link show eth7 >/dev/null 2>&1 && [ "$(link_field veth9402i1)" = absent ] && ! conf_line 9402 net1
ok $? "gone inside, on the host and from the config"
sleep 0.3
out=$(call GetBinding ss 9402 net1 2>&1); echo "$out" | grep -q 'no bound interface'; ok $? "and its binding ended"

# net10 and net31.
ctl hotplug add 9401 net10 "name=eth10,bridge=$BR,ip=10.94.110.1/24" --wait >/dev/null &&
	ctl hotplug add 9401 net31 "name=eth31,bridge=$BR,ip=10.94.131.1/24" --wait >/dev/null
ok $? "add net10 and net31"
inside 9401 ip -o -4 addr show eth10 | grep -q 10.94.110.1 && inside 9401 ip -o -4 addr show eth31 | grep -q 10.94.131.1 &&
	[ "$(link_field veth9401i31)" = "master=$BR mtu=1500 up=1" ]
ok $? "eth10 and eth31 inside, veth9401i31 plugged"
ctl hotplug remove 9401 net10 --wait >/dev/null && ctl hotplug remove 9401 net31 --wait >/dev/null &&
	! conf_line 9401 net10 && ! conf_line 9401 net31 && [ "$(link_field veth9401i10)" = absent ] &&
	! inside 9401 ip link show eth31 >/dev/null 2>&1
ok $? "remove net10 and net31"

# The operation API: state, step, error, timestamps; cancel while queued.
path=$(ctl hotplug add 9401 net2 "name=eth2,bridge=nosuchbr")
sleep 0.5
out=$(call GetOperation o "$path")
echo "$out" | grep -q "\"add\" \"9401\" \"net2\" \"failed\" \"checking\" \"org.lxcnet1.Error.InvalidConfig\" \"bridge: .*nosuchbr"
ok $? "GetOperation: failed, at step checking, with the error ($out)"
echo "$out" | awk '{ exit !($(NF-2) > 0 && $(NF-1) >= $(NF-2) && $NF >= $(NF-1)) }'; ok $? "created <= started <= finished"
[ "$(bc get-property org.lxcnet1 "$path" org.lxcnet1.Operation State)" = 's "failed"' ]; ok $? "the operation object's State"
sh -c 'exec 9>/run/lock/lxc/pve-config-9401.lock; flock 9; exec sleep 3' &
holder=$!
IT_PIDS="$IT_PIDS $holder"
sleep 0.3
first=$(ctl hotplug add 9401 net3 "name=eth3,bridge=$BR")
second=$(ctl hotplug add 9401 net4 "name=eth4,bridge=$BR")
sleep 0.2
[ "$(bc get-property org.lxcnet1 "$first" org.lxcnet1.Operation State) $(bc get-property org.lxcnet1 "$second" org.lxcnet1.Operation State)" = 's "running" s "queued"' ]
ok $? "one operation per container: the second waits"
call CancelOperation o "$second" >/dev/null; ok $? "CancelOperation of the queued one"
out=$(call CancelOperation o "$first" 2>&1); echo "$out" | grep -q "only queued operations can be cancelled"; ok $? "a running one cannot be cancelled ($out)"
out=$(call GetOperation o /org/lxcnet1/operation/999999 2>&1); echo "$out" | grep -q "No operation"; ok $? "GetOperation of an unknown one: NoSuchOperation"
wait "$holder" 2>/dev/null
for _ in $(seq 100); do bc get-property org.lxcnet1 "$first" org.lxcnet1.Operation State | grep -q done && break; sleep 0.1; done
[ "$(bc get-property org.lxcnet1 "$first" org.lxcnet1.Operation State)" = 's "done"' ] && conf_line 9401 net3 >/dev/null && ! conf_line 9401 net4
ok $? "the first one ran once the lock was free; the cancelled one never did"
ctl operations | grep -q "$second .*cancelled"; ok $? "lxcnetctl operations lists it as cancelled"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups busctl --address="$BUS" call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager AddInterface sss 9401 net5 "name=eth5,bridge=$BR" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -qi denied; ok $? "nobody may not AddInterface"

# 100 concurrent operations over 10 containers.
CTS="9411 9412 9413 9414 9415 9416 9417 9418 9419 9420"
for ct in $CTS; do pve_conf $ct "net0: name=eth0,bridge=$BR"; ct_create $ct && ct_start $ct; done
running=0; for ct in $CTS; do [ "$(ct_state $ct)" = RUNNING ] && running=$((running + 1)); done
[ $running -eq 10 ]; ok $? "10 more containers run ($running)"
# Ten callers at a time; each container's operations queue up behind each other.
: >"$T/ops"
for k in 1 2 3 4 5; do
	calls=""
	for ct in $CTS; do
		call AddInterface sss $ct net$k "name=eth$k,bridge=$BR,tag=$((ct - 9400)),ip=10.94.$((ct - 9400)).$k/24" >>"$T/ops" &
		calls="$calls $!"
	done
	wait $calls
done
for k in 1 2 3 4 5; do
	calls=""
	for ct in $CTS; do
		call UpdateInterface sss $ct net$k "name=eth$k,bridge=$BR,tag=7,ip=10.95.$k.$((ct - 9400))/24" >>"$T/ops" &
		calls="$calls $!"
	done
	wait $calls
done
[ "$(grep -c '^o ' "$T/ops")" -eq 100 ]; ok $? "100 operations accepted ($(grep -c '^o ' "$T/ops"))"
for _ in $(seq 600); do
	ctl operations --json | python3 -c 'import json,sys; sys.exit(any(o["state"] in ("queued","running") for o in json.load(sys.stdin)))' && break
	sleep 0.1
done
ctl operations --json >"$T/ops.json"
python3 - "$T/ops" "$T/ops.json" <<'PY'; ok $? "all 100 are done"
import json, sys
paths = [l.split()[1].strip('"') for l in open(sys.argv[1]) if l.startswith("o ")]
ops = {o["operation"]: o for o in json.load(open(sys.argv[2]))}
bad = [(p, ops.get(p, {}).get("state"), ops.get(p, {}).get("error_message")) for p in paths if ops.get(p, {}).get("state") != "done"]
print("# not done:", bad[:5]) if bad else None
sys.exit(1 if bad else 0)
PY
good=0
for ct in $CTS; do
	for k in 1 2 3 4 5; do
		conf_line $ct net$k | grep -q "tag=7" && inside $ct ip -o -4 addr show eth$k | grep -q "10.95.$k.$((ct - 9400))/24" &&
			[ "$(link_field veth${ct}i$k)" = "master=$BR mtu=1500 up=1" ] && good=$((good + 1))
	done
done
[ $good -eq 50 ]; ok $? "every container's config and kernel agree: 50 NICs updated to tag=7 with their new address ($good)"
ping_ok 9411 10.95.1.12; ok $? "9411 and 9412 now share VLAN 7"

# Order: every container's operations started in submission order, each after the one before it ended.
cat >"$T/order.py" <<'PY'
import json, sys
ops = json.load(open(sys.argv[1]))
ids = lambda o: int(o["operation"].rsplit("/", 1)[1])
bad = []
by_ct = {}
for o in sorted(ops, key=ids):
    by_ct.setdefault(o["container"], []).append(o)
for ct, l in by_ct.items():
    for a, b in zip(l, l[1:]):
        if b["state"] == "cancelled" or a["state"] == "cancelled":
            continue
        if not (b["started_usec"] > a["started_usec"] and b["started_usec"] >= a["finished_usec"]):
            bad.append((a["operation"], b["operation"]))
print("# out of order:", bad[:5]) if bad else None
sys.exit(1 if bad else 0)
PY
python3 "$T/order.py" "$T/ops.json"; ok $? "each container's operations ran one after the other, in submission order"

# 60 alternating add/remove of one NIC, submitted without waiting: they run in order, and the last one wins.
for k in $(seq 30); do
	call AddInterface sss 9411 net20 "name=eth20,bridge=$BR,tag=20" >/dev/null
	call RemoveInterface ss 9411 net20 >/dev/null
done
for _ in $(seq 600); do
	ctl operations --json | python3 -c 'import json,sys; sys.exit(any(o["state"] in ("queued","running") for o in json.load(sys.stdin)))' && break
	sleep 0.1
done
ctl operations --json >"$T/ops60.json"
python3 - "$T/ops60.json" <<'PY'; ok $? "all 60 alternating operations of 9411 net20 are done"
import json, sys
l = [o for o in json.load(open(sys.argv[1])) if o["container"] == "9411" and o["net"] == "net20"]
bad = [(o["operation"], o["state"], o["error_message"]) for o in l if o["state"] != "done"]
print("# %d operations; not done:" % len(l), bad[:5]) if bad or len(l) != 60 else None
sys.exit(1 if bad or len(l) != 60 else 0)
PY
python3 "$T/order.py" "$T/ops60.json"; ok $? "they started in submission order, each after the previous one ended"
! conf_line 9411 net20 && ! inside 9411 ip link show eth20 >/dev/null 2>&1 && [ "$(link_field veth9411i20)" = absent ]
ok $? "the last request removed net20: not in the config, the container or the host"

# A config lock held elsewhere does not tie up a worker: 8 containers' locks (as many as there are workers) are
# held, their operations wait without a worker, and a 9th container's operation runs meanwhile.
holders=""
for ct in 9411 9412 9413 9414 9415 9416 9417 9418; do
	sh -c "exec 9>/run/lock/lxc/pve-config-$ct.lock; flock 9; exec sleep 6" &
	holders="$holders $!"
	IT_PIDS="$IT_PIDS $!"
done
sleep 0.3
: >"$T/held"
for ct in 9411 9412 9413 9414 9415 9416 9417 9418; do call AddInterface sss $ct net21 "name=eth21,bridge=$BR" >>"$T/held"; done
t0=$(date +%s%N)
ctl hotplug add 9419 net21 "name=eth21,bridge=$BR" --wait >/dev/null; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 0 ] && [ $ms -lt 3000 ] && conf_line 9419 net21 >/dev/null
ok $? "with 8 locks held, another container's hotplug ran at once (${ms} ms)"
waiting=0
for p in $(sed -n 's/^o "\(.*\)"$/\1/p' "$T/held"); do
	[ "$(bc get-property org.lxcnet1 "$p" org.lxcnet1.Operation State) $(bc get-property org.lxcnet1 "$p" org.lxcnet1.Operation Step)" = 's "running" s "waiting for the configuration lock"' ] &&
		waiting=$((waiting + 1))
done
[ $waiting -eq 8 ]; ok $? "the 8 operations are running, waiting for the configuration lock ($waiting)"
wait $holders 2>/dev/null
for _ in $(seq 100); do
	done8=0
	for ct in 9411 9412 9413 9414 9415 9416 9417 9418; do conf_line $ct net21 >/dev/null && done8=$((done8 + 1)); done
	[ $done8 -eq 8 ] && break
	sleep 0.1
done
[ $done8 -eq 8 ]; ok $? "once the locks were free, all 8 were done ($done8)"
ls "$T/state/operations" 2>/dev/null | grep -q . ; [ $? -ne 0 ]; ok $? "no operation's intent is left once they ended"

# lxcnetd killed (-9) in the middle of an add: at its next start the NIC goes, as its line was never written.
touch "$T/hold"
op=$(ctl hotplug add 9401 net6 "name=eth6,bridge=$BR")
for _ in $(seq 100); do [ "$(bc get-property org.lxcnet1 "$op" org.lxcnet1.Operation Step)" = 's "held"' ] && break; sleep 0.05; done
[ "$(link_field veth9401i6)" != absent ] && inside 9401 ip link show eth6 >/dev/null 2>&1 && [ "$(cat "$T/state/operations/9401.net6")" = add ]
ok $? "an add to 9401 holds with its NIC made and its intent recorded"
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
rm -f "$T/hold"
"$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" --lxc-path="$T/lxc" >>"$T/agent.log" 2>&1 &
AGENT=$!
IT_PIDS="$IT_PIDS $AGENT"
for _ in $(seq 50); do bc status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
[ "$(link_field veth9401i6)" = absent ] && ! inside 9401 ip link show eth6 >/dev/null 2>&1 && ! conf_line 9401 net6 &&
	[ ! -e "$T/state/operations/9401.net6" ]
ok $? "after the restart the half-added NIC is gone: no veth9401i6, no eth6 inside, no net6 line, no intent left"
grep -q "Hotplug add of net6 of container '9401' was cut off before its line was written: removed 'veth9401i6'" "$T/agent.log"
ok $? "and the journal says so"
ctl hotplug add 9401 net6 "name=eth6,bridge=$BR" --wait >/dev/null && conf_line 9401 net6 >/dev/null &&
	ctl hotplug remove 9401 net6 --wait >/dev/null && ! conf_line 9401 net6
ok $? "net6 can be added and removed again"

# lxcnetd killed in the middle of updates, the container's end changed but the line not yet written: at its
# next start the NIC, both ends, is put back as the line says.
mtu_in() { inside 9401 ip -o link show "$1" 2>/dev/null | sed -n 's/.* mtu \([0-9]*\).*/\1/p'; }
restart_agent() { # restart_agent [ENV...]: kill -9 lxcnetd, start it again
	kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
	env "$@" "$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" \
		--lxc-path="$T/lxc" >>"$T/agent.log" 2>&1 &
	AGENT=$!
	IT_PIDS="$IT_PIDS $AGENT"
	for _ in $(seq 50); do bc status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
}
held() { for _ in $(seq 100); do [ "$(bc get-property org.lxcnet1 "$1" org.lxcnet1.Operation Step)" = 's "held"' ] && return 0; sleep 0.05; done; return 1; }
restart_agent LXCNET_TEST_HOLD="$T/hold"
ctl hotplug add 9401 net7 "name=eth7,bridge=$BR,mtu=1400" --wait >/dev/null && [ "$(mtu_in eth7)" = 1400 ]
ok $? "9401 has net7, eth7 at MTU 1400"
touch "$T/hold"
op=$(ctl hotplug update 9401 net7 "name=eth7,bridge=$BR,mtu=1300")
held "$op" && [ "$(mtu_in eth7)" = 1300 ] && conf_line 9401 net7 | grep -q 'mtu=1400' &&
	[ "$(head -1 "$T/state/operations/9401.net7")" = update ] && grep -q 'mtu=1300' "$T/state/operations/9401.net7"
ok $? "an update to MTU 1300 holds with eth7 changed, the line not, its intent and new NIC recorded"
rm -f "$T/hold"
restart_agent
[ "$(mtu_in eth7)" = 1400 ] && conf_line 9401 net7 | grep -q 'mtu=1400' && [ ! -e "$T/state/operations/9401.net7" ]
ok $? "after the restart eth7 is back at MTU 1400, as the line says; no intent left"
grep -q "Hotplug update of net7 of container '9401' was cut off before its line was written: its NIC put back as the line says" "$T/agent.log"
ok $? "and the journal says so"
restart_agent LXCNET_TEST_HOLD="$T/hold"
touch "$T/hold"
op=$(ctl hotplug update 9401 net7 "name=eth8,bridge=$BR,mtu=1400")
held "$op" && inside 9401 ip link show eth8 >/dev/null 2>&1 && ! inside 9401 ip link show eth7 >/dev/null 2>&1
ok $? "a rename to eth8 holds with eth8 made and eth7 gone"
rm -f "$T/hold"
restart_agent
inside 9401 ip link show eth7 >/dev/null 2>&1 && ! inside 9401 ip link show eth8 >/dev/null 2>&1 &&
	[ "$(link_field veth9401i7)" = "master=$BR mtu=1500 up=1" ] && conf_line 9401 net7 | grep -q 'name=eth7'
ok $? "after the restart eth7 is back, eth8 gone, veth9401i7 in $BR ($(link_field veth9401i7))"
ctl hotplug remove 9401 net7 --wait >/dev/null && ! conf_line 9401 net7
ok $? "net7 can be removed"

kill "$AGENT"; wait "$AGENT" 2>/dev/null
it_done
