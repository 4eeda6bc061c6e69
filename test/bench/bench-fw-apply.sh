#!/bin/sh
# Time from a write of <vmid>.fw to its rules in force in the port's
# datapath, with lxcnetd watching (it checks the firewall files every 0.5 s
# and puts a change in force on the running port): LXCNET_BENCH_ROUNDS
# writes (default 40), each changing the number of IN rules, timed until
# lxcnet_fw of the port has the new count (polled every 10 ms with
# bpftool). p50, p99 and the longest; the issue's target is 1 s at the p99.
# A benchmark, not a test: it prints figures, never fails on noise.
. "$(dirname "$0")/../integration/lib.sh"
it_init 98
it_need python3 bpftool dbus-daemon busctl
ROUNDS=${LXCNET_BENCH_ROUNDS:-40}
BR=lxnt98
bridge $BR 1500 || skip_all "cannot create a bridge"
netns lxnt98n1 || skip_all "cannot create a netns"
ip link add veth9801i0 type veth peer name eth0 netns lxnt98n1 || skip_all "cannot create a veth"
IT_LINKS="$IT_LINKS veth9801i0"
mkdir -p "$T/pve/firewall"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
printf '[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -p tcp -dport 22\n' >"$T/pve/firewall/9801.fw"
pve_conf 9801 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:98:01:00,firewall=1"
"$BUILD/lxcnet-netup" 9801 net up veth veth9801i0 || skip_all "lxcnet-netup failed"
private_bus || skip_all "dbus-daemon did not start"
agent_up || skip_all "lxcnetd did not start"
sleep 2.5 # past the age a port must have (2 s) before lxcnetd judges it
slot=$(dp_port "$(cat /sys/class/net/veth9801i0/ifindex)" slot)
python3 - "$(dp_pins)" "$slot" "$T/pve/firewall/9801.fw" "$ROUNDS" <<'PY'
import json, os, subprocess, sys, time
pins, slot, path, rounds = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
key = ["0x%02x" % b for b in slot.to_bytes(4, "little")]
def n_in():
    r = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", pins + "/lxcnet_fw", "key"] + key,
                       capture_output=True, text=True)
    v = json.loads(r.stdout)
    v = v.get("formatted", v)["value"]
    return v["n_rules"][1]
ms = []
for i in range(rounds):
    want = 2 + i % 7
    time.sleep(0.6)  # the change after the last one is in force, at a random point of lxcnetd's 0.5 s cycle
    with open(path + ".tmp", "w") as f:
        f.write("[OPTIONS]\nenable: 1\n\n[RULES]\n" + "".join("IN ACCEPT -p tcp -dport %d\n" % (1000 + k) for k in range(want)))
    t0 = time.monotonic()
    os.rename(path + ".tmp", path)
    while n_in() != want:
        if time.monotonic() - t0 > 5:
            break
        time.sleep(0.01)
    ms.append((time.monotonic() - t0) * 1000)
ms.sort()
p = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]
print("# .fw write to its rules in force, %d writes: p50 %.0f ms, p99 %.0f ms, longest %.0f ms (target: p99 <= 1000 ms)"
      % (len(ms), p(0.5), p(0.99), ms[-1]))
PY
ok 0 "benchmark ran"
it_done
