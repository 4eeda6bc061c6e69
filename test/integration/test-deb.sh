#!/bin/sh
# The Debian package: built with dpkg-buildpackage from this tree's
# distribution and contrib/debian, lintian reports no error, it installs on
# this machine (enabled, not started), the runtime hooks are wholly static,
# lxcnetctl --version and
# systemd-analyze verify work from the installed files, and a purge
# removes it. Skipped where lxcnet is already installed as a package.
. "$(dirname "$0")/lib.sh"
it_init 98
[ "${LXCNET_SKIP_PACKAGING:-0}" = 1 ] && skip_all "LXCNET_SKIP_PACKAGING=1 (run-tests.sh runs it in the first build only)"
it_need dpkg-buildpackage dh lintian fakeroot
dpkg -s lxcnet >/dev/null 2>&1 && skip_all "the lxcnet package is installed here already"
trap 'dpkg -s lxcnet >/dev/null 2>&1 && dpkg --purge lxcnet >/dev/null 2>&1; it_cleanup' EXIT

deb_source; ok $? "a source tree with debian/ from contrib/debian"
deb_build; ok $? "dpkg-buildpackage -b -us -uc builds ${deb##*/}"
contents=$(dpkg-deb -c "$deb" 2>/dev/null | awk '{ print $6 }')
m=""
for f in ./usr/sbin/lxcnetd ./usr/bin/lxcnetctl ./usr/libexec/lxcnet/lxcnet-prestart ./usr/libexec/lxcnet/lxcnet-netup \
	./usr/libexec/lxcnet/lxcnet-poststop ./usr/libexec/lxcnet/lxcnet-oci ./usr/lib/cni/lxcnet-cni ./lib/systemd/system/lxcnetd.service ./lib/systemd/system/lxcnet-bpffs.service ./usr/share/dbus-1/system.d/org.lxcnet1.conf \
	./usr/share/dbus-1/system-services/org.lxcnet1.service ./usr/share/man/man8/lxcnetd.8.gz ./usr/share/man/man8/lxcnetctl.8.gz \
	./usr/share/man/man8/lxcnet-hooks.8.gz ./usr/share/man/man5/lxcnet.conf.5.gz ./usr/share/man/man5/org.lxcnet1.5.gz \
	./usr/share/bash-completion/completions/lxcnetctl ./usr/share/lxcnet/lxc/lxcnet.conf \
	./usr/share/doc/lxcnet/examples/lxc/web.conf ./usr/share/doc/lxcnet/examples/lxcnet.conf; do
	echo "$contents" | grep -qx -- "$f" || m="$m $f"
done
[ -z "$m" ]; ok $? "it holds binaries, hooks, unit, D-Bus files, man pages, completion, examples (lxcnet.conf too)${m:+ (missing:$m)}"
# lintian keeps its ELF index in $TMPDIR (mldbm-elf-*) and leaves it there: give it the test's own.
mkdir -p "$T/tmp"
TMPDIR="$T/tmp" lintian --fail-on error "$deb" >"$T/lintian.log" 2>&1
rc=$?
sed 's/^/# /' "$T/lintian.log"
[ $rc -eq 0 ] && ! grep -q '^E: ' "$T/lintian.log"; ok $? "lintian reports no error"

bu=$(dpkg-deb -f "$deb" Built-Using 2>/dev/null)
echo "$bu" | grep -q 'libbpf (= ' && echo "$bu" | grep -q 'libnl3 (= ' && echo "$bu" | grep -q 'json-c (= ' &&
	echo "$bu" | grep -q 'glibc (= ' && echo "$bu" | grep -q 'zlib (= '
ok $? "Built-Using names the sources the hooks carry statically, glibc and zlib included ($bu)"
dpkg -i "$deb" >"$T/install.log" 2>&1; ok $? "dpkg -i installs it"
needed=$(for h in /usr/lib/cni/lxcnet-cni /usr/libexec/lxcnet/lxcnet-oci /usr/libexec/lxcnet/lxcnet-prestart \
	/usr/libexec/lxcnet/lxcnet-netup /usr/libexec/lxcnet/lxcnet-poststop; do readelf -d "$h" 2>/dev/null | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'; done | sort -u | tr '\n' ' ')
! echo "$needed" | grep -qE 'libbpf|libnl|libjson-c|libelf|liblxc'
ok $? "the installed hooks carry libbpf, libnl, json-c and libelf, and do not load liblxc (need: $needed)"
runtime=$(readelf -d /usr/lib/cni/lxcnet-cni /usr/libexec/lxcnet/lxcnet-oci 2>/dev/null | grep -c 'Shared library')
[ "$runtime" -eq 0 ] && file -L /usr/lib/cni/lxcnet-cni | grep -q 'static-pie' && /usr/lib/cni/lxcnet-cni --help >/dev/null &&
	CNI_COMMAND=VERSION /usr/lib/cni/lxcnet-cni </dev/null | grep -q supportedVersions
ok $? "lxcnet-cni and lxcnet-oci are wholly static (static-pie) and run ($runtime shared libraries)"
v=$(/usr/bin/lxcnetctl --version 2>&1 | head -1)
echo "$v" | grep -q '0\.1\.0'; ok $? "/usr/bin/lxcnetctl --version ($v)"
systemd-analyze verify --man=yes /lib/systemd/system/lxcnetd.service >"$T/verify.log" 2>&1
ok $? "systemd-analyze verify of the installed unit (man pages found) $(tr '\n' ' ' <"$T/verify.log")"
[ -L /etc/systemd/system/multi-user.target.wants/lxcnetd.service ]; ok $? "the service is enabled"
started=""
for p in /proc/[0-9]*; do [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/lxcnetd ] && started="$started ${p#/proc/}"; done
[ -z "$started" ]; ok $? "and nothing was started${started:+ (lxcnetd runs:$started)}"
man -w lxcnetd >/dev/null 2>&1 && man -w 5 org.lxcnet1 >/dev/null 2>&1; ok $? "man finds lxcnetd(8) and org.lxcnet1(5)"
dpkg --purge lxcnet >"$T/purge.log" 2>&1 && [ ! -e /usr/sbin/lxcnetd ] && [ ! -e /etc/systemd/system/multi-user.target.wants/lxcnetd.service ]
ok $? "dpkg --purge removes it, enablement included"
it_done
