#!/bin/sh
# The eBPF port datapath against a bare bridge, in one run and one netns
# setup (two namespaces on one bridge, host veths plugged by lxcnet-netup
# with tag=100, i.e. a VLAN push and pop on every packet):
#  - iperf3 TCP throughput, bare bridge vs lxcnet (GSO as the kernel sets it)
#  - ns per packet of each program, from kernel.bpf_stats_enabled, and the
#    same for a no-op program attached the same way (the measuring floor)
#  - cost of the number of policies: 1, 100 and 10,000 entries in lxcnet's
#    map against an nftables bridge rule set of the same size (GSO off, so
#    every full-size packet is seen)
#  - rate accuracy at rate=10 (MiB/s): lxcnet both ways against a plain
#    tc tbf and tc htb at the same rate (to the container), with retransmits
#  - lxcnet's guest firewall (firewall=1, Proxmox's firewall in effect) on
#    both ports: throughput and ns per packet against the same ports
#    without it, every packet through the connection table
# A benchmark, not a test: it prints figures and ratios, never fails on noise.
#   LXCNET_BENCH_SECONDS=N per iperf3 run (default 3), LXCNET_BENCH_ROUNDS (default 3)
. "$(dirname "$0")/../integration/lib.sh"
it_init 96
for t in iperf3 nft ethtool bpftool python3; do
	command -v $t >/dev/null || skip_all "$t is not installed (contrib/deps.sh)"
done
NOOP=${LXCNET_BENCH_NOOP:-$BUILD/test/bench/noop.bpf.o}
[ -f "$NOOP" ] || skip_all "no $NOOP (make bench builds it)"
SECS=${LXCNET_BENCH_SECONDS:-3}
ROUNDS=${LXCNET_BENCH_ROUNDS:-3}
BR=lxnt96
PORT=5296
PINS=$(dp_pins)
bridge $BR 1500 || skip_all "cannot create a bridge"
for i in 1 2; do
	netns lxnt96n$i || skip_all "cannot create a netns"
	ip link add veth960${i}i0 type veth peer name eth0 netns lxnt96n$i
	in_ns lxnt96n$i ip addr add 10.96.0.$i/24 dev eth0
	in_ns lxnt96n$i ip link set eth0 up
	pve_conf 960$i "net0: name=eth0,bridge=$BR,tag=100"
done
# nsenter itself in the background: it execs iperf3, so $! is the server's PID.
nsenter --net=/run/netns/lxnt96n2 iperf3 -s -p $PORT >/dev/null 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.5
stats_was=$(sysctl -n kernel.bpf_stats_enabled)

bare() {
	for i in 1 2; do
		tc qdisc del dev veth960${i}i0 clsact 2>/dev/null
		ip link set veth960${i}i0 master $BR up
	done
}
lxcnet() {
	for i in 1 2; do
		"$BUILD/lxcnet-netup" 960$i net up veth veth960${i}i0 || return 1
	done
}
gso() { # gso on|off on every interface of the path
	for i in 1 2; do
		ethtool -K veth960${i}i0 gso "$1" tso "$1" gro "$1" >/dev/null 2>&1
		in_ns lxnt96n$i ethtool -K eth0 gso "$1" tso "$1" gro "$1" >/dev/null 2>&1
	done
}
# iperf [-R]: "<Mbit/s> <retransmits>" of one TCP run from ns1 to ns2 (-R: ns2 to ns1)
iperf() {
	in_ns lxnt96n1 iperf3 -c 10.96.0.2 -p $PORT -t "$SECS" -J "$@" 2>/dev/null |
		python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.0f %d" % (e["sum_received"]["bits_per_second"] / 1e6, e["sum_sent"].get("retransmits", 0)))' \
			2>/dev/null || echo "0 0"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
prog_stat() { # prog_stat tc_ingress|tc_egress -> "run_time_ns run_cnt"
	bpftool -j prog show pinned "$PINS/$1" |
		python3 -c 'import json,sys; p=json.load(sys.stdin); print(p.get("run_time_ns", 0), p.get("run_cnt", 0))'
}
noop_stat() { # run_time_ns and run_cnt summed over the attached no-op programs
	bpftool -j prog show | python3 -c 'import json,sys
t = c = 0
for p in json.load(sys.stdin):
    if p.get("name") == "noop":
        t += p.get("run_time_ns", 0); c += p.get("run_cnt", 0)
print(t, c)'
}
noop_attach() {
	for i in 1 2; do
		tc qdisc del dev veth960${i}i0 clsact 2>/dev/null
		tc qdisc add dev veth960${i}i0 clsact
		tc filter add dev veth960${i}i0 ingress bpf da obj "$NOOP" sec tc
		tc filter add dev veth960${i}i0 egress bpf da obj "$NOOP" sec tc
	done
}
# fill_map N: N more ports (ifindexes that do not exist) in lxcnet's maps,
# indexed as lxcnet-netup would have done it, in slots the two test ports
# do not use; clear_map takes them out again
fill_map() {
	python3 - "$1" "$PINS" "$(dp_port "$(cat /sys/class/net/veth9601i0/ifindex)" slot)" \
		"$(dp_port "$(cat /sys/class/net/veth9602i0/ifindex)" slot)" >"$T/batch" <<'PY'
import json, subprocess, sys
n, pins, live = int(sys.argv[1]), sys.argv[2], {int(sys.argv[3]), int(sys.argv[4])}
hx = lambda v, size: " ".join("%02x" % b for b in v.to_bytes(size, "little"))
# struct lxcnet_port: ifindex, tag 100, then zeros up to the map's value size
size = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "pinned", pins + "/lxcnet_ports"],
                                 capture_output=True, text=True).stdout)["bytes_value"]
slots = [s for s in range(1, 16384) if s not in live][:n]
for k, slot in enumerate(slots):
    ifindex = 1000000 + k
    print("map update pinned %s/lxcnet_slots key hex %s value hex %s" % (pins, hx(ifindex, 4), hx(slot, 4)))
    print("map update pinned %s/lxcnet_ports key hex %s value hex %s" % (pins, hx(slot, 4), hx(ifindex, 4) + " 64 00" + " 00" * (size - 6)))
PY
	bpftool batch file "$T/batch" >/dev/null 2>&1
}
clear_map() {
	bpftool -j map dump pinned "$PINS/lxcnet_slots" | python3 -c '
import json, subprocess, sys
pins = sys.argv[1]
hx = lambda v: " ".join("%02x" % b for b in v.to_bytes(4, "little"))
size = json.loads(subprocess.run(["bpftool", "-j", "map", "show", "pinned", pins + "/lxcnet_ports"],
                                 capture_output=True, text=True).stdout)["bytes_value"]
for e in json.load(sys.stdin):
    e = e.get("formatted", e)
    if e["key"] >= 1000000:
        print("map delete pinned %s/lxcnet_slots key hex %s" % (pins, hx(e["key"])))
        print("map update pinned %s/lxcnet_ports key hex %s value hex %s" % (pins, hx(e["value"]), " ".join(["00"] * size)))
' "$PINS" >"$T/batch"
	bpftool batch file "$T/batch" >/dev/null 2>&1
}
# nft_rules N: a bridge forward chain of N rules, none matching the test traffic
nft_rules() {
	python3 - "$1" >"$T/nft" <<'PY'
import sys
n = int(sys.argv[1])
print("table bridge lxnt96 {\n chain forward {\n  type filter hook forward priority 0; policy accept;")
for k in range(n):
    print("  ether saddr 02:00:%02x:%02x:%02x:%02x drop" % ((k >> 24) & 255, (k >> 16) & 255, (k >> 8) & 255, k & 255))
print(" }\n}")
PY
	nft -f "$T/nft"
}
nft_clear() { nft delete table bridge lxnt96 2>/dev/null; }
# tc's own loader creates /sys/fs/bpf/{ip,tc,xdp}: remove them if they were not there before.
tc_dirs=""
for d in ip tc xdp; do [ -e "/sys/fs/bpf/$d" ] || tc_dirs="$tc_dirs /sys/fs/bpf/$d"; done
trap 'nft_clear; sysctl -qw kernel.bpf_stats_enabled="$stats_was"; it_cleanup; [ -z "$tc_dirs" ] || rm -rf $tc_dirs' EXIT

# --- 1. Throughput and ns per packet, GSO as set by the kernel.
bare; lxcnet || skip_all "lxcnet-netup failed"   # loads the programs once
in_ns lxnt96n1 ping -c 1 -W 2 10.96.0.2 >/dev/null || skip_all "no connectivity through the bridge"
sysctl -qw kernel.bpf_stats_enabled=1
: >"$T/bare"; : >"$T/lx"; : >"$T/nsin"; : >"$T/nseg"
for r in $(seq "$ROUNDS"); do
	bare; iperf >>"$T/bare"
	lxcnet
	set -- $(prog_stat tc_ingress) $(prog_stat tc_egress)
	iperf >>"$T/lx"
	set -- "$@" $(prog_stat tc_ingress) $(prog_stat tc_egress)
	awk -v t0="$1" -v c0="$2" -v t1="$5" -v c1="$6" 'BEGIN { if (c1 > c0) printf "%.1f\n", (t1 - t0) / (c1 - c0) }' >>"$T/nsin"
	awk -v t0="$3" -v c0="$4" -v t1="$7" -v c1="$8" 'BEGIN { if (c1 > c0) printf "%.1f\n", (t1 - t0) / (c1 - c0) }' >>"$T/nseg"
done
# The floor: a no-op program on the same hooks, same traffic.
: >"$T/nsnoop"
for r in $(seq "$ROUNDS"); do
	noop_attach
	set -- $(noop_stat)
	iperf >/dev/null
	set -- "$@" $(noop_stat)
	awk -v t0="$1" -v c0="$2" -v t1="$3" -v c1="$4" 'BEGIN { if (c1 > c0) printf "%.1f\n", (t1 - t0) / (c1 - c0) }' >>"$T/nsnoop"
done
b=$(cut -d' ' -f1 "$T/bare" | median); l=$(cut -d' ' -f1 "$T/lx" | median)
br=$(cut -d' ' -f2 "$T/bare" | median); lr=$(cut -d' ' -f2 "$T/lx" | median)
echo "# iperf3 TCP ${SECS}s, medians of $ROUNDS: bare bridge $b Mbit/s ($br retransmits), lxcnet tag=100 $l Mbit/s ($lr retransmits)"
awk -v b="$b" -v l="$l" 'BEGIN { if (b > 0) printf "# throughput ratio lxcnet/bare: %.3f (target >= 0.95)\n", l / b }'
nsin=$(median <"$T/nsin"); nseg=$(median <"$T/nseg"); nsnoop=$(median <"$T/nsnoop")
echo "# ns per packet (bpf_stats, medians): tc_ingress $nsin, tc_egress $nseg, no-op program $nsnoop"
awk -v i="$nsin" -v e="$nseg" -v z="$nsnoop" 'BEGIN { printf "# over the no-op floor: tc_ingress %.1f ns, tc_egress %.1f ns (target <= 100)\n", i - z, e - z }' 

# --- 2. Scaling with the number of policies, GSO off.
gso off
bare; iperf >"$T/s-bare"
echo "# GSO off: bare bridge $(cut -d' ' -f1 "$T/s-bare") Mbit/s"
printf '# %-9s %16s %22s %16s\n' policies "lxcnet Mbit/s" "ns/packet in, eg" "nft Mbit/s"
for count in 1 100 10000; do
	lxcnet; fill_map $((count - 1)); ports=$(dp_ports)
	set -- $(prog_stat tc_ingress) $(prog_stat tc_egress)
	lx=$(iperf | cut -d' ' -f1)
	set -- "$@" $(prog_stat tc_ingress) $(prog_stat tc_egress)
	ns=$(awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v e="$5" -v f="$6" -v g="$7" -v h="$8" \
		'BEGIN { if (f > b && h > d) printf "%.1f, %.1f", (e - a) / (f - b), (g - c) / (h - d) }')
	clear_map
	bare; nft_rules "$count"; nf=$(iperf | cut -d' ' -f1); nft_clear
	printf "# %-9s %16s %22s %16s\n" "$ports" "$lx" "$ns" "$nf"
done
gso on

# --- 4. Rate accuracy at 10 MiB/s = 83.89 Mbit/s (ns1 is the "container" of port veth9601i0).
RATE_BIT=83886080
pve_conf 9601 "net0: name=eth0,bridge=$BR,tag=100,rate=10"
lxcnet
set -- $(iperf) $(iperf -R)
echo "# rate=10 (83.89 Mbit/s), TCP ${SECS}s: lxcnet from the container $1 Mbit/s ($2 retransmits), to the container $3 Mbit/s ($4 retransmits)"
pve_conf 9601 "net0: name=eth0,bridge=$BR,tag=100"
lxcnet
"$BUILD/lxcnet-netup" 9601 net up veth veth9601i0 # drops the shaper
tc qdisc replace dev veth9601i0 root tbf rate ${RATE_BIT}bit burst 1mb latency 50ms
set -- $(iperf -R)
echo "#   tc tbf (root of the host veth, same rate, 1 MiB burst): to the container $1 Mbit/s ($2 retransmits)"
tc qdisc del dev veth9601i0 root
tc qdisc add dev veth9601i0 root handle 1: htb default 1
tc class add dev veth9601i0 parent 1: classid 1:1 htb rate ${RATE_BIT}bit burst 1mb
set -- $(iperf -R)
echo "#   tc htb (as Proxmox sets it up, same rate, 1 MiB burst): to the container $1 Mbit/s ($2 retransmits)"
tc qdisc del dev veth9601i0 root

# --- 5. lxcnet's guest firewall: both ports, Proxmox's defaults but policy_in ACCEPT (the server takes connections).
mkdir -p "$T/pve/firewall"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
for i in 1 2; do
	printf '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n' >"$T/pve/firewall/960$i.fw"
	in_ns lxnt96n$i ip link set eth0 address bc:24:11:96:0$i:00
done
fwconf() { for i in 1 2; do pve_conf 960$i "net0: name=eth0,bridge=$BR,tag=100,hwaddr=BC:24:11:96:0$i:00,firewall=$1"; done; }
: >"$T/fw0"; : >"$T/fw1"; : >"$T/fwns0"; : >"$T/fwns1"
for r in $(seq "$ROUNDS"); do
	for f in 0 1; do
		fwconf $f; lxcnet
		set -- $(prog_stat tc_ingress) $(prog_stat tc_egress)
		iperf | cut -d' ' -f1 >>"$T/fw$f"
		set -- "$@" $(prog_stat tc_ingress) $(prog_stat tc_egress)
		awk -v a="$1" -v b="$2" -v c="$3" -v d="$4" -v e="$5" -v f="$6" -v g="$7" -v h="$8" \
			'BEGIN { if (f > b && h > d) printf "%.1f\n", ((e - a) + (g - c)) / ((f - b) + (h - d)) }' >>"$T/fwns$f"
	done
done
f0=$(median <"$T/fw0"); f1=$(median <"$T/fw1"); n0=$(median <"$T/fwns0"); n1=$(median <"$T/fwns1")
echo "# guest firewall, TCP ${SECS}s, medians of $ROUNDS: without $f0 Mbit/s, $n0 ns/packet; with $f1 Mbit/s, $n1 ns/packet"
awk -v a="$f0" -v b="$f1" -v x="$n0" -v y="$n1" -v z="$nsnoop" 'BEGIN { if (a > 0) printf "# guest firewall: throughput ratio %.3f, +%.1f ns per packet (%.1f over the no-op floor; target <= 150)\n", b / a, y - x, y - z }'
fwconf 0; lxcnet
ok 0 "benchmark ran"
it_done
