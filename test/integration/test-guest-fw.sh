#!/bin/sh
# lxcnet's eBPF guest firewall (firewall lxcnet, the default) with real
# busybox containers: Proxmox's guest firewall in effect for a NIC
# (cluster.fw and <vmid>.fw enable: 1, firewall=1) is enforced in the port
# datapath, with no firewall bridge. Connection tracking: a guest whose
# policy_in is DROP opens connections and gets the answers, and is not
# reached itself. Proxmox's defaults: a changed MAC is dropped, a changed
# address is not; with ipfilter: 1 a changed address is dropped, the
# configured one, the link-local one and DHCP pass. A change of the .fw
# file is in force within 1 s (lxcnetd). Rules (a macro among them) with
# real traffic, first match wins, counted per rule; REJECT answered with a
# TCP reset or ICMP port unreachable; an option lxcnet does not enforce
# (ips) leaves the NIC to Proxmox's firewall, logged.
. "$(dirname "$0")/lib.sh"
it_init 86
it_need dbus-daemon busctl python3 bpftool tcpdump
BR=lxnt86
bridge $BR 1500 || skip_all "cannot create a bridge"
export LXCNET_NOTIFY_SOCKET="$T/notify"
private_bus || skip_all "dbus-daemon did not start"
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
ifx() { cat "/sys/class/net/$1/ifindex"; }
# drops IFNAME REASON: the port's drops for LXCNET_DROP_<REASON> (bpf/port-abi.h), summed over CPUs; 0 before its first
drops() {
	_i=$(grep -o '^\s*LXCNET_DROP_[A-Z0-9_]*,' "$IT_SRC/bpf/port-abi.h" | grep -n "LXCNET_DROP_$2," | cut -d: -f1)
	dp_slot lxcnet_drops "$(ifx "$1")" drops 2>/dev/null | python3 -c "import json,sys; print(json.load(sys.stdin)[$_i - 1])" 2>/dev/null ||
		echo 0
}
# fw_field IFNAME FIELD: a field of the port's guest firewall (lxcnet_fw)
fw_field() { dp_slot lxcnet_fw "$(ifx "$1")" "$2"; }
has_fw() { [ $(( $(dp_port "$(ifx "$1")" flags 2>/dev/null || echo 0) & 16 )) -ne 0 ]; }

mkdir -p "$T/pve/firewall"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/8601.fw"
printf '[OPTIONS]\nenable: 1\nipfilter: 1\n' >"$T/pve/firewall/8603.fw"
pve_conf 8601 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:86:01:00,ip=10.86.0.1/24,ip6=fd86::1/64,firewall=1,host-managed=1"
pve_conf 8602 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:86:02:00,ip=10.86.0.2/24,ip6=fd86::2/64,host-managed=1"
pve_conf 8603 "net0: name=eth0,bridge=$BR,hwaddr=BC:24:11:86:03:00,ip=10.86.0.3/24,ip6=fd86::3/64,firewall=1,host-managed=1"
for id in 8601 8602 8603; do ct_create $id && ct_start $id || skip_all "container $id does not start"; done

has_fw veth8601i0 && has_fw veth8603i0 && ! has_fw veth8602i0
ok $? "the guest firewall is in the datapath of 8601 and 8603 (firewall=1, in effect), not of 8602"
[ "$(link_field veth8601i0)" = "master=$BR mtu=1500 up=1" ] && [ ! -e /sys/class/net/fwbr8601i0 ]
ok $? "veth8601i0 straight in $BR, no firewall bridge ($(link_field veth8601i0))"

# Connection tracking, with Proxmox's policies: DROP in, ACCEPT out.
reaches 8601 10.86.0.2; ok $? "8601 (policy_in DROP) pings 8602 and gets the answers"
reaches 8601 fd86::2; ok $? "and over IPv6 (neighbour discovery passes)"
before=$(drops veth8601i0 FW_POLICY_IN)
! reaches 8602 10.86.0.1; ok $? "8602 does not reach 8601: policy_in DROP"
[ "$(drops veth8601i0 FW_POLICY_IN)" -gt "$before" ]; ok $? "counted as fw-policy-in ($before -> $(drops veth8601i0 FW_POLICY_IN))"
ct_exec 8602 sh -c 'echo answer | nc -l -p 7000 >/dev/null 2>&1 &'
sleep 0.3
out=$(ct_exec 8601 sh -c 'echo question | timeout 3 nc 10.86.0.2 7000' 2>&1)
[ "$out" = answer ]; ok $? "8601 opens a TCP connection to 8602 and reads its answer ($out)"
ct_exec 8601 sh -c 'echo answer | nc -l -p 7001 >/dev/null 2>&1 &'
sleep 0.3
out=$(ct_exec 8602 sh -c 'echo question | timeout 3 nc -w 2 10.86.0.1 7001' 2>&1)
[ "$out" != answer ]; ok $? "8602 cannot open one to 8601 ($out)"

# (2) Proxmox's defaults: the MAC filter, no IP filter.
ct_exec 8601 ip link set eth0 address bc:24:11:86:01:99
before=$(drops veth8601i0 FW_MAC)
! reaches 8601 10.86.0.2; ok $? "8601 with another MAC: nothing gets through"
[ "$(drops veth8601i0 FW_MAC)" -gt "$before" ]; ok $? "counted as fw-macfilter"
ct_exec 8601 ip link set eth0 address bc:24:11:86:01:00
ct_exec 8601 ip addr add 10.86.0.11/24 dev eth0
reaches 8601 10.86.0.2 -I 10.86.0.11; ok $? "8601 from another address (its own MAC): passes, as on Proxmox (no ipfilter)"

# (3) ipfilter: 1: the configured address, the link-local one and DHCP, nothing else.
reaches 8603 10.86.0.2; ok $? "8603 (ipfilter: 1) from its own address"
ll2=$(ct_exec 8602 ip -6 -o addr show dev eth0 scope link | awk '{ print $4 }' | cut -d/ -f1)
reaches 8603 "$ll2" -I eth0; ok $? "from its link-local address to 8602's ($ll2)"
ct_exec 8603 ip addr add 10.86.0.33/24 dev eth0
before=$(drops veth8603i0 FW_IP)
! reaches 8603 10.86.0.2 -I 10.86.0.33; ok $? "from another address: dropped"
[ "$(drops veth8603i0 FW_IP)" -gt "$before" ]; ok $? "counted as fw-ipfilter"
tcpdump -i veth8602i0 -n -c 1 -w "$T/dhcp.pcap" udp port 67 >/dev/null 2>&1 &
dump=$!
sleep 0.5
ct_exec 8603 udhcpc -i eth0 -n -q -t 2 -T 1 -s /bin/true >/dev/null 2>&1
sleep 0.3
kill $dump 2>/dev/null; wait $dump 2>/dev/null
[ "$(tcpdump -r "$T/dhcp.pcap" -n 2>/dev/null | grep -c '0.0.0.0.68 > 255.255.255.255.67')" -ge 1 ]
ok $? "a DHCP discover of 8603 reaches 8602's port"

# lxcnetd renews the connection filter at its start (bpf/port-abi.h, lxcnet_ct_seen): a flow that
# crosses the renewal goes on, each connection being marked in the new filter.
# ct_seen_in_use: byte 0 of the filter's last line (LXCNET_CT_SEEN_CONTROL: 2 filters of 2^BITS bytes in lines of 64)
ct_seen_in_use() {
	_bits=$(sed -n 's/^#define LXCNET_CT_SEEN_BITS \([0-9]*\)$/\1/p' "$IT_SRC/bpf/port-abi.h")
	_key=$(python3 -c "import sys; print(' '.join('0x%02x' % b for b in (2 * (1 << int(sys.argv[1])) // 64).to_bytes(4, 'little')))" "$_bits")
	# shellcheck disable=SC2086 # the key's bytes, one word each
	bpftool -j map lookup pinned "$(dp_pins)/lxcnet_ct_seen" key $_key 2>/dev/null |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["value"][0], 0) & 1)' 2>/dev/null
}
in_use=$(ct_seen_in_use)
ct_exec 8601 ping -c 20 -i 0.2 -W 1 10.86.0.2 >"$T/ping-renew" 2>&1 &
pinger=$!
sleep 0.6
agent_up
wait $pinger
# lxcnetd follows the .fw files: a change is in force within 1 s, without restarting the container.
sleep 2.5 # its first look at every port
[ -n "$in_use" ] && [ "$(ct_seen_in_use)" = $((1 - in_use)) ]
ok $? "lxcnetd renewed the connection filter at its start (filter $in_use, then $(ct_seen_in_use))"
grep -q "^20 packets transmitted, 20 packets received" "$T/ping-renew"
ok $? "8601 (policy_in DROP) pinging 8602 meanwhile got every answer ($(grep transmitted "$T/ping-renew"))"
out=$(ctl binding 8601 net0 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["firewall_enforcer"])')
[ "$out" = lxcnet ]; ok $? "lxcnetctl binding 8601: enforced by lxcnet ($out)"
ctl check >/dev/null; ok $? "lxcnetctl check: every port is as its config and firewall files say"
pingable() { ct_exec 8602 ping -c 1 -W 1 10.86.0.1 >/dev/null 2>&1; }
policy_in_is() { [ "$(fw_field veth8601i0 policy_in 2>/dev/null)" = "$1" ]; }
printf '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n' >"$T/pve/firewall/8601.fw"
ms=$(converged "policy_in ACCEPT on veth8601i0" policy_in_is 0); rc=$?
[ $rc -eq 0 ] && [ "$ms" -le 1000 ]; ok $? "8601.fw policy_in: ACCEPT: in the datapath within 1 s ($ms ms)"
pingable; ok $? "8602 reaches 8601"
grep -q "net0 of container '8601' ('veth8601i0') drifted (config): the guest firewall of 'veth8601i0' is not its .fw files': policy_in DROP, policy_out ACCEPT, flags 0xd9, 0 addresses; they say ACCEPT, ACCEPT, 0xd9, 0" \
	"$T/agent.log"; ok $? "logged ($(grep -o "drifted (config): the guest.*" "$T/agent.log" | head -1))"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/8601.fw"
sleep 1.5
! pingable; ok $? "policy_in back to DROP: 8602 no longer reaches 8601"
# A new ipfilter set replaces the one in force (written beside it, then switched to).
printf '[OPTIONS]\nenable: 1\nipfilter: 1\n\n[IPSET ipfilter-net0]\n10.86.0.33\n' >"$T/pve/firewall/8603.fw"
ms=$(converged "10.86.0.33 in the set" reaches 8603 10.86.0.2 -I 10.86.0.33); rc=$?
[ $rc -eq 0 ]; ok $? "10.86.0.33 added to 8603's ipfilter-net0: it passes ($ms ms, pings included)"
reaches 8603 10.86.0.2; ok $? "and its configured address still does"
[ "$(python3 - "$(dp_pins)" <<'PY'
import json, subprocess, sys
r = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", sys.argv[1] + "/lxcnet_fw_ipset"], capture_output=True, text=True)
print(len(json.loads(r.stdout)) if r.returncode == 0 else -1)
PY
)" -eq 7 ]; ok $? "the old set is gone: 7 entries in all, 8603's (10.86.0.33, its ip, ip6, link-local, !fe80::/10, and 2 for ARP)"
ctl metrics --prometheus >"$T/metrics"
grep -q '^lxcnet_interface_drops_total{vmid="8603".*reason="fw-ipfilter"' "$T/metrics"
ok $? "the metrics count drops of the guest firewall by reason ($(grep -o 'reason="fw-[a-z-]*"' "$T/metrics" | sort -u | tr '\n' ' '))"

# Rules, in the datapath: first match wins, after the chain's own filters and before the policy (DROP in).
# rule_hits IFNAME DIR INDEX: packets the rule (index within its direction: 0 OUT, 1 IN) matched
rule_hits() {
	python3 - "$(dp_pins)" "$(dp_slot lxcnet_ports "$(ifx "$1")" slot)" "$(dp_slot lxcnet_fw "$(ifx "$1")")" "$2" "$3" <<'PY'
import json, subprocess, sys
# lxcnet_fw_rules[slot * 2 + (rules_gen & 1)] is the id of the generation's array: OUT rules, then IN.
pins, slot, fw, d, idx = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def bpftool(*a):
    return json.loads(subprocess.run(["bpftool", "-j", "map"] + list(a), capture_output=True, text=True, check=True).stdout)
key = ["0x%02x" % b for b in (slot * 2 + (fw["rules_gen"] & 1)).to_bytes(4, "little")]
e = bpftool("lookup", "pinned", pins + "/lxcnet_fw_rules", "key", *key)
inner = e.get("value")
inner = inner if isinstance(inner, int) else int.from_bytes(bytes(int(x, 16) for x in inner), "little")
i = idx + (fw["n_rules"][0] if d == 1 else 0)
v = bpftool("lookup", "id", str(inner), "key", *["0x%02x" % b for b in i.to_bytes(4, "little")])["value"]
u = lambda o, w: int.from_bytes(bytes(int(x, 16) for x in v[o:o + w]), "little")
# verdict, pad, rules_gen at 4, packets at 8
print(u(8, 8) if u(4, 4) == fw["rules_gen"] else 0)
PY
}
cat >"$T/pve/firewall/8601.fw" <<'EOF'
[OPTIONS]
enable: 1

[RULES]
IN ACCEPT -p tcp -dport 7001
IN DROP -source 10.86.0.3 -p icmp
IN Ping(ACCEPT)
OUT DROP -p icmp -dest 10.86.0.2
EOF
in_rules_is() { [ "$(fw_field veth8601i0 n_rules 2>/dev/null | tr -d ' \n')" = "$1" ]; }
ms=$(converged "the rules on veth8601i0" in_rules_is "[1,4]"); rc=$?
[ $rc -eq 0 ] && [ "$ms" -le 1000 ] && has_fw veth8601i0 && [ ! -e /sys/class/net/fwbr8601i0 ]
ok $? "rules in 8601.fw: compiled into its datapath within 1 s, no firewall bridge ($ms ms, rules out/in $(fw_field veth8601i0 n_rules | tr -d ' \n'))"
out=$(ct_exec 8602 sh -c 'echo question | timeout 3 nc -w 2 10.86.0.1 7001' 2>&1)
[ "$out" = answer ]; ok $? "IN ACCEPT -p tcp -dport 7001: 8602 opens a connection to 8601 and reads its answer ($out)"
[ "$(rule_hits veth8601i0 1 0)" -ge 1 ]; ok $? "counted on that rule ($(rule_hits veth8601i0 1 0) packets)"
pingable; ok $? "IN Ping(ACCEPT): 8602 pings 8601"
before=$(drops veth8601i0 FW_RULE)
! ct_exec 8603 ping -c 1 -W 1 10.86.0.1 >/dev/null 2>&1; ok $? "IN DROP -source 10.86.0.3 -p icmp, before the macro: 8603 does not"
[ "$(drops veth8601i0 FW_RULE)" -gt "$before" ] && [ "$(rule_hits veth8601i0 1 1)" -ge 1 ]
ok $? "counted as fw-rule, on that rule ($before -> $(drops veth8601i0 FW_RULE); $(rule_hits veth8601i0 1 1) packets)"
ct_exec 8601 sh -c 'echo answer | nc -l -p 7002 >/dev/null 2>&1 &'
sleep 0.3
out=$(ct_exec 8602 sh -c 'echo question | timeout 3 nc -w 2 10.86.0.1 7002' 2>&1)
[ "$out" != answer ]; ok $? "tcp 7002, no rule: policy_in DROP ($out)"
before=$(rule_hits veth8601i0 0 0)
! reaches 8601 10.86.0.2 && [ "$(rule_hits veth8601i0 0 0)" -gt "$before" ]
ok $? "OUT DROP -p icmp -dest 10.86.0.2: 8601's pings to 8602 stopped by it ($before -> $(rule_hits veth8601i0 0 0))"
ctl check >/dev/null; ok $? "lxcnetctl check: the compiled rules are as the file says"

# REJECT, answered as pve-firewall answers: a TCP reset, ICMP port unreachable for UDP.
cat >"$T/pve/firewall/8601.fw" <<'EOF2'
[OPTIONS]
enable: 1
policy_in: REJECT

[RULES]
IN ACCEPT -p tcp -dport 7001
IN REJECT -p udp -dport 7005
OUT REJECT -p tcp -dport 7004
EOF2
policy_in_is() { [ "$(fw_field veth8601i0 policy_in 2>/dev/null)" = 2 ]; }
ms=$(converged "policy_in REJECT on veth8601i0" policy_in_is); rc=$?
[ $rc -eq 0 ] && has_fw veth8601i0 && [ ! -e /sys/class/net/fwbr8601i0 ]
ok $? "policy_in REJECT and REJECT rules: compiled into 8601's datapath, no firewall bridge ($ms ms)"
# refused CT ADDRESS PORT: connects from CT, prints "<ms> <nc's words>"; refused at once, not timed out
refused() {
	_t0=$(now_ms)
	_o=$(ct_exec "$1" sh -c "echo x | timeout 3 nc -w 2 $2 $3" 2>&1)
	echo "$(( $(now_ms) - _t0 )) $_o"
}
before=$(drops veth8601i0 FW_REJECT)
out=$(refused 8602 10.86.0.1 7003)
case $out in *"Connection refused"*) [ "${out%% *}" -lt 1000 ];; *) false;; esac
ok $? "policy_in REJECT: 8602's connection to 8601:7003 is refused at once with a reset ($out)"
[ "$(drops veth8601i0 FW_REJECT)" -gt "$before" ]; ok $? "counted as fw-reject ($before -> $(drops veth8601i0 FW_REJECT))"
out=$(refused 8602 fd86::1 7003)
case $out in *"Connection refused"*) [ "${out%% *}" -lt 1000 ];; *) false;; esac
ok $? "and over IPv6 ($out)"
ct_exec 8601 sh -c 'echo answer | nc -l -p 7001 >/dev/null 2>&1 &'
sleep 0.3
out=$(ct_exec 8602 sh -c 'echo question | timeout 3 nc -w 2 10.86.0.1 7001' 2>&1)
[ "$out" = answer ]; ok $? "IN ACCEPT -p tcp -dport 7001 still answers ($out)"
timeout 5 tcpdump -l -n -c 1 -i veth8602i0 'icmp and icmp[0] == 3' >"$T/unreach" 2>/dev/null &
dump=$!
sleep 0.5
ct_exec 8602 sh -c 'cd /tmp && timeout 2 tftp -g -r x 10.86.0.1 7005' >/dev/null 2>&1 # a UDP request to port 7005
wait "$dump"
grep -q "10.86.0.1 > 10.86.0.2: ICMP 10.86.0.1 udp port 7005 unreachable" "$T/unreach"
ok $? "IN REJECT -p udp -dport 7005: 8602 gets ICMP port unreachable from 8601's address ($(cat "$T/unreach"))"
[ "$(rule_hits veth8601i0 1 1)" -ge 1 ]; ok $? "counted on that rule ($(rule_hits veth8601i0 1 1) packets)"
ct_exec 8602 sh -c 'echo answer | nc -l -p 7004 >/dev/null 2>&1 &'
sleep 0.3
out=$(refused 8601 10.86.0.2 7004)
case $out in *"Connection refused"*) [ "${out%% *}" -lt 1000 ];; *) false;; esac
ok $? "OUT REJECT -p tcp -dport 7004: 8601 is refused though 8602 listens ($out)"
[ "$(rule_hits veth8601i0 0 0)" -ge 1 ]; ok $? "counted on that rule ($(rule_hits veth8601i0 0 0) packets)"
! reaches 8602 10.86.0.1; ok $? "policy_in REJECT: pings are dropped, not answered (ICMP)"
ctl check >/dev/null; ok $? "lxcnetctl check: policy and rules as the file says"
ctl stats 8601 net0 >"$T/stats"
grep -Eq "^  in +1 REJECT +8601.fw:7 +[1-9][0-9]* packets" "$T/stats" && grep -Eq "^  out +0 REJECT +8601.fw:8 +1 packets" "$T/stats"
ok $? "lxcnetctl stats: each rule with its file and line and what it matched ($(grep '^  [io]' "$T/stats" | tr -s ' ' | tr '\n' ';'))"
ctl stats 8601 net0 --json | python3 -c '
import json, sys
r = json.load(sys.stdin)["firewall_rules"]
sys.exit(0 if [(x["direction"], x["index"], x["verdict"], x["origin"]) for x in r] ==
         [("out", 0, "REJECT", "8601.fw:8"), ("in", 0, "ACCEPT", "8601.fw:6"), ("in", 1, "REJECT", "8601.fw:7")] else 1)'
ok $? "and in JSON (firewall_rules)"
ctl metrics --prometheus >"$T/metrics"
grep -q '^lxcnet_firewall_rule_packets_total{vmid="8601",.*direction="in",rule="1",verdict="REJECT"} [1-9]' "$T/metrics"
ok $? "the metrics count it by rule ($(grep -c '^lxcnet_firewall_rule_packets_total' "$T/metrics") samples)"

# pve-firewall's simulator vectors of test-basic1 for its container 200 (the file as is, as 8601.fw) with
# real traffic; 8602 is the outside. test-port-prog runs all of them through the program.
vectors=${LXCNET_SAMPLES_DIR:-}/pve-firewall/test/test-basic1
if [ -f "$vectors/200.fw" ]; then
	cp "$vectors/200.fw" "$T/pve/firewall/8601.fw"
	ms=$(converged "test-basic1's 200.fw on veth8601i0" in_rules_is "[1,1]"); ok $? "test-basic1/200.fw in force ($ms ms)"
	for p in 22 23; do ct_exec 8601 sh -c "echo answer$p | nc -l -p $p >/dev/null 2>&1 &"; done
	for p in 80 81; do ct_exec 8602 sh -c "echo answer$p | nc -l -p $p >/dev/null 2>&1 &"; done
	sleep 0.3
	out=$(ct_exec 8602 sh -c 'echo q | timeout 3 nc -w 2 10.86.0.1 22' 2>&1)
	[ "$out" = answer22 ]; ok $? "{ from => 'outside', to => 'ct200', dport => 22, action => 'ACCEPT' } ($out)"
	out=$(refused 8602 10.86.0.1 23)
	case $out in *"Connection refused"*) false;; *) [ "${out%% *}" -ge 1500 ];; esac
	ok $? "{ from => 'outside', to => 'ct200', dport => 23, action => 'DROP' }: no answer, no reset ($out)"
	out=$(ct_exec 8601 sh -c 'echo q | timeout 3 nc -w 2 10.86.0.2 80' 2>&1)
	[ "$out" = answer80 ]; ok $? "{ from => 'ct200' , to => 'outside', dport => 80, action => 'ACCEPT' } ($out)"
	out=$(refused 8601 10.86.0.2 81)
	case $out in *"Connection refused"*) [ "${out%% *}" -lt 1000 ];; *) false;; esac
	ok $? "{ from => 'ct200' , to => 'outside', dport => 81, action => 'REJECT' } ($out)"
else
	for v in file 22 23 80 81; do n=$((n + 1)); echo "ok $n # SKIP LXCNET_SAMPLES_DIR has no pve-firewall/test ($v)"; done
fi
# An ICMP error about a flow 8601 opened is related to it: it passes policy_in.
timeout 5 tcpdump -l -n -c 1 -Q out -i veth8601i0 'icmp and icmp[0] == 3' >"$T/related" 2>/dev/null &
dump=$!
sleep 0.5
ct_exec 8601 sh -c 'cd /tmp && timeout 2 tftp -g -r x 10.86.0.2 7009' >/dev/null 2>&1 # nothing listens on 8602:7009
wait "$dump"
grep -q "10.86.0.2 > 10.86.0.1: ICMP 10.86.0.2 udp port 7009 unreachable" "$T/related"
ok $? "8602's ICMP port unreachable about 8601's UDP flow reaches 8601 (related) ($(cat "$T/related"))"

# A firewall file lxcnet cannot read (here: a NUL byte in it) changes nothing in force; it is reported.
fw_before=$(fw_field veth8601i0 n_rules | tr -d ' \n')
printf '[OPTIONS]\nenable: 1\npolicy_in: ACCEPT\n\000\n' >"$T/pve/firewall/8601.fw"
said() { grep -q "8601.fw: contains a NUL byte" "$T/agent.log"; }
ms=$(converged "the error in the journal" said); rc=$?
[ $rc -eq 0 ] && [ "$(fw_field veth8601i0 n_rules | tr -d ' \n')" = "$fw_before" ] && has_fw veth8601i0 &&
	[ "$(fw_field veth8601i0 policy_in)" != 0 ]
ok $? "a NUL byte in 8601.fw: the rules in force stay ($fw_before, policy_in not ACCEPT), the journal says why ($ms ms)"
out=$(ctl check 8601 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "contains a NUL byte"; ok $? "lxcnetctl check 8601 reports it ($out)"
ctl metrics --prometheus | grep -q '^lxcnet_reconcile_total{.*action="failed"} [1-9]'
ok $? "and the metrics count the failure ($(ctl metrics --prometheus | grep '^lxcnet_reconcile_total{.*action="failed"} [1-9]' | tr '\n' ' '))"

# What lxcnet does not enforce (here the guest option ips) leaves the NIC to Proxmox's firewall (its bridge), logged.
printf '[OPTIONS]\nenable: 1\nips: 1\n' >"$T/pve/firewall/8601.fw"
in_fwbr() { [ "$(link_field veth8601i0 | cut -d' ' -f1)" = master=fwbr8601i0 ]; }
ms=$(converged "veth8601i0 in fwbr8601i0" in_fwbr); rc=$?
[ $rc -eq 0 ] && ! has_fw veth8601i0 && [ "$(link_field fwpr8601p0 | cut -d' ' -f1)" = "master=$BR" ]
ok $? "ips: 1 in 8601.fw: veth8601i0 goes into Proxmox's firewall bridge, lxcnet's firewall off it ($ms ms)"
grep -q "The guest firewall of net0 of container '8601' is left to pve-firewall: 8601.fw: option 'ips: 1' (not enforced by lxcnet)" \
	"$T/agent.log"; ok $? "logged with file and construct"
ctl check >/dev/null; ctl check >/dev/null
[ "$(grep -c "is left to pve-firewall" "$T/agent.log")" -eq 1 ]
ok $? "said once, not at every look (lxcnetctl check twice)"
printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/8601.fw"
ms=$(converged "lxcnet's firewall on veth8601i0" has_fw veth8601i0); rc=$?
[ $rc -eq 0 ] && [ "$(link_field veth8601i0 | cut -d' ' -f1)" = "master=$BR" ] && [ ! -e /sys/class/net/fwbr8601i0 ]
ok $? "the option removed: lxcnet's firewall again, straight in $BR ($ms ms)"
[ "$(fw_field veth8601i0 n_rules | tr -d ' \n')" = "[0,0]" ]; ok $? "with no rules"

# firewall proxmox in lxcnet.conf pins Proxmox's firewall node-wide.
printf 'lxcnet: node\n\tfirewall proxmox\n' >"$T/conf/lxcnet.conf"
ctl reload >/dev/null; ok $? "firewall proxmox in lxcnet.conf, reloaded"
ctl reconcile 8601 >/dev/null
in_fwbr && ! has_fw veth8601i0; ok $? "8601 goes to Proxmox's firewall bridge at its next look (lxcnetctl reconcile forces one)"
rm -f "$T/conf/lxcnet.conf"
ctl reload >/dev/null

for id in 8601 8602 8603; do ct_stop $id; done
[ "$(dp_ports)" -eq 0 ]; ok $? "stopped: no datapath slot left ($(dp_ports))"
it_done
