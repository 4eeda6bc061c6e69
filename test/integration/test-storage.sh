#!/bin/sh
# Storage networks in network namespaces: a "host" namespace running
# lxcnetd on a private bus, its storage interface stor0 wired to a "storage
# server" namespace whose veth ends VLAN 3000 (vlan-end.bpf.o: this kernel
# has no 8021q). The server listens on 2049, 445, 3260 and 7777 on its
# NFS, SMB and iSCSI addresses and on an address no storage uses. Allowed
# flows pass and carry the tag on the wire; the other port, the other
# address and untagged frames are dropped and counted by reason; rate
# shapes iperf3 both ways; removing restores the interface exactly;
# configure/remove/configure is idempotent; an agent restart keeps the
# isolation in force; a bad storage.cfg entry comes back as its named error.
. "$(dirname "$0")/lib.sh"
it_init 92
it_need dbus-daemon busctl python3 iperf3 tcpdump tc
[ -f "$BUILD/test/integration/vlan-end-out.bpf.o" ] || skip_all "vlan-end-*.bpf.o are not built (make check builds them)"
# tc(8) loading an object creates /sys/fs/bpf/{tc/globals,ip,xdp}: removed again if this test made them.
[ -e /sys/fs/bpf/tc ] && TC_PINS=keep || TC_PINS=ours
storage_cleanup() {
	it_cleanup
	if [ "$TC_PINS" = ours ]; then
		rmdir /sys/fs/bpf/tc/globals /sys/fs/bpf/tc 2>/dev/null && rm -f /sys/fs/bpf/ip /sys/fs/bpf/xdp
	fi
}
trap storage_cleanup EXIT
H=lxst92h
S=lxst92s
netns $H || skip_all "cannot create a network namespace"
netns $S || skip_all "cannot create a network namespace"
ip link add stor0 netns $H type veth peer name srv0 netns $S || skip_all "cannot create a veth"
in_ns $H ip addr add 10.77.0.1/24 dev stor0
in_ns $H ip link set stor0 up
for a in 2 3 4 99; do in_ns $S ip addr add 10.77.0.$a/24 dev srv0; done
in_ns $S ip link set srv0 up
in_ns $S tc qdisc add dev srv0 clsact
in_ns $S tc filter add dev srv0 ingress bpf da obj "$BUILD/test/integration/vlan-end-in.bpf.o" sec tc ||
	skip_all "cannot attach vlan-end-in"
in_ns $S tc filter add dev srv0 egress bpf da obj "$BUILD/test/integration/vlan-end-out.bpf.o" sec tc ||
	skip_all "cannot attach vlan-end-out"

# The storage server: a TCP echo on every port, every address.
cat >"$T/echo.py" <<'EOF'
import socket, socketserver, sys, threading
class H(socketserver.BaseRequestHandler):
    def handle(self):
        data = self.request.recv(64)
        self.request.sendall(data)
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
servers = [S(("0.0.0.0", int(p)), H) for p in sys.argv[1:]]
for s in servers:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
EOF
nsenter --net=/run/netns/$S python3 "$T/echo.py" 2049 445 3260 7777 >"$T/echo.log" 2>&1 &
IT_PIDS="$IT_PIDS $!"
nsenter --net=/run/netns/$S iperf3 -s -p 5201 -B 10.77.0.2 >"$T/iperf-server.log" 2>&1 &
IT_PIDS="$IT_PIDS $!"
for _ in $(seq 50); do grep -q ready "$T/echo.log" && break; sleep 0.1; done

cat >"$T/pve/storage.cfg" <<EOF
dir: local
	path /var/lib/vz
	content iso,vztmpl,backup

nfs: nas
	server 10.77.0.2
	export /srv/nfs
	path /mnt/pve/nas
	options vers=4.2,port=5201
	content images

cifs: smb
	server 10.77.0.3
	share data
	path /mnt/pve/smb
	smbversion 3

iscsi: lun
	portal 10.77.0.4
	target iqn.2003-01.org.example.san:lun0
	content none

nfs: broken
	server 10.77.0.2
	export relative/path
	path /mnt/pve/broken
EOF

export LXCNET_NOTIFY_SOCKET="$T/notify"
private_bus || skip_all "dbus-daemon did not start"
bc() { busctl --address="$BUS" "$@"; }
call() { bc call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager "$@"; }
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
AGENT=""
start_agent() {
	nsenter --net=/run/netns/$H "$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" \
		--notify-socket="$T/notify" >>"$T/agent.log" 2>&1 &
	AGENT=$!
	IT_PIDS="$IT_PIDS $AGENT"
	for _ in $(seq 50); do bc status org.lxcnet1 >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
stop_agent() {
	kill "$AGENT" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$AGENT" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
# tcp ADDR PORT: 0 when the echo answers within 2 s
tcp() {
	in_ns $H python3 -c "
import socket, sys
s = socket.create_connection(('$1', $2), timeout=2)
s.sendall(b'ping'); sys.exit(0 if s.recv(4) == b'ping' else 1)" 2>/dev/null
}
# connects ADDR PORT: 0 when a TCP connection is accepted within 2 s
connects() {
	in_ns $H python3 -c "
import socket
socket.create_connection(('$1', $2), timeout=2).close()" 2>/dev/null
}
# state: what the interface has, to compare before and after
state() {
	{ in_ns $H tc qdisc show dev stor0; in_ns $H tc filter show dev stor0 ingress; in_ns $H tc filter show dev stor0 egress
	  in_ns $H ip -o link show | grep -c lxr; } | sed 's/refcnt [0-9]*//'
}
# status_count KEY: a counter of GetStorageStatus's drops (interface-wide)
drops() { ctl storage status san | awk -v k="$1" '$1 == k":" {print $2}'; }

start_agent || { cat "$T/agent.log"; skip_all "lxcnetd did not start"; }
ok 0 "lxcnetd runs in the host namespace"

# --- before: everything passes, untagged.
tcp 10.77.0.99 7777; [ $? -ne 0 ]; ok $? "before: the server's untagged peer is not reachable through its VLAN end"
BEFORE=$(state)

# --- bad input changes nothing
out=$(call ConfigureStorageNetwork ssqasdas san stor0 3000 1 broken 0 0 2>&1)
echo "$out" | grep -q "InvalidStorage\|broken: export: 'relative/path' is not an absolute path \[bad-export\]"
ok $? "a bad storage.cfg entry: org.lxcnet1.Error.InvalidStorage naming storage, key and problem ($out)"
ctl storage configure san --interface stor0 --vlan 3000 --storages nas,nowhere >"$T/o" 2>&1
[ $? -ne 0 ] && grep -q "nowhere: not in storage.cfg \[no-such-storage\]" "$T/o"
ok $? "lxcnetctl: an unknown storage id is named ($(cat "$T/o"))"
out=$(call ConfigureStorageNetwork ssqasdas san stor0 5000 1 nas 0 0 2>&1)
echo "$out" | grep -q "vlan: '5000' is not a VLAN"; ok $? "vlan 5000: InvalidArgument ($out)"
out=$(call ConfigureStorageNetwork ssqasdas san stor0 3000 1 nas 0.0000001 0 2>&1)
echo "$out" | grep -q "rate: '0.0000001' is not a rate in MiB/s (at least 1 byte/s"; ok $? "rate 1e-7: InvalidArgument ($out)"
out=$(call ConfigureStorageNetwork ssqasdas san nosuchif 3000 1 nas 0 0 2>&1)
echo "$out" | grep -q "interface 'nosuchif' does not exist"; ok $? "a missing interface is named ($out)"
[ "$(state)" = "$BEFORE" ]; ok $? "failed calls left the interface alone"
[ ! -s "$T/conf/lxcnet.conf" ] || ! grep -q storage-network "$T/conf/lxcnet.conf"; ok $? "failed calls wrote nothing"

# --- configure
ctl storage configure san --interface stor0 --vlan 3000 --storages nas,smb,lun --allow tcp/22 >"$T/o" 2>&1
ok $? "configure san on stor0, VLAN 3000, nfs+cifs+iscsi ($(cat "$T/o"))"
grep -A6 "^storage-network: san" "$T/conf/lxcnet.conf" | tr '\n' ' ' | grep -q "interface stor0 	vlan 3000 	storages nas,smb,lun 	allow tcp/22"
ok $? "the section reads back from lxcnet.conf"

in_ns $H tcpdump -i stor0 -e -n -c 4 -w "$T/wire.pcap" "vlan 3000 and tcp port 2049" >/dev/null 2>&1 &
DUMP=$!
IT_PIDS="$IT_PIDS $DUMP"
sleep 1
tcp 10.77.0.2 2049; ok $? "nfs: 10.77.0.2:2049 answers"
for _ in $(seq 20); do kill -0 $DUMP 2>/dev/null || break; sleep 0.1; done
kill $DUMP 2>/dev/null
sleep 0.2
tcpdump -r "$T/wire.pcap" -e -n 2>/dev/null | grep -c "vlan 3000" >"$T/c"
[ "$(cat "$T/c")" -ge 2 ]; ok $? "on the wire the nfs flow carries VLAN 3000 both ways ($(cat "$T/c") tagged frames)"
tcpdump -r "$T/wire.pcap" -e -n 2>/dev/null | grep -q "10.77.0.2.2049 > 10.77.0.1"; ok $? "the tagged frames include the server's answers"
connects 10.77.0.2 5201; ok $? "nfs: port= from options (5201) accepts a connection"
tcp 10.77.0.3 445; ok $? "cifs: 10.77.0.3:445 answers"
tcp 10.77.0.4 3260; ok $? "iscsi: 10.77.0.4:3260 answers"
in_ns $H ping -c 1 -W 1 10.77.0.4 >/dev/null; ok $? "ICMP to an endpoint passes"

p0=$(drops port-out); a0=$(drops address-out)
tcp 10.77.0.2 7777; [ $? -ne 0 ]; ok $? "the unrelated port 7777 on the nfs server is dropped"
tcp 10.77.0.2 445; [ $? -ne 0 ]; ok $? "the SMB port on the nfs server (another storage's port) is dropped"
tcp 10.77.0.99 2049; [ $? -ne 0 ]; ok $? "a non-server address is dropped, even on an NFS port"
p1=$(drops port-out); a1=$(drops address-out)
[ "${p1:-0}" -gt "${p0:-0}" ]; ok $? "counted as port-out ($p0 -> $p1)"
[ "${a1:-0}" -gt "${a0:-0}" ]; ok $? "counted as address-out ($a0 -> $a1)"

# From the server: an untagged frame (SO_MARK skips its VLAN push) and a packet from an address no storage uses.
u0=$(drops untagged-in); i0=$(drops address-in)
in_ns $S python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x77)
s.bind(('10.77.0.2', 0))
for _ in range(3): s.sendto(b'x', ('10.77.0.1', 9))
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t.bind(('10.77.0.99', 0))
for _ in range(3): t.sendto(b'x', ('10.77.0.1', 9))
"
sleep 0.3
u1=$(drops untagged-in); i1=$(drops address-in)
[ "${u1:-0}" -ge $((${u0:-0} + 3)) ]; ok $? "untagged frames from the server are dropped as untagged-in ($u0 -> $u1)"
[ "${i1:-0}" -ge $((${i0:-0} + 3)) ]; ok $? "tagged frames from a non-server address are dropped as address-in ($i0 -> $i1)"

ctl storage status san >"$T/st" 2>&1
grep -q "^nas  *nfs" "$T/st" && grep -q "10.77.0.2 tcp/111 udp/111 tcp/2049 tcp/5201" "$T/st"
ok $? "status: nas's endpoints from storage.cfg"
grep -A4 "^lun  *iscsi" "$T/st" | grep -q "reachable: yes (10.77.0.4:3260: connected)"
ok $? "status: the iSCSI portal is reachable over the storage network"
grep -A4 "^nas  *nfs" "$T/st" | grep -q "mounted: no"; ok $? "status: nas is not mounted"
grep -A4 "^nas  *nfs" "$T/st" | grep -q "packets-out: [1-9]"; ok $? "status: nas's packets are counted"
ctl metrics --prometheus >"$T/prom" 2>&1
grep -q '^lxcnet_storage_packets_total{network="san",storage="nas",direction="out"} [1-9]' "$T/prom" &&
	grep -q '^lxcnet_storage_drops_total{network="san",interface="stor0",reason="port",direction="out"} [1-9]' "$T/prom" &&
	grep -q '^lxcnet_storage_network_active{network="san",interface="stor0"} 1' "$T/prom"
ok $? "metrics: lxcnet_storage_* families"

# --- agent restart keeps the isolation in force
stop_agent; ok $? "lxcnetd stopped"
tcp 10.77.0.2 7777; [ $? -ne 0 ]; ok $? "with no agent running, 7777 is still dropped"
tcp 10.77.0.2 2049; ok $? "with no agent running, nfs still answers"
start_agent; ok $? "lxcnetd started again"
sleep 0.5
ctl storage list >"$T/l" 2>&1
grep -q "^san  *stor0  *3000  *active" "$T/l"; ok $? "after the restart san is active ($(cat "$T/l" | tail -1))"
tcp 10.77.0.2 7777; [ $? -ne 0 ]; ok $? "after the restart 7777 is dropped"
tcp 10.77.0.3 445; ok $? "after the restart cifs answers"

# --- rate both ways, by iperf3 to the nfs server's port= (5201 is in its allow-list)
ctl storage configure san --interface stor0 --vlan 3000 --storages nas,smb,lun --allow tcp/22 --rate 5 >"$T/o" 2>&1
ok $? "reconfigure with rate 5 MiB/s ($(cat "$T/o"))"
in_ns $H iperf3 -c 10.77.0.2 -p 5201 -t 4 -O 1 -J >"$T/up.json" 2>"$T/up.err"
up=$(python3 -c "import json; print(json.load(open('$T/up.json'))['end']['sum_received']['bits_per_second'] / 8 / 1048576)" 2>/dev/null)
python3 -c "import sys; sys.exit(0 if abs($up - 5) <= 0.5 else 1)" 2>/dev/null
ok $? "to the server: $up MiB/s for rate 5 (within 10%)"
in_ns $H iperf3 -c 10.77.0.2 -p 5201 -t 4 -O 1 -R -J >"$T/down.json" 2>"$T/down.err"
down=$(python3 -c "import json; print(json.load(open('$T/down.json'))['end']['sum_received']['bits_per_second'] / 8 / 1048576)" 2>/dev/null)
python3 -c "import sys; sys.exit(0 if abs($down - 5) <= 0.5 else 1)" 2>/dev/null
ok $? "from the server: $down MiB/s for rate 5 (within 10%)"
in_ns $H tc qdisc show dev stor0 | grep -q "htb 4c58: root"; ok $? "the shaper is lxcnet's root htb"

# --- remove restores exactly; configure again is the same as the first time
ctl storage remove san >"$T/o" 2>&1; ok $? "remove san ($(cat "$T/o"))"
[ "$(state)" = "$BEFORE" ]; ok $? "the interface is exactly as before (qdiscs, filters, no ifb)"
grep -q "storage-network: san" "$T/conf/lxcnet.conf"; [ $? -ne 0 ]; ok $? "the section is gone from lxcnet.conf"
tcp 10.77.0.2 2049; [ $? -ne 0 ]; ok $? "without the storage VLAN, the server's tagged end is unreachable again"
ctl storage remove san >"$T/o" 2>&1
[ $? -eq 1 ] && grep -q "No storage network 'san' (org.lxcnet1.Error.NoSuchStorageNetwork)" "$T/o"
ok $? "removing it again: org.lxcnet1.Error.NoSuchStorageNetwork, exit 1"
ctl storage configure san --interface stor0 --vlan 3000 --storages nas,smb,lun --allow tcp/22 >/dev/null 2>&1
S1=$(state)
ctl storage configure san --interface stor0 --vlan 3000 --storages nas,smb,lun --allow tcp/22 >/dev/null 2>&1
[ "$(state)" = "$S1" ]; ok $? "configuring the same again changes nothing"
tcp 10.77.0.2 2049 && ! tcp 10.77.0.2 7777; ok $? "configured again: the same isolation"
ctl storage remove san >/dev/null 2>&1
[ "$(state)" = "$BEFORE" ]; ok $? "removed again: exactly as before"

stop_agent
grep -E "ERROR|AddressSanitizer|runtime error" "$T/agent.log" | grep -v "Storage network 'san'" | head -3 >"$T/errs"
[ ! -s "$T/errs" ]; ok $? "no unexpected errors in the agent's log"
it_done
