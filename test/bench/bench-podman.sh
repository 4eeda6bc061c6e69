#!/bin/sh
# podman run -d + podman rm -f, wall time, with an lxcnet-cni network against
# the containernetworking-plugins bridge plugin on the same bridge, in a
# podman of the benchmark's own (as test-podman sets it up); medians and p90
# over N of each (default 20), interleaved. podman's own cost is most of it.
#   LXCNET_BENCH_RUNS=N
. "$(dirname "$0")/../integration/lib.sh"
it_init 65
N=${LXCNET_BENCH_RUNS:-20}
for t in podman crun python3; do
	command -v $t >/dev/null || skip_all "$t is not installed (contrib/deps.sh)"
done
[ -x /usr/lib/cni/bridge ] || skip_all "containernetworking-plugins is not installed (contrib/deps.sh)"
BR=lxnt65
bridge $BR 1500 || skip_all "cannot create a bridge"
podman_private || skip_all "cannot set up a private podman"
pm_image || skip_all "cannot import the image"
ipam() { echo "\"ipam\": { \"type\": \"host-local\", \"dataDir\": \"$PM/ipam\", \"ranges\": [[{ \"subnet\": \"10.65.$1.0/24\" }]] }"; }
cat >"$PM/net/lx65.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "lx65", "plugins": [ { "type": "lxcnet-cni", "bridge": "$BR", "tag": 100, $(ipam 1) } ] }
JSON
cat >"$PM/net/br65.conflist" <<JSON
{ "cniVersion": "1.0.0", "name": "br65", "plugins": [ { "type": "bridge", "bridge": "$BR", $(ipam 2) } ] }
JSON
PM="$PM" python3 - "$N" <<'PY'
import os, statistics, subprocess, sys, time
n = int(sys.argv[1])
pm = ["timeout", "60", "podman", "--root", os.environ["PM"] + "/root", "--runroot", os.environ["PM"] + "/run",
      "--storage-driver", "vfs"]
env = dict(os.environ, CONTAINERS_CONF=os.environ["PM"] + "/containers.conf")
def timed(args):
    t0 = time.perf_counter_ns()
    p = subprocess.run(pm + args, env=env, capture_output=True)
    if p.returncode:
        raise SystemExit("# podman %s failed: %s" % (" ".join(args), p.stderr.decode()))
    return (time.perf_counter_ns() - t0) / 1e6
res = {"lxcnet-cni (tag 100)": ("lx65", [], []), "bridge plugin": ("br65", [], [])}
for i in range(n + 1):
    for name, (net, run, rm) in res.items():
        r = timed(["run", "-d", "--name", "b%d" % i, "--network", net, "--cgroups=disabled",
                   "localhost/lxcnet-busybox", "sleep", "300"])
        d = timed(["rm", "-f", "-t", "0", "b%d" % i])
        time.sleep(0.1)  # what a DEL left running in the kernel ends untimed
        if i:  # the first round warms the caches
            run.append(r)
            rm.append(d)
def p90(v):
    return sorted(v)[min(len(v) - 1, int(0.9 * len(v)))]
print("# podman, %d runs each, ms (wall time of the podman command)" % n)
print("# %-24s %10s %10s %10s %10s" % ("network", "run p50", "run p90", "rm p50", "rm p90"))
for name, (net, run, rm) in res.items():
    print("# %-24s %10.1f %10.1f %10.1f %10.1f" % (name, statistics.median(run), p90(run), statistics.median(rm), p90(rm)))
b, l = res["bridge plugin"], res["lxcnet-cni (tag 100)"]
print("# lxcnet-cni / bridge plugin: run %.2fx, rm %.2fx" % (statistics.median(l[1]) / statistics.median(b[1]),
                                                          statistics.median(l[2]) / statistics.median(b[2])))
PY
ok $? "podman run/rm latency measured"
it_done
