#!/bin/sh
# A vxlan zone across two nodes: this host and a network namespace standing
# for a second node, joined by an underlay veth. On each, the VNets' bridges
# and vxlan devices are built as Proxmox's SDN builds them (a bridge named
# after the VNet, vxlan_<vnet> in it, the VNI the VNet's tag, head-end
# replication to the peers, MTU underlay - 50), and lxcnet-cni plugs
# containers into them from each node's own namespace and pins. Checked:
# cross-node traffic inside a VNet, isolation between VNets, and the VNet's
# MTU on the container end, full-size frames crossing.
. "$(dirname "$0")/lib.sh"
it_init 77
it_need nsenter
[ -x "$BUILD/lxcnet-cni" ] || skip_all "lxcnet-cni is not built"
NODEB=lxnodeb77
netns "$NODEB" || skip_all "cannot create a netns"
ip link add lxua77 type veth peer name lxub77 || skip_all "cannot create a veth pair"
IT_LINKS="$IT_LINKS lxua77"
ip link set lxub77 netns "$NODEB"
ip addr add 192.168.77.1/24 dev lxua77 && ip link set lxua77 up
in_ns "$NODEB" ip addr add 192.168.77.2/24 dev lxub77 && in_ns "$NODEB" ip link set lxub77 up
ok $? "two nodes joined by an underlay (MTU 1500)"

cat >"$T/pve/sdn/.running-config" <<JSON
{"version": 1,
 "zones": {"ids": {"lxz77": {"type": "vxlan", "peers": "192.168.77.1,192.168.77.2", "mtu": 1450}}},
 "vnets": {"ids": {"lxv1": {"type": "vnet", "zone": "lxz77", "tag": 100},
                   "lxv2": {"type": "vnet", "zone": "lxz77", "tag": 200}}}}
JSON

# sdn_node LOCAL PEER [ns]: the VNets of zone lxz77 on one node, as Proxmox's SDN makes them
sdn_node() {
	lip=$1 peer=$2
	shift 2
	for v in lxv1:100 lxv2:200; do
		vnet=${v%:*} vni=${v#*:}
		"$@" ip link add "vxlan_$vnet" type vxlan id "$vni" dstport 4789 local "$lip" || return 1
		# (env: lib.sh's bridge() is not iproute2's)
		"$@" env bridge fdb append 00:00:00:00:00:00 dev "vxlan_$vnet" dst "$peer" || return 1
		"$@" ip link add "$vnet" type bridge || return 1
		"$@" ip link set "vxlan_$vnet" mtu 1450 master "$vnet" up || return 1
		"$@" ip link set "$vnet" mtu 1450 up || return 1
	done
}
IT_BRIDGES="$IT_BRIDGES lxv1 lxv2"
IT_LINKS="$IT_LINKS vxlan_lxv1 vxlan_lxv2"
sdn_node 192.168.77.1 192.168.77.2 && sdn_node 192.168.77.2 192.168.77.1 nsenter --net="/run/netns/$NODEB"
ok $? "on both nodes: VNets lxv1 (VNI 100) and lxv2 (VNI 200), bridges and vxlan devices at MTU 1450"

# plug NODE-PINS CONTAINER-NS VNET ADDRESS [ns...]: a container on a VNet, plugged by lxcnet-cni on its node
plug() {
	pins=$1 ct=$2 vnet=$3 addr=$4
	shift 4
	netns "$ct" || return 1
	printf '{"cniVersion":"1.0.0","name":"vx77","type":"lxcnet-cni","vnet":"%s"}' "$vnet" >"$T/$ct.json"
	env LXCNET_BPF_ROOT="$pins" CNI_COMMAND=ADD CNI_CONTAINERID="$ct" CNI_NETNS="/run/netns/$ct" CNI_IFNAME=eth0 \
		CNI_PATH=/usr/lib/cni "$@" "$BUILD/lxcnet-cni" <"$T/$ct.json" >"$T/$ct.out" 2>&1 || return 1
	in_ns "$ct" ip addr add "$addr/24" dev eth0
}
unplug() {
	pins=$1 ct=$2
	shift 2
	env LXCNET_BPF_ROOT="$pins" CNI_COMMAND=DEL CNI_CONTAINERID="$ct" CNI_NETNS="/run/netns/$ct" CNI_IFNAME=eth0 \
		CNI_PATH=/usr/lib/cni "$@" "$BUILD/lxcnet-cni" <"$T/$ct.json" >>"$T/$ct.out" 2>&1
}
# Each node has its datapath pinned apart: ifindexes are a namespace's own.
PINS_B="$LXCNET_BPF_ROOT-b"
vxb_cleanup() { rm -rf "$PINS_B"; it_cleanup; }
trap vxb_cleanup EXIT
plug "$LXCNET_BPF_ROOT" ctvxa1 lxv1 10.77.0.1; ok $? "node A: a container on lxv1"
plug "$LXCNET_BPF_ROOT" ctvxa2 lxv2 10.77.0.3; ok $? "node A: a container on lxv2, same subnet"
plug "$PINS_B" ctvxb1 lxv1 10.77.0.2 nsenter --net="/run/netns/$NODEB"; ok $? "node B: a container on lxv1, plugged in node B's namespace"
HB=$(in_ns "$NODEB" ip -o link show master lxv1 | grep -v vxlan_ | sed -n 's/^[0-9]*: \([^@:]*\).*/\1/p')
[ -n "$HB" ]; ok $? "node B's host end ($HB) is in node B's lxv1"
[ "$(in_ns ctvxa1 ip -o link show eth0 | sed -n 's/.* mtu \([0-9]*\).*/\1/p')" = 1450 ]
ok $? "the container end has the VNet's MTU, 1450"
in_ns ctvxa1 ping -c 2 -W 1 10.77.0.2 >/dev/null 2>&1; ok $? "lxv1 across the nodes: A reaches B"
! in_ns ctvxa2 ping -c 2 -W 1 10.77.0.2 >/dev/null 2>&1; ok $? "lxv2 on node A does not reach lxv1 on node B"
in_ns ctvxa1 ping -c 1 -W 1 -M do -s 1422 10.77.0.2 >/dev/null 2>&1; ok $? "a full 1450-byte packet crosses the underlay"
! in_ns ctvxa1 ping -c 1 -W 1 -M do -s 1423 10.77.0.2 >/dev/null 2>&1; ok $? "a 1451-byte one does not leave the container"

unplug "$LXCNET_BPF_ROOT" ctvxa1 && unplug "$LXCNET_BPF_ROOT" ctvxa2 && unplug "$PINS_B" ctvxb1 nsenter --net="/run/netns/$NODEB"
ok $? "DEL on both nodes"
# ports NS-PREFIX... VNET: the ports of a VNet bridge but its vxlan device; fails if the bridge is not there
ports() {
	v=$1; shift
	"$@" ip -o link show master "$v" >"$T/ports" || return 1
	grep -c -v vxlan_ "$T/ports"
}
[ "$(ports lxv1)" = 0 ] && [ "$(ports lxv2)" = 0 ] && [ "$(ports lxv1 nsenter --net="/run/netns/$NODEB")" = 0 ]
ok $? "no host end left in the VNets of either node"
it_done
