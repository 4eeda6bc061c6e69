#!/bin/sh
# rate=10 (MiB/s) towards the container, as lxcnet shapes it: earliest
# departure time (the port program stamps each frame, fq at the host veth's
# root) where the kernel has fq, against the tbf it falls back to where fq
# is missing (sch_fq unloaded for that run), and no rate: the same NIC
# plugged by lxcnet-netup each time, in one run. Throughput against the
# rate, retransmits, and the CPU time the run took. This machine's kernel
# has no fq: the benchmark runs itself under User-Mode Linux
# (test/kernel/uml-run), so only the ratios mean anything. A benchmark, not
# a test: it never fails on noise. LXCNET_BENCH_SECONDS=N per iperf3 run
# (default 5), LXCNET_BENCH_ROUNDS (default 3).
if [ -z "${UMLRUN_OUT+x}" ] && ! tc qdisc add dev lo root fq 2>/dev/null; then
	here=$(cd "$(dirname "$0")" && pwd)
	exec "$here/../kernel/uml-run" --timeout 900 --env LXCNET_BUILDDIR="${LXCNET_BUILDDIR:?}" \
		--env LXCNET_BENCH_SECONDS="${LXCNET_BENCH_SECONDS:-5}" --env LXCNET_BENCH_ROUNDS="${LXCNET_BENCH_ROUNDS:-3}" \
		"$here/bench-edt.sh"
fi
tc qdisc del dev lo root 2>/dev/null
. "$(dirname "$0")/../integration/lib.sh"
it_init 84
it_need iperf3 python3
SECS=${LXCNET_BENCH_SECONDS:-5}
ROUNDS=${LXCNET_BENCH_ROUNDS:-3}
RATE=10485760 # bytes per second: rate=10
PORT=5284
BR=lxbr84
bridge $BR 1500 || skip_all "cannot create a bridge"
# lxe84a, the sender, on a plain veth in the bridge; lxe84b, the "container", on veth9841i0 that lxcnet plugs.
netns lxe84a && netns lxe84b || skip_all "cannot create network namespaces"
ip link add lxe84h type veth peer name eth0 netns lxe84a && IT_LINKS="$IT_LINKS lxe84h" &&
	ip link set lxe84h master $BR up || skip_all "cannot create a veth pair"
ip link add veth9841i0 type veth peer name eth0 netns lxe84b && IT_LINKS="$IT_LINKS veth9841i0" ||
	skip_all "cannot create a veth pair"
in_ns lxe84a ip addr add 10.84.0.1/24 dev eth0 && in_ns lxe84a ip link set eth0 up
in_ns lxe84b ip addr add 10.84.0.2/24 dev eth0 && in_ns lxe84b ip link set eth0 up
nsenter --net=/run/netns/lxe84b iperf3 -s -p $PORT >/dev/null 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.5

busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; } # user nice system irq softirq, in ticks
# run: "<Mbit/s> <retransmits> <CPU ticks>" of one TCP run towards the "container" (lxe84b)
run() {
	b0=$(busy)
	out=$(in_ns lxe84a iperf3 -c 10.84.0.2 -p $PORT -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.2f %d" % (e["sum_received"]["bits_per_second"] / 1e6, e["sum_sent"].get("retransmits", 0)))' \
			2>/dev/null || echo "0 0")
	echo "$out $(( $(busy) - b0 ))"
}
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
mods=/run/uml-modules
shaper() { # none|tbf|edt: the NIC plugged again by lxcnet-netup, with rate=10 for tbf and edt
	case $1 in
	none) pve_conf 9841 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:84:00:01" ;;
	*) pve_conf 9841 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:84:00:01,rate=10" ;;
	esac
	[ "$1" = tbf ] && { rmmod sch_fq 2>/dev/null || return 1; }
	"$BUILD/lxcnet-netup" 9841 net up veth veth9841i0 >"$T/netup.log" 2>&1
	rc=$?
	[ "$1" = tbf ] && modprobe -d $mods sch_fq
	[ $rc -eq 0 ] || return 1
	case $1 in
	edt) tc qdisc show dev veth9841i0 root | grep -q '^qdisc fq 4c58:' ;;
	tbf) tc qdisc show dev veth9841i0 root | grep -q '^qdisc tbf 4c58:' ;;
	esac
}
for s in none tbf edt; do
	: >"$T/$s"
	for _ in $(seq "$ROUNDS"); do shaper $s || { echo "# $s: cannot set it up ($(cat "$T/netup.log"))"; break; }; run >>"$T/$s"; done
done
shaper none >/dev/null 2>&1
col() { cut -d' ' -f"$2" "$T/$1" | median; }
mbit=$(awk -v r=$RATE 'BEGIN { printf "%.2f", r * 8 / 1e6 }')
echo "# towards the container, TCP ${SECS}s, medians of $ROUNDS (under UML: only ratios count), rate $mbit Mbit/s:"
for s in none tbf edt; do
	echo "#   $s: $(col $s 1) Mbit/s, $(col $s 2) retransmits, $(col $s 3) CPU ticks"
done
awk -v r="$mbit" -v t="$(col tbf 1)" -v e="$(col edt 1)" -v tc="$(col tbf 3)" -v ec="$(col edt 3)" 'BEGIN {
	if (r > 0 && tc > 0) printf "#   accuracy: tbf %.3f, EDT %.3f of the rate; CPU EDT/tbf %.2f\n", t / r, e / r, ec / tc }'
ok 0 "benchmark ran"
it_done
