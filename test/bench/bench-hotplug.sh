#!/bin/sh
# Hotplug latency, add and remove, p50/p99 over N operations each (default
# 200), against the way Proxmox does it on the same machine in the same run:
# a veth made with `ip`, plugged with `ip`, moved in with liblxc's
# attach_interface() (what lxc-device calls; the lxc-device tool itself
# needs /proc/1/ns/net) and configured with `lxc-attach ip`.
#   LXCNET_BENCH_OPS=N
. "$(dirname "$0")/../integration/lib.sh"
it_init 93
N=${LXCNET_BENCH_OPS:-200}
for t in dbus-daemon busctl lxc-attach python3; do
	command -v $t >/dev/null || skip_all "$t is not installed"
done
BR=lxnt93
bridge $BR 1500 || skip_all "cannot create a bridge"
private_bus || skip_all "dbus-daemon did not start"
export LXCNET_NOTIFY_SOCKET="$T/notify"
"$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" --lxc-path="$T/lxc" \
	>"$T/agent.log" 2>&1 &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do busctl --address="$BUS" status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
pve_conf 9301 "net0: name=eth0,bridge=$BR"
ct_create 9301 && ct_start 9301 || skip_all "the container does not start"
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
now() { date +%s%N; }

# lxcnet: the operation's own timestamps (queued to finished), over the bus;
# collected every 50 rounds (the agent keeps the newest 256 finished ones).
# Also the wall time of `lxcnetctl hotplug ... --wait` (a process, a bus
# connection, the call and the wait for OperationChanged).
: >"$T/ops.json"
: >"$T/wall"
i=0
while [ $i -lt "$N" ]; do
	t0=$(now)
	ctl hotplug add 9301 net1 "name=eth1,bridge=$BR,ip=10.93.0.1/24" --wait >/dev/null || { echo "# add failed"; break; }
	t1=$(now)
	ctl hotplug remove 9301 net1 --wait >/dev/null || { echo "# remove failed"; break; }
	t2=$(now)
	echo "add $(( (t1 - t0) / 1000 ))" >>"$T/wall"
	echo "remove $(( (t2 - t1) / 1000 ))" >>"$T/wall"
	i=$((i + 1))
	[ $((i % 50)) -eq 0 ] && ctl operations --json | python3 -c 'import json,sys; [print(json.dumps(o)) for o in json.load(sys.stdin)]' >>"$T/ops.json"
done
ctl operations --json | python3 -c 'import json,sys; [print(json.dumps(o)) for o in json.load(sys.stdin)]' >>"$T/ops.json"

# Baseline: the same plumbing with ip, liblxc attach_interface() and lxc-attach.
ATTACH="$BUILD/test/bench/bench-attach-interface"
[ -x "$ATTACH" ] || skip_all "$ATTACH is not built (make bench builds it)"
: >"$T/base"
i=0
while [ $i -lt "$N" ]; do
	t0=$(now)
	ip link add veth9301i1 type veth peer name lxb93p &&
		ip link set veth9301i1 master $BR up &&
		"$ATTACH" "$T/lxc" 9301 add lxb93p eth1 &&
		lxc-attach -P "$T/lxc" -n 9301 -- ip addr add 10.93.0.1/24 dev eth1 &&
		lxc-attach -P "$T/lxc" -n 9301 -- ip link set eth1 up || { echo "# baseline add failed"; break; }
	t1=$(now)
	"$ATTACH" "$T/lxc" 9301 del eth1 >/dev/null 2>&1
	ip link del veth9301i1 2>/dev/null
	t2=$(now)
	echo "add $(( (t1 - t0) / 1000 ))" >>"$T/base"
	echo "remove $(( (t2 - t1) / 1000 ))" >>"$T/base"
	i=$((i + 1))
done

python3 - "$T/ops.json" "$T/base" "$T/wall" <<'PY'
import json, sys
ops = list({o["operation"]: o for o in map(json.loads, open(sys.argv[1])) if o["state"] == "done"}.values())
ours = {k: sorted((o["finished_usec"] - o["created_usec"]) / 1000 for o in ops if o["kind"] == k) for k in ("add", "remove")}
def load(path):
    d = {"add": [], "remove": []}
    for line in open(path):
        k, v = line.split()
        d[k].append(int(v) / 1000)
    return d
base, wall = load(sys.argv[2]), load(sys.argv[3])
def pct(l, p):
    l = sorted(l)
    return l[min(len(l) - 1, int(len(l) * p / 100))] if l else float("nan")
for k in ("add", "remove"):
    o, b = ours[k], base[k]
    print("# %-6s lxcnet  p50 %6.2f ms  p99 %6.2f ms  (%d ops; targets p50 <= 10, p99 <= 30)" % (k, pct(o, 50), pct(o, 99), len(o)))
    w = wall[k]
    print("# %-6s lxcnetctl --wait, wall  p50 %6.2f ms  p99 %6.2f ms  (%d ops)" % (k, pct(w, 50), pct(w, 99), len(w)))
    print("# %-6s ip+lxc  p50 %6.2f ms  p99 %6.2f ms  (%d ops)" % (k, pct(b, 50), pct(b, 99), len(b)))
    if o and b:
        print("# %-6s baseline/lxcnet p50 ratio: %.1f (operation), %.1f (lxcnetctl wall)" % (k, pct(b, 50) / pct(o, 50), pct(b, 50) / pct(w, 50)))
PY
ok 0 "benchmark ran"
it_done
