#!/bin/sh
# Proxmox's guest firewall under pve-firewall (iptables): lxcnet builds
# Proxmox's firewall bridge fwbr<vmid>i<N> with its fwln/fwpr pair for every
# firewall=1 NIC whose guest firewall is in effect, with real busybox
# containers. All of it runs in a private network namespace, where the
# bridge, br_netfilter's switches and the iptables rules are this test's
# own: topology, masters, MTUs, IPv6 off, the parent bridge's settings,
# tags and rate on fwpr, traffic, an iptables rule written as pve-firewall
# writes them, lxcnetd's view, stop, and failed starts that leave nothing.
. "$(dirname "$0")/lib.sh"
it_init 88
it_need iptables dbus-daemon busctl python3 bpftool
NS=lxnt88
BR=lxnt88a
netns $NS || skip_all "cannot create a network namespace"
# Everything LXC does runs in $NS, its command sockets included (abstract: per namespace).
fw() { nsenter --net="/run/netns/$NS" "$@"; }
ct_start() { fw lxc-start -P "$T/lxc" -n "$1" -l DEBUG -o "$T/start-$1.log" 2>>"$T/start-$1.log"; }
ct_stop() { fw lxc-stop -P "$T/lxc" -n "$1" -k; }
ct_exec() { c=$1; shift; fw lxc-attach -P "$T/lxc" -n "$c" -- "$@"; }
fw_cleanup() {
	for c in $IT_CTS; do fw lxc-stop -P "$T/lxc" -n "$c" -k >/dev/null 2>&1; done
	it_cleanup
}
trap fw_cleanup EXIT
# ns_link IFNAME: "master=<br|-> mtu=<n> up=<0|1>" in $NS, or "absent"
ns_link() {
	fw python3 - "$1" <<'PY'
import json, subprocess, sys
r = subprocess.run(["ip", "-j", "link", "show", "dev", sys.argv[1]], capture_output=True, text=True)
if r.returncode:
    print("absent"); sys.exit(0)
l = json.loads(r.stdout)[0]
print("master=%s mtu=%d up=%d" % (l.get("master", "-"), l["mtu"], "UP" in l["flags"]))
PY
}
ns_ifindex() { fw cat "/sys/class/net/$1/ifindex" 2>/dev/null || fw ip -o link show dev "$1" | cut -d: -f1; }
ns_absent() { for i in "$@"; do [ "$(ns_link "$i")" = absent ] || return 1; done; }
# bridge_opt BRIDGE KEY: one of the bridge's settings as `ip -d -j link` reports it
bridge_opt() {
	fw ip -d -j link show dev "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['linkinfo']['info_data']['$2'])"
}

fw ip link add $BR type bridge ageing_time 12345 hello_time 300 forward_delay 900 max_age 1500 priority 4096 \
	mcast_snooping 0 || skip_all "cannot create a bridge in the namespace"
fw ip link set $BR mtu 1450 up
[ "$(fw cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] ||
	skip_all "no br_netfilter here (bridge-nf-call-iptables)"

# The guest firewall is in effect for 8801 and 8803 (cluster and guest enable: 1, firewall=1), with
# pve-firewall: no host.fw saying nftables: 1.
mkdir -p "$T/pve/firewall"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
for id in 8801 8803 8806 8807; do
	# ips: 1, which lxcnet does not enforce: the NIC stays with Proxmox's firewall and its plumbing.
	printf '[OPTIONS]\nenable: 1\nips: 1\npolicy_in: DROP\n\n[RULES]\nIN ACCEPT -p icmp\nIN REJECT -p tcp -dport 4\n' >"$T/pve/firewall/$id.fw"
done
pve_conf 8801 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:88:01:00,ip=10.88.0.1/24,firewall=1,host-managed=1"
pve_conf 8802 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:88:02:00,ip=10.88.0.2/24,host-managed=1"
pve_conf 8803 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:88:03:00,ip=10.88.1.3/24,tag=100,rate=50,firewall=1,host-managed=1"
pve_conf 8804 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:88:04:00,ip=10.88.1.4/24,tag=100,host-managed=1"
for id in 8801 8802 8803 8804; do ct_create $id || skip_all "cannot create container $id"; done

# --- (4) The firewall bridge, as pve-common's tap_plug builds it.
ct_start 8801; rc=$?; ok $rc "8801 (firewall in effect, pve-firewall) starts"
[ $rc -eq 0 ] || grep -i 'lxcnet\|error' "$T/start-8801.log" | grep -v 'VLAN-aware' | tail -n 14 | sed 's/^/# /' 
ct_start 8802; ok $? "8802 (no firewall) starts"
[ "$(ns_link veth8801i0)" = "master=fwbr8801i0 mtu=1450 up=1" ]; ok $? "veth8801i0 is in fwbr8801i0 ($(ns_link veth8801i0))"
[ "$(ns_link fwln8801i0)" = "master=fwbr8801i0 mtu=1450 up=1" ]; ok $? "fwln8801i0 is in fwbr8801i0 ($(ns_link fwln8801i0))"
[ "$(ns_link fwpr8801p0)" = "master=$BR mtu=1450 up=1" ]; ok $? "fwpr8801p0 is in $BR ($(ns_link fwpr8801p0))"
[ "$(ns_link fwbr8801i0)" = "master=- mtu=1450 up=1" ]; ok $? "fwbr8801i0 has the bridge MTU and is up ($(ns_link fwbr8801i0))"
[ "$(ns_link veth8802i0)" = "master=$BR mtu=1450 up=1" ]; ok $? "8802 without firewall: veth8802i0 straight in $BR"
ns_absent fwbr8802i0 fwln8802i0 fwpr8802p0; ok $? "and no firewall bridge for it"
v6=""; for i in fwbr8801i0 fwln8801i0 fwpr8801p0 veth8801i0; do v6="$v6$(fw cat /proc/sys/net/ipv6/conf/$i/disable_ipv6)"; done
[ "$v6" = 1111 ]; ok $? "IPv6 off on fwbr, fwln, fwpr and the veth ($v6)"
got=""; for k in ageing_time hello_time forward_delay max_age priority mcast_snooping stp_state; do
	[ "$(bridge_opt fwbr8801i0 $k)" = "$(bridge_opt $BR $k)" ] || got="$got $k"
done
[ -z "$got" ]; ok $? "fwbr8801i0 has $BR's bridge settings (differing:${got:- none})"
[ "$(bridge_opt fwbr8801i0 vlan_filtering)" = 0 ]; ok $? "fwbr8801i0 is not VLAN-aware"
pr=$(ns_ifindex fwpr8801p0)
flags=$(dp_port "$pr" flags 2>/dev/null)
[ "$flags" = 0 ]; ok $? "the datapath is on fwpr8801p0, without lxcnet's anti-spoofing: pve-firewall's (flags ${flags:-none})"
ct_exec 8801 ping -c 1 -W 3 10.88.0.2 >/dev/null 2>&1; ok $? "8801 reaches 8802 through its firewall bridge"

# A rule as pve-firewall writes it for the guest (PVEFW-FWBR-OUT: -m physdev --physdev-out veth.. --physdev-is-bridged).
fw iptables -N LXNT88-IN && fw iptables -A LXNT88-IN -p icmp -j DROP &&
	fw iptables -I FORWARD -m physdev --physdev-out veth8801i0 --physdev-is-bridged -j LXNT88-IN
ok $? "an iptables rule for veth8801i0 in the namespace"
! ct_exec 8802 ping -c 1 -W 2 10.88.0.1 >/dev/null 2>&1; ok $? "with it, 8802's ping to 8801 is dropped"
pk=$(fw iptables -L LXNT88-IN -v -n -x | awk '$3 == "DROP" { print $1 }')
[ "${pk:-0}" -ge 1 ]; ok $? "by that rule ($pk packets)"
fw iptables -D FORWARD -m physdev --physdev-out veth8801i0 --physdev-is-bridged -j LXNT88-IN
ct_exec 8802 ping -c 1 -W 3 10.88.0.1 >/dev/null 2>&1; ok $? "without it, 8802 reaches 8801 again"

# Tag and rate go on fwpr: frames inside the firewall bridge stay untagged for iptables.
ct_start 8803; ok $? "8803 (firewall, tag=100, rate=50) starts"
ct_start 8804; ok $? "8804 (tag=100, no firewall) starts"
pr=$(ns_ifindex fwpr8803p0)
tag=$(dp_port "$pr" tag 2>/dev/null)
[ "$tag" = 100 ]; ok $? "fwpr8803p0's datapath entry pushes VLAN 100 (${tag:-none})"
vtag=$(dp_port "$(ns_ifindex veth8803i0)" tag 2>/dev/null)
[ -z "$vtag" ]; ok $? "the veth itself has no datapath entry (${vtag:-none})"
fw tc qdisc show dev fwpr8803p0 | grep -q 'htb\|tbf'; ok $? "the shaper is on fwpr8803p0"
ct_exec 8803 ping -c 1 -W 3 10.88.1.4 >/dev/null 2>&1; ok $? "8803 reaches 8804 on VLAN 100"
fw ip addr add 10.88.1.9/24 dev $BR
! fw ping -c 1 -W 2 10.88.1.3 >/dev/null 2>&1; ok $? "the untagged bridge does not reach 8803"
fw ip addr del 10.88.1.9/24 dev $BR

# lxcnetd follows the veth through its firewall bridge: bridge, counters, and who enforces the firewall.
private_bus || skip_all "dbus-daemon did not start"
nsenter --net="/run/netns/$NS" "$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" >>"$T/agent.log" 2>&1 &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do busctl --address="$BUS" status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
out=$(ctl binding 8801 net0 | tail -n 1)
echo "$out" | grep -q "^8801 *net0 *veth8801i0 *$BR *- *up *proxmox-iptables *lxc$"; ok $? "lxcnetctl binding 8801 net0 ($out)"
out=$(ctl binding 8802 net0 | tail -n 1)
echo "$out" | grep -q "^8802 *net0 *veth8802i0 *$BR *- *up *none *lxc$"; ok $? "lxcnetctl binding 8802 net0 ($out)"
path=/org/lxcnet1/binding/veth8801i0
out=$(busctl --address="$BUS" get-property org.lxcnet1 $path org.lxcnet1.Binding FirewallEnforcer)
[ "$out" = 's "proxmox-iptables"' ]; ok $? "Binding FirewallEnforcer ($out)"
ct_exec 8801 ping -c 3 -i 0.2 -W 3 10.88.0.2 >/dev/null 2>&1
pkts=$(busctl --address="$BUS" get-property org.lxcnet1 $path org.lxcnet1.Binding PacketsFromContainer | cut -d' ' -f2)
[ "${pkts:-0}" -ge 3 ]; ok $? "its counters are fwpr8801p0's ($pkts packets from the container)"
ctl binding 8801 net0 --json | python3 -c 'import json,sys; assert json.load(sys.stdin)["firewall_enforcer"] == "proxmox-iptables"'
ok $? "lxcnetctl binding --json: firewall_enforcer"
# Reconciliation puts a firewall bridge deleted by hand back (8801 has been up for more than 2 s).
sleep 2
fw ip link del fwbr8801i0
for _ in $(seq 40); do [ "$(ns_link veth8801i0)" = "master=fwbr8801i0 mtu=1450 up=1" ] && break; sleep 0.1; done
[ "$(ns_link veth8801i0)" = "master=fwbr8801i0 mtu=1450 up=1" ] && [ "$(ns_link fwpr8801p0)" = "master=$BR mtu=1450 up=1" ]
ok $? "fwbr8801i0 deleted by hand: lxcnetd builds it again within 4 s ($(ns_link veth8801i0))"
ct_exec 8801 ping -c 2 -W 2 10.88.0.2 >/dev/null 2>&1; ok $? "and 8801 reaches 8802 through it"

# Stop: post-stop removes the firewall bridges, which do not die with the container's namespace.
for id in 8801 8802 8803 8804; do ct_stop $id; done
for _ in $(seq 50); do ns_absent fwbr8801i0 fwln8801i0 fwpr8801p0 fwbr8803i0 fwpr8803p0 veth8801i0 && break; sleep 0.1; done
ns_absent veth8801i0 fwbr8801i0 fwln8801i0 fwpr8801p0 fwbr8803i0 fwln8803i0 fwpr8803p0
ok $? "after the stops, no veth, fwbr, fwln or fwpr left"
left=$(fw ip -o link show | grep -c 'lxr\|fw\(br\|ln\|pr\)88' || true)
[ "$left" -eq 0 ]; ok $? "nor any shaper device ($left)"

# --- (5) A start that fails half way through the plumbing leaves nothing of it.
pve_conf 8806 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:88:06:00,ip=10.88.0.6/24,firewall=1,host-managed=1"
ct_create 8806
fw ip link add fwpr8806p0 type bridge   # fwbr made, then the pair's name is taken
ct_start 8806; rc=$?
[ $rc -ne 0 ]; ok $? "a start whose fwpr name is taken fails"
grep -q "net0.*cannot build Proxmox's firewall bridge 'fwbr8806i0'" "$T/start-8806.log"
ok $? "the log names net0 and the firewall bridge"
ns_absent fwbr8806i0 fwln8806i0 veth8806i0; ok $? "no fwbr, fwln or veth of 8806 left"
[ "$(fw ip -d -o link show dev fwpr8806p0 | grep -c bridge_id)" = 1 ]; ok $? "the interface that was in the way is untouched"
fw ip link del fwpr8806p0
pve_conf 8807 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:88:07:00,ip=10.88.0.7/24,firewall=1,tag=7,rate=5,host-managed=1"
ct_create 8807
touch "$T/fail"
LXCNET_TEST_FAIL="$T/fail" ct_start 8807; rc=$?
rm -f "$T/fail"
[ $rc -ne 0 ]; ok $? "a start that fails after the last step of the plumbing fails"
ns_absent fwbr8807i0 fwln8807i0 fwpr8807p0 veth8807i0; ok $? "no fwbr, fwln, fwpr or veth of 8807 left"
left=$(fw ip -o link show | grep -c 'lxr' || true)
[ "$left" -eq 0 ]; ok $? "nor its shaper device ($left)"
ct_start 8807; ok $? "the same container then starts"
[ "$(ns_link fwpr8807p0)" = "master=$BR mtu=1450 up=1" ]; ok $? "with its firewall bridge ($(ns_link fwpr8807p0))"
ct_stop 8807

it_done
