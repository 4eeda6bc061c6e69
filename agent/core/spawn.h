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

/*
 * Under systemd (spawn_use_systemd(SYSTEMD_RUN)), every command runs as a
 * transient service of its own through systemd-run, outside the agent's
 * sandbox: pct needs lxc-attach and lxc-device, and an administrator's
 * plugin the host as root sees it. stdin, stderr and the exit status pass
 * through (--pipe --wait), envp becomes --setenv, and the time limit is the
 * unit's RuntimeMaxSec= as well.
 */
#define SYSTEMD_RUN "/usr/bin/systemd-run"
/* path NULL: commands run as the agent's children again. */
void spawn_use_systemd(const char *path);
/* Whether lxcnetd was started by systemd as a service: $INVOCATION_ID, and systemd is PID 1. */
bool spawn_under_systemd(void);

/* The systemd-run command line for argv: a NULL-terminated array, its strings in the array's own allocation. */
char **spawn_systemd_argv(const char *systemd_run, char *const argv[], char *const envp[], unsigned timeout_ms);
