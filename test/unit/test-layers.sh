#!/bin/sh
# The source tree keeps its layers:
# - the D-Bus contract is spelled in one header (common/api/bus.h);
# - lxcnetd's core (agent/core) never speaks D-Bus: no sd-bus header, no
#   sd_bus call, nothing of agent/bus;
# - the daemon's files, and libcommon's, call each other one way only: no
#   circle among their objects (from nm) or their headers (from #include).
set -u
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${LXCNET_BUILDDIR:-$(pwd)}
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
cd "$SRC" || exit 1

# Code without its comments (the preprocessor keeps the macros as written).
code() { gcc -fpreprocessed -dD -E -P "$1" 2>/dev/null; }

# cycle EDGES: the nodes of EDGES ("from to" lines) that lie on a circle, by
# removing nodes without outgoing edges until none is left to remove.
cycle() {
	awk '
	{ if ($1 != $2) { out[$1]++; e[NR] = $1 " " $2 }; node[$1] = node[$2] = 1 }
	END {
		do {
			removed = 0
			for (v in node) if (!out[v]) {
				delete node[v]; removed = 1
				for (i in e) { split(e[i], p, " "); if (p[2] == v) { out[p[1]]--; delete e[i] } }
			}
		} while (removed)
		for (v in node) printf " %s", v
	}' "$1"
}

sources=$(ls agent/*.[ch] agent/*/*.[ch] ctl/*.[ch] common/*.[ch] common/*/*.[ch] hooks/*.[ch] bpf/*.[ch] \
	test/bench/*.c 2>/dev/null)
[ "$(echo "$sources" | wc -w)" -ge 60 ]; ok $? "found the sources ($(echo "$sources" | wc -w))"

spelled=""
for f in $sources; do
	[ "$f" = common/api/bus.h ] && continue
	code "$f" | grep -q 'org\.lxcnet1' && spelled="$spelled $f"
done
[ -z "$spelled" ]; ok $? "the bus name, paths, interfaces and errors are spelled only in common/api/bus.h${spelled:+ (also in:$spelled)}"
code common/api/bus.h | grep -q '^#define LXCNET_BUS_NAME "org.lxcnet1"$'; ok $? "common/api/bus.h defines the bus name"
printf '/* org.lxcnet1 in a comment is fine */\nstatic const char *n = "org.lxcnet1.Manager";\n' >"$tmp/x.c"
[ "$(code "$tmp/x.c" | grep -c 'org\.lxcnet1')" = 1 ]; ok $? "a literal outside comments is seen, a comment is not"

# The core: no sd-bus header, directly or through lxcnet's own headers (system headers other than sd-bus.h do not include it).
core=$(ls agent/core/*.[ch])
[ "$(echo "$core" | wc -w)" -ge 20 ]; ok $? "found the core's files ($(echo "$core" | wc -w))"
bad=""
for f in $core common/*.h common/*/*.h; do
	code "$f" | grep -q 'sd-bus\.h\|sd_bus' && bad="$bad $f"
done
[ -z "$bad" ]; ok $? "agent/core and the common headers include no sd-bus header and name no sd_bus${bad:+ (in:$bad)}"
bad=$(grep -l '#include "bus\.h"\|#include "[a-z-]*-bus\.h"' $core | tr '\n' ' ')
[ -z "$bad" ]; ok $? "agent/core includes nothing of agent/bus${bad:+ (in: $bad)}"

# Include circles among the daemon's and the common headers.
for f in agent/*/*.[ch] agent/*.c common/*.[ch] common/*/*.[ch]; do
	for i in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		# As the compiler finds them: beside the file, then agent/core, agent/bus (-iquote), common (-I).
		for c in "$(dirname "$f")/$i" "agent/core/$i" "agent/bus/$i" "common/$i"; do
			[ -f "$c" ] && { echo "$f $c"; break; }
		done
	done
done >"$tmp/includes"
[ -s "$tmp/includes" ]; ok $? "read the #include graph ($(wc -l <"$tmp/includes") edges)"
c=$(cycle "$tmp/includes")
[ -z "$c" ]; ok $? "no #include circle among the headers${c:+ (circle through:$c)}"

# Call circles among lxcnetd's objects: who defines what, who uses it.
objs=$(ls "$BUILD"/agent/core/*libcore_a-*.o "$BUILD"/agent/bus/*.o "$BUILD"/agent/lxcnetd-lxcnetd.o 2>/dev/null)
if [ "$(echo "$objs" | wc -w)" -lt 20 ]; then
	for i in 1 2 3 4; do echo "ok $((n + i)) # SKIP lxcnetd's objects are not built in $BUILD"; done
	n=$((n + 4))
else
	for o in $objs; do
		name=$(basename "$o" .o | sed 's/^.*libcore_a-/core\//; s/^lxcnetd-/bus\//')
		nm "$o" | awk -v n="$name" 'NF == 3 && $2 ~ /[TDBR]/ { print "D", $3, n } NF == 2 && $1 == "U" { print "U", $2, n }'
	done >"$tmp/syms"
	awk '$1 == "D" { def[$2] = $3 } $1 == "U" { use[NR] = $3 " " $2 }
	END { for (i in use) { split(use[i], p, " "); if (p[2] in def && def[p[2]] != p[1]) print p[1], def[p[2]] } }' \
		"$tmp/syms" | sort -u >"$tmp/calls"
	[ "$(wc -l <"$tmp/calls")" -ge 30 ]; ok $? "read lxcnetd's call graph ($(wc -l <"$tmp/calls") file-to-file edges)"
	c=$(cycle "$tmp/calls")
	[ -z "$c" ]; ok $? "no call circle among lxcnetd's files${c:+ (circle through:$c)}"
	bad=$(awk '$1 ~ /^core\// && $2 ~ /^bus\//' "$tmp/calls" | tr '\n' ' ')
	[ -z "$bad" ]; ok $? "no core file calls the bus layer${bad:+ ($bad)}"
	for o in "$BUILD"/common/*libcommon_a-*.o; do
		nm "$o" | awk -v n="$(basename "$o" .o | sed 's/^.*libcommon_a-//')" \
			'NF == 3 && $2 ~ /[TDBR]/ { print "D", $3, n } NF == 2 && $1 == "U" { print "U", $2, n }'
	done >"$tmp/csyms"
	awk '$1 == "D" { def[$2] = $3 } $1 == "U" { use[NR] = $3 " " $2 }
	END { for (i in use) { split(use[i], p, " "); if (p[2] in def && def[p[2]] != p[1]) print p[1], def[p[2]] } }' \
		"$tmp/csyms" | sort -u >"$tmp/ccalls"
	c=$(cycle "$tmp/ccalls")
	[ "$(wc -l <"$tmp/ccalls")" -ge 30 ] && [ -z "$c" ]
	ok $? "no call circle among libcommon's files ($(wc -l <"$tmp/ccalls") edges)${c:+ (circle through:$c)}"
fi

# The circle check itself can fail.
printf 'a b\nb c\nc a\nc d\n' >"$tmp/circle"
[ "$(cycle "$tmp/circle" | tr ' ' '\n' | sort | tr -d '\n')" = abc ]; ok $? "a planted circle a->b->c->a is found, d off it is not"

echo "1..$n"
