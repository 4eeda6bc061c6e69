#!/bin/sh
# Phased rollout, event plugins and metrics, with lxcnetd on a private bus
# and a legacy stand-in that records its arguments and environment (and
# plugs the veth, as Proxmox's lxcnetaddbr would): every phase routes each
# operation as specified; an injected lxcnet failure is undone, falls back
# and is counted; with fallback off the named error comes back; a vetoing
# plugin blocks a bind with its message; a plugin past its time limit is
# killed with what it started; a world-writable plugin is refused; the
# Prometheus output parses strictly and counts the traffic sent.
. "$(dirname "$0")/lib.sh"
it_init 93
it_need dbus-daemon busctl python3
BR=lxnt93
bridge $BR 1500 || skip_all "cannot create a bridge"
export LXCNET_NOTIFY_SOCKET="$T/notify"
private_bus || skip_all "dbus-daemon did not start"
bc() { busctl --address="$BUS" "$@"; }
call() { bc call org.lxcnet1 /org/lxcnet1 org.lxcnet1.Manager "$@"; }
ctl() { DBUS_SYSTEM_BUS_ADDRESS="$BUS" "$BUILD/lxcnetctl" "$@"; }
conf_line() { grep "^$2:" "$T/pve/lxc/$1.conf"; }

# The legacy stand-in: one line per call, "ARGS | LXC_NAME=... LXCNET_STANDIN=... master=<master of the veth then>".
cat >"$T/legacy" <<EOF
#!/bin/sh
last=""; for a in "\$@"; do last=\$a; done
m=\$(basename "\$(readlink /sys/class/net/\$last/master 2>/dev/null)" 2>/dev/null)
echo "\$* | LXC_NAME=\${LXC_NAME:-} LXCNET_STANDIN=\${LXCNET_STANDIN:-} master=\${m:--}" >>"$T/legacy.log"
[ "\${2:-}" = net ] && ip link set "\$last" master $BR up
exit 0
EOF
chmod 755 "$T/legacy"
cat >"$T/conf/lxcnet.conf" <<EOF
lxcnet: node
	phase full
	fallback off
	legacy-net-up $T/legacy
	legacy-pct $T/legacy
	plugin-timeout 1
EOF
cat >"$T/pve/sdn/.running-config" <<JSON
{"zones": {"ids": {"z93": {"type": "vlan", "bridge": "$BR"}}},
 "vnets": {"ids": {"v93": {"type": "vnet", "zone": "z93", "tag": 93}}}}
JSON

ctl legacy test >"$T/lt" 2>&1; ok $? "legacy test: both legacy commands are executable ($(tr '\n' ' ' <"$T/lt"))"
LXCNET_CONF_DIR="$T/none" ctl legacy test >"$T/lt" 2>&1
[ $? -eq 1 ] && grep -q "legacy-net-up  */usr/share/lxc/lxcnetaddbr  *missing" "$T/lt"
ok $? "legacy test: a missing default command is named, exit 1"

# While $T/fail exists, plugging fails after its last step (and undoes them), in the hook and the agent.
export LXCNET_TEST_FAIL="$T/fail"
"$BUILD/lxcnetd" --bus-address="$BUS" --state-dir="$T/state" --notify-socket="$T/notify" \
	--lxc-path="$T/lxc" >>"$T/agent.log" 2>&1 &
AGENT=$!
IT_PIDS="$IT_PIDS $AGENT"
for _ in $(seq 50); do bc status org.lxcnet1 >/dev/null 2>&1 && break; sleep 0.1; done
bc status org.lxcnet1 >/dev/null 2>&1; ok $? "lxcnetd runs"

# metric NAME LABEL-REGEX: the value of one Prometheus sample (0 when absent)
metric() { ctl metrics --prometheus | grep "^$1{.*$2" | head -1 | awk '{print $NF}' | grep . || echo 0; }

# --- net-up, phase by phase: who plugs a plain, a tagged and a VNet NIC.
ip link add veth9310i0 type veth peer name lxnt93p0 && IT_LINKS="$IT_LINKS veth9310i0"
# netup PHASE SPEC: run the hook as LXC would; prints who plugged: lxcnet, legacy or "failed"
netup() {
	pve_conf 9310 "net0: name=eth0,bridge=$2"
	ip link set veth9310i0 nomaster down
	: >"$T/legacy.log"
	LXCNET_LOG_STDERR=info LXCNET_PHASE=$1 LXC_NAME=9310 LXCNET_STANDIN=env-passed "$BUILD/lxcnet-netup" 9310 net up veth veth9310i0 \
		2>>"$T/netup.log" || { echo failed; return; }
	if [ -s "$T/legacy.log" ]; then echo legacy; else [ "$(link_field veth9310i0)" = "master=$BR mtu=1500 up=1" ] && echo lxcnet; fi
}
for row in "legacy legacy legacy legacy" "observe legacy legacy legacy" "basic lxcnet legacy legacy" \
	"advanced lxcnet lxcnet legacy" "sdn lxcnet lxcnet lxcnet" "full lxcnet lxcnet lxcnet"; do
	set -- $row
	got="$(netup $1 $BR) $(netup $1 "$BR,tag=5") $(netup $1 v93)"
	[ "$got" = "$2 $3 $4" ]; ok $? "phase $1: plain, tag=5 and VNet NICs plugged by $2 $3 $4 ($got)"
done
netup basic "$BR,tag=5" >/dev/null
grep -q "^9310 net up veth veth9310i0 | LXC_NAME=9310 LXCNET_STANDIN=env-passed master=-$" "$T/legacy.log"
ok $? "the legacy command got LXC's arguments and environment ($(cat "$T/legacy.log"))"
# lxcnet-netup as lxc.hook.start-host: each NIC decided on its own; the legacy command gets what a script.up gets.
ip link add veth9310i1 type veth peer name lxnt93p1 && IT_LINKS="$IT_LINKS veth9310i1"
pve_conf 9310 "net0: name=eth0,bridge=$BR" "net1: name=eth1,bridge=$BR,tag=5"
ip link set veth9310i0 nomaster down
: >"$T/legacy.log"
LXCNET_PHASE=basic LXC_NAME=9310 LXCNET_STANDIN=env-passed "$BUILD/lxcnet-netup" 9310 lxc start-host 2>>"$T/netup.log"
ok $? "start-host in phase basic succeeds"
[ "$(link_field veth9310i0)" = "master=$BR mtu=1500 up=1" ] && [ "$(wc -l <"$T/legacy.log")" -eq 1 ] &&
	grep -q "^9310 net up veth veth9310i1 | LXC_NAME=9310 LXCNET_STANDIN=env-passed master=-$" "$T/legacy.log"
ok $? "start-host: lxcnet plugs net0, the legacy command net1 with script.up's arguments ($(cat "$T/legacy.log"))"
ip link set veth9310i0 nomaster down
: >"$T/legacy.log"
LXCNET_PHASE=basic LXC_NAME=9310 LXC_HOOK_TYPE=start-host LXC_HOOK_SECTION=lxc LXCNET_STANDIN=env-passed \
	"$BUILD/lxcnet-netup" 2>>"$T/netup.log" && [ "$(link_field veth9310i0)" = "master=$BR mtu=1500 up=1" ] &&
	grep -q "^veth veth9310i1 | LXC_NAME=9310 " "$T/legacy.log"
ok $? "start-host, hook version 1: the legacy command gets 'veth <host-veth>' ($(cat "$T/legacy.log"))"
grep -q "phase basic delegates NICs with tag, trunks, rate or firewall (lxcnet performs them from phase advanced)" "$T/netup.log"
ok $? "the decision is logged with its reason"
obs0=$(metric lxcnet_operations_total 'operation="net-up",path="observe",result="ok"')
netup observe $BR >/dev/null
sleep 0.3
obs1=$(metric lxcnet_operations_total 'operation="net-up",path="observe",result="ok"')
[ "$obs1" -eq $((obs0 + 1)) ]; ok $? "phase observe: the agent counts the legacy plug ($obs0 -> $obs1)"
leg0=$(metric lxcnet_operations_total 'operation="net-up",path="legacy",result="ok"')
[ "$leg0" -eq 0 ]; ok $? "phase legacy: the hook leaves the agent out entirely ($leg0 counted)"

# The phase from lxcnet.conf, set through the agent: the hook follows the file.
ctl phase set basic; ok $? "lxcnetctl phase set basic"
grep -q "^	phase basic$" "$T/conf/lxcnet.conf" && grep -q "^	legacy-pct $T/legacy$" "$T/conf/lxcnet.conf"
ok $? "lxcnet.conf now says phase basic, the other keys kept"
[ "$(netup "" "$BR,tag=5")" = legacy ]; ok $? "the hook reads phase basic from the file"
ctl phase set fast 2>"$T/err"; [ $? -eq 2 ]; ok $? "phase set fast: bad command line ($(cat "$T/err"))"
out=$(call SetPhase s fast 2>&1); echo "$out" | grep -q "'fast' is not a phase"; ok $? "SetPhase fast: InvalidArgument naming it ($out)"
ctl phase show >"$T/show"
grep -q "^Phase:    basic (config)" "$T/show" && grep -q "^hotplug-add *- *legacy *no *phase basic delegates hotplug" "$T/show"
ok $? "phase show: the phase, its source and each operation's path with the reason"

# --- an injected lxcnet failure: undone, then the legacy command (fallback on), or the error (off).
ctl phase set full && ctl fallback on; ok $? "phase full, fallback on"
touch "$T/fail"
fb0=$(metric lxcnet_operation_fallbacks_total 'operation="net-up"')
[ "$(netup "" $BR)" = legacy ]; ok $? "net-up: lxcnet fails, the legacy command plugs"
grep -q "master=-$" "$T/legacy.log"; ok $? "lxcnet undid its plug before the legacy command ran ($(cat "$T/legacy.log"))"
sleep 0.3
fb1=$(metric lxcnet_operation_fallbacks_total 'operation="net-up"')
[ "$fb1" -eq $((fb0 + 1)) ]; ok $? "the fallback is counted ($fb0 -> $fb1)"
ctl fallback off
[ "$(netup "" $BR)" = failed ] && [ ! -s "$T/legacy.log" ] && [ "$(link_field veth9310i0)" = "master=- mtu=1500 up=0" ]
ok $? "fallback off: the hook fails, no legacy call, the veth left as LXC made it"
rm -f "$T/fail"

# --- hotplug and binds: a real container.
pve_conf 9301 "net0: name=eth0,bridge=$BR,ip=10.93.0.1/24"
ct_create 9301 && ct_start 9301
[ "$(ct_state 9301)" = RUNNING ]; ok $? "container 9301 runs"
ctl phase set sdn
: >"$T/legacy.log"
ctl hotplug add 9301 net1 "name=eth1,bridge=$BR,tag=7" --wait >/dev/null; ok $? "phase sdn: hotplug add done"
grep -q "^set 9301 --net1 name=eth1,bridge=$BR,tag=7 |" "$T/legacy.log" && [ ! -d /sys/class/net/veth9301i1 ]
ok $? "...by 'pct set 9301 --net1 SPEC', lxcnet made no veth ($(head -1 "$T/legacy.log"))"
ctl hotplug update 9301 net0 "name=eth0,bridge=$BR,tag=8" --wait >/dev/null && grep -q "^set 9301 --net0 name=eth0,bridge=$BR,tag=8 |" "$T/legacy.log"
ok $? "phase sdn: hotplug update by pct set"
ctl hotplug remove 9301 net0 --wait >/dev/null && grep -q "^set 9301 --delete net0 |" "$T/legacy.log" && [ -d /sys/class/net/veth9301i0 ]
ok $? "phase sdn: hotplug remove by 'pct set 9301 --delete net0'; the NIC stays"
conf_line 9301 net0 | grep -q "net0: name=eth0,bridge=$BR,"; ok $? "the legacy path leaves the config to pct ($(conf_line 9301 net0))"
ctl phase set advanced
: >"$T/legacy.log"
call BindVNet sss 9301 net0 v93 >/dev/null && grep -q "^set 9301 --net0 name=eth0,bridge=v93,.*ip=10.93.0.1/24 |" "$T/legacy.log"
ok $? "phase advanced: BindVNet by pct set with bridge=v93 ($(cat "$T/legacy.log"))"
conf_line 9301 net0 | grep -q "bridge=$BR,"; ok $? "...and lxcnet did not write the config"

ctl phase set full && ctl fallback on
touch "$T/fail"
: >"$T/legacy.log"
fb0=$(metric lxcnet_operation_fallbacks_total 'operation="hotplug-add"')
ctl hotplug add 9301 net2 "name=eth2,bridge=$BR" --wait >/dev/null; ok $? "phase full, injected failure: hotplug add still done"
grep -q "^set 9301 --net2 name=eth2,bridge=$BR |" "$T/legacy.log" && [ ! -d /sys/class/net/veth9301i2 ] && ! conf_line 9301 net2
ok $? "...by the legacy command after lxcnet removed its veth and wrote nothing"
fb1=$(metric lxcnet_operation_fallbacks_total 'operation="hotplug-add"')
[ "$fb1" -eq $((fb0 + 1)) ]; ok $? "the hotplug fallback is counted ($fb0 -> $fb1)"
ctl fallback off
: >"$T/legacy.log"
out=$(ctl hotplug add 9301 net2 "name=eth2,bridge=$BR" --wait 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "org.lxcnet1.Error.Failed" && [ ! -s "$T/legacy.log" ] && [ ! -d /sys/class/net/veth9301i2 ]
ok $? "fallback off: the operation fails with org.lxcnet1.Error.Failed, nothing left ($out)"
rm -f "$T/fail"
out=$(metric lxcnet_operations_total 'operation="hotplug-add",path="lxcnet",result="failed"')
[ "$out" -eq 1 ]; ok $? "the failure is counted on the lxcnet path ($out)"

# --- event plugins.
mkdir -p "$T/conf/hooks.d"
chmod 755 "$T/conf/hooks.d"
cat >"$T/conf/hooks.d/10-veto" <<EOF
#!/bin/sh
cat >"$T/stdin-\$LXCNET_EVENT.json"
for f in /proc/\$\$/fd/*; do echo "\${f##*/} \$(readlink \$f)"; done >"$T/fds-\$LXCNET_EVENT"
if [ "\$LXCNET_EVENT" = validate-bind ] && [ "\$LXCNET_VNET" = v93 ]; then
	echo "VNet v93 is closed for maintenance" >&2
	echo "second line" >&2
	exit 1
fi
exit 0
EOF
cat >"$T/conf/hooks.d/20-slow" <<EOF
#!/bin/sh
[ "\$LXCNET_EVENT" = unbound ] || exit 0
sleep 30 &
echo \$! >"$T/slow.pid"
wait
EOF
cat >"$T/conf/hooks.d/30-open" <<EOF
#!/bin/sh
touch "$T/open-ran"
EOF
chmod 755 "$T/conf/hooks.d/10-veto" "$T/conf/hooks.d/20-slow"
chmod 777 "$T/conf/hooks.d/30-open"
cp "$T/pve/lxc/9301.conf" "$T/before.conf"
out=$(call BindVNet sss 9301 net0 v93 2>&1); rc=$?
[ $rc -ne 0 ] && echo "$out" | grep -q "VNet v93 is closed for maintenance"; ok $? "a vetoing plugin blocks BindVNet with its first stderr line ($out)"
ctl bind 9301 net0 v93 2>&1 | grep -q "org.lxcnet1.Error.Vetoed"; ok $? "the error is org.lxcnet1.Error.Vetoed"
cmp -s "$T/before.conf" "$T/pve/lxc/9301.conf" && [ "$(link_field veth9301i0)" = "master=$BR mtu=1500 up=1" ]
ok $? "nothing changed: config byte for byte, veth in $BR"
python3 - "$T/stdin-validate-bind.json" <<'PY'; ok $? "the plugin got the event as JSON on stdin"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not (j["event"] == "validate-bind" and j["container"] == "9301" and j["net"] == "net0" and j["vnet"] == "v93" and j["action"] == "bind"))
PY
# The shell opens files and pipes of its own; none of the agent's sockets, eventfds or BPF objects may be there.
[ -s "$T/fds-validate-bind" ] && ! grep -Eq ' (socket|anon_inode):' "$T/fds-validate-bind"
ok $? "no inherited fds: no socket, eventfd or BPF object ($(tr '\n' ' ' <"$T/fds-validate-bind"))"

# Bind to another zone's VNet passes the veto plugin; unbinding runs the slow plugin on 'unbound'.
cat >"$T/pve/sdn/.running-config" <<JSON
{"zones": {"ids": {"z93": {"type": "vlan", "bridge": "$BR"}}},
 "vnets": {"ids": {"v93": {"type": "vnet", "zone": "z93", "tag": 93}, "w93": {"type": "vnet", "zone": "z93", "tag": 94}}}}
JSON
call BindVNet sss 9301 net0 w93 >/dev/null; ok $? "BindVNet to w93 passes the plugins"
conf_line 9301 net0 | grep -q "bridge=w93"; ok $? "...and lxcnet wrote bridge=w93 ($(conf_line 9301 net0))"
call UnbindVNet ss 9301 net0 >/dev/null; ok $? "UnbindVNet"
for _ in $(seq 40); do ctl plugins history | grep -q "20-slow .*unbound .*timeout" && break; sleep 0.1; done
ctl plugins history | grep -q "20-slow .*unbound .*9301 .*net0 .*timeout .*killed after 1 s"
ok $? "the slow plugin was killed at its 1 s limit and recorded as a timeout"
pid=$(cat "$T/slow.pid" 2>/dev/null)
# Gone, or a zombie waiting for whoever reaps orphans here.
[ -n "$pid" ] && { ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ]; }
ok $? "what it started was killed with it (pid $pid)"
ctl plugins >"$T/plugins"
grep -q "^20-slow *executable *[0-9]* *0 *1 *0 " "$T/plugins"; ok $? "plugins: 20-slow has 1 timeout ($(grep 20-slow "$T/plugins"))"
grep -q "^10-veto *executable *[0-9]* *0 *0 *2 .*ok$" "$T/plugins"; ok $? "plugins: 10-veto has 2 vetoes ($(grep 10-veto "$T/plugins"))"
grep -q "^30-open .*refused: group- or world-writable$" "$T/plugins" && [ ! -e "$T/open-ran" ]
ok $? "the world-writable plugin is refused and never ran"
grep -q "Event plugin '30-open' refused: group- or world-writable" "$T/agent.log"; ok $? "the refusal is logged with its reason"
grep -q "^builtin:journal *builtin *[1-9]" "$T/plugins" && grep -q "^builtin:vnet *builtin *[1-9]" "$T/plugins"
ok $? "the built-ins are listed with their runs"
grep -q "Event unbound: container 9301 net0" "$T/agent.log"; ok $? "builtin:journal logged the unbound event"

# --- metrics: strict parse, and the counters follow the traffic sent.
netns lxnt93n && ip link add lxnt93h type veth peer name eth0 netns lxnt93n && IT_LINKS="$IT_LINKS lxnt93h" &&
	ip link set lxnt93h master $BR up && in_ns lxnt93n ip addr add 10.93.0.2/24 dev eth0 && in_ns lxnt93n ip link set eth0 up
ctl hotplug update 9301 net0 "name=eth0,bridge=$BR,ip=10.93.0.1/24" --wait >/dev/null; ok $? "9301 net0 back on $BR"
ctl metrics --prometheus >"$T/m0"
python3 - "$T/m0" <<'PY'; ok $? "the Prometheus output parses strictly"
import re, sys
name_re = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')
families, seen, types = {}, set(), {}
cur = None
for no, line in enumerate(open(sys.argv[1]), 1):
    line = line.rstrip("\n")
    m = re.fullmatch(r'# HELP (%s) (.*)' % name_re, line)
    if m:
        cur = m.group(1); assert cur not in families, (no, "family twice", cur); families[cur] = 0; continue
    m = re.fullmatch(r'# TYPE (%s) (counter|gauge|summary|histogram|untyped)' % name_re, line)
    if m:
        assert m.group(1) == cur, (no, "TYPE not after its HELP"); types[cur] = m.group(2); continue
    assert not line.startswith("#"), (no, "stray comment", line)
    m = re.fullmatch(r'(%s)(\{(.*)\})? (\S+)' % name_re, line)
    assert m, (no, "not a sample", line)
    name, labels, value = m.group(1), m.group(3) or "", m.group(4)
    t = types.get(cur)
    ok_names = {cur} | ({cur + "_sum", cur + "_count"} if t == "summary" else set())
    assert name in ok_names, (no, "sample outside its family", name, cur)
    if t == "counter": assert cur.endswith("_total"), (no, "counter without _total", cur)
    pairs = label_re.findall(labels)
    assert ",".join('%s="%s"' % p for p in pairs) == labels, (no, "bad labels", labels)
    assert len({k for k, _ in pairs}) == len(pairs), (no, "label twice")
    v = float(value)
    if t == "counter": assert v >= 0, (no, "negative counter")
    key = (name, tuple(sorted(pairs)))
    assert key not in seen, (no, "series twice", key); seen.add(key)
    families[cur] += 1
assert families.get("lxcnet_interface_packets_total", 0) > 0, "no interface series"
print("# %d families, %d series" % (len(families), len(seen)))
PY
grep -q '^lxcnet_interface_packets_total{vmid="9301",net="net0",ifname="veth9301i0",vnet="",runtime="lxc",direction="from-container"} ' "$T/m0"
ok $? "an interface series has the labels vmid, net, ifname, vnet"
sel='vmid="9301",net="net0",ifname="veth9301i0",vnet="",runtime="lxc",direction="from-container"'
p0=$(metric lxcnet_interface_packets_total "$sel")
b0=$(metric lxcnet_interface_bytes_total "$sel")
ct_exec 9301 ping -c 20 -i 0.05 -s 1000 -W 1 10.93.0.2 >/dev/null; ok $? "9301 pings its neighbour 20 times (1000-byte payload)"
p1=$(metric lxcnet_interface_packets_total "$sel")
b1=$(metric lxcnet_interface_bytes_total "$sel")
dp=$((p1 - p0)); db=$((b1 - b0))
[ $dp -ge 20 ] && [ $dp -le 30 ]; ok $? "packets from the container grew by the 20 pings (+ARP/ND at most): $dp"
[ $db -ge 20000 ] && [ $db -le 22000 ]; ok $? "bytes grew by 20 x 1042 (+ARP/ND at most): $db"
out=$(metric lxcnet_plugin_runs_total 'plugin="20-slow",outcome="timeout"')
[ "$out" -eq 1 ]; ok $? "plugin timeouts in the metrics ($out)"
grep -q '^lxcnet_phase{phase="full"} 1$' "$T/m0" && grep -q '^# TYPE lxcnet_operation_duration_seconds summary$' "$T/m0"
ok $? "phase gauge and duration summary present"

ct_stop 9301
kill "$AGENT"; wait "$AGENT" 2>/dev/null
it_done
