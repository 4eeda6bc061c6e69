#!/bin/sh
# Runs under User-Mode Linux (test/integration/test-kernel.sh), whose kernel
# has fq as a Proxmox node's has: rate=R towards the container by earliest
# departure time (the port program stamps, fq at the port's root), from the
# container through the ifb's tbf as everywhere.
#
# Two "containers" (network namespaces plugged by lxcnet-netup) on a plain
# bridge, one with rate=5 (41.94 Mbit/s): the root qdisc and the datapath
# entry as lxcnet sets them; iperf3 TCP each way within 10% of the rate;
# lxcnetd puts the fq back when the root qdisc is replaced by hand, and
# says what differed; a replug without a rate leaves neither fq nor stamps.
# (The host kernel, without fq, keeps the tbf both ways: test-vlan.)
. "$(dirname "$0")/../integration/lib.sh"
it_init 97
for t in iperf3 python3 tc; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
ip link add lxk97probe type veth peer name lxk97probe1 2>/dev/null && tc qdisc add dev lxk97probe root fq 2>/dev/null
have_fq=$?
ip link del lxk97probe 2>/dev/null
[ $have_fq -eq 0 ] || skip_all "this kernel has no fq"

BR=lxk97
bridge $BR 1500 || skip_all "cannot create a bridge"
# guest VMID SPEC ADDRESS: namespace k<VMID> with veth<VMID>i0, plugged by lxcnet-netup
guest() {
	netns k$1 && ip link add veth$1i0 type veth peer name eth0 netns k$1 || return 1
	IT_LINKS="$IT_LINKS veth$1i0"
	in_ns k$1 ip addr add "$3" dev eth0 && in_ns k$1 ip link set eth0 up
	pve_conf "$1" "net0: name=eth0,bridge=$2"
	"$BUILD/lxcnet-netup" "$1" net up veth "veth$1i0" >"$T/netup-$1.log" 2>&1
}
root_qdisc() { tc qdisc show dev "$1" root | head -1; }

guest 9701 "$BR,hwaddr=BC:24:11:97:00:01,rate=5" 10.97.0.1/24; ok $? "a NIC with rate=5 plugged $(cat "$T/netup-9701.log")"
guest 9702 "$BR,hwaddr=BC:24:11:97:00:02" 10.97.0.2/24; ok $? "a NIC without a rate"
IDX=$(cat /sys/class/net/veth9701i0/ifindex)
root_qdisc veth9701i0 | grep -q '^qdisc fq 4c58: root'; ok $? "the rated port's root qdisc is lxcnet's fq ($(root_qdisc veth9701i0))"
[ "$(dp_port "$IDX" edt_bps)" = 5242880 ]; ok $? "its datapath entry stamps departure times for 5242880 B/s ($(dp_port "$IDX" edt_bps))"
tc qdisc show dev "lxr$IDX" | grep -q 'tbf 4c58: root.*rate 41943Kbit burst 1Mb'
ok $? "from the container: the ifb lxr$IDX's tbf, 41943Kbit with a 1 MiB bucket"
! root_qdisc veth9702i0 | grep -q 4c58:; ok $? "the port without a rate has no qdisc of lxcnet's ($(root_qdisc veth9702i0))"

# iperf3 TCP for 5 s each way (the first second, the 1 MiB bucket, not counted), within 10% of 41.94 Mbit/s.
in_ns k9702 ping -c 1 -W 2 10.97.0.1 >/dev/null 2>&1; ok $? "the rated port reaches the other"
nsenter --net=/run/netns/k9701 iperf3 -s -p 5297 >"$T/iperf-server.log" 2>&1 &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do in_ns k9701 ss -ltn | grep -q ':5297 ' && break; sleep 0.1; done
iperf() { in_ns k9702 timeout 30 iperf3 -c 10.97.0.1 -p 5297 -t 5 -O 1 -J "$@" 2>"$T/iperf.err" | tee -a "$T/iperf.json"; }
field() { python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.1f %d" % (e["sum_received"]["bits_per_second"] / 1e6, e["sum_sent"].get("retransmits", 0)))' 2>/dev/null || echo "0 0"; }
to=$(iperf | field)
from=$(iperf -R | field)
within() { awk -v v="$1" -v t=41.94 'BEGIN { exit !(v >= t * 0.9 && v <= t * 1.1) }'; }
within "${to% *}"; ok $? "rate=5 to the container, by departure times: ${to% *} Mbit/s (41.94 +/- 10%), ${to#* } retransmits"
within "${from% *}"; ok $? "rate=5 from the container, through the ifb: ${from% *} Mbit/s (41.94 +/- 10%), ${from#* } retransmits"
[ "${to% *}" != 0 ] && [ "${from% *}" != 0 ] || { grep -h '"error"' "$T/iperf.json"; cat "$T/iperf.err" "$T/iperf-server.log"; } | sed 's/^/# /'
drops=$(dp_slot lxcnet_drops "$IDX" drops 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1])' 2>/dev/null || echo 0)
echo "# frames dropped past the 50 ms horizon: $drops"

# lxcnetd puts the fq back when the root qdisc is replaced by hand.
if private_bus; then
	agent_up
	sleep 2.5 # past the age a port must have (2 s) before it is judged
	DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" check 9701 >"$T/check0" 2>&1
	ok $? "lxcnetctl check 9701: as its config says ($(cat "$T/check0"))"
	tc qdisc replace dev veth9701i0 root pfifo
	for _ in $(seq 100); do root_qdisc veth9701i0 | grep -q '^qdisc fq 4c58: root' && break; sleep 0.05; done
	root_qdisc veth9701i0 | grep -q '^qdisc fq 4c58: root'
	ok $? "the root qdisc replaced by pfifo by hand: lxcnetd puts lxcnet's fq back ($(root_qdisc veth9701i0))"
	grep -q "'veth9701i0' gives frames to the container departure times, but its root qdisc is not lxcnet's fq" "$T/agent.log"
	ok $? "and says what differed ($(grep -o "drifted.*" "$T/agent.log" | head -1))"
	IDX=$(cat /sys/class/net/veth9701i0/ifindex)
	[ "$(dp_port "$IDX" edt_bps)" = 5242880 ]; ok $? "the datapath still stamps for 5242880 B/s"
	kill "$agent" && wait "$agent"
else
	for _ in 1 2 3 4; do ok 1 "dbus-daemon did not start"; done
fi

# Plugged again without a rate: neither fq nor departure times are left.
pve_conf 9701 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:97:00:01"
"$BUILD/lxcnet-netup" 9701 net up veth veth9701i0 >"$T/netup-9701b.log" 2>&1
ok $? "replugged without a rate $(cat "$T/netup-9701b.log")"
! root_qdisc veth9701i0 | grep -q 4c58:; ok $? "no qdisc of lxcnet's left ($(root_qdisc veth9701i0))"
[ "$(dp_port "$IDX" edt_bps)" = 0 ]; ok $? "no departure times in its datapath entry"
[ ! -d "/sys/class/net/lxr$IDX" ]; ok $? "and no ifb"
in_ns k9702 ping -c 1 -W 2 10.97.0.1 >/dev/null 2>&1; ok $? "the ports still reach each other"

# A kernel without what rate=R needs (UML loads modules only by hand, so
# unloading one makes such a kernel): a refusal naming it, nothing left.
# Without fq the tbf shapes towards the container, as on kernels without it.
mods=/run/uml-modules
refused() { # VMID MODULES...: rate=5 refused with the message naming $2, then the modules back
	vmid=$1; shift
	rmmod "$@" 2>/dev/null
	pve_conf "$vmid" "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:97:00:03,rate=5"
	guest_rc=0
	netns k$vmid && ip link add veth${vmid}i0 type veth peer name eth0 netns k$vmid && IT_LINKS="$IT_LINKS veth${vmid}i0"
	"$BUILD/lxcnet-netup" "$vmid" net up veth "veth${vmid}i0" >"$T/netup-$vmid.log" 2>&1 || guest_rc=1
	for m in "$@"; do modprobe -d $mods "$m"; done
	[ $guest_rc -eq 1 ]
}
if [ -d $mods ] && [ -z "$(tc filter show dev veth9701i0 ingress | grep u32)" ]; then
	refused 9703 act_mirred cls_u32
	ok $? "without act_mirred and cls_u32: rate=5 refused ($(cat "$T/netup-9703.log"))"
	grep -q "the kernel has no u32 filter (cls_u32) or mirred action (act_mirred)" "$T/netup-9703.log"
	ok $? "the refusal names them"
	[ ! -d /sys/class/net/lxr$(cat /sys/class/net/veth9703i0/ifindex 2>/dev/null) ] && ! tc qdisc show dev veth9703i0 | grep -q 4c58:
	ok $? "and leaves no ifb and no qdisc of lxcnet's"
	refused 9704 ifb
	ok $? "without ifb: rate=5 refused ($(cat "$T/netup-9704.log"))"
	grep -q "the kernel has no ifb devices (ifb)" "$T/netup-9704.log"; ok $? "the refusal names it"
	rmmod sch_fq
	guest 9705 "$BR,hwaddr=BC:24:11:97:00:05,rate=5" 10.97.0.5/24; ok $? "without sch_fq: rate=5 plugged $(cat "$T/netup-9705.log")"
	modprobe -d $mods sch_fq
	root_qdisc veth9705i0 | grep -q '^qdisc tbf 4c58: root.*rate 41943Kbit'
	ok $? "towards the container by the tbf, as on a kernel without fq ($(root_qdisc veth9705i0))"
	[ "$(dp_port "$(cat /sys/class/net/veth9705i0/ifindex)" edt_bps)" = 0 ]; ok $? "and no departure times"
else
	for _ in 1 2 3 4 5 6 7 8; do ok 1 "cannot unload modules here (no $mods, or a redirect still uses them)"; done
fi
it_done
