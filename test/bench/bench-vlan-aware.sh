#!/bin/sh
# On a VLAN-aware bridge (Proxmox's bridge-vlan-aware yes), who should tag a
# tag=100 NIC's frames: the bridge (the port an untagged member with PVID
# 100, as Proxmox's tap_plug makes it and lxcnet does), or lxcnet's eBPF
# program (the port a tagged member of VLAN 100, the datapath pushing and
# popping the tag, as on a bridge that is not VLAN-aware)? Measured in one
# run between two network namespaces on one bridge, plugged by lxcnet-netup:
#  - the bare bridge (untagged members with PVID 100, no program), the floor;
#  - bridge tagging, lxcnet's datapath filtering and counting;
#  - eBPF tagging: the same ports switched to tagged members, the tag in
#    the datapath policy.
# iperf3 TCP throughput and ns per packet of the programs (bpf_stats). This
# machine's kernel has no bridge VLAN filtering: the benchmark runs itself
# under User-Mode Linux (test/kernel/uml-run), where BPF is interpreted, so
# only the ratios mean anything. A benchmark, not a test: it never fails on
# noise. LXCNET_BENCH_SECONDS=N per iperf3 run (default 3),
# LXCNET_BENCH_ROUNDS (default 3).
if [ -z "${UMLRUN_OUT+x}" ] && ! ip link add lxb85probe type bridge vlan_filtering 1 2>/dev/null; then
	here=$(cd "$(dirname "$0")" && pwd)
	exec "$here/../kernel/uml-run" --timeout 900 --env LXCNET_BUILDDIR="${LXCNET_BUILDDIR:?}" \
		--env LXCNET_BENCH_SECONDS="${LXCNET_BENCH_SECONDS:-3}" --env LXCNET_BENCH_ROUNDS="${LXCNET_BENCH_ROUNDS:-3}" \
		"$here/bench-vlan-aware.sh"
fi
ip link del lxb85probe 2>/dev/null
. "$(dirname "$0")/../integration/lib.sh"
it_init 85
it_need iperf3 bpftool python3
ip link add lxb85probe type bridge vlan_filtering 1 2>/dev/null || skip_all "this kernel has no bridge VLAN filtering"
ip link del lxb85probe
SECS=${LXCNET_BENCH_SECONDS:-3}
ROUNDS=${LXCNET_BENCH_ROUNDS:-3}
BR=lxb85
PORT=5285
ip link add $BR type bridge vlan_filtering 1 && IT_BRIDGES="$IT_BRIDGES $BR" && ip link set $BR up ||
	skip_all "cannot create a VLAN-aware bridge"
for i in 1 2; do
	netns lxb85n$i || skip_all "cannot create a netns"
	ip link add veth858${i}i0 type veth peer name eth0 netns lxb85n$i && IT_LINKS="$IT_LINKS veth858${i}i0"
	in_ns lxb85n$i ip addr add 10.85.0.$i/24 dev eth0
	in_ns lxb85n$i ip link set eth0 up
	pve_conf 858$i "net0: name=eth0,bridge=$BR,tag=100"
done
nsenter --net=/run/netns/lxb85n2 iperf3 -s -p $PORT >/dev/null 2>&1 &
IT_PIDS="$IT_PIDS $!"
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_was"; it_cleanup' EXIT
sleep 0.5

iperf() { # Mbit/s of one TCP run from ns1 to ns2
	in_ns lxb85n1 iperf3 -c 10.85.0.2 -p $PORT -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; print("%.0f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6))' \
			2>/dev/null || echo 0
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
prog_stat() { # "run_time_ns run_cnt" of both programs together
	for p in tc_ingress tc_egress; do bpftool -j prog show pinned "$(dp_pins)/$p"; echo; done |
		python3 -c 'import json,sys
t = c = 0
for l in sys.stdin:
    if l.strip():
        p = json.loads(l); t += p.get("run_time_ns", 0); c += p.get("run_cnt", 0)
print(t, c)'
}
pvid() { # pvid|tagged: each port an untagged member with PVID 100, or a tagged member of 100
	for i in 1 2; do
		command bridge vlan del dev veth858${i}i0 vid 100
		if [ "$1" = pvid ]; then
			command bridge vlan add dev veth858${i}i0 vid 100 pvid untagged
		else
			command bridge vlan add dev veth858${i}i0 vid 100
		fi
	done
}
dp_tag() { # the datapath pushes and pops VLAN TAG (0: none) on both ports
	for i in 1 2; do
		python3 - "$(dp_pins)" "$(cat /sys/class/net/veth858${i}i0/ifindex)" "$1" <<'PY'
import json, struct, subprocess, sys
pins, ifindex, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hx = lambda b: [("0x%02x" % x) for x in b]
def look(m, k):
    r = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", pins + "/" + m, "key"] + hx(k), capture_output=True, text=True, check=True)
    j = json.loads(r.stdout)
    return bytes(int(x, 16) for x in j["value"])
slot = look("lxcnet_slots", struct.pack("<I", ifindex))
v = bytearray(look("lxcnet_ports", slot))
v[4:6] = struct.pack("<H", tag)
subprocess.run(["bpftool", "map", "update", "pinned", pins + "/lxcnet_ports", "key"] + hx(slot) + ["value"] + hx(v), check=True)
PY
	done
}
lxcnet() { for i in 1 2; do "$BUILD/lxcnet-netup" 858$i net up veth veth858${i}i0 || return 1; done; }
bare() { for i in 1 2; do tc qdisc del dev veth858${i}i0 clsact 2>/dev/null; done; }
# measure NAME: iperf3 rounds, and the programs' ns per packet unless bare
measure() {
	: >"$T/$1.mbit"; : >"$T/$1.ns"
	for _ in $(seq "$ROUNDS"); do
		set -- "$1" $(prog_stat)
		iperf >>"$T/$1.mbit"
		set -- "$@" $(prog_stat)
		awk -v t0="$2" -v c0="$3" -v t1="$4" -v c1="$5" 'BEGIN { if (c1 > c0) printf "%.0f\n", (t1 - t0) / (c1 - c0) }' >>"$T/$1.ns"
	done
}

lxcnet || skip_all "lxcnet-netup failed"
in_ns lxb85n1 ping -c 1 -W 2 10.85.0.2 >/dev/null || skip_all "no connectivity through the bridge"
sysctl -qw kernel.bpf_stats_enabled=1
measure bridge
pvid tagged; dp_tag 100
in_ns lxb85n1 ping -c 1 -W 2 10.85.0.2 >/dev/null || echo "# eBPF tagging: no connectivity"
measure ebpf
dp_tag 0; pvid pvid; bare
measure bare
b=$(median <"$T/bare.mbit"); g=$(median <"$T/bridge.mbit"); e=$(median <"$T/ebpf.mbit")
gn=$(median <"$T/bridge.ns"); en=$(median <"$T/ebpf.ns")
echo "# VLAN-aware bridge, tag=100, iperf3 TCP ${SECS}s, medians of $ROUNDS (under UML: only ratios count):"
echo "#   bare bridge (PVID 100, no program): $b Mbit/s"
# A tag=100 NIC needs no program there: lxcnet attaches none (the median of no runs is 0).
[ "${gn:-0}" = 0 ] && gn="no program runs" || gn="$gn ns per packet in the programs"
echo "#   bridge tagging, as lxcnet plugs it: $g Mbit/s, $gn"
echo "#   eBPF tagging (tagged member, datapath tag): $e Mbit/s, ${en:-?} ns per packet in the programs"
awk -v b="$b" -v g="$g" -v e="$e" 'BEGIN { if (b > 0 && g > 0)
	printf "#   throughput ratios: bridge tagging/bare %.3f, eBPF tagging/bare %.3f, eBPF/bridge tagging %.3f\n", g / b, e / b, e / g }'
ok 0 "benchmark ran"
it_done
