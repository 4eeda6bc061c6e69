#!/bin/sh
# Runs inside a systemd node booted by uml-run --systemd (see
# test/integration/test-systemd.sh): the lxcnet package on a "Proxmox node"
# with real dpkg and apt. Stand-ins for lxc-pve (LXC repackaged: Provides,
# Conflicts and Replaces liblxc1 and lxc, as the real one) and for
# pve-container (an /usr/share/lxc/lxcnetaddbr that records its calls and
# plugs with ip, as Proxmox's does, and a PVE/LXC.pm) are built with
# dpkg-deb. lxcnetctl status says how the node is wired at each step. With lxc-pve
# installed, apt proposes to remove nothing for lxcnet and nothing is
# diverted; pve-container installed afterwards (lxcnet's trigger), or
# lxcnet installed after it, diverts lxcnetaddbr to lxcnet-netup; a
# container whose config runs lxcnetaddbr is
# plugged by lxcnet; phase legacy runs Proxmox's original; an upgrade of
# pve-container lands in .distrib, and one whose LXC.pm no longer writes
# lxcnetaddbr is warned about; lxcnet as its own legacy command is
# refused; purge puts Proxmox's file back byte for byte. TAP on stdout.
#
# Environment: LXCNET_DEB (the .deb to install).
set -u
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH DEBIAN_FRONTEND=noninteractive
n=0
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
T=${UMLRUN_OUT:-/var/tmp}/takeover
mkdir -p "$T"
P=/var/tmp/pkgs
ADDBR=/usr/share/lxc/lxcnetaddbr
BR=lxbr0
master_of() { basename "$(readlink "/sys/class/net/$1/master" 2>/dev/null)" 2>/dev/null; }

# The node is thrown away: no man page index to rebuild at each dpkg run.
echo 'man-db man-db/auto-update boolean false' | debconf-set-selections 2>/dev/null

# ------------------------------------------------------ the stand-ins
mkdir -p "$P/lxc-pve/DEBIAN" "$P/pvect/DEBIAN" "$P/pvect/usr/share/lxc" "$P/pvect/usr/share/perl5/PVE"
# Its LXC.pm writes lxc.net.N.script.up = lxcnetaddbr into each generated config (lxcnet's trigger checks that).
printf '# stand-in PVE::LXC\n$raw .= "lxc.net.$ind.script.up = /usr/share/lxc/lxcnetaddbr\\n";\n' >"$P/pvect/usr/share/perl5/PVE/LXC.pm"
# lxc-pve: the files of Debian's LXC packages, under Proxmox's relations.
dpkg -L liblxc1 liblxc-common lxc 2>/dev/null | while IFS= read -r f; do
	[ -f "$f" ] || [ -L "$f" ] && [ ! -d "$f" ] && echo "${f#/}"
done >"$T/lxc-files"
tar -C / -cf - -T "$T/lxc-files" 2>/dev/null | tar -C "$P/lxc-pve" -xf -
cat >"$P/lxc-pve/DEBIAN/control" <<EOF
Package: lxc-pve
Version: 6.0.0-1
Architecture: amd64
Maintainer: lxcnet tests <root@localhost>
Conflicts: liblxc1, liblxc-common, lxc
Replaces: liblxc1, liblxc-common, lxc
Provides: liblxc1, liblxc-common, lxc
Description: stand-in for Proxmox's lxc-pve
EOF
# pve-container: its lxcnetaddbr records the call and plugs the veth into netN's bridge.
standin_addbr() {
	cat <<EOF
#!/bin/sh
# stand-in lxcnetaddbr, pve-container $1
echo "\$*" >>/var/log/lxcnetaddbr.calls
vmid=\$1 veth=\$5
n=\${veth##*i}
br=\$(sed -n "s/^net\$n: .*bridge=\\([^,]*\\).*/\\1/p" /etc/pve/lxc/\$vmid.conf)
ip link set "\$veth" master "\$br" up
EOF
}
standin_addbr 5.0.0 >"$P/pvect/usr/share/lxc/lxcnetaddbr"
chmod 755 "$P/pvect/usr/share/lxc/lxcnetaddbr"
ct_control() {
	printf 'Package: pve-container\nVersion: %s\nArchitecture: all\nMaintainer: lxcnet tests <root@localhost>\nDepends: lxc-pve\nDescription: stand-in for pve-container\n' "$1"
}
ct_control 5.0.0 >"$P/pvect/DEBIAN/control"
dpkg-deb -b "$P/lxc-pve" "$P/lxc-pve.deb" >/dev/null 2>&1 && dpkg-deb -b "$P/pvect" "$P/pve-container.deb" >/dev/null 2>&1
ok $? "stand-in lxc-pve ($(wc -l <"$T/lxc-files") files of liblxc1, liblxc-common, lxc) and pve-container built"
apt-get install -y "$P/lxc-pve.deb" >"$T/apt-pve.log" 2>&1 &&
	dpkg -s lxc-pve 2>/dev/null | grep -q '^Status: install ok installed' && ! dpkg -s liblxc1 >/dev/null 2>&1 && command -v lxc-start >/dev/null
ok $? "apt installs lxc-pve in place of Debian's LXC, as on a Proxmox node $(tail -1 "$T/apt-pve.log")"

# ------------------------------------------------------ lxcnet itself
cp "$LXCNET_DEB" "$P/lxcnet.deb"
apt-get install -s "$P/lxcnet.deb" >"$T/apt-sim.log" 2>&1
grep -q '^Inst lxcnet' "$T/apt-sim.log" && ! grep -q '^Remv' "$T/apt-sim.log"
ok $? "apt would install lxcnet beside lxc-pve and remove nothing ($(grep -c '^Remv' "$T/apt-sim.log") removals: $(grep '^Remv' "$T/apt-sim.log" | tr '\n' ' '))"
dpkg -i "$P/lxcnet.deb" >"$T/apt-lxcnet.log" 2>&1 && dpkg -s lxc-pve >/dev/null 2>&1
ok $? "lxcnet installs; lxc-pve stays $(tail -1 "$T/apt-lxcnet.log")"
[ -z "$(dpkg-divert --listpackage $ADDBR)" ] && [ ! -e $ADDBR ]
ok $? "without pve-container nothing is diverted (a plain LXC host)"
lxcnetctl status >"$T/status0" 2>&1
grep -q "^node: lxc (no pve-container here" "$T/status0"; ok $? "lxcnetctl status: $(head -1 "$T/status0")"
# pve-container after lxcnet: lxcnet's trigger on lxcnetaddbr takes it over.
dpkg -i "$P/pve-container.deb" >"$T/apt-ct.log" 2>&1 && dpkg -s pve-container >/dev/null 2>&1
ok $? "pve-container installs afterwards $(tail -1 "$T/apt-ct.log")"
[ "$(dpkg-divert --listpackage $ADDBR)" = lxcnet ] && [ "$(dpkg-divert --truename $ADDBR)" = $ADDBR.distrib ] &&
	[ "$(readlink $ADDBR)" = /usr/libexec/lxcnet/lxcnet-netup ] && grep -q 'pve-container 5.0.0' $ADDBR.distrib
ok $? "lxcnet's trigger diverted lxcnetaddbr to .distrib, lxcnet-netup in its place ($(readlink $ADDBR))"
HOOKS=/usr/share/lxc/config/common.conf.d/10-lxcnet.conf
grep -q "^lxc.hook.pre-start = /usr/libexec/lxcnet/lxcnet-prestart --node-wide$" $HOOKS &&
	grep -q "^lxc.hook.post-stop = /usr/libexec/lxcnet/lxcnet-poststop --node-wide$" $HOOKS
ok $? "and every container's common.conf.d gets lxcnet's pre-start and post-stop hooks ($HOOKS)"
lxcnetctl legacy test >"$T/lt" 2>&1
grep -q "^legacy-net-up  *$ADDBR.distrib  *ok" "$T/lt"
ok $? "the legacy command is now Proxmox's original: $(head -1 "$T/lt")"
lxcnetctl status >"$T/status1" 2>&1
grep -q "^node: diverted (Proxmox's $ADDBR is lxcnet-netup, the original is $ADDBR.distrib" "$T/status1" &&
	grep -q "^legacy-net-up: $ADDBR.distrib (ok)$" "$T/status1" && grep -q "^phase: full (default), fallback off, reconcile on$" "$T/status1" &&
	! grep -q WARNING "$T/status1"
ok $? "lxcnetctl status says how the node is wired: $(head -3 "$T/status1" | tr '\n' '|')"

# ------------------------------------------------------ a container as pve-container writes it
ip link add $BR type bridge && ip link set $BR up && ip addr add 10.97.0.1/24 dev $BR
mkdir -p /etc/pve/lxc
printf 'arch: amd64\nhostname: ct9701\nnet0: name=eth0,bridge=%s,hwaddr=BC:24:11:97:00:01,tag=100,type=veth\nostype: unmanaged\n' $BR \
	>/etc/pve/lxc/9701.conf
lxc-create -t busybox -n 9701 >"$T/create.log" 2>&1
cfg=/var/lib/lxc/9701/config
sed -i '/^lxc\.net\./d; /^lxc\.apparmor\./d' $cfg
sed -i '/udhcpc/d' /var/lib/lxc/9701/rootfs/etc/init.d/rcS
{
	echo "lxc.apparmor.profile = unconfined"
	# As Proxmox's <ostype>.common.conf includes common.conf, which includes this directory.
	echo "lxc.include = /usr/share/lxc/config/common.conf.d/"
	echo "lxc.net.0.type = veth"
	echo "lxc.net.0.veth.pair = veth9701i0"
	echo "lxc.net.0.hwaddr = BC:24:11:97:00:01"
	echo "lxc.net.0.name = eth0"
	echo "lxc.net.0.script.up = $ADDBR"
} >>$cfg
: >/var/log/lxcnetaddbr.calls
lxc-start -n 9701 -l DEBUG -o "$T/start1.log" && lxc-wait -n 9701 -s RUNNING -t 10
ok $? "a container whose config runs $ADDBR for its NIC starts"
tc filter show dev veth9701i0 ingress 2>/dev/null | grep -q bpf && [ "$(master_of veth9701i0)" = $BR ] &&
	[ ! -s /var/log/lxcnetaddbr.calls ]
ok $? "lxcnet plugged it (tag=100 by its datapath on $BR), Proxmox's script did not run"
ip link add veth9701i7 type dummy 2>/dev/null || ip link add veth9701i7 type bridge   # left from a crash
lxc-stop -n 9701 -k
grep -q 'Executing script "/usr/libexec/lxcnet/lxcnet-prestart --node-wide"' "$T/start1.log" &&
	grep -q 'Executing script "/usr/libexec/lxcnet/lxcnet-poststop --node-wide"' "$T/start1.log" &&
	[ ! -e /sys/class/net/veth9701i7 ]
ok $? "the node-wide hooks ran at start and stop; post-stop removed a leftover veth9701i7"
# A NIC lxcnet cannot plug is refused before LXC makes anything, naming it.
sed -i "s/bridge=$BR,/bridge=nosuchbr0,/" /etc/pve/lxc/9701.conf
! lxc-start -n 9701 -l DEBUG -o "$T/start-bad.log" && ! lxc-wait -n 9701 -s RUNNING -t 1 2>/dev/null &&
	grep -q "Refusing to start container '9701': net0: bridge: 'nosuchbr0' is neither a bridge nor an SDN VNet" "$T/start-bad.log"
ok $? "the node-wide pre-start refuses a NIC on a bridge that does not exist, naming it"
sed -i "s/bridge=nosuchbr0,/bridge=$BR,/" /etc/pve/lxc/9701.conf
# A container lxcnet has no config for is not lxcnet's: the node-wide hooks let it be.
lxc-create -t busybox -n plain1 >"$T/create-plain.log" 2>&1
sed -i '/^lxc\.net\./d; /^lxc\.apparmor\./d' /var/lib/lxc/plain1/config
printf 'lxc.apparmor.profile = unconfined\nlxc.include = /usr/share/lxc/config/common.conf.d/\nlxc.net.0.type = empty\n' \
	>>/var/lib/lxc/plain1/config
lxc-start -n plain1 -l DEBUG -o "$T/start-plain.log" && lxc-wait -n plain1 -s RUNNING -t 10 && lxc-stop -n plain1 -k
ok $? "a container without an lxcnet config starts and stops with the node-wide hooks"
lxc-destroy -n plain1 >/dev/null 2>&1

mkdir -p /etc/lxcnet
printf 'lxcnet: node\n\tphase legacy\n' >/etc/lxcnet/lxcnet.conf
lxc-start -n 9701 -l DEBUG -o "$T/start2.log" && lxc-wait -n 9701 -s RUNNING -t 10 &&
	grep -q "^9701 net up veth veth9701i0" /var/log/lxcnetaddbr.calls && [ "$(master_of veth9701i0)" = $BR ] &&
	! tc filter show dev veth9701i0 ingress 2>/dev/null | grep -q bpf
ok $? "phase legacy: Proxmox's original plugs it, lxcnet stays out ($(cat /var/log/lxcnetaddbr.calls | tr '\n' ' '))"
lxc-stop -n 9701 -k

# lxcnet named as its own legacy command: refused, not a loop.
printf 'lxcnet: node\n\tphase legacy\n\tlegacy-net-up %s\n' $ADDBR >/etc/lxcnet/lxcnet.conf
lxcnetctl legacy test >"$T/lt2" 2>&1
[ $? -eq 1 ] && grep -q "^legacy-net-up .*is lxcnet-netup itself" "$T/lt2"
ok $? "legacy test: lxcnetaddbr as the legacy command is named as lxcnet-netup itself ($(head -1 "$T/lt2"))"
timeout 20 /usr/libexec/lxcnet/lxcnet-netup 9701 net up veth veth9701i0 >"$T/loop.log" 2>&1
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q "it is lxcnet-netup itself" "$T/loop.log"
ok $? "the hook refuses to run itself (exit $rc): $(head -1 "$T/loop.log")"
rm -f /etc/lxcnet/lxcnet.conf

# ------------------------------------------------------ pve-container upgraded under the diversion
standin_addbr 5.0.1 >"$P/pvect/usr/share/lxc/lxcnetaddbr"
ct_control 5.0.1 >"$P/pvect/DEBIAN/control"
# This version's LXC.pm no longer writes lxcnetaddbr into the configs.
printf '# stand-in PVE::LXC 5.0.1\n$raw .= "lxc.net.$ind.script.up = /usr/share/lxc/pve-net-up\\n";\n' >"$P/pvect/usr/share/perl5/PVE/LXC.pm"
dpkg-deb -b "$P/pvect" "$P/pve-container2.deb" >/dev/null 2>&1 && dpkg -i "$P/pve-container2.deb" >"$T/upgrade.log" 2>&1 &&
	grep -q 'pve-container 5.0.1' $ADDBR.distrib && [ "$(readlink $ADDBR)" = /usr/libexec/lxcnet/lxcnet-netup ]
ok $? "an upgrade of pve-container lands in .distrib; lxcnet-netup stays in place"
grep -q "WARNING: lxcnet: pve-container's /usr/share/perl5/PVE/LXC.pm no longer mentions $ADDBR" "$T/upgrade.log" &&
	journalctl -t lxcnet --no-pager 2>/dev/null | grep -q "no longer mentions $ADDBR"
ok $? "lxcnet's trigger warns, on the terminal and in the journal, that pve-container no longer runs lxcnetaddbr"
lxcnetctl status >"$T/status2" 2>&1
grep -q "^WARNING: pve-container's /usr/share/perl5/PVE/LXC.pm no longer mentions lxcnetaddbr" "$T/status2"
ok $? "and lxcnetctl status says so: $(grep WARNING "$T/status2")"

# ------------------------------------------------------ purge
dpkg --purge lxcnet >"$T/purge.log" 2>&1 && [ -f $ADDBR ] && [ ! -L $ADDBR ] && [ ! -e $ADDBR.distrib ] &&
	cmp -s $ADDBR "$P/pvect/usr/share/lxc/lxcnetaddbr" && [ -z "$(dpkg-divert --listpackage $ADDBR)" ]
ok $? "purge: Proxmox's lxcnetaddbr is back byte for byte, no diversion left $(tail -1 "$T/purge.log")"
: >/var/log/lxcnetaddbr.calls
lxc-start -n 9701 -l DEBUG -o "$T/start3.log" && lxc-wait -n 9701 -s RUNNING -t 10 &&
	grep -q "^9701 net up veth veth9701i0" /var/log/lxcnetaddbr.calls
ok $? "and the container is plugged by Proxmox's script again"
lxc-stop -n 9701 -k >/dev/null 2>&1

# The other order: lxcnet installed on a node that has pve-container diverts at once.
dpkg -i "$P/lxcnet.deb" >"$T/dpkg-lxcnet2.log" 2>&1 && [ "$(dpkg-divert --listpackage $ADDBR)" = lxcnet ] &&
	[ "$(readlink $ADDBR)" = /usr/libexec/lxcnet/lxcnet-netup ] && grep -q 'pve-container 5.0.1' $ADDBR.distrib
ok $? "lxcnet installed where pve-container is diverts lxcnetaddbr at once $(tail -1 "$T/dpkg-lxcnet2.log")"
echo "1..$n"
exit 0
