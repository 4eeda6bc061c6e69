#!/bin/sh
# The OCI hook with real crun containers: lxcnet-oci as createRuntime and
# poststop hook in config.json plugs the NICs its annotations describe, with
# VLAN isolation against LXC containers on the same bridge; stopping removes
# everything, also with poststop's pid 0 and when poststop never runs.
. "$(dirname "$0")/lib.sh"
it_init 90
command -v crun >/dev/null || skip_all "crun is not installed (contrib/deps.sh)"
it_need tcpdump python3 unshare
BR=lxnt90
bridge $BR 1500 || skip_all "cannot create a bridge"

# crun refuses hybrid cgroup hierarchies: in a mount namespace of its own the
# hybrid part is not there, and this test sets no cgroup limits anyway.
OCI_IDS=""
crun_() {
	timeout 30 unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null
		exec crun --root "$0" --cgroup-manager=disabled "$@"' "$T/crun" "$@"
}
oci_cleanup() {
	for id in $OCI_IDS; do
		crun_ kill "$id" KILL >/dev/null 2>&1
		crun_ delete -f "$id" >/dev/null 2>&1
	done
	it_cleanup
}
trap oci_cleanup EXIT

# bundle ID ANNOTATION...: a busybox bundle in $T/oci/ID with the hook wired
bundle() {
	id=$1; shift
	b="$T/oci/$id"
	mkdir -p "$b/rootfs/bin" && cp "$(command -v busybox)" "$b/rootfs/bin/busybox" || return 1
	for a in sh sleep ip ping cat; do ln -sf busybox "$b/rootfs/bin/$a"; done
	(cd "$b" && crun spec) || return 1
	python3 - "$b/config.json" "$BUILD/lxcnet-oci" "$@" <<'PY'
import json, os, sys
path, hook, annotations = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sleep", "300"]
c["linux"].pop("resources", None)
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k].append("CAP_NET_RAW")  # ping
env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"] + ["%s=%s" % (k, os.environ[k])
       for k in ("LXCNET_BPF_ROOT", "LXCNET_PVE_DIR", "LXCNET_CONF_DIR") if k in os.environ]
c["hooks"] = {
    "createRuntime": [{"path": hook, "args": ["lxcnet-oci", "createRuntime"], "env": env, "timeout": 10}],
    "poststop": [{"path": hook, "args": ["lxcnet-oci", "poststop"], "env": env, "timeout": 10}],
}
c["annotations"] = dict(a.split("=", 1) for a in annotations)
# Hooks write their errors to stderr, which crun drops unless told where to put it.
c["annotations"]["run.oci.hooks.stderr"] = os.path.join(os.path.dirname(path), "hooks.log")
json.dump(c, open(path, "w"), indent=1)
PY
}
oci_run() { OCI_IDS="$OCI_IDS $1"; (cd "$T/oci/$1" && crun_ run -d "$1") >"$T/run-$1.log" 2>&1; }
oci_exec() { id=$1; shift; crun_ exec "$id" "$@"; }
oci_stop() { crun_ kill "$1" KILL >/dev/null 2>&1; sleep 0.3; crun_ delete -f "$1" >>"$T/run-$1.log" 2>&1; }
# oci_if ID N: the host end of netN of OCI container ID, found by its alias
oci_if() {
	for f in /sys/class/net/*/ifalias; do
		[ "$(cat "$f" 2>/dev/null)" = "lxcnet-oci $1 net$2" ] && basename "$(dirname "$f")" && return 0
	done
	return 1
}
has_entry() { dp_port "$1" >/dev/null; }

pve_conf 9001 "net0: name=eth0,bridge=$BR,tag=100,ip=10.90.0.1/24,host-managed=1"
pve_conf 9002 "net0: name=eth0,bridge=$BR,tag=200,ip=10.90.0.2/24,host-managed=1"
for c in 9001 9002; do ct_create $c && ct_start $c; done
[ "$(ct_state 9001)$(ct_state 9002)" = "RUNNINGRUNNING" ]; ok $? "LXC containers on tag 100 and tag 200 run"

ID=lxcnet-it90-a
bundle $ID "org.lxcnet.net0=name=eth0,bridge=$BR,tag=100,hwaddr=BC:24:11:90:00:0A,ip=10.90.0.10/24" \
	"org.lxcnet.net1=name=eth1,bridge=$BR,rate=5,ip=10.90.1.10/24" "io.example.other=kept out of it"
oci_run $ID; ok $? "crun starts a container with lxcnet-oci as createRuntime hook" || cat "$T/run-$ID.log"
IF0=$(oci_if $ID 0); ok $? "net0's host end carries the alias 'lxcnet-oci $ID net0' ($IF0)"
IF1=$(oci_if $ID 1); ok $? "net1's host end carries its alias ($IF1)"
case "$IF0" in oci????????i0) r=0 ;; *) r=1 ;; esac; ok $r "host end named oci<hash>i0"
[ "$(link_field "$IF0")" = "master=$BR mtu=1500 up=1" ]; ok $? "net0 is up on bridge $BR with its MTU"
oci_exec $ID ip -o link show eth0 >"$T/eth0" 2>&1
grep -qi 'link/ether bc:24:11:90:00:0a' "$T/eth0"; ok $? "eth0 in the container has the annotation's hwaddr"
oci_exec $ID ip -o addr show eth1 | grep -q 'inet 10.90.1.10/24'; ok $? "eth1 in the container has its address"
tc filter show dev "$IF0" ingress | grep -q tc_ingress; ok $? "the datapath is attached to net0's host end"
IDX0=$(cat "/sys/class/net/$IF0/ifindex"); IDX1=$(cat "/sys/class/net/$IF1/ifindex")
[ -d "/sys/class/net/lxr$IDX1" ]; ok $? "rate=5 on net1: its shaper lxr$IDX1 exists"

oci_exec $ID ping -c 2 -W 1 10.90.0.1 >/dev/null 2>&1; ok $? "the crun container (tag 100) reaches the LXC container on tag 100"
! oci_exec $ID ping -c 2 -W 1 10.90.0.2 >/dev/null 2>&1; ok $? "it cannot reach the LXC container on tag 200"
! ct_exec 9002 ping -c 2 -W 1 10.90.0.10 >/dev/null 2>&1; ok $? "the tag 200 container cannot reach it either"
timeout 5 tcpdump -e -n -l -i $BR -c 2 icmp >"$T/cap" 2>/dev/null & cap=$!
sleep 1; oci_exec $ID ping -c 2 -W 1 10.90.0.1 >/dev/null 2>&1; wait $cap
grep -q 'bc:24:11:90:00:0a.*ethertype 802.1Q (0x8100).*vlan 100, .*ICMP echo request' "$T/cap"; ok $? "its frames carry VLAN 100 on the bridge"

# Stopping: crun passes pid 0 to poststop, which finds the NICs by the id.
oci_stop $ID
wait_absent "$IF0" "$IF1"; ok $? "after crun delete both host ends are gone"
[ ! -d "/sys/class/net/lxr$IDX1" ]; ok $? "the shaper is gone"
! has_entry "$IDX0" && ! has_entry "$IDX1"; ok $? "no datapath entry is left"
! grep -q 'lxcnet-oci' "$T/run-$ID.log" "$T/oci/$ID/hooks.log" 2>/dev/null; ok $? "the hooks reported no error"

# poststop needs nothing but the id: a namespace that outlives the container
# keeps the pair, and poststop with pid 0 still removes it; twice is fine.
netns oci90 || skip_all "cannot create a netns"
nsenter --net=/run/netns/oci90 sleep 60 & holder=$!
IT_PIDS="$IT_PIDS $holder"
# nsenter enters the namespace, then execs sleep: until then the pid is still in the host's.
for _ in $(seq 100); do
	[ "$(readlink /proc/$holder/ns/net)" = "net:[$(stat -L -c %i /run/netns/oci90)]" ] && break
	sleep 0.05
done
state() { printf '{"ociVersion":"1.0.2","id":"lxcnet-it90-b","status":"%s","pid":%s,"bundle":"/x","annotations":{"org.lxcnet.net0":"name=eth0,bridge=%s,tag=100"}}' "$1" "$2" $BR; }
state created $holder | "$BUILD/lxcnet-oci" createRuntime >"$T/outlive.out" 2>&1
ok $? "createRuntime into a namespace that outlives the container $(cat "$T/outlive.out")"
IFB=$(oci_if lxcnet-it90-b 0) && in_ns oci90 ip link show eth0 >/dev/null 2>&1; ok $? "the pair exists ($IFB)"
state stopped 0 | "$BUILD/lxcnet-oci" poststop; ok $? "poststop with pid 0 succeeds"
wait_absent "$IFB" && ! in_ns oci90 ip link show eth0 >/dev/null 2>&1; ok $? "and removed the pair"
state stopped 0 | "$BUILD/lxcnet-oci" poststop; ok $? "poststop again: nothing to do, success"
# A pid in the host's own network namespace is refused: nothing is created on the host.
sleep 60 & hostpid=$!
IT_PIDS="$IT_PIDS $hostpid"
printf '{"ociVersion":"1.0.2","id":"lxcnet-it90-h","status":"created","pid":%s,"bundle":"/x","annotations":{"org.lxcnet.net0":"name=lxnt90h,bridge=%s"}}' \
	$hostpid $BR | "$BUILD/lxcnet-oci" createRuntime >"$T/host.out" 2>&1; r=$?
[ $r -ne 0 ] && grep -q "host's own" "$T/host.out" && [ ! -e /sys/class/net/lxnt90h ] && ! oci_if lxcnet-it90-h 0 >/dev/null
ok $? "createRuntime with a host process's pid fails, naming the host's namespace; nothing on the host ($(cat "$T/host.out"))"
kill $hostpid 2>/dev/null
# A host end of that name belonging to another container is not touched.
ip link add lxnt90x type veth peer name lxnt90y && IT_LINKS="$IT_LINKS lxnt90x"
ip link set lxnt90x alias "lxcnet-oci someone-else net0"
printf '{"id":"someone","pid":0}' | "$BUILD/lxcnet-oci" poststop
[ -d /sys/class/net/lxnt90x ]; ok $? "poststop leaves interfaces of other ids alone"

# A bad annotation fails the start with a message naming it; nothing is left.
ID=lxcnet-it90-c
bundle $ID "org.lxcnet.net0=name=eth0,bridge=nosuch0,tag=100"
! oci_run $ID; ok $? "an unknown bridge makes crun run fail"
grep -q "net0 of container '$ID': bridge: 'nosuch0'" "$T/oci/$ID/hooks.log"; ok $? "the error names net0 and the bridge"
! oci_if $ID 0 >/dev/null; ok $? "no host end is left"
crun_ delete -f $ID >/dev/null 2>&1
ID=lxcnet-it90-d
bundle $ID "org.lxcnet.net0=name=eth0,bridge=$BR,tag=100,ip=10.90.0.20/24" "org.lxcnet.net1=name=eth1,bridge=$BR,tag=9999"
! oci_run $ID; ok $? "tag=9999 on net1 makes crun run fail"
grep -q "Annotation 'org.lxcnet.net1': tag" "$T/oci/$ID/hooks.log"; ok $? "the error names the annotation and the key"
! oci_if $ID 0 >/dev/null; ok $? "net0, valid, was not left behind either"
crun_ delete -f $ID >/dev/null 2>&1
ID=lxcnet-it90-e
bundle $ID "org.lxcnet.nett0=name=eth0,bridge=$BR"
! oci_run $ID; ok $? "a misspelt org.lxcnet annotation makes crun run fail"
grep -q "Annotation 'org.lxcnet.nett0': unknown" "$T/oci/$ID/hooks.log"; ok $? "the error names it"
crun_ delete -f $ID >/dev/null 2>&1

# With lxcnetd running, a container that dies without poststop (crun skips it
# after a createRuntime failure; here it is killed and never deleted) loses
# its pair with its namespace, and the agent removes what the datapath kept.
private_bus || skip_all "cannot start dbus-daemon"
"$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" >"$T/agent.log" 2>&1 &
AGENT=$!; IT_PIDS="$IT_PIDS $AGENT"
for _ in $(seq 50); do busctl --address="$BUS" status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
ID=lxcnet-it90-f
bundle $ID "org.lxcnet.net0=name=eth0,bridge=$BR,tag=100,rate=5,ip=10.90.0.30/24"
oci_run $ID; ok $? "another crun container with rate=5 starts"
IFF=$(oci_if $ID 0); IDXF=$(cat "/sys/class/net/$IFF/ifindex" 2>/dev/null)
[ -d "/sys/class/net/lxr$IDXF" ] && has_entry "$IDXF"; ok $? "it has a shaper and a datapath entry"
crun_ kill $ID KILL >/dev/null 2>&1
wait_absent "$IFF" "lxr$IDXF"; ok $? "killed (no poststop yet): the agent removed its shaper as the pair went"
! has_entry "$IDXF"; ok $? "and its datapath entry"
# The ifb leaves /sys before its deletion returns, and the agent logs after that: the port was its binding.
for _ in $(seq 30); do grep -q "Interface '$IFF' of container '$ID' is gone, binding ended" "$T/agent.log" && break; sleep 0.1; done
grep -q "Interface '$IFF' of container '$ID' is gone, binding ended" "$T/agent.log"; ok $? "the agent logged it: the binding ended"
crun_ delete -f $ID >/dev/null 2>&1
kill "$AGENT"; wait "$AGENT" 2>/dev/null; ok $? "lxcnetd stops cleanly"

for c in 9001 9002; do ct_stop $c; done
! ip -o link show | grep -q ' oci[0-9a-f]\{8\}i'; ok $? "no oci host end is left on the host"
it_done
