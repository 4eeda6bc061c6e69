/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lxcnet's one way to run another program: lxcnetd's event plugins and
 * legacy commands (spawn_run()), the legacy net-up command the hook hands a
 * NIC to, the CNI plugin's IPAM plugin (spawn_run_with()). Blocks the
 * calling thread: in lxcnetd the helper thread or a hotplug worker, never
 * the main loop.
 */

#include <stdbool.h>
#include <stdint.h>

typedef struct SpawnResult {
	int status;	/* exit status, 128 + signal when killed by one, -errno when it could not start */
	int signal;	/* the signal that killed it, 0 when it exited */
	bool timed_out; /* killed at the time limit */
	uint64_t usec;	/* how long it ran */
	char first_line[256]; /* the first line it wrote to stderr, "" if none */
} SpawnResult;

/*
 * How: by default the child gets stdin from input, stdout on /dev/null,
 * stderr captured (its first line in SpawnResult), no other fd, an empty
 * signal mask and its own session (so a timeout kills whatever it started
 * too).
 */
typedef struct SpawnOptions {
	const char *input;   /* its stdin; NULL: empty */
	char **out;	     /* its stdout, read whole into *out (the caller frees it); NULL: /dev/null */
	size_t out_max;	     /* with out: more than this is -EFBIG */
	bool keep_stderr;    /* stderr is the caller's, not captured */
	bool keep_stdio;     /* as the caller was run: its stdio, fds, signal mask and session (a hook's legacy command) */
	unsigned timeout_ms; /* 0: no limit */
} SpawnOptions;

/* argv[0] is the path; envp NULL: the caller's environment. 0, or -errno when it could not start or out failed. */
int spawn_run_with(char *const argv[], char *const envp[], const SpawnOptions *o, SpawnResult *ret);

/*
 * The same in two halves, so that the caller works while the child runs
 * (the CNI plugin's IPAM beside its own link work): spawn_start() starts it
 * and gives it what of the input the pipe takes; spawn_wait() feeds it the
 * rest, reads it, reaps it (killed at the time limit, which counts from
 * the start) and frees s. What o points to (input, *out) must live until
 * then. spawn_free() without waiting leaves the child to run on unreaped.
 */
typedef struct Spawn Spawn;
int spawn_start(char *const argv[], char *const envp[], const SpawnOptions *o, Spawn **ret);
int spawn_wait(Spawn *s, SpawnResult *ret);
void spawn_free(Spawn *s);

/* A command lxcnetd does not trust to behave (a plugin, a legacy command), under systemd as a service of its own. */
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
