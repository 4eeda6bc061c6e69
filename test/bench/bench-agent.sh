#!/bin/sh
# lxcnetd at scale, on a private dbus-daemon: rebuild time at start and RSS
# with N bindings (N host veths named like container ports, default 10,000),
# and GetBinding throughput from one pipelining sd-bus client.
#   LXCNET_BENCH_BINDINGS=N, LXCNET_BENCH_CALLS=N (default 50,000)
. "$(dirname "$0")/../integration/lib.sh"
it_init 99
N=${LXCNET_BENCH_BINDINGS:-10000}
CALLS=${LXCNET_BENCH_CALLS:-50000}
command -v dbus-daemon >/dev/null || skip_all "dbus-daemon is not installed"
[ -x "$BUILD/test/bench/bench-getbinding" ] || skip_all "no bench-getbinding (make bench builds it)"
private_bus || skip_all "dbus-daemon did not start"

# N veth pairs veth<100000+k>i0 <-> lxb<k>, made in one batch (and deleted in one).
python3 -c 'import sys
for k in range(int(sys.argv[1])):
    print("link add veth%di0 type veth peer name lxb%d" % (100000 + k, k))' "$N" >"$T/add"
sed 's/^link add \(veth[0-9]*i0\) .*/link del \1/' "$T/add" >"$T/del"
trap 'ip -batch "$T/del" >/dev/null 2>&1; it_cleanup' EXIT
t0=$(date +%s%N); ip -force -batch "$T/add" >/dev/null 2>&1; t1=$(date +%s%N)
echo "# created $N veth pairs in $(( (t1 - t0) / 1000000 )) ms"

# start_agent WHAT: start lxcnetd and report its rebuild time and RSS
start_agent() {
	"$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" >"$T/agent.log" 2>&1 &
	AGENT=$!
	IT_PIDS="$IT_PIDS $AGENT"
	for _ in $(seq 300); do busctl --address="$BUS" status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
	echo "# $1: $(grep -o 'Found.*' "$T/agent.log" | tail -1)  (target: rebuild <= 1 s)"
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$AGENT/status")
	echo "# $1: lxcnetd RSS with $N bindings: $((rss / 1024)) MiB ($rss kB) (target <= 32 MiB)"
}
start_agent "first start, no state file"
kill -9 "$AGENT"; wait "$AGENT" 2>/dev/null
start_agent "restart after kill -9, with the state file"
echo "# GetBinding, one client, 128 calls in flight: $("$BUILD/test/bench/bench-getbinding" "$BUS" 100042 net0 "$CALLS") (target >= 20000 calls/s)"
ok 0 "benchmark ran"
it_done
