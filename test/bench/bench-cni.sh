#!/bin/sh
# CNI ADD and DEL latency: lxcnet-cni against the containernetworking-plugins
# `bridge` plugin (Debian's containernetworking-plugins), same machine, same
# run, same bridge, namespace and host-local IPAM (done inside lxcnet-cni,
# and the plugin run as "builtinIpam": false has it); medians (and p90) over
# N ADD/DEL pairs each (default 50); and host-local on its own and lxcnet-cni
# without IPAM, for what each part costs, with /bin/true for what starting
# a process costs; and the OCI hook's createRuntime and poststop (a NIC from
# an annotation), in the ADD and DEL columns. Each invocation is timed from
# spawn to exit, as a runtime sees it; 100 ms untimed between pairs, so that the
# kernel's work a DEL left running does not land on the next call.
# Another lxcnet-cni attachment stays on the host meanwhile (plugged before
# each round's pairs, removed after them, untimed), as on a host already
# running a container. The port that is the host's only one pays more, and
# two rows measure it in each round before that attachment is plugged: the
# first clsact qdisc on a host turns the kernel's tc hooks on (a static key:
# the kernel patches its code, with an interrupt to every CPU), and the last
# one turns them off again.
#   LXCNET_BENCH_RUNS=N
. "$(dirname "$0")/../integration/lib.sh"
it_init 88
N=${LXCNET_BENCH_RUNS:-50}
CNI_DIR=/usr/lib/cni
[ -x $CNI_DIR/bridge ] && [ -x $CNI_DIR/host-local ] || skip_all "containernetworking-plugins is not installed (contrib/deps.sh)"
command -v python3 >/dev/null || skip_all "python3 is not installed"
BR=lxnt88
bridge $BR 1500 || skip_all "cannot create a bridge"
netns cnib88 || skip_all "cannot create a netns"

python3 - "$BUILD/lxcnet-cni" "$CNI_DIR" "$BR" "$T" "$N" <<'PY'
import json, os, statistics, subprocess, sys, time
plugin, cni_dir, br, tmp, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])

def ipam(name):
    return {"type": "host-local", "dataDir": os.path.join(tmp, "ipam-" + name),
            "ranges": [[{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]], "routes": [{"dst": "0.0.0.0/0"}]}

cases = [
    ("bridge (containernetworking-plugins)", os.path.join(cni_dir, "bridge"),
     {"cniVersion": "1.0.0", "name": "b88", "type": "bridge", "bridge": br, "ipam": ipam("bridge")}),
    ("lxcnet-cni, untagged", plugin,
     {"cniVersion": "1.0.0", "name": "l88", "type": "lxcnet-cni", "bridge": br, "ipam": ipam("lxcnet")}),
    ("lxcnet-cni, tag=100 rate=10", plugin,
     {"cniVersion": "1.0.0", "name": "t88", "type": "lxcnet-cni", "bridge": br, "tag": 100, "rate": 10,
      "ipam": ipam("lxcnet-tag")}),
    # host-local is done inside lxcnet-cni; "builtinIpam": false runs the plugin instead, as before.
    ("lxcnet-cni, host-local plugin run", plugin,
     {"cniVersion": "1.0.0", "name": "x88", "type": "lxcnet-cni", "bridge": br, "builtinIpam": False,
      "ipam": ipam("lxcnet-exec")}),
    # What the IPAM and lxcnet-cni cost each: host-local on its own, lxcnet-cni without it;
    # and what starting a process costs the caller (the floor of any plugin).
    ("spawn alone (/bin/true)", "/bin/true", {}),
    ("host-local alone", os.path.join(cni_dir, "host-local"),
     {"cniVersion": "1.0.0", "name": "h88", "type": "host-local", "ipam": ipam("host-local")}),
    ("lxcnet-cni, untagged, no IPAM", plugin,
     {"cniVersion": "1.0.0", "name": "n88", "type": "lxcnet-cni", "bridge": br}),
    ("lxcnet-cni, tag=100 rate=10, no IPAM", plugin,
     {"cniVersion": "1.0.0", "name": "r88", "type": "lxcnet-cni", "bridge": br, "tag": 100, "rate": 10}),
    # The OCI hook: createRuntime in the ADD column, poststop in the DEL one.
    ("lxcnet-oci, untagged", "oci", "name=eth0,bridge=" + br),
    ("lxcnet-oci, tag=100 rate=10", "oci", "name=eth0,bridge=%s,tag=100,rate=10" % br),
]
# Measured with no other lxcnet port on the host (see above).
alone = [
    ("lxcnet-cni, untagged, only port", plugin,
     {"cniVersion": "1.0.0", "name": "a88", "type": "lxcnet-cni", "bridge": br, "ipam": ipam("lxcnet-alone")}),
    ("lxcnet-cni, tag=100 rate=10, only port", plugin,
     {"cniVersion": "1.0.0", "name": "o88", "type": "lxcnet-cni", "bridge": br, "tag": 100, "rate": 10,
      "ipam": ipam("lxcnet-tag-alone")}),
]
resident = {"cniVersion": "1.0.0", "name": "res88", "type": "lxcnet-cni", "bridge": br}
oci = os.path.join(os.path.dirname(plugin), "lxcnet-oci")
# The OCI container: a process in a network namespace of its own (the hook makes the NIC in /proc/<pid>/ns/net).
holder = subprocess.Popen(["unshare", "-n", "sleep", "3600"])

def run(exe, cmd, conf, cid, ifname="eth0"):
    if exe == "oci":
        stage = "createRuntime" if cmd == "ADD" else "poststop"
        state = {"ociVersion": "1.0.2", "id": cid, "status": "creating" if cmd == "ADD" else "stopped",
                 "pid": holder.pid if cmd == "ADD" else 0, "bundle": tmp, "annotations": {"org.lxcnet.net0": conf}}
        t0 = time.perf_counter_ns()
        p = subprocess.run([oci, stage], input=json.dumps(state).encode(), capture_output=True)
        t1 = time.perf_counter_ns()
        if p.returncode != 0:
            raise SystemExit("# lxcnet-oci %s failed: %s %s" % (stage, p.stdout.decode(), p.stderr.decode()))
        return (t1 - t0) / 1e6
    env = dict(os.environ, CNI_COMMAND=cmd, CNI_CONTAINERID=cid, CNI_NETNS="/run/netns/cnib88",
               CNI_IFNAME=ifname, CNI_PATH=cni_dir)
    t0 = time.perf_counter_ns()
    p = subprocess.run([exe], input=json.dumps(conf).encode(), env=env, capture_output=True)
    t1 = time.perf_counter_ns()
    if p.returncode != 0:
        raise SystemExit("# %s %s failed: %s %s" % (os.path.basename(exe), cmd, p.stdout.decode(), p.stderr.decode()))
    return (t1 - t0) / 1e6

res = {}
# Interleaved rounds, so that both see the same machine state.
def pair(i, name, exe, conf):
    a = run(exe, "ADD", conf, "bench-%d" % i)
    d = run(exe, "DEL", conf, "bench-%d" % i)
    # lxcnet-cni's DEL returns once the names are gone; the kernel's grace periods run on
    # (holding the rtnl lock): let them end, untimed, so that the next call does not pay them.
    time.sleep(0.1)
    if i >= 2:  # the first rounds load the datapath and warm the caches
        res.setdefault(name, {"ADD": [], "DEL": []})
        res[name]["ADD"].append(a)
        res[name]["DEL"].append(d)

plugged = False
try:
    for i in range(n + 2):
        for name, exe, conf in alone:
            pair(i, name, exe, conf)
        run(plugin, "ADD", resident, "bench-resident", "res0")
        plugged = True
        for name, exe, conf in cases:
            pair(i, name, exe, conf)
        run(plugin, "DEL", resident, "bench-resident", "res0")
        plugged = False
        time.sleep(0.1)
finally:
    if plugged:
        run(plugin, "DEL", resident, "bench-resident", "res0")
    holder.kill()
    holder.wait()

def p(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]

print("# CNI (and OCI hook) latency over %d ADD/DEL pairs each, ms (spawn to exit)" % n)
print("# %-38s %9s %9s %9s %9s" % ("plugin", "ADD p50", "ADD p90", "DEL p50", "DEL p90"))
for name, _, _ in cases + alone:
    r = res[name]
    print("# %-38s %9.2f %9.2f %9.2f %9.2f" % (name, statistics.median(r["ADD"]), p(r["ADD"], 0.9),
                                              statistics.median(r["DEL"]), p(r["DEL"], 0.9)))
base = res[cases[0][0]]
for name, _, _ in cases[1:] + alone:
    r = res[name]
    print("# %s / bridge: ADD %.2fx, DEL %.2fx" % (name, statistics.median(r["ADD"]) / statistics.median(base["ADD"]),
                                                   statistics.median(r["DEL"]) / statistics.median(base["DEL"])))
PY
ok $? "CNI ADD/DEL latency measured"
it_done
