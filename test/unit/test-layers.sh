#!/bin/sh
# The source tree keeps its layers: the D-Bus contract is spelled in one
# header (common/api/bus.h), whoever speaks it includes that header.
set -u
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
SRC=$(cd "$(dirname "$0")/../.." && pwd)
cd "$SRC" || exit 1

# Code without its comments (the preprocessor keeps the macros as written).
code() { gcc -fpreprocessed -dD -E -P "$1" 2>/dev/null; }

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

# The check itself can fail: a planted literal is found.
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
printf '/* org.lxcnet1 in a comment is fine */\nstatic const char *n = "org.lxcnet1.Manager";\n' >"$tmp/x.c"
[ "$(code "$tmp/x.c" | grep -c 'org\.lxcnet1')" = 1 ]; ok $? "a literal outside comments is seen, a comment is not"

echo "1..$n"
