#!/bin/sh
# Start-to-RUNNING time of a busybox container with 1 and 4 NICs:
#   native  LXC plugs the NICs itself (lxc.net.N.link = bridge, no hooks)
#   floor   native plus lxc.net.N.script.up = /bin/true: what any up-script
#           costs, since LXC runs each one through "sh -c exec ..."
#   lxcnet  the lxcnet hooks (pre-start, netup as each NIC's script.up,
#           post-stop)
#   lxcnet-sh  the same with lxcnet-netup once as lxc.hook.start-host for
#           all NICs (lxcnetctl lxc-config --start-host)
#   lxcnet-fw  lxcnet with firewall=1 under Proxmox's guest firewall and
#           pve-firewall: each NIC through a firewall bridge fwbr/fwln/fwpr
# measured round-robin in the same run. Prints medians, ms per NIC and the
# ratios. A benchmark, not a test: it never fails on noise.
#   LXCNET_BENCH_RUNS=N (default 25)
. "$(dirname "$0")/../integration/lib.sh"
it_init 92
RUNS=${LXCNET_BENCH_RUNS:-25}
BR=lxnt92b
bridge $BR 1500 || skip_all "cannot create a bridge"

now_us() { echo $(( $(date +%s%N) / 1000 )); }

# make_ct NAME NICS MODE(native|floor|lxcnet|lxcnet-sh)
make_ct() {
	name=$1 nics=$2 mode=$3
	: >"$T/pve/lxc/$name.conf"
	i=0
	while [ $i -lt "$nics" ]; do
		if [ "$mode" = lxcnet-fw ]; then
			printf 'net%d: name=eth%d,bridge=%s,hwaddr=BC:24:11:92:%02d:%02d,firewall=1\n' $i $i $BR $((name % 100)) $i
		else
			echo "net$i: name=eth$i,bridge=$BR"
		fi >>"$T/pve/lxc/$name.conf"
		i=$((i + 1))
	done
	[ "$mode" = lxcnet-fw ] && printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/$name.fw"
	wiring=""
	[ "$mode" = lxcnet-sh ] && wiring=start-host
	ct_create "$name" $wiring || return 1
	case $mode in lxcnet*) ;; *)
		cfg="$T/lxc/$name/config"
		sed -i '/^lxc\.net\./d; /^lxc\.hook\./d' "$cfg"
		i=0
		while [ $i -lt "$nics" ]; do
			printf 'lxc.net.%d.type = veth\nlxc.net.%d.veth.pair = veth%si%d\nlxc.net.%d.link = %s\nlxc.net.%d.flags = up\nlxc.net.%d.name = eth%d\n' \
				$i $i "$name" $i $i $BR $i $i $i >>"$cfg"
			[ "$mode" = floor ] && printf 'lxc.net.%d.script.up = /bin/true\n' $i >>"$cfg"
			i=$((i + 1))
		done
	esac
}

# time_start NAME: one start in µs, then stop and wait for the veths to go
time_start() {
	t0=$(now_us)
	lxc-start -P "$T/lxc" -n "$1" || { echo "start of $1 failed" >&2; return 1; }
	t1=$(now_us)
	lxc-stop -P "$T/lxc" -n "$1" -k
	wait_absent $(ls /sys/class/net | grep "^\(veth\|fwbr\|fwln\)${1}i") >/dev/null 2>&1
	echo $((t1 - t0))
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

mkdir -p "$T/pve/firewall" && printf '[OPTIONS]\nenable: 1\n' >"$T/pve/firewall/cluster.fw"
# Proxmox's firewall bridge, which lxcnet's own eBPF guest firewall (the default) would otherwise replace.
printf 'lxcnet: node\n\tfirewall proxmox\n' >"$T/conf/lxcnet.conf"
make_ct 9201 1 native && make_ct 9202 1 lxcnet && make_ct 9203 1 floor && make_ct 9207 1 lxcnet-sh &&
	make_ct 9204 4 native && make_ct 9205 4 lxcnet && make_ct 9206 4 floor && make_ct 9208 4 lxcnet-sh &&
	make_ct 9209 1 lxcnet-fw && make_ct 9210 4 lxcnet-fw ||
	skip_all "container setup failed"
grep -q 'start-host' "$T/lxc/9208/config" && ! grep -q 'script.up' "$T/lxc/9208/config" || skip_all "lxc-config --start-host did not wire the hook"

for r in $(seq "$RUNS"); do
	for ct in 9201 9202 9203 9207 9209 9204 9205 9206 9208 9210; do
		time_start $ct >>"$T/t-$ct" || exit 1
	done
done

m1n=$(median <"$T/t-9201"); m1l=$(median <"$T/t-9202"); m1f=$(median <"$T/t-9203"); m1s=$(median <"$T/t-9207")
m4n=$(median <"$T/t-9204"); m4l=$(median <"$T/t-9205"); m4f=$(median <"$T/t-9206"); m4s=$(median <"$T/t-9208")
m1w=$(median <"$T/t-9209"); m4w=$(median <"$T/t-9210")
echo "# lxc-start to RUNNING, busybox, medians over $RUNS starts each (µs)"
printf '# %-8s %10s %10s %10s %10s %10s\n' "" native floor lxcnet lxcnet-sh lxcnet-fw
printf '# %-8s %10d %10d %10d %10d %10d\n' "1 NIC" "$m1n" "$m1f" "$m1l" "$m1s" "$m1w"
printf '# %-8s %10d %10d %10d %10d %10d\n' "4 NICs" "$m4n" "$m4f" "$m4l" "$m4s" "$m4w"
awk -v n1="$m1n" -v l1="$m1l" -v f1="$m1f" -v s1="$m1s" -v n4="$m4n" -v l4="$m4l" -v f4="$m4f" -v s4="$m4s" \
	-v w1="$m1w" -v w4="$m4w" 'BEGIN {
	printf "# per NIC over native (4-NIC minus 1-NIC, / 3; target <= 1 ms):\n"
	printf "#   lxcnet-sh (start-host) %.2f ms, lxcnet (script.up) %.2f ms, floor (script.up = /bin/true) %.2f ms\n", ((s4 - n4) - (s1 - n1)) / 3000, ((l4 - n4) - (l1 - n1)) / 3000, ((f4 - n4) - (f1 - n1)) / 3000
	printf "# per NIC over the floor (lxcnet-netup itself as script.up): %.2f ms\n", ((l4 - f4) - (l1 - f1)) / 3000
	printf "# per start, fixed, over native: lxcnet-sh %.2f ms (pre-start and start-host hooks), lxcnet %.2f ms (pre-start hook)\n", ((s1 - n1) - ((s4 - n4) - (s1 - n1)) / 3) / 1000, ((l1 - f1) - ((l4 - f4) - (l1 - f1)) / 3) / 1000
	printf "# ratio to native: lxcnet-sh 1 NIC %.3f, 4 NICs %.3f; lxcnet 1 NIC %.3f, 4 NICs %.3f\n", s1 / n1, s4 / n4, l1 / n1, l4 / n4
	printf "# firewall=1 through Proxmox'\''s firewall bridge, over plain lxcnet NICs: 1 NIC +%.2f ms, 4 NICs +%.2f ms (%.2f ms per NIC); ratio 1 NIC %.3f, 4 NICs %.3f\n", (w1 - l1) / 1000, (w4 - l4) / 1000, (w4 - l4) / 4000, w1 / l1, w4 / l4
}'
ok 0 "benchmark ran"
it_done
