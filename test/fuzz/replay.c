/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runs a fuzz target without libFuzzer: every file of its seed corpus
 * ($LXCNET_FUZZ_CORPUS/<name>/) and, where they apply, the Proxmox samples
 * ($LXCNET_SAMPLES_DIR), each one TAP test point. Under the sanitizer
 * build this is a regression run of everything the fuzzers start from.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>

#include "macro.h"
#include "strutil.h"
#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned n_inputs;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	_cleanup_free_ char *data = NULL;
	size_t size;

	(void)st;
	(void)ftw;
	if (type != FTW_F)
		return 0;
	if (read_full_file(path, 16 * 1024 * 1024, &data, &size) < 0)
		return 0;
	/* A crash or a sanitizer report ends the program: the test then fails as a whole. */
	LLVMFuzzerTestOneInput((const uint8_t *)data, size);
	n_inputs++;
	return 0;
}

int main(void)
{
	const char *corpus = getenv("LXCNET_FUZZ_CORPUS"), *samples = getenv("LXCNET_SAMPLES_DIR");
	_cleanup_free_ char *dir = NULL;
	unsigned seeds;

	if (asprintf(&dir, "%s/%s", corpus ?: "test/fuzz/corpus", FUZZ_NAME) < 0)
		return 1;
	nftw(dir, visit, 16, FTW_PHYS);
	seeds = n_inputs;
	ok(seeds > 0, FUZZ_NAME ": replayed the %u inputs of %s", seeds, dir);
	if (samples && *samples) {
		nftw(samples, visit, 16, FTW_PHYS);
		ok(n_inputs > seeds, FUZZ_NAME ": replayed the %u Proxmox sample files", n_inputs - seeds);
	}
	return tap_done();
}
