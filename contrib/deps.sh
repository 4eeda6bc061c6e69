#!/bin/sh
# Install every build and test dependency of lxcnet on Debian 12 (bookworm).
# Idempotent: packages already present are left alone, and `apt-get update`
# runs at most once, only when something is missing.
set -eu

PKGS="
autoconf automake libtool pkg-config make gcc
clang llvm libclang-rt-14-dev bpftool
lxc-dev lxc busybox-static
libnl-3-dev libnl-route-3-dev
libbpf-dev libsystemd-dev libjson-c-dev
dbus iproute2 iputils-ping iperf3 tcpdump util-linux ethtool nftables python3
crun containernetworking-plugins podman
user-mode-linux kmod
scdoc bash-completion
dpkg-dev debhelper fakeroot lintian
"

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: must run as root (apt-get install)" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "deps.sh: all dependencies present"
	exit 0
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
