#!/bin/sh
# The man pages match the code: every D-Bus member and error name is in
# org.lxcnet1(5), every option of lxcnetd and lxcnetctl and every lxcnetctl
# command is in their pages, and scdoc renders each page.
set -u
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
BUILD=${LXCNET_BUILDDIR:-$(pwd)}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
MAN="$SRC/contrib/man"

# missing FILE WORD...: the words FILE does not mention as *WORD*
missing() {
	f=$1; shift
	for w in "$@"; do grep -qF -- "*$w*" "$f" || printf ' %s' "$w"; done
}

members=$(sed -n 's/.*\(SD_BUS_METHOD[A-Z_]*\|SD_BUS_SIGNAL[A-Z_]*\|SD_BUS_PROPERTY\|B_PROP\)("\([A-Za-z]*\)".*/\2/p' "$SRC"/agent/*.c "$SRC"/agent/*/*.c | sort -u)
[ "$(echo "$members" | wc -w)" -ge 40 ]; ok $? "found the D-Bus members in the sources ($(echo "$members" | wc -w))"
m=$(missing "$MAN/org.lxcnet1.5.scd" $members)
[ -z "$m" ]; ok $? "org.lxcnet1(5) has every method, signal and property${m:+ (missing:$m)}"
# The error names as the one API header spells them: LXCNET_ERR_PREFIX "Name".
errors=$(sed -n 's/^#define LXCNET_ERR_[A-Z_]* LXCNET_ERR_PREFIX "\([A-Za-z]*\)"/org.lxcnet1.Error.\1/p' "$SRC/common/api/bus.h")
[ "$(echo "$errors" | wc -w)" -ge 10 ]; ok $? "found the error names ($(echo "$errors" | wc -w))"
m=$(missing "$MAN/org.lxcnet1.5.scd" $errors)
[ -z "$m" ]; ok $? "org.lxcnet1(5) has every error${m:+ (missing:$m)}"

# lxcnet-cni's error codes and commands are all in lxcnet-hooks(8).
codes=$(sed -n 's/^\tCNI_ERR_[A-Z_]* = \([0-9]*\),.*/\1/p' "$SRC/common/cni-conf.h")
[ "$(echo "$codes" | wc -w)" -ge 8 ]; ok $? "found lxcnet-cni's error codes ($(echo "$codes" | wc -w))"
m=""
for c in $codes; do
	sed -n '/^Codes:/,/^$/p' "$MAN/lxcnet-hooks.8.scd" | grep -qw -- "$c" || m="$m $c"
done
[ -z "$m" ]; ok $? "lxcnet-hooks(8) explains every CNI error code${m:+ (missing:$m)}"
m=$(missing "$MAN/lxcnet-hooks.8.scd" ADD DEL CHECK STATUS GC VERSION createRuntime poststop)
[ -z "$m" ]; ok $? "lxcnet-hooks(8) has every CNI command and OCI hook stage${m:+ (missing:$m)}"

if [ -x "$BUILD/lxcnetd" ] && [ -x "$BUILD/lxcnetctl" ]; then
	opts=$("$BUILD/lxcnetd" --help | grep -o -- '--[a-z-]*' | sort -u)
	m=$(missing "$MAN/lxcnetd.8.scd" $opts)
	[ -z "$m" ]; ok $? "lxcnetd(8) has every option of --help${m:+ (missing:$m)}"
	opts=$("$BUILD/lxcnetctl" --help | grep -o -- '--[a-z-]*' | sort -u)
	m=$(missing "$MAN/lxcnetctl.8.scd" $opts)
	[ -z "$m" ]; ok $? "lxcnetctl(8) has every option of --help${m:+ (missing:$m)}"
	cmds=$("$BUILD/lxcnetctl" --help | sed -n 's/^  \([a-z][a-z-]*\( [a-z]\{3,\}\)\{0,1\}\) .*/\1/p' | sed 's/ [A-Z].*//' | sort -u)
	[ "$(echo "$cmds" | wc -l)" -ge 15 ]; ok $? "found the lxcnetctl commands in --help ($(echo "$cmds" | wc -l))"
	m=""
	for c in $(echo "$cmds" | tr ' ' '#'); do
		c=$(echo "$c" | tr '#' ' ')
		grep -qF -- "*$c*" "$MAN/lxcnetctl.8.scd" || m="$m '$c'"
	done
	[ -z "$m" ]; ok $? "lxcnetctl(8) has every command${m:+ (missing:$m)}"
fi

if command -v scdoc >/dev/null; then
	for f in "$MAN"/*.scd; do
		out=$(scdoc <"$f" 2>&1 >/dev/null)
		[ -z "$out" ]; ok $? "scdoc renders $(basename "$f" .scd)${out:+: $out}"
	done
fi
echo "1..$n"
