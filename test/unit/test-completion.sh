#!/bin/bash
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
# bash completion of lxcnetctl: verbs, VMIDs and plain containers from the
# config directories, netN keys (used ones, free ones for add), VNets,
# SPEC keys and values, options.
set -u
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
SRC=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/lxcnet-completion-XXXXXX) || { echo "1..0 # SKIP no temp dir"; exit 0; }
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/pve/lxc" "$tmp/pve/sdn" "$tmp/conf/lxc"
printf 'arch: amd64\nnet0: name=eth0,bridge=vmbr0\nnet3: name=eth3,bridge=vmbr0\n\n[snap]\nnet7: name=eth7,bridge=vmbr0\n' >"$tmp/pve/lxc/100.conf"
printf 'net0: name=eth0,bridge=vmbr0\n' >"$tmp/pve/lxc/101.conf"
printf 'net0: name=eth0,bridge=vmbr0\n' >"$tmp/conf/lxc/web.conf"
printf 'vnet: blue\n\tzone demo\n\tag 10\n\nvnet: red\n\tzone demo\n' >"$tmp/pve/sdn/vnets.cfg"
printf 'dir: local\n\tpath /var/lib/vz\n\nnfs: nas\n\tserver 10.0.0.2\n\ncifs: smb\n\tserver 10.0.0.3\n\niscsi: lun\n\tportal 10.0.0.4\n' >"$tmp/pve/storage.cfg"
printf 'lxcnet: node\n\tphase full\n\nstorage-network: san\n\tinterface eno2\n\tstorages nas\n' >"$tmp/conf/lxcnet.conf"
export LXCNET_PVE_DIR="$tmp/pve" LXCNET_CONF_DIR="$tmp/conf"
# shellcheck source=/dev/null
. "$SRC/contrib/bash-completion/lxcnetctl"
complete -p lxcnetctl >/dev/null; ok $? "registers a completion for lxcnetctl"

# comp WORDS...: complete the last word of "lxcnetctl WORDS..." as bash
# would call it (the line and the cursor); prints the candidates sorted.
comp() {
	COMP_LINE="lxcnetctl $*"
	COMP_POINT=${#COMP_LINE}
	COMP_WORDS=(lxcnetctl "$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_lxcnetctl
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
expect() { # expect DESCRIPTION WANT WORDS...
	what=$1 want=$2; shift 2
	got=$(comp "$@")
	[ "$got" = "$want" ]; ok $? "$what: '$got'"
}
expect "verbs" "bind binding bindings" bind
expect "config subcommands" "check example show" config ""
expect "phase subcommands" "set show" phase ""
expect "phases" "advanced basic full legacy observe sdn" phase set ""
expect "fallback" "off on" fallback ""
expect "legacy test" "test" legacy ""
expect "plugins history" "history" plugins ""
expect "metrics --prometheus" "--prometheus" metrics --pr
expect "VMIDs and plain containers" "100 101 web" config show ""
expect "hotplug subcommands" "add remove update" hotplug ""
expect "the container's netN for update (current section only)" "net0 net3" hotplug update 100 ""
expect "free netN for add" "net1 net10 net11 net12 net13 net14 net15 net16 net17 net18 net19" hotplug add 100 net1
expect "VNets for bind" "blue red" bind 100 net0 ""
# Bash's current word starts after the last '=': the candidates do too.
expect "SPEC keys" "eth1,tag= eth1,trunks= eth1,type=" hotplug add 100 net1 "name=eth1,t"
expect "SPEC values" "blue" hotplug add 100 net1 "name=eth1,bridge=bl"
expect "SPEC flag values" "0 1" hotplug add 100 net1 "name=eth1,firewall="
expect "no SPEC for remove" "" hotplug remove 100 net0 ""
expect "options" "--wait" hotplug add 100 net1 --w
expect "--pve-dir on the command line wins" "web" --pve-dir /nonexistent config show ""
expect "--conf-dir=DIR too" "100 101" --conf-dir=/nonexistent config show ""
expect "storage subcommands" "check configure list remove status" storage ""
expect "storage network ids" "san" storage status ""
expect "network storages of storage.cfg (not dir)" "lun nas smb" storage check ""
expect "--storages: the last item of the list" "nas,smb" storage configure san --interface eno2 --storages nas,s
expect "storage configure options" "--storages" storage configure san --st
echo "1..$n"
