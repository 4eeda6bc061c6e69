#!/bin/sh
# lxcnet-cni driven as a runtime drives it (CNI_* variables, configuration
# on stdin) against network namespaces: ADD, CHECK, DEL, GC, STATUS and
# VERSION, results and errors checked against the shapes of the CNI spec,
# host-local IPAM (done by lxcnet-cni, or the plugin run), VLAN isolation
# between attachments.
. "$(dirname "$0")/lib.sh"
it_init 89
command -v python3 >/dev/null || skip_all "python3 is not installed (contrib/deps.sh)"
IPAM_DIR=/usr/lib/cni
[ -x $IPAM_DIR/host-local ] || skip_all "containernetworking-plugins is not installed (contrib/deps.sh)"
BR=lxnt89
bridge $BR 1500 || skip_all "cannot create a bridge"
for ns in cni89a cni89b cni89c cni89d; do netns $ns || skip_all "cannot create a netns"; done
PLUGIN="$BUILD/lxcnet-cni"

# cni COMMAND NETNS CONTAINERID IFNAME < CONFIG: stdout to $T/out, exit status returned
cni() {
	env CNI_COMMAND="$1" CNI_NETNS="${2:+/run/netns/$2}" CNI_CONTAINERID="$3" CNI_IFNAME="$4" CNI_PATH="${CNI_PATH_:-$IPAM_DIR}" \
		CNI_ARGS="${CNI_ARGS_:-}" "$PLUGIN" >"$T/out" 2>"$T/err"
}
# conf VERSION KEYS-JSON: a network configuration "net89" with the given extra keys
conf() { printf '{"cniVersion":"%s","name":"net89","type":"lxcnet-cni",%s}' "$1" "$2"; }
IPAM='"ipam":{"type":"host-local","dataDir":"'$T'/ipam","ranges":[[{"subnet":"10.89.0.0/24","gateway":"10.89.0.1"}]],"routes":[{"dst":"0.0.0.0/0"}]}'
# shape KIND FILE [ARGS]: the spec's JSON shapes, checked in python
shape() {
	python3 - "$@" <<'PY'
import ipaddress, json, re, sys
kind, path, args = sys.argv[1], sys.argv[2], sys.argv[3:]
o = json.load(open(path))
mac = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
def need(c, what):
    if not c:
        print("# shape: " + what); sys.exit(1)
if kind == "version":
    need(o.get("cniVersion") == "1.1.0", "cniVersion")
    need(isinstance(o.get("supportedVersions"), list) and "1.1.0" in o["supportedVersions"] and "0.4.0" in o["supportedVersions"], "supportedVersions")
elif kind == "error":
    need(set(o) <= {"cniVersion", "code", "msg", "details"}, "only the error keys")
    need(isinstance(o.get("code"), int) and o["code"] == int(args[0]), "code %s, got %s" % (args[0], o.get("code")))
    need(isinstance(o.get("msg"), str) and o["msg"], "msg")
    need(isinstance(o.get("details"), str), "details")
    need(o.get("cniVersion") == args[1], "cniVersion " + args[1])
    if len(args) > 2:
        need(re.search(args[2], o["details"]), "details match " + args[2] + ": " + o["details"])
elif kind == "result":
    version, netns, ifname, nips = args[0], args[1], args[2], int(args[3])
    need(o.get("cniVersion") == version, "cniVersion")
    ifs = o.get("interfaces")
    need(isinstance(ifs, list) and len(ifs) == 2, "two interfaces")
    for i in ifs:
        need(isinstance(i.get("name"), str) and mac.match(i.get("mac", "")), "interface name and mac")
        need(("mtu" in i) == (version == "1.1.0"), "mtu only in 1.1.0")
    need("sandbox" not in ifs[0] and ifs[1].get("sandbox") == netns and ifs[1]["name"] == ifname, "container interface")
    ips = o.get("ips", [])
    need(isinstance(ips, list) and len(ips) == nips, "%d ips" % nips)
    for ip in ips:
        ipaddress.ip_interface(ip["address"])
        need(ip.get("interface") == 1, "ip on interface 1")
        if "gateway" in ip: ipaddress.ip_address(ip["gateway"])
        need(("version" in ip) == (version < "1.0.0"), "version key only before 1.0.0")
    for r in o.get("routes", []):
        ipaddress.ip_network(r["dst"], strict=False)
    need(isinstance(o.get("dns", {}), dict), "dns")
PY
}
host_if() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["interfaces"][0]["name"])' "$1"; }
with_prev() { python3 -c 'import json,sys; c=json.loads(sys.argv[1]); c["prevResult"]=json.load(open(sys.argv[2])); print(json.dumps(c))' "$1" "$2"; }

cni VERSION "" "" "" </dev/null; r=$?
[ $r -eq 0 ] && shape version "$T/out"; ok $? "VERSION: cniVersion and supportedVersions"

# ADD with host-local IPAM, tag 100, a MAC from CNI_ARGS (K8S keys ignored as asked).
A=$(conf 1.0.0 "\"bridge\":\"$BR\",\"tag\":100,$IPAM")
CNI_ARGS_="IgnoreUnknown=1;K8S_POD_NAME=a;MAC=bc:24:11:89:00:0a" cni ADD cni89a ctr-a eth0 <<EOF
$A
EOF
ok $? "ADD with host-local IPAM succeeds"
cp "$T/out" "$T/res-a"
shape result "$T/res-a" 1.0.0 /run/netns/cni89a eth0 1; ok $? "ADD result: interfaces, ips, routes, dns as the spec has them"
HA=$(host_if "$T/res-a")
[ "$(link_field "$HA")" = "master=$BR mtu=1500 up=1" ]; ok $? "the host end $HA is up on $BR"
[ "$(cat "/sys/class/net/$HA/ifalias")" = "lxcnet-cni net89 ctr-a eth0" ]; ok $? "it carries the attachment's alias"
tc filter show dev "$HA" ingress | grep -q tc_ingress; ok $? "the datapath is attached to it"
in_ns cni89a ip -o link show eth0 | grep -q 'link/ether bc:24:11:89:00:0a'; ok $? "eth0 in the namespace has CNI_ARGS' MAC"
ADDR_A=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ips"][0]["address"])' "$T/res-a")
in_ns cni89a ip -o addr show eth0 | grep -q "inet $ADDR_A"; ok $? "and the IPAM address $ADDR_A"
in_ns cni89a ip route show default | grep -q 'via 10.89.0.1 dev eth0'; ok $? "and the default route via the IPAM gateway"

B=$(conf 0.4.0 "\"bridge\":\"$BR\",\"tag\":100,$IPAM")
cni ADD cni89b ctr-b eth0 <<EOF
$B
EOF
ok $? "a second ADD, cniVersion 0.4.0"
cp "$T/out" "$T/res-b"
shape result "$T/res-b" 0.4.0 /run/netns/cni89b eth0 1; ok $? "0.4.0 result (ips with a version key)"
C=$(conf 1.1.0 "\"bridge\":\"$BR\",\"tag\":200,\"mtu\":1400,\"rate\":5")
cni ADD cni89c ctr-c net1 <<EOF
$C
EOF
ok $? "a third ADD, cniVersion 1.1.0, tag 200, mtu 1400, rate 5, no IPAM"
cp "$T/out" "$T/res-c"
shape result "$T/res-c" 1.1.0 /run/netns/cni89c net1 0; ok $? "1.1.0 result (interfaces with mtu, no ips)"
HC=$(host_if "$T/res-c")
in_ns cni89c ip -o link show net1 | grep -q 'mtu 1400'; ok $? "net1 has MTU 1400"
[ -d "/sys/class/net/lxr$(cat "/sys/class/net/$HC/ifindex")" ]; ok $? "rate 5: the shaper exists"
in_ns cni89c ip addr add 10.89.0.200/24 dev net1
ADDR_B=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ips"][0]["address"].split("/")[0])' "$T/res-b")
in_ns cni89a ping -c 2 -W 1 "$ADDR_B" >/dev/null 2>&1; ok $? "tag 100 reaches tag 100"
! in_ns cni89a ping -c 2 -W 1 10.89.0.200 >/dev/null 2>&1; ok $? "tag 100 does not reach tag 200"

# CHECK compares the kernel with prevResult.
with_prev "$A" "$T/res-a" >"$T/check-a"
cni CHECK cni89a ctr-a eth0 <"$T/check-a"; r=$?
[ $r -eq 0 ] && [ ! -s "$T/out" ]; ok $? "CHECK of a sound attachment: success, no output"
in_ns cni89a ip addr del "$ADDR_A" dev eth0
cni CHECK cni89a ctr-a eth0 <"$T/check-a"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 101 1.0.0 "does not have $ADDR_A"; ok $? "CHECK after the address went: error 101 naming it"
in_ns cni89a ip addr add "$ADDR_A" dev eth0
ip link set "$HA" nomaster
cni CHECK cni89a ctr-a eth0 <"$T/check-a"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 101 1.0.0 "not up on its bridge"; ok $? "CHECK of a host end off its bridge: error 101"
cni CHECK cni89a ctr-a eth0 <<EOF
$A
EOF
[ $? -ne 0 ] && shape error "$T/out" 7 1.0.0 prevResult; ok $? "CHECK without prevResult: error 7"

# DEL: the pair and the address go; a second DEL, and one without the namespace, succeed.
cni DEL cni89a ctr-a eth0 <<EOF
$A
EOF
r=$?; [ $r -eq 0 ] && [ ! -s "$T/out" ]; ok $? "DEL succeeds with no output"
wait_absent "$HA"; ok $? "the host end is gone"
! in_ns cni89a ip link show eth0 >/dev/null 2>&1; ok $? "eth0 is gone from the namespace"
! grep -rqx 'ctr-a' "$T/ipam/net89" 2>/dev/null; ok $? "host-local released the address"
cni DEL cni89a ctr-a eth0 <<EOF
$A
EOF
ok $? "DEL again succeeds"
cni DEL "" ctr-a eth0 <<EOF
$A
EOF
ok $? "DEL without CNI_NETNS succeeds"
HCI=$(cat "/sys/class/net/$HC/ifindex")
cni DEL cni89c ctr-c net1 <<EOF
$C
EOF
# Gone when DEL returns: the kernel's slow part runs on off the runtime's clock, the names do not.
[ ! -e "/sys/class/net/$HC" ] && [ ! -e "/sys/class/net/lxr$HCI" ]
ok $? "DEL of the rated attachment: its host end and shaper are gone when DEL returns"

# GC keeps the valid attachments of this network and removes the rest.
G=$(conf 1.1.0 "\"bridge\":\"$BR\",\"tag\":300")
for c in x y; do
	cni ADD cni89d ctr-$c eth-$c <<EOF
$G
EOF
done
HX=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["interfaces"][0]["name"])' "$T/out")
cni GC "" "" "" <<EOF
$(conf 1.1.0 "\"bridge\":\"$BR\",\"cni.dev/valid-attachments\":[{\"containerID\":\"ctr-x\",\"ifname\":\"eth-x\"},{\"containerID\":\"ctr-b\",\"ifname\":\"eth0\"}]")
EOF
ok $? "GC succeeds"
in_ns cni89d ip link show eth-x >/dev/null 2>&1; ok $? "GC kept the valid attachment"
! in_ns cni89d ip link show eth-y >/dev/null 2>&1 && wait_absent "$HX"; ok $? "GC removed the one not listed"
link_field "$(host_if "$T/res-b")" | grep -q "master=$BR"; ok $? "GC kept another valid attachment"

# STATUS
cni STATUS "" "" "" <<EOF
$(conf 1.1.0 "\"bridge\":\"$BR\"")
EOF
ok $? "STATUS: available"
cni STATUS "" "" "" <<EOF
$(conf 1.1.0 "\"bridge\":\"nosuch89\"")
EOF
[ $? -ne 0 ] && shape error "$T/out" 50 1.1.0 nosuch89; ok $? "STATUS with a missing bridge: error 50"

# host-local done by lxcnet-cni: the plugin (a wrapper that counts its runs) is not run, and
# the files are host-local's. A /30: 10.89.2.1 is the gateway, 10.89.2.2 the one address.
mkdir -p "$T/cnibin"
printf '#!/bin/sh\necho run >>"%s/plugin-runs"\nexec %s/host-local "$@"\n' "$T" "$IPAM_DIR" >"$T/cnibin/host-local"
chmod +x "$T/cnibin/host-local"
runs() { if [ -f "$T/plugin-runs" ]; then wc -l <"$T/plugin-runs"; else echo 0; fi; }
# msg_is TEXT: the error's msg is TEXT
msg_is() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["msg"]; print("# msg: " + m); sys.exit(m != sys.argv[2])' "$T/out" "$1"; }
ip4() { python3 -c 'import json,sys; i=json.load(open(sys.argv[1]))["ips"][0]; print(i["address"], i.get("gateway"))' "$T/out"; }
IPAM2='"ipam":{"type":"host-local","dataDir":"'$T'/ipam2","ranges":[[{"subnet":"10.89.2.0/30"}]]}'
H=$(conf 1.1.0 "\"bridge\":\"$BR\",\"tag\":400,$IPAM2")
CNI_PATH_="$T/cnibin" cni ADD cni89d ctr-h1 eth1 <<EOF
$H
EOF
r=$?; cp "$T/out" "$T/res-h1"
[ $r -eq 0 ] && [ "$(ip4)" = "10.89.2.2/30 10.89.2.1" ] && [ "$(runs)" -eq 0 ] && printf 'ctr-h1\r\neth1' | cmp -s - "$T/ipam2/net89/10.89.2.2"
ok $? "ADD with host-local, cniVersion 1.1.0: 10.89.2.2/30 via 10.89.2.1, the plugin not run, its file holding ctr-h1 CR LF eth1 ($(ip4), $(runs) runs)"
in_ns cni89d ip -o addr show eth1 | grep -q 'inet 10.89.2.2/30'; ok $? "eth1 in the namespace has it"
CNI_PATH_="$T/cnibin" cni ADD cni89c ctr-h2 eth1 <<EOF
$H
EOF
r=$?
[ $r -ne 0 ] && shape error "$T/out" 999 1.1.0 "host-local" &&
	msg_is "failed to allocate for range 0: no IP addresses available in range set: 10.89.2.1-10.89.2.2" &&
	! in_ns cni89c ip link show eth1 >/dev/null 2>&1 && [ "$(runs)" -eq 0 ]
ok $? "a second ADD when the range is used up: error 999 in host-local's words, nothing plugged"
with_prev "$H" "$T/res-h1" >"$T/check-h1"
CNI_PATH_="$T/cnibin" cni CHECK cni89d ctr-h1 eth1 <"$T/check-h1"; ok $? "CHECK finds its reservation"
CNI_PATH_="$T/cnibin" cni DEL cni89d ctr-h1 eth1 <"$T/check-h1"
[ $? -eq 0 ] && [ ! -e "$T/ipam2/net89/10.89.2.2" ] && [ "$(runs)" -eq 0 ]; ok $? "DEL releases it, the plugin not run"
CNI_PATH_="$T/cnibin" cni CHECK cni89d ctr-h1 eth1 <"$T/check-h1"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 999 1.1.0 && msg_is "host-local: Failed to find address added by container ctr-h1"
ok $? "CHECK after DEL: host-local's error"
CNI_PATH_="$T/cnibin" CNI_ARGS_="IP=10.89.2.2" cni ADD cni89d ctr-h4 eth1 <<EOF
$H
EOF
[ $? -eq 0 ] && [ "$(ip4)" = "10.89.2.2/30 10.89.2.1" ]; ok $? "CNI_ARGS IP=10.89.2.2: the static address ($(ip4))"
CNI_PATH_="$T/cnibin" cni DEL cni89d ctr-h4 eth1 <<EOF
$H
EOF
ok $? "and its DEL"
# What host-local would read otherwise ("Ranges": Go's JSON ignores case) runs the plugin, ADD and DEL.
H3=$(conf 1.0.0 "\"bridge\":\"$BR\",\"tag\":400,\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"$T/ipam2\",\"Ranges\":[[{\"subnet\":\"10.89.2.0/30\"}]]}")
CNI_PATH_="$T/cnibin" cni ADD cni89d ctr-h3 eth1 <<EOF
$H3
EOF
[ $? -eq 0 ] && [ "$(ip4)" = "10.89.2.2/30 10.89.2.1" ] && [ "$(runs)" -eq 1 ]
ok $? "\"Ranges\" instead of \"ranges\": the plugin runs and gives 10.89.2.2 ($(ip4), $(runs) runs)"
CNI_PATH_="$T/cnibin" cni DEL cni89d ctr-h3 eth1 <<EOF
$H3
EOF
[ $? -eq 0 ] && [ "$(runs)" -eq 2 ] && [ ! -e "$T/ipam2/net89/10.89.2.2" ]; ok $? "and its DEL, by the plugin"

# Errors: the spec's JSON, a non-zero exit, and nothing left behind.
before=$(ip -o link show | grep -c ' cni[0-9a-f]\{8\}')
# bad CODE VERSION PATTERN DESCRIPTION CONFIG: ADD fails with the spec's error (not in a pipe: ok counts here)
bad() {
	printf '%s' "$5" >"$T/bad.json"
	cni ADD cni89a ctr-bad eth0 <"$T/bad.json"; r=$?
	[ $r -ne 0 ] && shape error "$T/out" "$1" "$2" "$3"; ok $? "$4"
}
bad 6 1.1.0 . "malformed JSON: error 6" '{"cniVersion":'
bad 1 1.1.0 9.9.9 "unsupported cniVersion: error 1" "$(conf 9.9.9 "\"bridge\":\"$BR\"")"
bad 7 1.0.0 bridge "neither bridge nor vnet: error 7" "$(conf 1.0.0 '"tag":100')"
bad 7 1.0.0 nosuch89 "unknown bridge: error 7" "$(conf 1.0.0 "\"bridge\":\"nosuch89\"")"
bad 7 1.0.0 "tag" "tag 5000: error 7" "$(conf 1.0.0 "\"bridge\":\"$BR\",\"tag\":5000")"
bad 7 1.0.0 "tag: must be an integer" "tag as a string: error 7" "$(conf 1.0.0 "\"bridge\":\"$BR\",\"tag\":\"100\"")"
bad 7 1.0.0 "mtu" "mtu above the bridge's: error 7" "$(conf 1.0.0 "\"bridge\":\"$BR\",\"mtu\":9000")"
bad 7 1.0.0 "nope" "unknown IPAM plugin: error 7" "$(conf 1.0.0 "\"bridge\":\"$BR\",\"ipam\":{\"type\":\"nope\"}")"
# The IPAM runs while the NIC is plugged: a plug that fails gives its address back (counted below).
bad 7 1.0.0 nosuch89 "unknown bridge with IPAM: error 7" "$(conf 1.0.0 "\"bridge\":\"nosuch89\",$IPAM")"
bad 1 1.1.0 "host-local" "IPAM's own error passed on (builtinIpam false: the plugin, which knows no 1.1.0)" \
	"$(conf 1.1.0 "\"bridge\":\"$BR\",\"builtinIpam\":false,$IPAM")"
CNI_ARGS_="FOO=1"
bad 4 1.0.0 FOO "unknown CNI_ARGS key: error 4" "$(conf 1.0.0 "\"bridge\":\"$BR\"")"
CNI_ARGS_=""
conf 1.0.0 "\"bridge\":\"$BR\"" >"$T/plain.json"
cni ADD cni89a "" eth0 <"$T/plain.json"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 4 1.0.0 CNI_CONTAINERID; ok $? "no CNI_CONTAINERID: error 4"
cni ADD cni89none ctr-bad eth0 <"$T/plain.json"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 3 1.0.0 cni89none; ok $? "a namespace that does not exist: error 3"
# Hardening: values that would smuggle netN keys in, the host's own namespace, sizes, a second ADD, unknown keys.
bad 7 1.0.0 "trunks: '10,link_down=1" "trunks with a ',': error 7, nothing plugged" "$(conf 1.0.0 "\"bridge\":\"$BR\",\"trunks\":\"10,link_down=1\"")"
cni ADD cni89a ctr-bad "eth1,tag=99" <"$T/plain.json"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 4 1.0.0 "CNI_IFNAME: 'eth1,tag=99' is not an interface name"; ok $? "CNI_IFNAME with a ',': error 4"
env CNI_COMMAND=ADD CNI_NETNS=/proc/self/ns/net CNI_CONTAINERID=ctr-host CNI_IFNAME=lxnt89host CNI_PATH="$IPAM_DIR" \
	"$PLUGIN" <"$T/plain.json" >"$T/out" 2>"$T/err"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 4 1.0.0 "host's own" && [ ! -e /sys/class/net/lxnt89host ]
ok $? "CNI_NETNS of the host's own namespace: error 4, no interface on the host"
bad 7 1.0.0 "name: 'n{20}\.\.\.' is 300 characters" "a 300-character network name: error 7" \
	"$(printf '{"cniVersion":"1.0.0","name":"%s","type":"lxcnet-cni","bridge":"%s"}' "$(printf 'n%.0s' $(seq 300))" "$BR")"
python3 -c 'import json,sys; print(json.dumps({"cniVersion":"1.0.0","name":"net89","type":"lxcnet-cni","bridge":sys.argv[1],"pad":"x"*(1024*1024)}))' "$BR" >"$T/big.json"
cni ADD cni89a ctr-bad eth0 <"$T/big.json"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 7 1.1.0 "larger than 1048576 bytes"; ok $? "a config over 1 MiB: error 7 saying so"
bad 7 1.0.0 "'tga': unknown key" "a misspelt key with \"strict\": true: error 7" "$(conf 1.0.0 "\"bridge\":\"$BR\",\"tga\":100,\"strict\":true")"
conf 1.0.0 "\"bridge\":\"$BR\",\"tga\":100" >"$T/tga.json"
cni ADD cni89a ctr-tga eth5 <"$T/tga.json"; r=$?
[ $r -eq 0 ] && grep -q "warning: unknown key 'tga'" "$T/err"; ok $? "a misspelt key without strict: added, with a warning on stderr ($(cat "$T/err"))"
cni ADD cni89a ctr-tga eth5 <"$T/tga.json"; r=$?
[ $r -ne 0 ] && shape error "$T/out" 100 1.0.0 "exists already.*DEL it first"; ok $? "a second ADD of the same attachment: error 100 saying it exists"
cni DEL cni89a ctr-tga eth5 <"$T/tga.json"; ok $? "and DEL of it"
[ "$(ip -o link show | grep -c " cni[0-9a-f]\{8\}")" = "$before" ]; ok $? "failed ADDs left no host end"
[ "$(ls "$T/ipam/net89" | grep -c '^10\.89')" -eq 1 ]
ok $? "failed ADDs left no IPAM reservation (only ctr-b's)"

for c in x; do
	cni DEL cni89d ctr-$c eth-$c <<EOF
$G
EOF
done
cni DEL cni89b ctr-b eth0 <<EOF
$B
EOF
! ip -o link show | grep -q ' cni[0-9a-f]\{8\}'; ok $? "no cni host end is left"
it_done
