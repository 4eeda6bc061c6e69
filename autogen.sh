#!/bin/sh
# Generate ./configure and Makefile.in from a git checkout.
set -e
cd "$(dirname "$0")"
autoreconf --force --install
echo "Now run ./configure (add --enable-werror for CI, --enable-sanitizers for ASan/UBSan)."
