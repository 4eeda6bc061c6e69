#!/bin/sh
# lxcnetctl's offline verbs against a temporary pve-dir: output, exit codes, error lines.
set -u

LXCNETCTL=${LXCNETCTL:-./lxcnetctl}
n=0
fail=0
tmp=$(mktemp -d /tmp/lxcnet-ctl-XXXXXX) || { echo "1..0 # SKIP no temp dir"; exit 0; }
trap 'rm -rf "$tmp"' EXIT INT TERM

ok() { # ok COND-EXIT-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fail=$((fail + 1)); fi
}
# run: stdout to $tmp/out, stderr to $tmp/err, exit status in $rc
run() { "$LXCNETCTL" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
contains() { grep -qF -- "$2" "$1"; }

mkdir -p "$tmp/pve/lxc" "$tmp/pve/sdn" "$tmp/other/lxc"
cat >"$tmp/pve/lxc/100.conf" <<'CONF'
#web server
arch: amd64
hostname: web
lxc.apparmor.profile: unconfined
net0: bridge=vmbr0,name=eth0,hwaddr=bc:24:11:4d:b0:ff,ip=192.0.2.10/24,gw=192.0.2.1,tag=100,firewall=1
net10: name=eth10,bridge=myvnet,trunks=300;200,rate=2.5,mtu=1400
net2: name=eth2,bridge=vmbr0,link_down=1,host-managed=1,ip=dhcp

[snap1]
net0: name=eth0,bridge=old
CONF
printf 'net1: name=eth1,tag=5000\n' >"$tmp/pve/lxc/101.conf"
printf 'net0: name=other0\n' >"$tmp/other/lxc/100.conf"
cat >"$tmp/pve/sdn/.running-config" <<'JSON'
{"version": 3,
 "zones": {"ids": {"myzone": {"type": "vlan", "bridge": "lxnt0br", "nodes": {"pve-nowhere": 1}},
                   "qz": {"type": "qinq", "bridge": "lxnt0br", "tag": 20}}},
 "vnets": {"ids": {"myvnet": {"type": "vnet", "zone": "myzone", "tag": 100},
                   "qv": {"type": "vnet", "zone": "qz", "tag": 7}}}}
JSON

run --pve-dir "$tmp/pve" config show 100
ok $rc "config show exits 0"
contains "$tmp/out" "net0   eth0       vmbr0           BC:24:11:4D:B0:FF  192.0.2.10/24        100"; ok $? "config show: net0 row normalized"
contains "$tmp/out" "net10  eth10      myvnet"; ok $? "config show: net10 row"
contains "$tmp/out" "200;300"; ok $? "config show: trunks sorted"
! contains "$tmp/out" "old"; ok $? "config show: snapshot NIC not shown"
[ "$(grep -c '^net' "$tmp/out")" -eq 3 ]; ok $? "config show: three NICs"

run --pve-dir "$tmp/pve" config show 100 --json
ok $rc "config show --json exits 0"
python3 - "$tmp/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
nets = {n["net"]: n for n in d["nets"]}
assert d["vmid"] == "100"
assert set(nets) == {"net0", "net2", "net10"}, nets.keys()
n0 = nets["net0"]
assert n0["tag"] == 100 and n0["firewall"] is True and n0["hwaddr"] == "BC:24:11:4D:B0:FF"
assert n0["spec"] == "name=eth0,bridge=vmbr0,firewall=1,gw=192.0.2.1,hwaddr=BC:24:11:4D:B0:FF,ip=192.0.2.10/24,tag=100", n0["spec"]
assert nets["net10"]["trunks"] == [200, 300] and nets["net10"]["rate"] == 2.5 and nets["net10"]["mtu"] == 1400
assert nets["net2"]["link_down"] is True and nets["net2"]["host-managed"] is True
PY
ok $? "config show --json: values typed and normalized"

run --pve-dir "$tmp/pve" config check 100
[ $rc -eq 0 ] && [ ! -s "$tmp/err" ] && [ ! -s "$tmp/out" ]; ok $? "config check of a valid config: exit 0, silent"
run --pve-dir "$tmp/pve" config check 101
[ $rc -eq 1 ]; ok $? "config check of an invalid config: exit 1"
[ "$(cat "$tmp/err")" = "101.conf:1: net1: tag: 5000 is out of range 1..4094" ]; ok $? "config check names file, line, key and reason"
run --pve-dir "$tmp/pve" config check 404
[ $rc -eq 1 ] && contains "$tmp/err" "$tmp/pve/lxc/404.conf: No such file or directory"; ok $? "config check of a missing config names the file"
run --pve-dir "$tmp/pve" --conf-dir "$tmp/conf" config check abc
[ $rc -eq 1 ] && contains "$tmp/err" "$tmp/conf/lxc/abc.conf: No such file or directory"; ok $? "a name is a plain LXC container, read from the conf-dir"
run --pve-dir "$tmp/pve" config check ../x
[ $rc -eq 1 ] && contains "$tmp/err" "'../x' is not a VMID or container name"; ok $? "a name with a slash is rejected"
mkdir -p "$tmp/conf/lxc"; printf 'net0: name=eth0,bridge=br0\n' >"$tmp/conf/lxc/web.conf"
run --conf-dir "$tmp/conf" lxc-config web
contains "$tmp/out" "lxc.net.0.veth.pair = vethwebi0"; ok $? "lxc-config for a plain LXC container names its veth veth<name>i<N>"
run --conf-dir "$tmp/conf" lxc-config averylongname
[ $rc -eq 1 ]; ok $? "lxc-config for a missing plain container fails"

LXCNET_PVE_DIR="$tmp/other" "$LXCNETCTL" config show 100 >"$tmp/out" 2>&1
contains "$tmp/out" "other0"; ok $? "LXCNET_PVE_DIR selects the pve-dir"
LXCNET_PVE_DIR="$tmp/other" "$LXCNETCTL" --pve-dir "$tmp/pve" config show 100 >"$tmp/out" 2>&1
contains "$tmp/out" "eth10" && ! contains "$tmp/out" "other0"; ok $? "--pve-dir overrides LXCNET_PVE_DIR"

run --pve-dir "$tmp/pve" lxc-config 100
ok $rc "lxc-config exits 0"
cat >"$tmp/expected" <<EOF2
lxc.net.0.type = veth
lxc.net.0.veth.pair = veth100i0
lxc.net.0.hwaddr = BC:24:11:4D:B0:FF
lxc.net.0.name = eth0
lxc.net.0.script.up = @HOOKS@/lxcnet-netup
lxc.net.10.type = veth
lxc.net.10.veth.pair = veth100i10
lxc.net.10.name = eth10
lxc.net.10.mtu = 1400
lxc.net.10.script.up = @HOOKS@/lxcnet-netup
lxc.net.2.type = veth
lxc.net.2.veth.pair = veth100i2
lxc.net.2.name = eth2
lxc.net.2.script.up = @HOOKS@/lxcnet-netup
EOF2
hooks=$(sed -n 's/^lxc.net.0.script.up = \(.*\)\/lxcnet-netup$/\1/p' "$tmp/out")
sed -i "s|@HOOKS@|$hooks|" "$tmp/expected"
[ -n "$hooks" ] && diff -u "$tmp/expected" "$tmp/out" >&2; ok $? "lxc-config: Proxmox's lines in Proxmox's key order (net0, net10, net2)"
contains "$tmp/err" "net0: bridge 'vmbr0' not found, no mtu line written"; ok $? "lxc-config warns when the bridge MTU is unknown"
run --pve-dir "$tmp/pve" lxc-config 100 --start-host
{ echo "lxc.hook.start-host = $hooks/lxcnet-netup"; grep -v script.up "$tmp/expected"; } >"$tmp/expected-sh"
[ $rc -eq 0 ] && diff -u "$tmp/expected-sh" "$tmp/out" >&2; ok $? "lxc-config --start-host: one start-host line, the NIC lines without script.up"

run --pve-dir "$tmp/pve" sdn show
ok $rc "sdn show exits 0"
contains "$tmp/out" "myzone    vlan    lxnt0br"; ok $? "sdn show: zone row"
contains "$tmp/out" "is not available on node"; ok $? "sdn show: VNet restricted to another node says so"
contains "$tmp/out" "VNet 'qv': bridge 'lxnt0br' of zone 'qz' does not exist"; ok $? "sdn show: missing zone bridge reported"
run --pve-dir "$tmp/pve" sdn show --json
python3 - "$tmp/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == 3
z = {x["id"]: x for x in d["zones"]}
assert z["myzone"]["nodes"] == ["pve-nowhere"] and z["qz"]["tag"] == 20
v = {x["id"]: x for x in d["vnets"]}
assert v["myvnet"]["tag"] == 100 and "error" in v["myvnet"]["plug"]
PY
ok $? "sdn show --json: zones, vnets and plug errors"

mkdir -p "$tmp/empty"
run --pve-dir "$tmp/empty" sdn show --json
[ $rc -eq 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["zones"] == [] and d["vnets"] == []' "$tmp/out"
ok $? "sdn show with no SDN config: empty lists"
printf 'vlan: z1\n' >"$tmp/empty/x"; mkdir -p "$tmp/bad/sdn"; printf 'vlan: z1\n' >"$tmp/bad/sdn/zones.cfg"
run --pve-dir "$tmp/bad" sdn show
[ $rc -eq 1 ] && contains "$tmp/err" "zones.cfg:1: z1: bridge: missing (required)"; ok $? "sdn show from .cfg files reports their errors"

mkdir -p "$tmp/st/priv/storage"
printf 'nfs: nas\n\tserver 10.0.0.2\n\texport /e\n\tpath /mnt/pve/nas\n\ncifs: smb\n\tserver 10.0.0.3\n\tshare s\n\tpath /mnt/pve/smb\n\tusername u\n' >"$tmp/st/storage.cfg"
run --pve-dir "$tmp/st" storage check nas
[ $rc -eq 0 ] && grep -q "^nas  *nfs  *10.0.0.2 tcp/111 udp/111 tcp/2049$" "$tmp/out"; ok $? "storage check: a valid nfs storage and its endpoint"
run --pve-dir "$tmp/st" storage check
[ $rc -eq 1 ] && grep -q "^smb  *invalid: smb: username: 'u' needs its password file '$tmp/st/priv/storage/smb.pw'.*\[no-password-file\]" "$tmp/out"
ok $? "storage check: every network storage, the named error of the bad one, exit 1"
run --pve-dir "$tmp/st" storage configure san
[ $rc -eq 2 ] && contains "$tmp/err" "needs --interface"; ok $? "storage configure without --interface: exit 2"

run frobnicate
[ $rc -eq 2 ] && contains "$tmp/err" "unknown command"; ok $? "unknown command: exit 2"
run
[ $rc -eq 2 ]; ok $? "no command: exit 2"
run --bogus
[ $rc -eq 2 ]; ok $? "unknown option: exit 2"
run --help
[ $rc -eq 0 ] && contains "$tmp/out" "config show CT" && contains "$tmp/out" "lxc-config CT" && contains "$tmp/out" "--conf-dir" && contains "$tmp/out" "Exit status"
ok $? "--help lists the verbs and exit codes"
run --version
[ $rc -eq 0 ] && grep -q '^lxcnetctl [0-9]' "$tmp/out"; ok $? "--version"

echo "1..$n"
exit 0
