#!/bin/sh
# lxcnet's eBPF guest firewall against Proxmox's two firewalls, in one run,
# with the same rules: N rules on the server's NIC (1, 100, 1,000, 10,000;
# the last two accept the test traffic, the others name other ports), policy
# DROP, connection tracking first, as each generates them:
#  - lxcnet: <vmid>.fw compiled into the port program (lxcnet-netup);
#  - pve-firewall: iptables-nft, bridge netfilter on, FORWARD with conntrack
#    (INVALID dropped, RELATED,ESTABLISHED accepted), then
#    -m physdev --physdev-out <veth> --physdev-is-bridged into the guest's
#    chain of N rules;
#  - proxmox-firewall: an nftables bridge-family chain for the veth (ct state
#    established,related accept where the kernel has bridge conntrack; where
#    it has not, said so: every packet then walks the rules).
# Figures: iperf3 TCP throughput (established traffic), and the time per new
# TCP connection (connect, accept, close; the rules judge its first packet),
# against the same bridge with no firewall. Everything lives in three network
# namespaces of its own (the bridge in one), so the host's bridge netfilter
# and rule sets are untouched.
# A benchmark, not a test: it prints figures and ratios, never fails on noise.
#   LXCNET_BENCH_SECONDS=N per iperf3 run (default 3), LXCNET_BENCH_CONNS (default 300)
. "$(dirname "$0")/../integration/lib.sh"
it_init 97
it_need iperf3 nft iptables-nft iptables-nft-restore python3
SECS=${LXCNET_BENCH_SECONDS:-3}
CONNS=${LXCNET_BENCH_CONNS:-300}
B=lxnt97b BR=lxnt97 PORT=5297 CPORT=5298
netns $B && netns lxnt97n1 && netns lxnt97n2 || skip_all "cannot create network namespaces"
inb() { nsenter --net=/run/netns/$B "$@"; }
inb ip link add $BR type bridge && inb ip link set $BR up || skip_all "cannot create a bridge"
for i in 1 2; do
	ip -n $B link add veth970${i}i0 type veth peer name eth0 netns lxnt97n$i
	in_ns lxnt97n$i ip link set eth0 address bc:24:11:97:0$i:00
	in_ns lxnt97n$i ip addr add 10.97.0.$i/24 dev eth0
	in_ns lxnt97n$i ip link set eth0 up
done
mkdir -p "$T/pve/firewall"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
printf '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n' >"$T/pve/firewall/9701.fw"
# nsenter itself in the background: it execs the server, so $! is the server's PID.
nsenter --net=/run/netns/lxnt97n2 iperf3 -s -p $PORT >/dev/null 2>&1 &
IT_PIDS="$IT_PIDS $!"
nsenter --net=/run/netns/lxnt97n2 python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.97.0.2", int(sys.argv[1]))); s.listen(1024)
while True:
    c, _ = s.accept(); c.recv(1); c.close()' $CPORT >/dev/null 2>&1 &
IT_PIDS="$IT_PIDS $!"
sleep 0.5

iperf() {
	in_ns lxnt97n1 iperf3 -c 10.97.0.2 -p $PORT -t "$SECS" -J 2>/dev/null |
		python3 -c 'import json,sys; e=json.load(sys.stdin)["end"]; print("%.0f" % (e["sum_received"]["bits_per_second"] / 1e6))' \
			2>/dev/null || echo 0
}
# µs per new TCP connection (connect, the server's accept, close), over CONNS of them; conns: the median of 3.
# The client closes first: its ports in TIME_WAIT are not used again, where the server's would be (a SYN
# to a server port in TIME_WAIT can wait for a retransmission, 1 s).
conns() { for _ in 1 2 3; do conns1; done | sort -n | sed -n 2p; }
conns1() {
	in_ns lxnt97n1 python3 -c '
import socket, sys, time
n = int(sys.argv[1]); t0 = time.perf_counter(); ok = 0
for _ in range(n):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect(("10.97.0.2", int(sys.argv[2]))); ok += 1
    except OSError:
        pass
    s.close()
print("%.1f" % ((time.perf_counter() - t0) * 1e6 / n) if ok == n else "failed")' "$CONNS" $CPORT 2>/dev/null || echo failed
}
# rule_ports N: the server's N rules as TCP ports ("a:b" a range), the last one or two the test's own
rule_ports() {
	python3 -c 'import sys
n, c, p = int(sys.argv[1]), sys.argv[2], sys.argv[3]
print(min(c, p) + ":" + max(c, p) if n == 1 else " ".join([str(10000 + k) for k in range(n - 2)] + [c, p]))' "$1" $CPORT $PORT
}

plain() { # both veths straight in the bridge, nothing of lxcnet's
	for i in 1 2; do
		inb tc qdisc del dev veth970${i}i0 clsact 2>/dev/null
		inb ip link set veth970${i}i0 master $BR up
	done
}
lxcnet() { # lxcnet-netup plugs both, the server's NIC with firewall=FW (0|1)
	for i in 1 2; do
		pve_conf 970$i "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:97:0$i:00,firewall=$([ $i = 2 ] && echo "$1" || echo 0)"
		# (under nsenter, /sys is the host's: netup says it cannot see the bridge there, which is harmless)
		inb "$BUILD/lxcnet-netup" 970$i net up veth veth970${i}i0 2>>"$T/netup.log" || return 1
	done
}
lxcnet_rules() {
	{ printf '[OPTIONS]\nenable: 1\n\n[RULES]\n'; for p in $(rule_ports "$1"); do echo "IN ACCEPT -p tcp -dport $p"; done; } \
		>"$T/pve/firewall/9702.fw"
}
bridge_nf_was=$(inb sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null)
iptables_rules() {
	{
		printf '*filter\n:FORWARD ACCEPT [0:0]\n:tap9702i0-IN - [0:0]\n'
		echo "-A FORWARD -m conntrack --ctstate INVALID -j DROP"
		echo "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
		echo "-A FORWARD -m physdev --physdev-out veth9702i0 --physdev-is-bridged -j tap9702i0-IN"
		for p in $(rule_ports "$1"); do echo "-A tap9702i0-IN -p tcp -m tcp --dport $p -j ACCEPT"; done
		echo "-A tap9702i0-IN -j DROP"
		echo COMMIT
	} >"$T/ipt"
	inb sysctl -qw net.bridge.bridge-nf-call-iptables=1 && inb iptables-nft-restore "$T/ipt"
}
iptables_clear() {
	inb iptables-nft -F >/dev/null 2>&1; inb iptables-nft -X >/dev/null 2>&1
	[ -z "$bridge_nf_was" ] || inb sysctl -qw net.bridge.bridge-nf-call-iptables="$bridge_nf_was"
}
# Bridge conntrack (nf_conntrack_bridge): proxmox-firewall's ct state rules need it.
if printf 'table bridge lxnt97probe {\n chain f {\n  type filter hook forward priority 0;\n  ct state established accept\n }\n}\n' |
	inb nft -f - 2>/dev/null; then
	inb nft delete table bridge lxnt97probe
	CT="ct state established,related accept"
	ct_note="with bridge conntrack"
else
	CT=""
	ct_note="this kernel has no bridge conntrack (nf_conntrack_bridge): every packet walks the rules"
fi
nft_rules() {
	{
		echo "table bridge lxnt97 {"
		echo " chain veth9702i0-in {"
		for p in $(rule_ports "$1"); do echo "  tcp dport $(echo "$p" | tr : -) accept"; done
		echo "  drop"
		echo " }"
		echo " chain forward {"
		echo "  type filter hook forward priority 0; policy accept;"
		[ -z "$CT" ] || echo "  $CT"
		echo "  oifname \"veth9702i0\" ip protocol tcp jump veth9702i0-in"
		echo " }"
		echo "}"
	} >"$T/nft"
	inb nft -f "$T/nft"
}
nft_clear() { inb nft delete table bridge lxnt97 2>/dev/null; }
trap 'nft_clear; iptables_clear; it_cleanup' EXIT

plain
in_ns lxnt97n1 ping -c 1 -W 2 10.97.0.2 >/dev/null || skip_all "no connectivity through the bridge"
lxcnet 0 || skip_all "lxcnet-netup failed"
base_tp=$(iperf); base_c=$(conns)
plain
plain_tp=$(iperf); plain_c=$(conns)
echo "# no firewall: bridge $plain_tp Mbit/s, $plain_c us per connection; lxcnet's datapath without it $base_tp Mbit/s, $base_c us"
echo "# iptables-nft physdev (pve-firewall's way, conntrack first); nftables bridge ($ct_note)"
printf '# %-7s %26s %26s %26s\n' rules "lxcnet Mbit/s, us/conn" "iptables Mbit/s, us/conn" "nft Mbit/s, us/conn"
for count in 1 100 1000 10000; do
	ports=$count
	lxcnet_rules $ports; lxcnet 1
	lx="$(iperf), $(conns)"
	lxcnet 0; plain
	if iptables_rules $ports; then ipt="$(iperf), $(conns)"; else ipt="(not loaded)"; fi
	iptables_clear
	if nft_rules $ports; then nf="$(iperf), $(conns)"; else nf="(not loaded)"; fi
	nft_clear
	printf '# %-7s %26s %26s %26s\n' "$ports" "$lx" "$ipt" "$nf"
done
ok 0 "benchmark ran"
it_done
