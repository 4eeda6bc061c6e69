#!/bin/sh
# Runs under User-Mode Linux (test/integration/test-kernel.sh), whose kernel
# has bridge VLAN filtering and 8021q as a Proxmox node's has.
#
# 1. A VLAN-aware bridge whose uplink carries VLANs 2-4094 (bridge-vids), its
#    far end a "wire" namespace with 8021q devices: lxcnet's tag=100 ports
#    reach each other and VLAN 100 of the wire, not tag=200; an untagged
#    port reaches the wire untagged; a trunk port's VLAN 100 joins VLAN 100.
#    A vlan zone VNet there gets its tag as PVID. Each port's VLAN
#    membership is Proxmox's; lxcnetd puts it back when it
#    is changed by hand; a tag change replaces it; unplugging leaves the
#    bridge's VLAN table as it was.
# 2. A node halfway through a rollout: a bridge that is not VLAN-aware, with
#    Proxmox's vmbrXv100 (an 8021q device of the uplink in a bridge) and a
#    guest of Proxmox's there. lxcnet's tag=100 NIC reaches that guest and
#    the wire; tag=200 does not; tag=300 (no such bridge) reaches the wire
#    through lxcnet's own tagging; trunks there are refused by name.
# "Containers" are network namespaces plugged by lxcnet-netup.
. "$(dirname "$0")/../integration/lib.sh"
it_init 96
for t in ping python3; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
ip link add lxk96probe type bridge vlan_filtering 1 2>/dev/null || skip_all "this kernel has no bridge VLAN filtering"
ip link del lxk96probe

# guest VMID BRIDGE-SPEC ADDRESS...: namespace k<VMID> with veth<VMID>i0, plugged by lxcnet-netup
guest() {
	vmid=$1 spec=$2; shift 2
	netns k$vmid && ip link add veth${vmid}i0 type veth peer name eth0 netns k$vmid || return 1
	IT_LINKS="$IT_LINKS veth${vmid}i0"
	for a in "$@"; do in_ns k$vmid ip addr add "$a" dev eth0; done
	in_ns k$vmid ip link set eth0 up
	pve_conf "$vmid" "net0: name=eth0,bridge=$spec"
	"$BUILD/lxcnet-netup" "$vmid" net up veth "veth${vmid}i0" >"$T/netup-$vmid.log" 2>&1
}
# reach NS ADDRESS: one ping answered within 3 s
reach() {
	i=0
	while [ $i -lt 3 ]; do
		in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}
# vlans IFNAME: the port's VLANs, "VID[:pvid][:untagged] ..." sorted
vlans() {
	command bridge -j vlan show dev "$1" 2>/dev/null | python3 -c '
import json, sys
vids = []
for port in json.load(sys.stdin):
    for v in port.get("vlans", []):
        flags = "".join(":" + f.lower().replace("egress ", "") for f in v.get("flags", []))
        vids += [(vid, flags) for vid in range(v["vlan"], v.get("vlanEnd", v["vlan"]) + 1)]
out = []
for vid, flags in sorted(vids):
    if out and out[-1][1] == vid - 1 and out[-1][2] == flags:
        out[-1][1] = vid
    else:
        out.append([vid, vid, flags])
print(" ".join(("%d" % a if a == b else "%d-%d" % (a, b)) + f for a, b, f in out))'
}
master_of() { basename "$(readlink "/sys/class/net/$1/master" 2>/dev/null)" 2>/dev/null; }

# ----------------------------------------------------------- VLAN-aware
BR=lxk96a
ip link add $BR type bridge vlan_filtering 1 && IT_BRIDGES="$IT_BRIDGES $BR" && ip link set $BR up
netns k96wire
ip link add up96 type veth peer name wan0 netns k96wire && IT_LINKS="$IT_LINKS up96"
ip link set up96 master $BR && command bridge vlan add dev up96 vid 2-4094 && ip link set up96 up
in_ns k96wire ip link set wan0 up
in_ns k96wire ip addr add 10.96.1.254/24 dev wan0
for v in 100 200; do
	in_ns k96wire ip link add link wan0 name wan0.$v type vlan id $v &&
		in_ns k96wire ip addr add 10.96.$v.254/24 dev wan0.$v && in_ns k96wire ip link set wan0.$v up
done
ok $? "VLAN-aware bridge $BR, uplink with VLANs 2-4094, the wire's VLAN 100 and 200 on 8021q devices"
table0=$(command bridge -j vlan show 2>/dev/null | python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin), key=lambda p: p["ifname"])))')

guest 9601 "$BR,tag=100" 10.96.100.1/24; ok $? "tag=100 NIC plugged $(cat "$T/netup-9601.log")"
[ "$(vlans veth9601i0)" = "100:pvid:untagged" ]; ok $? "its port: VLAN 100 as PVID, untagged, nothing else ($(vlans veth9601i0))"
guest 9602 "$BR,tag=100" 10.96.100.2/24; ok $? "a second tag=100 NIC"
guest 9603 "$BR,tag=200" 10.96.100.3/24 10.96.200.3/24; ok $? "a tag=200 NIC, with an address in VLAN 100's subnet too"
guest 9604 "$BR" 10.96.1.4/24; ok $? "an untagged NIC"
[ "$(vlans veth9604i0)" = "1:pvid:untagged 2-4094" ]
ok $? "its port as Proxmox makes it: VLAN 1 untagged, 2-4094 tagged ($(vlans veth9604i0))"
guest 9605 "$BR,trunks=100;300" 10.96.1.5/24 && in_ns k9605 ip link add link eth0 name eth0.100 type vlan id 100 &&
	in_ns k9605 ip addr add 10.96.100.5/24 dev eth0.100 && in_ns k9605 ip link set eth0.100 up
ok $? "a trunk NIC (trunks=100;300) with VLAN 100 on an 8021q device inside"
[ "$(vlans veth9605i0)" = "1:pvid:untagged 100 300" ]; ok $? "its port: VLAN 1 untagged, 100 and 300 tagged ($(vlans veth9605i0))"

reach k9601 10.96.100.2; ok $? "tag=100 reaches the other tag=100 port on the bridge"
reach k9601 10.96.100.254; ok $? "tag=100 reaches the wire's VLAN 100"
! reach k9601 10.96.100.3; ok $? "tag=100 does not reach the tag=200 port (same subnet, other VLAN)"
reach k9603 10.96.200.254; ok $? "tag=200 reaches the wire's VLAN 200"
! reach k9603 10.96.100.254; ok $? "tag=200 does not reach the wire's VLAN 100"
reach k9604 10.96.1.254; ok $? "the untagged NIC reaches the wire untagged"
! reach k9604 10.96.100.254; ok $? "and not VLAN 100"
reach k9605 10.96.100.1; ok $? "the trunk's VLAN 100 reaches tag=100"
reach k9605 10.96.100.254; ok $? "and the wire's VLAN 100"
reach k9605 10.96.1.254; ok $? "the trunk's untagged side reaches the wire untagged"

# lxcnetd puts back a port's VLAN membership changed by hand (reconciliation), within about 1 s.
if private_bus; then
	agent_up
	sleep 2.5 # past the age a port must have (2 s) before it is judged
	DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" check 9601 >"$T/check0" 2>&1
	ok $? "lxcnetctl check 9601: as its config says ($(cat "$T/check0"))"
	printf 'vlan del dev veth9601i0 vid 100\nvlan add dev veth9601i0 vid 200 pvid untagged\nvlan add dev veth9601i0 vid 300\n' |
		command bridge -batch -
	t0=$(date +%s%N)
	for _ in $(seq 100); do [ "$(vlans veth9601i0)" = "100:pvid:untagged" ] && break; sleep 0.05; done
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	[ "$(vlans veth9601i0)" = "100:pvid:untagged" ]
	ok $? "VLAN 200 (PVID) and 300 given to veth9601i0 by hand: lxcnetd puts back VLAN 100 only in $ms ms ($(vlans veth9601i0))"
	# What it saw depends on when it looked: after the whole batch, or (under load) after its first command.
	grep -q "'veth9601i0' is in VLANs PVID [0-9]*, untagged [^;]*, tagged [^;]* of '$BR'; the NIC's are PVID 100 untagged, tagged none; plugged again" "$T/agent.log"
	ok $? "and says what differed ($(grep -o "drifted.*" "$T/agent.log" | head -1))"
	reach k9601 10.96.100.2; ok $? "tag=100 reaches the other tag=100 port again"
	command bridge vlan add dev veth9604i0 vid 1 && command bridge vlan del dev veth9604i0 vid 2-4094
	for _ in $(seq 100); do [ "$(vlans veth9604i0)" = "1:pvid:untagged 2-4094" ] && break; sleep 0.05; done
	[ "$(vlans veth9604i0)" = "1:pvid:untagged 2-4094" ]
	ok $? "the untagged NIC's VLANs 2-4094 taken by hand: put back ($(vlans veth9604i0))"
	kill "$agent" && wait "$agent"
else
	for _ in 1 2 3 4 5; do ok 1 "dbus-daemon did not start"; done
fi

# A tag change (replug with tag=200): the membership is replaced, not added to.
pve_conf 9602 "net0: name=eth0,bridge=$BR,tag=200"
"$BUILD/lxcnet-netup" 9602 net up veth veth9602i0 >"$T/netup-9602b.log" 2>&1
[ "$(vlans veth9602i0)" = "200:pvid:untagged" ]; ok $? "tag changed to 200: the port has VLAN 200 only ($(vlans veth9602i0))"
! reach k9602 10.96.100.1; ok $? "and no longer reaches VLAN 100"

# Unplug: every port gone, the bridge's VLAN table is what it was.
for v in 9601 9602 9603 9604 9605; do ip link del veth${v}i0; done
table1=$(command bridge -j vlan show 2>/dev/null | python3 -c 'import json,sys; print(json.dumps(sorted(json.load(sys.stdin), key=lambda p: p["ifname"])))')
[ "$table0" = "$table1" ]; ok $? "after unplugging, bridge vlan show is as before the plugs"

# qinq on a VLAN-aware 802.1ad bridge: the service tag by the bridge, the VNet's inside by lxcnet.
QBR=lxk96q
ip link add $QBR type bridge vlan_filtering 1 vlan_protocol 802.1ad && IT_BRIDGES="$IT_BRIDGES $QBR" && ip link set $QBR up
netns k96qw
ip link add upq96 type veth peer name wanq netns k96qw && IT_LINKS="$IT_LINKS upq96"
ip link set upq96 master $QBR && command bridge vlan add dev upq96 vid 2-4094 && ip link set upq96 up
in_ns k96qw ip link set wanq up
in_ns k96qw ip link add link wanq name wanq.500 type vlan proto 802.1ad id 500 &&
	in_ns k96qw ip link add link wanq.500 name wanq.500.30 type vlan id 30 &&
	in_ns k96qw ip link set wanq.500 up && in_ns k96qw ip link set wanq.500.30 up &&
	in_ns k96qw ip addr add 10.96.30.254/24 dev wanq.500.30
cat >"$T/pve/sdn/.running-config" <<JSON
{"zones": {"ids": {"zq": {"type": "qinq", "bridge": "$QBR", "tag": 500, "vlan-protocol": "802.1ad"}}},
 "vnets": {"ids": {"vq30": {"type": "vnet", "zone": "zq", "tag": 30}}}}
JSON
guest 9606 vq30 10.96.30.6/24; ok $? "a NIC on qinq VNet vq30 (service VLAN 500, 802.1ad) $(cat "$T/netup-9606.log")"
[ "$(master_of veth9606i0)" = $QBR ] && [ "$(vlans veth9606i0)" = "500:pvid:untagged" ]
ok $? "on $QBR with service VLAN 500 as its PVID ($(vlans veth9606i0))"
reach k9606 10.96.30.254; ok $? "it reaches VLAN 30 inside service VLAN 500 on the wire"
ip link del veth9606i0

# A vlan zone on the VLAN-aware bridge: the VNet's tag is the port's PVID, and the wire's VLAN 100 is reached.
cat >"$T/pve/sdn/.running-config" <<JSON
{"zones": {"ids": {"zv": {"type": "vlan", "bridge": "$BR"}}},
 "vnets": {"ids": {"vv100": {"type": "vnet", "zone": "zv", "tag": 100}}}}
JSON
guest 9607 vv100 10.96.100.7/24 10.96.200.7/24
ok $? "a NIC on vlan zone VNet vv100 (tag 100), with an address in VLAN 200's subnet too $(cat "$T/netup-9607.log")"
[ "$(master_of veth9607i0)" = $BR ] && [ "$(vlans veth9607i0)" = "100:pvid:untagged" ]
ok $? "on $BR with VLAN 100 as its PVID, untagged ($(vlans veth9607i0))"
reach k9607 10.96.100.254; ok $? "it reaches the wire's VLAN 100"
! reach k9607 10.96.200.254; ok $? "and not the wire's VLAN 200"
ip link del veth9607i0

# ----------------------------------------------------- a mixed node
MBR=lxk96m
ip link add $MBR type bridge && IT_BRIDGES="$IT_BRIDGES $MBR" && ip link set $MBR up
netns k96w2
ip link add up96m type veth peer name wan1 netns k96w2 && IT_LINKS="$IT_LINKS up96m"
ip link set up96m master $MBR && ip link set up96m up
# Proxmox's plumbing for a guest of its own with tag=100: <bridge>v100 and <uplink>.100.
ip link add link up96m name up96m.100 type vlan id 100 && ip link add ${MBR}v100 type bridge &&
	IT_BRIDGES="$IT_BRIDGES ${MBR}v100" && ip link set up96m.100 master ${MBR}v100 &&
	ip link set up96m.100 up && ip link set ${MBR}v100 up
netns k9690 && ip link add veth9690i0 type veth peer name eth0 netns k9690 && IT_LINKS="$IT_LINKS veth9690i0" &&
	ip link set veth9690i0 master ${MBR}v100 up && in_ns k9690 ip addr add 10.96.100.90/24 dev eth0 &&
	in_ns k9690 ip link set eth0 up
in_ns k96w2 ip link set wan1 up
in_ns k96w2 ip link add link wan1 name wan1.100 type vlan id 100 && in_ns k96w2 ip link set wan1.100 up &&
	in_ns k96w2 ip addr add 10.96.100.254/24 dev wan1.100 &&
	in_ns k96w2 ip link add link wan1 name wan1.300 type vlan id 300 && in_ns k96w2 ip link set wan1.300 up &&
	in_ns k96w2 ip addr add 10.96.30.254/24 dev wan1.300
ok $? "non-VLAN-aware $MBR with Proxmox's ${MBR}v100 and a guest of Proxmox's on it"
reach k9690 10.96.100.254; ok $? "control: Proxmox's guest reaches the wire's VLAN 100"
rm -f "$T/pve/sdn/.running-config"
guest 9611 "$MBR,tag=100" 10.96.100.11/24; ok $? "lxcnet plugs a tag=100 NIC on $MBR $(cat "$T/netup-9611.log")"
[ "$(master_of veth9611i0)" = "${MBR}v100" ]; ok $? "into ${MBR}v100, as Proxmox would (master $(master_of veth9611i0))"
reach k9611 10.96.100.90; ok $? "it reaches Proxmox's guest on VLAN 100"
reach k9611 10.96.100.254; ok $? "and the wire's VLAN 100"
guest 9612 "$MBR,tag=200" 10.96.100.12/24; ok $? "a tag=200 NIC on $MBR"
[ "$(master_of veth9612i0)" = "$MBR" ] && ! reach k9612 10.96.100.90; ok $? "stays on $MBR, does not reach VLAN 100"
guest 9613 "$MBR,tag=300" 10.96.30.13/24; ok $? "a tag=300 NIC on $MBR (no ${MBR}v300)"
[ "$(master_of veth9613i0)" = "$MBR" ] && reach k9613 10.96.30.254
ok $? "control: lxcnet's own tagging reaches the wire's VLAN 300"
netns k9614 && ip link add veth9614i0 type veth peer name eth0 netns k9614 && IT_LINKS="$IT_LINKS veth9614i0"
pve_conf 9614 "net0: name=eth0,bridge=$MBR,tag=100,trunks=400"
"$BUILD/lxcnet-netup" 9614 net up veth veth9614i0 >"$T/netup-9614.log" 2>&1
[ $? -ne 0 ] && grep -q "trunks need a VLAN-aware bridge" "$T/netup-9614.log" && [ -z "$(master_of veth9614i0)" ]
ok $? "tag=100 with trunks where ${MBR}v100 exists: refused by name, not plugged ($(head -1 "$T/netup-9614.log"))"
it_done
