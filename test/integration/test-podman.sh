#!/bin/sh
# podman as a client: lxcnet-cni networks and the lxcnet-oci hook under
# podman 4 (CNI backend, crun), as a user sets them up. A podman of the
# test's own: its root, run root, temp dir, containers.conf, network and
# hooks directories, image (busybox-static imported, no registry); what
# podman writes outside them (its lock in /dev/shm, libcni's cache, crun's
# state) is removed afterwards unless it was there before. lxcnetd, on a
# bus of the test's own, knows their ports as bindings of runtime cni and oci.
. "$(dirname "$0")/lib.sh"
it_init 66
it_need podman crun unshare python3 bpftool dbus-daemon busctl
BR=lxnt66
bridge $BR 1500 || skip_all "cannot create a bridge"

podman_private || skip_all "cannot set up a private podman"
private_bus || skip_all "dbus-daemon did not start"
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
# binding_field ID NET FIELD: a field of lxcnetctl binding's JSON ("" when there is no such binding)
binding_field() { ctl binding "$1" "$2" --json 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)['$3'])" 2>/dev/null; }
# bound ID: how many bindings lxcnetctl bindings lists for container ID
bound() { ctl bindings --json | python3 -c "import json,sys; print(sum(b['container'] == sys.argv[1] for b in json.load(sys.stdin)))" "$1"; }

# network NAME TAG RANGE-START RANGE-END [EXTRA]: an lxcnet-cni network on $BR, all in 10.66.0.0/24
network() {
	cat >"$PM/net/$1.conflist" <<EOF
{ "cniVersion": "1.0.0", "name": "$1",
  "plugins": [ { "type": "lxcnet-cni", "bridge": "$BR", "tag": $2 ${5:-},
                 "ipam": { "type": "host-local", "dataDir": "$PM/ipam",
                           "ranges": [[{ "subnet": "10.66.0.0/24", "rangeStart": "10.66.0.$3", "rangeEnd": "10.66.0.$4" }]] } } ] }
EOF
}
network lan100 100 10 99
network lan200 200 100 149
network lan100r 100 150 199 ', "rate": 5'

pm_image
ok $? "a busybox image imported (no registry)"
pm network ls --format '{{.Name}} {{.Driver}}' >"$T/nets" 2>&1
grep -qx 'lan100 lxcnet-cni' "$T/nets" && grep -qx 'lan200 lxcnet-cni' "$T/nets"
ok $? "podman network ls shows the lxcnet-cni networks"

DP0=$(dp_ports)
# run NAME ARGS...: a container sleeping on what ARGS say
run() {
	c=$1; shift
	pm run -d --name "$c" --cgroups=disabled --cap-add NET_RAW "$@" localhost/lxcnet-busybox sleep 300 >"$T/run-$c.log" 2>&1
}
addr() { pm exec "$1" ip -o -4 addr show eth0 2>/dev/null | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p'; }
ping_from() { pm exec "$1" ping -c 2 -W 1 "$2" >/dev/null 2>&1; }
run a1 --network lan100; ok $? "a container on lan100 (tag 100) runs"
run a2 --network lan100; ok $? "a second one"
run b1 --network lan200; ok $? "one on lan200 (tag 200), same bridge and subnet"
run r1 --network lan100r; ok $? "one on lan100r (tag 100, rate 5)"
A1=$(addr a1) A2=$(addr a2) B1=$(addr b1) R1=$(addr r1)
case "$A1 $A2 $B1 $R1" in
10.66.0.[1-9][0-9]\ 10.66.0.[1-9][0-9]\ 10.66.0.1[0-4][0-9]\ 10.66.0.1[5-9][0-9]) ok 0 "addresses from host-local, each in its network's range ($A1 $A2 $B1 $R1)" ;;
*) ok 1 "addresses from host-local, each in its network's range ($A1 $A2 $B1 $R1)" ;;
esac
ping_from a1 "$A2"; ok $? "a1 reaches a2 on VLAN 100"
! ping_from a1 "$B1"; ok $? "a1 does not reach b1 on VLAN 200"
ping_from a1 "$R1"; ok $? "a1 reaches r1: another network on the same tag"

# The OCI hook beside the CNI plugin: a NIC from an annotation (podman splits values at commas: inner quotes).
run o1 --network none --annotation "\"org.lxcnet.net0=name=eth0,bridge=$BR,tag=100,ip=10.66.0.250/24\"" \
	--annotation run.oci.hooks.stderr="$T/hooks.log"
ok $? "a container with --network none and an org.lxcnet.net0 annotation runs"
ping_from o1 "$A1"; ok $? "its NIC from lxcnet-oci reaches a1 (CNI) on VLAN 100"
! ping_from o1 "$B1"; ok $? "and not b1 on VLAN 200"

# Rate: the attachment's host end has its shaper.
CID=$(pm inspect --format '{{.Id}}' r1)
HR=$(ip -d -o link show | sed -n "s/^[0-9]*: \([^@:]*\).*alias lxcnet-cni lan100r $CID eth0.*/\1/p")
RIFB=lxr$(cat "/sys/class/net/$HR/ifindex" 2>/dev/null)
[ -n "$HR" ] && [ -d "/sys/class/net/$RIFB" ]
ok $? "r1's host end ($HR) has its shaper ($RIFB, rate 5)"

# lxcnetd, started now, finds them from their host ends' aliases; podman's 64-character ids are whole.
agent_up; ok $? "lxcnetd runs"
A1ID=$(pm inspect --format '{{.Id}}' a1); A2ID=$(pm inspect --format '{{.Id}}' a2); O1ID=$(pm inspect --format '{{.Id}}' o1)
[ "${#A1ID}" -eq 64 ] && [ "$(binding_field "$A1ID" lan100/eth0 runtime)" = cni ] &&
	[ "$(binding_field "$A1ID" lan100/eth0 net)" = lan100/eth0 ]
ok $? "a1's attachment is a binding: runtime cni, net lan100/eth0, container its whole id ($A1ID)"
HA1=$(binding_field "$A1ID" lan100/eth0 ifname)
ip -d -o link show "$HA1" 2>/dev/null | grep -q "alias lxcnet-cni lan100 $A1ID eth0"; ok $? "its host end is $HA1"
[ "$(binding_field "$O1ID" net0 runtime)" = oci ] && [ "$(binding_field "$O1ID" net0 firewall_enforcer)" = none ]
ok $? "o1's NIC from lxcnet-oci: runtime oci, net0, no firewall"
IDS="$A1ID $A2ID $O1ID $(pm inspect --format '{{.Id}}' b1) $(pm inspect --format '{{.Id}}' r1)"
# ours: how many bindings lxcnetctl bindings lists for the five containers
ours() { n=0; for i in $IDS; do n=$((n + $(bound "$i"))); done; echo $n; }
[ "$(bound "$A1ID")" = 1 ] && [ "$(bound "$O1ID")" = 1 ] && [ "$(ours)" = 5 ]
ok $? "lxcnetctl bindings lists the five, one for each ($(ours))"
ctl bindings --json | python3 -c '
import json, sys
r = {(b["container"], b["net"]): b["runtime"] for b in json.load(sys.stdin)}
assert r[(sys.argv[1], "lan100/eth0")] == "cni" and r[(sys.argv[2], "net0")] == "oci", r' "$A1ID" "$O1ID" &&
	ctl bindings | awk -v id="$O1ID" '$1 == id && $2 == "net0" { print $NF }' | grep -qx oci
ok $? "and says which runtime made each: cni for a1, oci for o1 (RUNTIME, runtime in JSON)"
ctl containers | grep -q "^$A1ID 1$"; ok $? "lxcnetctl containers lists a1's id with one interface"
ctl metrics --prometheus >"$T/metrics"
grep -q "^lxcnet_interface_packets_total{vmid=\"$A1ID\",net=\"lan100/eth0\",ifname=\"$HA1\",vnet=\"\",runtime=\"cni\",direction=\"from-container\"} [1-9]" "$T/metrics"
ok $? "the metrics count a1's packets, labelled runtime cni"
grep -q "^lxcnet_interface_packets_total{vmid=\"$O1ID\",net=\"net0\",.*runtime=\"oci\",direction=\"to-container\"} [1-9]" "$T/metrics"
ok $? "and o1's, labelled runtime oci"
ctl stats "$A1ID" lan100/eth0 --json >"$T/stats" 2>&1 &&
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["packets_from_container"] > 0 and j["firewall_rules"] == []' "$T/stats"
ok $? "lxcnetctl stats of a1's lan100/eth0: its packets, and no guest firewall rules ($(head -c 200 "$T/stats"))"
# Its restart: the bindings come back, with their start time (the state file keeps runtime and NIC).
since=$(binding_field "$A1ID" lan100/eth0 since_usec)
kill "$agent" && wait "$agent" 2>/dev/null; agent_up; ok $? "lxcnetd restarted"
[ -n "$since" ] && [ "$(binding_field "$A1ID" lan100/eth0 since_usec)" = "$since" ] && [ "$(ours)" = 5 ]
ok $? "after its restart a1's binding is there since the same time ($since), and the five are"
out=$(ctl binding "$A1ID" lan100 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "InvalidArgument"; ok $? "a NIC that is neither netN nor network/ifname: InvalidArgument ($out)"

pm network reload a1 >"$T/reload.log" 2>&1 && [ "$(addr a1)" = "$A1" ] && ping_from a1 "$A2"
ok $? "podman network reload: a1 keeps $A1 and still reaches a2"
pm restart -t 0 a2 >"$T/restart.log" 2>&1 && ping_from a2 "$A1"
ok $? "podman restart: a2 reaches a1 again" || sed 's/^/# /' "$T/restart.log"
[ "$(bound "$A2ID")" = 1 ] && [ "$(binding_field "$A2ID" lan100/eth0 ifname)" = "$(ip -d -o link show | sed -n "s/^[0-9]*: \([^@:]*\).*alias lxcnet-cni lan100 $A2ID eth0.*/\1/p")" ]
ok $? "lxcnetd followed: a2 has one binding, on its new host end"

# A static address: podman's --ip reaches host-local (done by lxcnet-cni) as CNI_ARGS IP=.
run s1 --network lan100 --ip 10.66.0.42; ok $? "a container with --ip 10.66.0.42 runs"
[ "$(addr s1)" = 10.66.0.42 ] && [ -f "$PM/ipam/lan100/10.66.0.42" ]
ok $? "it has 10.66.0.42, in host-local's reservation file ($(addr s1))"
ping_from s1 "$A1"; ok $? "and reaches a1"
pm rm -f -t 0 s1 >"$T/rm-s1.log" 2>&1 && [ ! -e "$PM/ipam/lan100/10.66.0.42" ]; ok $? "podman rm -f s1 releases it"

# Nothing left: host ends, shapers, addresses, datapath slots.
HOSTS=$(ip -d -o link show | grep -c 'alias lxcnet-\(cni\|oci\) ')
[ "$HOSTS" -eq 5 ]; ok $? "five host ends while they run ($HOSTS)"
# Exactly: a DEL that ran on other pins (the exit cleanup's environment) leaves a slot behind.
[ "$(dp_ports)" -eq $((DP0 + 5)) ]; ok $? "each in the datapath of the test's own pins, and nothing else ($(dp_ports) slots)" ||
	dp_owners | sed 's/^/# slot of /'
pm rm -f -t 0 a1 a2 b1 r1 o1 >"$T/rm.log" 2>&1; ok $? "podman rm -f all five"
HOSTS=$(ip -d -o link show | grep -c 'alias lxcnet-\(cni\|oci\) ')
[ "$HOSTS" -eq 0 ]; ok $? "no host end left ($HOSTS)"
[ ! -e "/sys/class/net/$RIFB" ]; ok $? "no shaper left ($RIFB)"
LEFT=$(find "$PM/ipam" -type f ! -name lock ! -name 'last_reserved_ip*' | wc -l)
[ "$LEFT" -eq 0 ]; ok $? "host-local holds no address ($LEFT)"
[ "$(dp_ports)" -eq "$DP0" ]; ok $? "no datapath slot left ($(dp_ports), $DP0 before)" || dp_owners | sed 's/^/# slot of /'
for _ in $(seq 20); do [ "$(ours)" = 0 ] && break; sleep 0.1; done
[ "$(ours)" = 0 ] && ! ctl containers | grep -q "$A1ID"
ok $? "their bindings went with them"
it_done
