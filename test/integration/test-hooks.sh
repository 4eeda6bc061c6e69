#!/bin/sh
# Container start/stop with the lxcnet hooks, on real busybox containers.
. "$(dirname "$0")/lib.sh"
it_init 91

B1=lxnt91a     # MTU 1450: the host veth must take the bridge's MTU
B2=lxnt91b
bridge $B1 1450 || skip_all "cannot create bridges"
bridge $B2 1500

# --- Two containers on one bridge: name, MAC, MTU; host side on the bridge; they ping.
pve_conf 9101 "net0: name=lan0,bridge=$B1,hwaddr=BC:24:11:91:01:00,ip=10.91.0.1/24,host-managed=1,mtu=1400"
pve_conf 9102 "net0: name=lan0,bridge=$B1,hwaddr=BC:24:11:91:02:00,ip=10.91.0.2/24,host-managed=1,mtu=1400" \
	"net1: name=side1,bridge=$B2,hwaddr=BC:24:11:91:02:01"
ct_create 9101 && ct_create 9102
ct_start 9101; ok $? "container 9101 starts"
ct_start 9102; ok $? "container 9102 starts"
[ "$(ct_state 9101)" = RUNNING ] && [ "$(ct_state 9102)" = RUNNING ]; ok $? "both RUNNING"
[ "$(link_field veth9101i0)" = "master=$B1 mtu=1450 up=1" ]; ok $? "veth9101i0 on $B1 with the bridge MTU, up ($(link_field veth9101i0))"
[ "$(link_field veth9102i0)" = "master=$B1 mtu=1450 up=1" ]; ok $? "veth9102i0 on $B1 ($(link_field veth9102i0))"
[ "$(link_field veth9102i1)" = "master=$B2 mtu=1500 up=1" ]; ok $? "veth9102i1 on $B2 ($(link_field veth9102i1))"
out=$(ct_exec 9101 cat /sys/class/net/lan0/address /sys/class/net/lan0/mtu 2>&1 | tr '\n' ' ')
[ "$out" = "bc:24:11:91:01:00 1400 " ]; ok $? "inside 9101: lan0 with the configured MAC and MTU ($out)"
out=$(ct_exec 9102 cat /sys/class/net/side1/address 2>&1)
[ "$out" = "bc:24:11:91:02:01" ]; ok $? "inside 9102: second NIC side1 ($out)"
ct_exec 9101 ping -c 2 -W 2 10.91.0.2 >/dev/null 2>&1; ok $? "9101 pings 9102 over $B1"
ct_exec 9102 ping -c 2 -W 2 10.91.0.1 >/dev/null 2>&1; ok $? "9102 pings 9101"

# --- Stop: nothing of the container is left on the host.
ct_stop 9102; ok $? "9102 stops"
wait_absent veth9102i0 veth9102i1; ok $? "no host veth of 9102 left"

# --- link_down=1: host veth down and not on the bridge; the container runs.
pve_conf 9103 "net0: name=eth0,bridge=$B1,link_down=1"
ct_create 9103
ct_start 9103; ok $? "container with link_down=1 starts"
[ "$(ct_state 9103)" = RUNNING ]; ok $? "it is RUNNING"
[ "$(link_field veth9103i0)" = "master=- mtu=1450 up=0" ]; ok $? "veth9103i0 down and unattached ($(link_field veth9103i0))"
ct_stop 9103

# --- A plain LXC container (not a VMID): its netN lines live in the lxcnet conf-dir.
printf 'net0: name=eth0,bridge=%s,hwaddr=BC:24:11:91:0A:00\n' "$B2" >"$T/conf/lxc/web91.conf"
ct_create web91
grep -q '^lxc.net.0.veth.pair = vethweb91i0$' "$T/lxc/web91/config"; ok $? "plain container: lxc-config names the veth vethweb91i0"
ct_start web91; ok $? "plain container web91 starts"
[ "$(link_field vethweb91i0)" = "master=$B2 mtu=1500 up=1" ]; ok $? "vethweb91i0 plugged into $B2 ($(link_field vethweb91i0))"
ct_stop web91
wait_absent vethweb91i0; ok $? "plain container: nothing left after stop"

# --- SDN VNets from a .running-config in the pve-dir.
cat >"$T/pve/sdn/.running-config" <<JSON
{"version": 1,
 "zones": {"ids": {"zv": {"type": "vlan", "bridge": "$B2"},
                   "zs": {"type": "simple"},
                   "zo": {"type": "vlan", "bridge": "$B2", "nodes": {"not-this-node": 1}}}},
 "vnets": {"ids": {"vnbr": {"type": "vnet", "zone": "zv", "tag": 30},
                   "vntag": {"type": "vnet", "zone": "zv", "tag": 40},
                   "vns": {"type": "vnet", "zone": "zs"},
                   "vnother": {"type": "vnet", "zone": "zo", "tag": 50}}}}
JSON
bridge vnbr 1500   # Proxmox's SDN created the VNet's bridge: lxcnet plugs into it as is
pve_conf 9104 "net0: name=eth0,bridge=vnbr"
ct_create 9104
ct_start 9104; ok $? "NIC on a VNet whose bridge exists starts"
[ "$(link_field veth9104i0)" = "master=vnbr mtu=1500 up=1" ]; ok $? "plugged into the VNet bridge ($(link_field veth9104i0))"
ct_stop 9104
pve_conf 9105 "net0: name=eth0,bridge=vntag"
ct_create 9105
ct_start 9105; ok $? "NIC on a vlan-zone VNet without its own bridge starts"
[ "$(link_field veth9105i0)" = "master=$B2 mtu=1500 up=1" ]; ok $? "plugged into the zone's bridge $B2 ($(link_field veth9105i0))"
tc filter show dev veth9105i0 ingress | grep -q tc_ingress; ok $? "with the datapath attached (VLAN 40 pushed there)"
ct_stop 9105

# --- Each invalid config makes lxc-start fail, and the log names the key.
refused() { # refused VMID NETLINE EXPECTED-TEXT DESCRIPTION
	pve_conf "$1" "$2"
	ct_create "$1"
	ct_start "$1"; rc=$?
	[ $rc -ne 0 ] && [ "$(ct_state "$1")" != RUNNING ]; ok $? "$4: lxc-start fails"
	grep -qF -- "$3" "$T/start-$1.log"; ok $? "$4: log says '$3'"
	wait_absent "veth${1}i0"; ok $? "$4: no host veth left"
}
refused 9110 "net0: name=eth0,bridge=nosuchbr0" \
	"Refusing to start container '9110': net0: bridge: 'nosuchbr0' is neither a bridge nor an SDN VNet" "unknown bridge"
refused 9111 "net0: name=eth0,bridge=$B1,mtu=9000" \
	"net0: mtu: 9000 is bigger than the MTU 1450 of bridge '$B1'" "MTU above the bridge MTU"
refused 9112 "net0: name=eth0,bridge=$B1,tag=5000" "9112.conf:3: net0: tag: 5000 is out of range 1..4094" "bad tag"
refused 9113 "net0: name=eth0,bridge=vnother" \
	"net0: bridge: VNet 'vnother': zone 'zo' is not available on node" "VNet not allowed on this node"
refused 9114 "net0: name=eth0,bridge=vns" "net0: bridge: VNet 'vns': simple zone 'zs' needs the VNet bridge 'vns'" \
	"simple VNet without its bridge"
refused 9116 "net0: name=eth0,bridge=$B1,rate=3000" "net0: rate: 3000 MiB/s is outside what tbf can shape" \
	"rate beyond what tbf can shape"
refused 9117 "net0: name=eth0,bridge=vnbr,tag=7" "net0: tag: not allowed on VNet 'vnbr' (not VLAN-aware)" \
	"tag on a VNet that is not VLAN-aware"

pve_conf 9118 "net0: name=eth0,bridge=$B1" "net1: name=eth0,bridge=$B1"
ct_create 9118
ct_start 9118; [ $? -ne 0 ] && grep -qF "net1: name: 'eth0' is already used by net0" "$T/start-9118.log"
ok $? "duplicate name with two NICs: refused, log names net1"

ct_create 9119
rm -f "$T/pve/lxc/9119.conf"
ct_start 9119; rc=$?
[ $rc -ne 0 ] && grep -qF "$T/pve/lxc/9119.conf: No such file or directory" "$T/start-9119.log"
ok $? "missing config file: start fails, log names the file"

# --- A start that fails half way: net0 plugged, then LXC cannot create net1.
pve_conf 9120 "net0: name=eth0,bridge=$B1" "net1: name=eth1,bridge=$B1"
ct_create 9120
ip link add veth9120i1 type bridge && IT_LINKS="$IT_LINKS veth9120i1"   # LXC's net1 pair name is taken
ct_start 9120; rc=$?
[ $rc -ne 0 ]; ok $? "start fails half way (net1's host name taken)"
wait_absent veth9120i0 veth9120i1
ok $? "after the failed start no host interface of 9120 remains (post-stop cleans up)"

# --- post-stop removes what a crashed start left behind, and only that container's.
ip link add veth9121i3 type veth peer name lxnt91p && IT_LINKS="$IT_LINKS veth9121i3 lxnt91p"
ip link add veth91210i0 type veth peer name lxnt91q && IT_LINKS="$IT_LINKS veth91210i0 lxnt91q"
pve_conf 9121 "net0: name=eth0,bridge=$B1"
ct_create 9121
ct_start 9121 && ct_stop 9121; ok $? "9121 starts and stops"
wait_absent veth9121i3; ok $? "post-stop removed the leftover veth9121i3"
[ -d /sys/class/net/veth91210i0 ]; ok $? "post-stop left veth91210i0 (container 91210's) alone"
LXC_NAME=9121 "$BUILD/lxcnet-poststop" 9121 lxc post-stop; ok $? "post-stop again: nothing to do, exit 0"
LXC_NAME=9121 LXC_HOOK_TYPE=post-stop LXC_HOOK_SECTION=lxc "$BUILD/lxcnet-poststop"; ok $? "post-stop with hook version 1"
# Run on a running container, or as another hook type, it removes nothing.
ct_start 9121
link_field veth9121i0 | grep -q "^master=$B1 .* up=1$"; ok $? "9121 runs again, veth9121i0 plugged"
LXC_NAME=9121 LXC_HOOK_TYPE= LXC_CONFIG_FILE="$T/lxc/9121/config" "$BUILD/lxcnet-poststop" >"$T/ps.out" 2>&1; r=$?
[ $r -ne 0 ] && [ -d /sys/class/net/veth9121i0 ]; ok $? "post-stop with an empty hook type: refused, veth9121i0 kept ($(cat "$T/ps.out"))"
LXC_NAME=9121 LXC_CONFIG_FILE="$T/lxc/9121/config" "$BUILD/lxcnet-poststop" 9121 lxc post-stop >"$T/ps.out" 2>&1; r=$?
[ $r -ne 0 ] && grep -q "it is running" "$T/ps.out" && link_field veth9121i0 | grep -q "^master=$B1 .* up=1$"
ok $? "post-stop of a running container: refused, veth9121i0 kept ($(cat "$T/ps.out"))"
ct_stop 9121

# --- lxcnet-netup once as lxc.hook.start-host plugs every NIC (lxc-config --start-host).
pve_conf 9150 "net0: name=lan0,bridge=$B1,hwaddr=BC:24:11:91:50:00,ip=10.91.0.50/24,host-managed=1" \
	"net1: name=side1,bridge=$B2,tag=100" "net2: name=off2,bridge=$B1,link_down=1"
ct_create 9150 start-host
grep -q "^lxc.hook.start-host = $BUILD/lxcnet-netup\$" "$T/lxc/9150/config" && ! grep -q 'script.up' "$T/lxc/9150/config"
ok $? "start-host wiring: one lxc.hook.start-host line, no script.up"
ct_start 9150; ok $? "container 9150 (start-host) starts"
[ "$(link_field veth9150i0)" = "master=$B1 mtu=1450 up=1" ]; ok $? "start-host: veth9150i0 on $B1, bridge MTU, up ($(link_field veth9150i0))"
[ "$(link_field veth9150i1)" = "master=$B2 mtu=1500 up=1" ]; ok $? "start-host: veth9150i1 on $B2 ($(link_field veth9150i1))"
[ "$(link_field veth9150i2)" = "master=- mtu=1450 up=0" ]; ok $? "start-host: link_down veth9150i2 down, unattached ($(link_field veth9150i2))"
idx1=$(cat /sys/class/net/veth9150i1/ifindex 2>/dev/null)
[ "$(dp_port "$idx1" tag)" = 100 ]; ok $? "start-host: veth9150i1's datapath policy has tag 100"
out=$(ct_exec 9150 cat /sys/class/net/lan0/address 2>&1)
[ "$out" = "bc:24:11:91:50:00" ]; ok $? "inside 9150: lan0 with its MAC ($out)"
ct_exec 9150 ping -c 2 -W 2 10.91.0.1 >/dev/null 2>&1; ok $? "9150 pings 9101 (script.up wiring) over $B1"
ct_stop 9150
wait_absent veth9150i0 veth9150i1 veth9150i2; ok $? "start-host: no host veth left after stop"
! dp_port "$idx1" >/dev/null; ok $? "start-host: no datapath entry left after stop"

pve_conf 9151 "net0: name=eth0,bridge=$B2"
ct_create 9151 start-host
echo "lxc.hook.version = 1" >>"$T/lxc/9151/config"
ct_start 9151; ok $? "start-host with lxc.hook.version = 1 starts"
[ "$(link_field veth9151i0)" = "master=$B2 mtu=1500 up=1" ]; ok $? "...and plugs veth9151i0 ($(link_field veth9151i0))"
ct_stop 9151

# A netN with no lxc.net.N in LXC's config: the start fails, naming the missing interface, and leaves nothing.
pve_conf 9152 "net0: name=eth0,bridge=$B1" "net1: name=eth1,bridge=$B1"
ct_create 9152 start-host
sed -i '/^lxc\.net\.1\./d' "$T/lxc/9152/config"
ct_start 9152; rc=$?
[ $rc -ne 0 ] && grep -qF "no host interface 'veth9152i1'" "$T/start-9152.log"
ok $? "start-host: netN without its LXC veth fails the start, naming veth9152i1"
wait_absent veth9152i0; ok $? "...and no host interface of 9152 remains"

# --- 20 containers started concurrently are all plugged correctly.
i=0
while [ $i -lt 20 ]; do
	id=$((9130 + i))
	pve_conf $id "net0: name=eth0,bridge=$B1,hwaddr=BC:24:11:91:30:$(printf %02X $i),ip=10.91.1.$((i + 1))/24,host-managed=1"
	ct_create $id || break
	i=$((i + 1))
done
pids=""
for id in $(seq 9130 9149); do ct_start $id & pids="$pids $!"; done
started=0
for p in $pids; do wait "$p" && started=$((started + 1)); done
[ $started -eq 20 ]; ok $? "20 concurrent starts succeed ($started)"
good=0
for id in $(seq 9130 9149); do
	[ "$(ct_state $id)" = RUNNING ] && [ "$(link_field veth${id}i0)" = "master=$B1 mtu=1450 up=1" ] && good=$((good + 1))
done
[ $good -eq 20 ]; ok $? "all 20 RUNNING and plugged into $B1 ($good)"
ct_exec 9130 ping -c 1 -W 2 10.91.1.20 >/dev/null 2>&1; ok $? "first reaches the last over the bridge"
for id in $(seq 9130 9149); do ct_stop $id & done; wait
wait_absent $(seq -f 'veth%gi0' 9130 9149)
left=$(ls /sys/class/net | grep -c '^veth91[34][0-9]i' || true)
[ "$left" -eq 0 ]; ok $? "after stopping all 20, no host veth left ($left)"

# --- Proxmox's guest firewall (cluster.fw and <vmid>.fw enable: 1, firewall=1) is never silently bypassed.
mkdir -p "$T/pve/firewall" "$T/pve/nodes/$(uname -n | cut -d. -f1)"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
# ips: 1, which lxcnet does not enforce: Proxmox's firewall enforces it.
printf '[OPTIONS]\nenable: 1\nips: 1\npolicy_in: DROP\n\n[RULES]\nIN ACCEPT -p tcp -dport 22\nIN REJECT -p tcp -dport 23\n' >"$T/pve/firewall/9160.fw"
pve_conf 9160 "net0: name=eth0,bridge=$B1,hwaddr=BC:24:11:91:60:00,ip=10.91.2.60/24,firewall=1,host-managed=1"
ct_create 9160
# With pve-firewall (iptables), Proxmox's firewall bridge: test-firewall.sh, in a namespace of its own.
# proxmox-firewall (host.fw nftables: 1, installed): the veth on the bridge is what it filters; nothing of lxcnet's on top.
printf '[OPTIONS]\nnftables: 1\n' >"$T/pve/nodes/$(uname -n | cut -d. -f1)/host.fw"
LXCNET_PROXMOX_FIREWALL=/bin/true ct_start 9160; ok $? "firewall in effect with proxmox-firewall (nftables): the container starts"
idx=$(cat /sys/class/net/veth9160i0/ifindex 2>/dev/null)
[ "$(link_field veth9160i0)" = "master=$B1 mtu=1450 up=1" ] && flags=$(dp_port "$idx" flags 2>/dev/null || echo 0) && [ "$flags" = 0 ]
ok $? "veth9160i0 is on $B1 without lxcnet's anti-spoofing (filter flags ${flags:-?})"
ct_stop 9160
# Not in effect (the guest's enable: 0): Proxmox filters nothing, nor does lxcnet by default. A container that
# changes its MAC and address still talks; with "firewall always" in lxcnet.conf, lxcnet's anti-spoofing stops it.
printf '[OPTIONS]\nenable: 0\n' >"$T/pve/firewall/9160.fw"
pve_conf 9161 "net0: name=eth0,bridge=$B1,hwaddr=BC:24:11:91:61:00,ip=10.91.2.61/24,host-managed=1"
ct_create 9161 && ct_start 9161
ct_start 9160; ok $? "guest firewall off: the container starts"
idx=$(cat /sys/class/net/veth9160i0/ifindex 2>/dev/null)
flags=$(dp_port "$idx" flags 2>/dev/null || echo 0)
[ "$flags" = 0 ]; ok $? "no anti-spoofing of lxcnet's (filter flags $flags)"
ct_exec 9160 ip link set eth0 down && ct_exec 9160 ip link set eth0 address bc:24:11:91:60:99 &&
	ct_exec 9160 ip link set eth0 up && ct_exec 9160 ip addr flush dev eth0 && ct_exec 9160 ip addr add 10.91.2.66/24 dev eth0
ct_exec 9160 ping -c 1 -W 3 10.91.2.61 >/dev/null 2>&1; ok $? "with another MAC and address it still reaches 9161, as on Proxmox"
ct_stop 9160
printf 'lxcnet: node\n\tfirewall always\n' >"$T/conf/lxcnet.conf"
ct_start 9160; ok $? "firewall always: the container starts"
idx=$(cat /sys/class/net/veth9160i0/ifindex 2>/dev/null)
flags=$(dp_port "$idx" flags 2>/dev/null)
[ -n "$flags" ] && [ $((flags & 1)) -eq 1 ]; ok $? "lxcnet's MAC filter is on (flags $flags)"
ct_exec 9160 ping -c 1 -W 3 10.91.2.61 >/dev/null 2>&1; ok $? "from its own MAC and address it reaches 9161"
ct_exec 9160 ip link set eth0 down && ct_exec 9160 ip link set eth0 address bc:24:11:91:60:99 && ct_exec 9160 ip link set eth0 up
! ct_exec 9160 ping -c 1 -W 2 10.91.2.61 >/dev/null 2>&1; ok $? "with another MAC it reaches nothing"
ct_stop 9160
# firewall=1 without hwaddr: lxcnet's own MAC filter has no MAC; refused by pre-start and by name.
refused 9115 "net0: name=eth0,bridge=$B1,firewall=1" \
	"net0: firewall: needs hwaddr (lxcnet.conf 'firewall always' filters the MAC address frames must come from)" \
	"firewall always, firewall=1 without hwaddr"
grep -qF "lxcnet-prestart" "$T/start-9115.log"; ok $? "refused by the pre-start hook, before LXC makes the veth"
rm -f "$T/conf/lxcnet.conf"
# Proxmox filters a guest's MAC only when its firewall is in effect: not in effect, no hwaddr is needed.
pve_conf 9162 "net0: name=eth0,bridge=$B1,firewall=1,ip=10.91.2.62/24,host-managed=1"
ct_create 9162
ct_start 9162; ok $? "firewall=1 without hwaddr, guest firewall not in effect: the container starts"
ct_exec 9162 ping -c 1 -W 3 10.91.2.61 >/dev/null 2>&1; ok $? "and reaches 9161"
ct_stop 9162; ct_stop 9161
# A plain LXC container's firewall=1 is lxcnet's own anti-spoofing, which needs the MAC.
printf 'net0: name=eth0,bridge=%s,firewall=1\n' "$B2" >"$T/conf/lxc/web92.conf"
ct_create web92
ct_start web92; rc=$?
[ $rc -ne 0 ] && grep -qF "net0: firewall: needs hwaddr (the MAC address frames must come from)" "$T/start-web92.log"
ok $? "plain container, firewall=1 without hwaddr: refused, the log names the key"
rm -f "$T/conf/lxc/web92.conf"
rm -rf "$T/pve/firewall" "$T/pve/nodes"

# --- lxcnet-prestart --node-wide, as every container of a Proxmox node runs it from common.conf.d.
prestart() { "$BUILD/lxcnet-prestart" "$@" >"$T/prestart.out" 2>&1; }
prestart --node-wide 9170 lxc pre-start; ok $? "node-wide pre-start of a container lxcnet has no config for: exit 0"
! prestart 9170 lxc pre-start && grep -q "9170.conf: No such file or directory" "$T/prestart.out"
ok $? "without --node-wide the same container is refused, naming its config file"
pve_conf 9171 "net0: name=eth0,bridge=nosuchbr1,tag=5"
! prestart --node-wide 9171 lxc pre-start && grep -q "net0: bridge: 'nosuchbr1' is neither a bridge nor an SDN VNet" "$T/prestart.out"
ok $? "node-wide pre-start, phase full: a NIC on a missing bridge is refused, naming it"
LXCNET_PHASE=basic prestart --node-wide 9171 lxc pre-start
ok $? "phase basic gives tagged NICs to the legacy command: not lxcnet's to judge, exit 0"
pve_conf 9172 "net0: name=eth0,bridge=$B1,tag=99999"
LXCNET_PHASE=legacy prestart --node-wide 9172 lxc pre-start && ! LXCNET_PHASE=legacy prestart 9172 lxc pre-start
ok $? "phase legacy: the node-wide pre-start does not even read the config (a bad tag passes; without --node-wide it is refused)"
"$BUILD/lxcnet-poststop" --node-wide 9171 lxc post-stop >"$T/poststop.out" 2>&1
ok $? "node-wide post-stop of a stopped container with nothing left: exit 0 ($(head -1 "$T/poststop.out"))"

it_done
