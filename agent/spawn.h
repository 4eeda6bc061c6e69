/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Run a command the agent does not trust to behave: event plugins and the
 * legacy commands. The child gets stdin from input, stdout on /dev/null,
 * stderr captured, no other fd, an empty signal mask, its own session (so a
 * timeout kills whatever it started too). Blocks the calling thread: the
 * helper thread or a hotplug worker, never the main loop.
 */

#include <stdbool.h>
#include <stdint.h>

typedef struct SpawnResult {
	int status;	/* exit status, 128 + signal when killed by one, -errno when it could not start */
	bool timed_out; /* killed at the time limit */
	uint64_t usec;	/* how long it ran */
	char first_line[256]; /* the first line it wrote to stderr, "" if none */
} SpawnResult;

/* envp NULL: the agent's environment. timeout_ms 0: no limit. */
int spawn_run(char *const argv[], char *const envp[], const char *input, unsigned timeout_ms, SpawnResult *ret);
