#!/bin/sh
# The eBPF datapath with real containers on one plain (not VLAN-aware)
# bridge: VLAN isolation of access ports, a trunk port, a vlan-zone VNet,
# anti-spoofing (firewall=1) and rate limits (rate=).
. "$(dirname "$0")/lib.sh"
it_init 95
it_need tcpdump iperf3 python3
BR=lxnt95
bridge $BR 1500 || skip_all "cannot create a bridge"

pid_of() { lxc-info -P "$T/lxc" -n "$1" -p -H; }
ping_ok() { ct_exec "$1" ping -c 2 -W 1 "$2" >/dev/null 2>&1; }
# capture CT|bridge COUNT SECONDS FILTER...: tcpdump -e in a container's netns or on the bridge
capture() {
	where=$1 count=$2 secs=$3; shift 3
	if [ "$where" = bridge ]; then
		timeout "$secs" tcpdump -e -n -l -i $BR -c "$count" "$@" 2>/dev/null
	else
		timeout "$secs" nsenter -n -t "$(pid_of "$where")" tcpdump -e -n -l -i eth0 -c "$count" "$@" 2>/dev/null
	fi
}

cat >"$T/pve/sdn/.running-config" <<JSON
{"zones": {"ids": {"zv": {"type": "vlan", "bridge": "$BR"}}},
 "vnets": {"ids": {"v300": {"type": "vnet", "zone": "zv", "tag": 300}}}}
JSON
pve_conf 9501 "net0: name=eth0,bridge=$BR,tag=100,ip=10.95.0.1/24,host-managed=1"
pve_conf 9502 "net0: name=eth0,bridge=$BR,tag=100,ip=10.95.0.2/24,host-managed=1"
pve_conf 9503 "net0: name=eth0,bridge=$BR,tag=200,ip=10.95.0.3/24,host-managed=1"
pve_conf 9504 "net0: name=eth0,bridge=$BR,ip=10.95.0.4/24,host-managed=1"
pve_conf 9505 "net0: name=eth0,bridge=$BR,trunks=100,host-managed=1"
pve_conf 9506 "net0: name=eth0,bridge=v300,ip=10.95.0.6/24,host-managed=1"
pve_conf 9507 "net0: name=eth0,bridge=v300,ip=10.95.0.7/24,host-managed=1"
pve_conf 9508 "net0: name=eth0,bridge=$BR,firewall=1,hwaddr=BC:24:11:95:08:00,ip=10.95.5.8/24,host-managed=1"
# No Proxmox firewall here: lxcnet's own anti-spoofing of firewall=1 NICs is what "firewall always" asks for.
printf 'lxcnet: node\n\tfirewall always\n' >"$T/conf/lxcnet.conf"
pve_conf 9509 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:95:09:00,ip=10.95.5.9/24,host-managed=1"
pve_conf 9510 "net0: name=eth0,bridge=$BR,rate=5,ip=10.95.6.10/24,host-managed=1"
pve_conf 9511 "net0: name=eth0,bridge=$BR,ip=10.95.6.11/24,host-managed=1"
ALL="9501 9502 9503 9504 9505 9506 9507 9508 9509 9510 9511"
started=0
for c in $ALL; do
	ct_create $c && ct_start $c && started=$((started + 1))
done
[ $started -eq 11 ]; ok $? "11 containers with tag, untagged, trunk, VNet, firewall and rate NICs start ($started)"
tc filter show dev veth9501i0 ingress | grep -q 'tc_ingress'; ok $? "datapath attached on veth9501i0 ingress"
tc filter show dev veth9501i0 egress | grep -q 'tc_egress'; ok $? "datapath attached on veth9501i0 egress"
[ "$(link_field veth9506i0)" = "master=$BR mtu=1500 up=1" ]; ok $? "VNet v300 (vlan zone) plugged into the zone bridge $BR"

ping_ok 9501 10.95.0.2; ok $? "tag=100 reaches tag=100"
! ping_ok 9501 10.95.0.3; ok $? "tag=100 cannot reach tag=200"
! ping_ok 9501 10.95.0.4; ok $? "tag=100 cannot reach an untagged NIC"
! ping_ok 9504 10.95.0.3; ok $? "an untagged NIC cannot reach tag=200"
ping_ok 9506 10.95.0.7; ok $? "the two VNet v300 NICs reach each other"
! ping_ok 9506 10.95.0.1; ok $? "VNet v300 cannot reach tag=100"

# On the bridge, traffic of tag=100 NICs carries 802.1Q tag 100, the VNet's tag 300.
capture bridge 2 5 icmp >"$T/br100" & cap=$!
sleep 1; ct_exec 9501 ping -c 2 -W 1 10.95.0.2 >/dev/null 2>&1; wait $cap
grep -q 'ethertype 802.1Q (0x8100).*vlan 100, .*ICMP echo request' "$T/br100"; ok $? "tag=100 frames carry VLAN 100 on the bridge"
capture bridge 2 5 icmp >"$T/br300" & cap=$!
sleep 1; ct_exec 9506 ping -c 2 -W 1 10.95.0.7 >/dev/null 2>&1; wait $cap
grep -q 'vlan 300, .*ICMP echo request' "$T/br300"; ok $? "VNet v300 frames carry VLAN 300 on the bridge"

# Inside the containers: the access port sees its traffic untagged, the trunk port sees VLAN 100 tagged.
capture 9502 1 5 icmp >"$T/in9502" & cap=$!
capture 9505 8 5 >"$T/in9505" & cap2=$!
sleep 1
ct_exec 9501 ping -c 2 -W 1 10.95.0.2 >/dev/null 2>&1
ct_exec 9501 ping -c 1 -W 1 10.95.0.99 >/dev/null 2>&1 # ARP broadcast on VLAN 100
wait $cap $cap2
grep -q 'ICMP echo request' "$T/in9502" && ! grep -q 'vlan' "$T/in9502"; ok $? "tag=100 NIC receives VLAN 100 untagged"
grep -q "ethertype 802.1Q (0x8100).*vlan 100, .*ARP" "$T/in9505"; ok $? "trunks=100 NIC receives VLAN 100 frames tagged"

# firewall=1: the container's own address and MAC work; spoofed frames never reach the bridge.
ping_ok 9508 10.95.5.9; ok $? "firewall=1 NIC reaches its neighbour from its own address"
ct_exec 9508 ip addr flush dev eth0 && ct_exec 9508 ip addr add 10.95.5.66/24 dev eth0
capture bridge 1 4 host 10.95.5.66 >"$T/spoof4" & cap=$!
sleep 1; ! ping_ok 9508 10.95.5.9; ok $? "after changing its IPv4 address it reaches nothing"
wait $cap
! grep -q '10.95.5.66' "$T/spoof4"; ok $? "no frame from the spoofed address on the bridge"
ct_exec 9508 ip addr flush dev eth0 && ct_exec 9508 ip addr add 10.95.5.8/24 dev eth0
ping_ok 9508 10.95.5.9; ok $? "back on its own address it works again"
ct_exec 9508 ip link set eth0 address bc:24:11:95:08:99
capture bridge 1 4 ether src bc:24:11:95:08:99 >"$T/spoofmac" & cap=$!
sleep 1; ! ping_ok 9508 10.95.5.9; ok $? "with another MAC address it reaches nothing"
wait $cap
! grep -qi 'bc:24:11:95:08:99' "$T/spoofmac"; ok $? "no frame from the spoofed MAC on the bridge"

# rate=5 (MiB/s = 41.94 Mbit/s): iperf3 TCP for 5 s each way (the first second, the 1 MiB bucket, not
# counted) within 10%.
# iperf3 is the host's binary, run in the containers' network namespaces.
in_ct() { c=$1; shift; nsenter -n -t "$(pid_of "$c")" "$@"; }
mbit() { python3 -c 'import json,sys; print("%.1f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' 2>/dev/null || echo 0; }
# nsenter itself in the background: it execs iperf3, so $! is the server's PID.
nsenter -n -t "$(pid_of 9511)" iperf3 -s -p 5295 >/dev/null 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.5
from=$(in_ct 9510 iperf3 -c 10.95.6.11 -p 5295 -t 5 -O 1 -J 2>/dev/null | mbit)
to=$(in_ct 9510 iperf3 -c 10.95.6.11 -p 5295 -t 5 -O 1 -R -J 2>/dev/null | mbit)
within() { awk -v v="$1" -v t=41.94 'BEGIN { exit !(v >= t * 0.9 && v <= t * 1.1) }'; }
within "$from"; ok $? "rate=5 from the container: $from Mbit/s (41.94 +/- 10%)"
within "$to"; ok $? "rate=5 to the container: $to Mbit/s (41.94 +/- 10%)"
ifb=lxr$(cat /sys/class/net/veth9510i0/ifindex)
[ -d "/sys/class/net/$ifb" ]; ok $? "the rated port has its shaper ifb $ifb"
tc qdisc show dev veth9510i0 | grep -q 'tbf 4c58: root.*rate 41943Kbit burst 1Mb'; ok $? "and a 41943Kbit tbf with a 1 MiB bucket"

# Stopping removes the datapath entries of the stopped ports.
for c in $ALL; do ct_stop $c; done
wait_absent veth9501i0 veth9507i0 veth9509i0
entries=$(dp_ports)
[ "$entries" -eq 0 ]; ok $? "after stop no datapath policy is left ($entries)"
[ ! -d "/sys/class/net/$ifb" ]; ok $? "after stop the shaper ifb $ifb is gone"
it_done
