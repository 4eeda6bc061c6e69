#!/bin/sh
# rate=10 (MiB/s) towards the container: lxcnet's tbf (as the shaper sets it
# up: 1 MiB bucket, 50 ms of queue) against earliest departure time, an eBPF
# program stamping each frame (test/bench/edt.bpf.c) with fq as the root
# qdisc, on the same veth in one run: throughput against the rate,
# retransmits, and the CPU time the run took. This machine's kernel has no
# fq: the benchmark runs itself under User-Mode Linux (test/kernel/uml-run),
# so only the ratios mean anything. A benchmark, not a test: it never fails
# on noise. LXCNET_BENCH_SECONDS=N per iperf3 run (default 5),
# LXCNET_BENCH_ROUNDS (default 3).
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
EDT=${LXCNET_BENCH_EDT:-$BUILD/test/bench/edt.bpf.o}
[ -f "$EDT" ] || skip_all "no $EDT (make bench builds it)"
SECS=${LXCNET_BENCH_SECONDS:-5}
ROUNDS=${LXCNET_BENCH_ROUNDS:-3}
RATE=10485760 # bytes per second: rate=10, as edt.bpf.o is built
PORT=5284
netns lxe84a && netns lxe84b || skip_all "cannot create network namespaces"
ip link add lxe84h netns lxe84a type veth peer name eth0 netns lxe84b || skip_all "cannot create a veth pair"
in_ns lxe84a ip addr add 10.84.0.1/24 dev lxe84h && in_ns lxe84a ip link set lxe84h up
in_ns lxe84b ip addr add 10.84.0.2/24 dev eth0 && in_ns lxe84b ip link set eth0 up
in_ns lxe84a tc qdisc add dev lxe84h root fq 2>/dev/null || skip_all "this kernel has no fq"
in_ns lxe84a tc qdisc del dev lxe84h root
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
shaper() { # none|tbf|edt on the "host" end
	in_ns lxe84a tc qdisc del dev lxe84h root 2>/dev/null
	in_ns lxe84a tc qdisc del dev lxe84h clsact 2>/dev/null
	case $1 in
	tbf) in_ns lxe84a tc qdisc add dev lxe84h root handle 4c58: tbf rate ${RATE}bps burst 1mb latency 50ms ;;
	edt) in_ns lxe84a tc qdisc add dev lxe84h root fq &&
		in_ns lxe84a tc qdisc add dev lxe84h clsact &&
		in_ns lxe84a tc filter add dev lxe84h egress bpf da obj "$EDT" sec tc ;;
	esac
}
for s in none tbf edt; do
	: >"$T/$s"
	for _ in $(seq "$ROUNDS"); do shaper $s || { echo "# $s: cannot set it up"; break; }; run >>"$T/$s"; done
done
shaper none
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
