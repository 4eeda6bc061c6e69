#!/bin/sh
# Runs inside a systemd node booted by uml-run --systemd (see
# test/integration/test-systemd.sh): the lxcnet package installed with
# dpkg -i, lxcnetd started by systemd with the unit exactly as the package
# ships it, and everything the agent exists for done through it, each
# outcome checked. TAP on stdout. The node is thrown away afterwards.
#
# Environment: LXCNET_DEB (the .deb to install).
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
diag() { echo "# $*"; }
T=${UMLRUN_OUT:-/var/tmp}/node
mkdir -p "$T"
BR=lxbr0
U=lxcnetd.service

main_pid() { systemctl show -p MainPID --value $U; }
active() { systemctl is-active $U 2>/dev/null; }
# wait_for SECONDS CMD...: until CMD succeeds; 0 if it did
wait_for() {
	t=$(($1 * 10)); shift
	while [ $t -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; t=$((t - 1))
	done
	return 1
}
master_of() { basename "$(readlink "/sys/class/net/$1/master" 2>/dev/null)" 2>/dev/null; }
# journal_since CURSOR-FILE: lxcnetd's journal since the cursor, short
journal_since() { journalctl -u $U --no-pager -o cat --after-cursor="$(cat "$1")" 2>/dev/null; }
cursor() { journalctl -n 0 --show-cursor --no-pager 2>/dev/null | sed -n 's/^-- cursor: //p' >"$1"; }

# old_line LINES...: restart the agent with the unit's sandbox lines as they
# were before they were loosened (a drop-in), to show what each one broke;
# new_lines: back to the unit as shipped.
D=/run/systemd/system/$U.d
old_line() {
	mkdir -p $D && printf '[Service]\n' >$D/old.conf && printf '%s\n' "$@" >>$D/old.conf &&
		systemctl daemon-reload && systemctl restart $U
}
new_lines() { rm -f $D/old.conf; systemctl daemon-reload && systemctl restart $U; }

# The node is thrown away: no man page index to rebuild at each dpkg run.
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections 2>/dev/null

# ---------------------------------------------------------------- package
dpkg -i "$LXCNET_DEB" >"$T/dpkg.log" 2>&1
ok $? "dpkg -i ${LXCNET_DEB##*/} $(tail -1 "$T/dpkg.log")"
[ "$(systemctl is-enabled $U 2>&1)" = enabled ] && [ "$(active)" = inactive ]
ok $? "installed enabled, not started ($(systemctl is-enabled $U 2>&1), $(active))"
systemd-analyze verify /lib/systemd/system/$U >"$T/verify" 2>&1 && [ ! -s "$T/verify" ]
ok $? "systemd-analyze verify of the installed unit is clean $(head -3 "$T/verify" | tr '\n' ' ')"
systemd-analyze security $U >"$T/security" 2>&1
exposure=$(sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p' "$T/security")
awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 3.0) }'
ok $? "systemd-analyze security: exposure ${exposure:-?} <= 3.0"

# ------------------------------------------------------ bus activation
# Regression, first, while nothing is pinned yet: the old line left bpffs
# read-only for the agent although ReadWritePaths= names it.
# And without lxcnet-bpffs.service (this node's systemd mounts no bpffs),
# nothing mounts it where the agent could use it.
cursor "$T/c-bpffs"
systemctl mask --runtime lxcnet-bpffs.service >/dev/null 2>&1 && systemctl start $U
sleep 0.5
journal_since "$T/c-bpffs" | grep -q "The eBPF datapath cannot be loaded: cannot mount bpffs"
ok $? "regression, no lxcnet-bpffs.service: no bpffs, no datapath ($(journal_since "$T/c-bpffs" | grep -m1 'cannot be loaded'))"
systemctl stop $U; systemctl unmask --runtime lxcnet-bpffs.service >/dev/null 2>&1
cursor "$T/c-pkt"
old_line ProtectKernelTunables=yes
sleep 0.5
journal_since "$T/c-pkt" | grep -q "cannot create /sys/fs/bpf/lxcnet/v6: Read-only file system"
ok $? "regression, old ProtectKernelTunables=yes: the datapath cannot be pinned ($(journal_since "$T/c-pkt" | grep -m1 'cannot be loaded'))"
rm -f $D/old.conf; systemctl daemon-reload; systemctl stop $U
ip link add $BR type bridge && ip link set $BR up && ip addr add 10.98.0.1/24 dev $BR
# As on a Proxmox node, /etc/pve is there before the agent starts (pmxcfs).
mkdir -p /etc/pve/lxc /etc/pve/sdn
cursor "$T/c0"
r=$(timeout 30 busctl get-property org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager Version 2>&1)
[ "$(active)" = active ] && echo "$r" | grep -q '^s "'
ok $? "a first busctl call with the agent stopped activates it ($r, $(active))"
status=$(systemctl show -p StatusText --value $U)
echo "$status" | grep -q 'bound interfaces' && ! echo "$status" | grep -q 'no eBPF datapath'
ok $? "Type=notify: active after READY=1, STATUS: $status"
journal_since "$T/c0" >"$T/j0"
! grep -qi 'cannot\|denied\|not permitted\|read-only' "$T/j0" && [ -e /sys/fs/bpf/lxcnet/v6 ]
ok $? "the eBPF datapath is loaded and pinned under /sys/fs/bpf/lxcnet, nothing refused $(grep -i 'cannot\|denied\|not permitted\|read-only' "$T/j0" | head -2 | tr '\n' ' ')"

# ---------------------------------------------------------- containers
# ct VMID IP [unprivileged [NET0-OPTIONS]]: a busybox container wired with the package's hooks
ct() {
	lxc-create -t busybox -n "$1" >"$T/create-$1.log" 2>&1 || return 1
	cfg=/var/lib/lxc/$1/config
	sed -i '/^lxc\.net\./d; /^lxc\.apparmor\./d' "$cfg"
	sed -i '/udhcpc/d' /var/lib/lxc/$1/rootfs/etc/init.d/rcS
	printf 'arch: amd64\nhostname: ct%s\nnet0: name=eth0,bridge=%s,hwaddr=BC:24:11:98:00:%02x,ip=%s/24,type=veth%s\nostype: unmanaged\n%s' \
		"$1" $BR $(($1 % 100)) "$2" "${4:-}" "${3:+unprivileged: 1
}" >/etc/pve/lxc/$1.conf
	{
		echo "lxc.apparmor.profile = unconfined"
		echo "lxc.include = /usr/share/lxcnet/lxc/lxcnet.conf"
		lxcnetctl lxc-config "$1"
	} >>"$cfg"
	if [ -n "${3:-}" ]; then
		# Proxmox's unprivileged layout: root is uid/gid 100000 on the host.
		chown -R -h 100000:100000 /var/lib/lxc/$1/rootfs
		chmod 755 /var/lib/lxc/$1
		printf 'lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n' >>"$cfg"
	fi
	lxc-start -n "$1" -l DEBUG -o "$T/start-$1.log" && lxc-wait -n "$1" -s RUNNING -t 10 &&
		lxc-attach -n "$1" -- ip addr add "$2/24" dev eth0 && lxc-attach -n "$1" -- ip link set eth0 up
}
ping1() { ping -c 1 -W 2 "$1" >/dev/null 2>&1; }
ct 9801 10.98.0.11; ok $? "privileged container 9801 started by lxc-start with the package's hooks"
[ "$(master_of veth9801i0)" = $BR ] && wait_for 5 ping1 10.98.0.11
ok $? "9801's net0 plugged into $BR, reachable (master $(master_of veth9801i0))"
ping1 10.98.0.11 || { lxc-attach -n 9801 -- ip addr | sed 's/^/# 9801: /'; ip addr show $BR | sed 's/^/# /'; bridge link | sed 's/^/# /'; }
# Proxmox's layout: root may map 100000-165535, which newuidmap checks when uidmap is installed (podman recommends it).
for f in /etc/subuid /etc/subgid; do grep -qs '^root:100000:65536$' "$f" || echo 'root:100000:65536' >>"$f"; done
ct 9802 10.98.0.12 unprivileged; ok $? "unprivileged container 9802 (uids from 100000) started"
[ "$(master_of veth9802i0)" = $BR ] && wait_for 5 ping1 10.98.0.12
ok $? "9802's net0 plugged into $BR, reachable (master $(master_of veth9802i0))"
wait_for 5 sh -c 'lxcnetctl bindings | grep -q veth9802i0'
lxcnetctl bindings >"$T/bindings" 2>&1
grep -q veth9801i0 "$T/bindings" && grep -q veth9802i0 "$T/bindings"
ok $? "lxcnetd tracks both ($(grep -c veth98 "$T/bindings") bindings)"

# -------------------------------------------------------------- hotplug
# hotplug VMID: add, update, remove net1 through lxcnetd, each outcome checked
hotplug() {
	v=$1; ip=10.98.1.$(($1 % 100))
	lxcnetctl hotplug add $v net1 "name=eth1,bridge=$BR,ip=$ip/24" --wait >"$T/hp-$v" 2>&1 &&
		lxc-attach -n $v -- ip link show eth1 >/dev/null 2>&1 && [ "$(master_of veth${v}i1)" = $BR ] &&
		grep -q "^net1: name=eth1,bridge=$BR" /etc/pve/lxc/$v.conf
	ok $? "hotplug add on $v: eth1 inside, veth${v}i1 on $BR, net1 written $(tail -1 "$T/hp-$v")"
	lxcnetctl hotplug update $v net1 "name=eth1,bridge=$BR,ip=$ip/24,mtu=1400" --wait >"$T/hp-$v" 2>&1 &&
		lxc-attach -n $v -- cat /sys/class/net/eth1/mtu 2>/dev/null | grep -qx 1400 &&
		grep -q "^net1: .*mtu=1400" /etc/pve/lxc/$v.conf
	ok $? "hotplug update on $v: mtu 1400 inside and in the config $(tail -1 "$T/hp-$v")"
	lxcnetctl hotplug remove $v net1 --wait >"$T/hp-$v" 2>&1 &&
		! lxc-attach -n $v -- ip link show eth1 >/dev/null 2>&1 && [ ! -e /sys/class/net/veth${v}i1 ] &&
		! grep -q '^net1:' /etc/pve/lxc/$v.conf
	ok $? "hotplug remove on $v: gone inside, on the host and from the config $(tail -1 "$T/hp-$v")"
}
hotplug 9801
hotplug 9802

# Regressions: the old lines stop hotplug from entering the container.
# hotplug_refused WHAT: hotplug add fails to enter 9801, nothing left behind
hotplug_refused() {
	lxcnetctl hotplug add 9801 net4 "name=eth4,bridge=$BR" --wait >"$T/hp" 2>&1
	[ $? -ne 0 ] && grep -q "cannot enter the container's network namespace" "$T/hp" && [ ! -e /sys/class/net/veth9801i4 ] &&
		! grep -q '^net4:' /etc/pve/lxc/9801.conf
	ok $? "regression, old $1: hotplug fails ($(tail -1 "$T/hp"))"
}
old_line "CapabilityBoundingSet=" "CapabilityBoundingSet=CAP_NET_ADMIN CAP_BPF CAP_PERFMON"
hotplug_refused "CapabilityBoundingSet=CAP_NET_ADMIN CAP_BPF CAP_PERFMON"
old_line "RestrictNamespaces=yes"
hotplug_refused "RestrictNamespaces=yes"
new_lines

# ------------------------------------------------------- BindVNet/UnbindVNet
cat >/etc/pve/sdn/.running-config <<JSON
{"zones": {"ids": {"zv": {"type": "vlan", "bridge": "$BR"}}},
 "vnets": {"ids": {"v98": {"type": "vnet", "zone": "zv", "tag": 98}}}}
JSON
lxcnetctl bind 9801 net0 v98 >"$T/bind" 2>&1 && grep -q '^net0: .*bridge=v98' /etc/pve/lxc/9801.conf &&
	lxcnetctl binding 9801 net0 2>/dev/null | grep -q v98
ok $? "BindVNet: 9801 net0 bound to v98, written to its config $(tail -1 "$T/bind")"
lxcnetctl unbind 9801 net0 >"$T/bind" 2>&1 && grep -q '^net0: .*link_down=1' /etc/pve/lxc/9801.conf
ok $? "UnbindVNet: unplugged, link_down=1 written $(tail -1 "$T/bind")"

# ---------------------------------------------------------------- reload
pid0=$(main_pid)
cursor "$T/c1"
systemctl reload $U && wait_for 5 sh -c "journalctl -u $U --after-cursor='$(cat "$T/c1")' -o cat | grep -qi reload"
[ $? -eq 0 ] && [ "$(main_pid)" = "$pid0" ] && [ "$(active)" = active ]
ok $? "systemctl reload: SIGHUP re-read, same process $(journal_since "$T/c1" | tail -1)"

systemctl stop $U && [ "$(active)" = inactive ] && systemctl start $U && [ "$(active)" = active ] &&
	lxcnetctl bindings 2>/dev/null | grep -q veth9802i0
ok $? "systemctl stop, systemctl start: active again, 9802's binding found again"

# ------------------------------------------------------ guest firewall
# Proxmox's guest firewall in effect for 9803's net0, enforced by lxcnet's
# datapath; its rules' counters read by the agent in its sandbox (each
# port's rules are an array map of their own, opened by id).
mkdir -p /etc/pve/firewall
printf '[OPTIONS]\nenable: 1\n' >/etc/pve/firewall/cluster.fw
printf '[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -p icmp\n' >/etc/pve/firewall/9803.fw
ct 9803 10.98.0.13 "" ",firewall=1" && wait_for 5 ping1 10.98.0.13
ok $? "container 9803 with firewall=1 started, its rule lets the host's ping in"
lxcnetctl stats 9803 net0 >"$T/stats-9803" 2>&1
awk '$1 == "in" && $2 == 0 && $3 == "ACCEPT" && $4 ~ /^9803\.fw:/ && $5 >= 1 && $6 == "packets," { f = 1 } END { exit !f }' "$T/stats-9803"
ok $? "lxcnetctl stats through the agent: the rule counted the ping ($(grep '^  [io]' "$T/stats-9803" | tr -s ' ' | tr '\n' ';'))"

# ------------------------------------------------ storage network, by name
# A storage server in its own namespace behind VLAN 3000 (a real 8021q
# device here), named in storage.cfg by a DNS name the node serves itself.
ip netns add srv && ip link add stor0 type veth peer name srv0 netns srv &&
	ip addr add 10.77.0.1/24 dev stor0 && ip link set stor0 up &&
	ip -n srv link set lo up && ip -n srv link set srv0 up &&
	ip -n srv link add link srv0 name srv0.3000 type vlan id 3000 &&
	ip -n srv addr add 10.77.0.2/24 dev srv0.3000 && ip -n srv link set srv0.3000 up
ok $? "a storage server namespace behind VLAN 3000"
cat >"$T/echo.py" <<'PY'
import socket, socketserver
class H(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(self.request.recv(64))
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
s = S(("0.0.0.0", 2049), H)
print("ready", flush=True)
s.serve_forever()
PY
# A DNS server answering A queries for nas.lxcnet.test, on 127.0.0.1:53.
cat >"$T/dns.py" <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, a = s.recvfrom(512)
    tid = struct.unpack(">H", q[:2])[0]
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode()); i += 1 + q[i]
    qtype = struct.unpack(">H", q[i + 1:i + 3])[0]
    question = q[12:i + 5]
    name = ".".join(labels).lower()
    if name == "nas.lxcnet.test" and qtype == 1:
        ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("10.77.0.2")
        s.sendto(struct.pack(">HHHHHH", tid, 0x8180, 1, 1, 0, 0) + question + ans, a)
    else:
        rc = 0 if name == "nas.lxcnet.test" else 3
        s.sendto(struct.pack(">HHHHHH", tid, 0x8180 | rc, 1, 0, 0, 0) + question, a)
PY
ip netns exec srv python3 "$T/echo.py" >"$T/echo.log" 2>&1 &
ECHO=$!
python3 "$T/dns.py" >"$T/dns.log" 2>&1 &
DNS=$!
echo "nameserver 127.0.0.1" >/etc/resolv.conf
wait_for 5 grep -q ready "$T/echo.log" && wait_for 5 grep -q ready "$T/dns.log" &&
	getent ahostsv4 nas.lxcnet.test | grep -q 10.77.0.2
ok $? "nas.lxcnet.test resolves to 10.77.0.2 through the node's own DNS server"
printf 'nfs: nas\n\tserver nas.lxcnet.test\n\texport /srv/nfs\n\tpath /mnt/pve/nas\n\tcontent images\n' >/etc/pve/storage.cfg
lxcnetctl storage configure san --interface stor0 --vlan 3000 --storages nas >"$T/sc" 2>&1 &&
	[ -d /sys/fs/bpf/lxcnet/storage-v1 ]
ok $? "storage configure: in force on stor0 $(tail -1 "$T/sc")"
lxcnetctl storage status san >"$T/st" 2>&1
grep -A4 "^nas  *nfs" "$T/st" | grep -q "reachable: yes (10.77.0.2:2049: connected)"
ok $? "storage status: nas.lxcnet.test resolved and probed over TCP through VLAN 3000 ($(grep reachable "$T/st"))"

# ---------------------------------------------------------------- metrics
lxcnetctl metrics --prometheus >"$T/prom" 2>&1
grep -q '^lxcnet_storage_network_active{network="san",interface="stor0"} 1' "$T/prom" &&
	grep -q 'veth9802i0' "$T/prom"
ok $? "metrics: $(grep -c '^lxcnet_' "$T/prom") samples, the storage network and the bindings among them"

old_line "RestrictAddressFamilies=" "RestrictAddressFamilies=AF_UNIX AF_NETLINK"
lxcnetctl storage status san >"$T/st-old" 2>&1
grep -q "nas.lxcnet.test' has no address" "$T/st-old"
ok $? "regression, old RestrictAddressFamilies=AF_UNIX AF_NETLINK: the name cannot be looked up ($(tail -1 "$T/st-old"))"
new_lines


# ------------------------------------------------------------ event plugin
# An administrator's plugin that logs to /var/log.
mkdir -p /etc/lxcnet/hooks.d
printf '#!/bin/sh\necho "$1 ${LXCNET_CONTAINER:-} ${LXCNET_NET:-}" >>/var/log/lxcnet-plugin-test.log\n' \
	>/etc/lxcnet/hooks.d/10-record
chmod 755 /etc/lxcnet/hooks.d/10-record
systemctl reload $U
sleep 1
lxcnetctl hotplug add 9801 net2 "name=eth2,bridge=$BR" --wait >"$T/hp" 2>&1
wait_for 10 grep -q "^hotplug-add 9801 net2" /var/log/lxcnet-plugin-test.log
ok $? "an event plugin ran for hotplug-add and wrote its log ($(cat /var/log/lxcnet-plugin-test.log 2>/dev/null | tr '\n' ' '); $(lxcnetctl plugins 2>&1 | grep 10-record))"
lxcnetctl hotplug remove 9801 net2 --wait >/dev/null 2>&1

# ---------------------------------------------------------- journal fields
journalctl -u $U -o json --no-pager >"$T/journal.json" 2>/dev/null
python3 - "$T/journal.json" <<'PY'
import json, sys
hits = [j for j in map(json.loads, open(sys.argv[1])) if j.get("LXCNET_VMID") == "9801" and j.get("LXCNET_IFNAME")]
sys.exit(0 if hits else 1)
PY
ok $? "journald has lxcnetd's structured fields (LXCNET_VMID=9801 with LXCNET_IFNAME)"

# ------------------------------------------------- the legacy path: a pct stand-in
# What Proxmox's pct does for a veth hotplug, with the tools it uses.
cp "$(dirname "$0")/pct-standin" /usr/local/sbin/pct-standin && chmod 755 /usr/local/sbin/pct-standin
printf 'lxcnet: node\n\tphase legacy\n\tlegacy-pct /usr/local/sbin/pct-standin\n' >/etc/lxcnet/lxcnet.conf
systemctl reload $U
sleep 1
lxcnetctl hotplug add 9801 net3 "name=eth3,bridge=$BR" --wait >"$T/hp" 2>&1 &&
	lxc-attach -n 9801 -- ip link show eth3 >/dev/null 2>&1 && [ "$(master_of veth9801i3)" = $BR ]
ok $? "phase legacy: hotplug add by the pct stand-in (lxc-device, lxc-attach): eth3 inside $(tail -1 "$T/hp")"
lxcnetctl hotplug remove 9801 net3 --wait >"$T/hp" 2>&1 && [ ! -e /sys/class/net/veth9801i3 ]
ok $? "phase legacy: hotplug remove by the pct stand-in $(tail -1 "$T/hp")"
rm -f /etc/lxcnet/lxcnet.conf
systemctl reload $U

# /etc/lxcnet: made by the unit (ConfigurationDirectory=) when missing; the
# old ReadWritePaths=-/etc/lxcnet left it read-only then.
rm -rf /etc/lxcnet
old_line "ConfigurationDirectory=" "ReadWritePaths=" "ReadWritePaths=/sys/fs/bpf /run/lock -/etc/pve -/etc/lxcnet"
mkdir -p /etc/lxcnet
lxcnetctl phase set basic >"$T/ph" 2>&1
rc=$?
[ $rc -ne 0 ] && [ ! -e /etc/lxcnet/lxcnet.conf ]
ok $? "regression, old ReadWritePaths=-/etc/lxcnet, missing at start: phase set fails ($(tail -1 "$T/ph"))"
rm -rf /etc/lxcnet
new_lines
lxcnetctl phase set basic >"$T/ph" 2>&1 && grep -q "phase basic" /etc/lxcnet/lxcnet.conf
ok $? "/etc/lxcnet missing at start: the unit makes it, phase set writes lxcnet.conf ($(tail -1 "$T/ph"))"
rm -f /etc/lxcnet/lxcnet.conf
systemctl reload $U


# ------------------------------------------------ watchdog and Restart=
lxcnetctl bind 9802 net0 v98 >/dev/null 2>&1
before=$(lxcnetctl bindings 2>/dev/null | sort)
# restarted FROM-PID SECONDS: a new main process, active
restarted() {
	wait_for "$2" sh -c "p=\$(systemctl show -p MainPID --value $U); [ \"\$p\" != 0 ] && [ \"\$p\" != $1 ] && [ \"\$(systemctl is-active $U)\" = active ]"
}
# The shipped WatchdogSec=30, shortened for the test only: the agent's
# pings and systemd's restart are what is checked, not the period.
mkdir -p $D && printf '[Service]\nWatchdogSec=6\n' >$D/watchdog.conf && systemctl daemon-reload && systemctl restart $U
pid0=$(main_pid)
sleep 8
[ "$(main_pid)" = "$pid0" ]; ok $? "the agent pings the watchdog: still pid $pid0 after 8 s with WatchdogSec=6"
kill -STOP "$pid0"
restarted "$pid0" 60
ok $? "the watchdog restarts a stopped agent (SIGSTOP; pid $pid0 -> $(main_pid)) $(journalctl -u $U -o cat --no-pager | grep -i watchdog | tail -1)"
rm -f $D/watchdog.conf && systemctl daemon-reload
pid1=$(main_pid)
kill -9 "$pid1"
restarted "$pid1" 30
ok $? "Restart=on-failure after kill -9 (pid $pid1 -> $(main_pid))"
after=$(lxcnetctl bindings 2>/dev/null | sort)
[ -n "$before" ] && [ "$before" = "$after" ] && echo "$after" | grep -q 'veth9802i0.*v98'
ok $? "no binding lost across both restarts ($(echo "$after" | grep -c veth) bindings)"

kill $ECHO $DNS 2>/dev/null
lxc-stop -n 9801 -k >/dev/null 2>&1
lxc-stop -n 9802 -k >/dev/null 2>&1
lxc-stop -n 9803 -k >/dev/null 2>&1
echo "1..$n"
exit 0
