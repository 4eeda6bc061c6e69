/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spawn_run() and its systemd-run form: the command line systemd-run gets
 * (the command after "--", its environment as --setenv, the time limit as
 * RuntimeMaxSec=), and through a stand-in systemd-run that execs what
 * follows "--", that stdin, stderr and the exit status pass through.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "spawn-cmd.h"
#include "clock.h"
#include "tap.h"

/* The array as one string, arguments separated by '|'. */
static char *joined(char **v)
{
	static char buf[4096];
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; v && v[i]; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "|" : "", v[i]);
	return buf;
}

int main(void)
{
	char *pct[] = { (char *)"/usr/sbin/pct", (char *)"set", (char *)"100", (char *)"--net1",
			(char *)"name=eth1,bridge=vmbr0", NULL };
	char *plugin[] = { (char *)"/etc/lxcnet/hooks.d/10-log", (char *)"hotplug-add", NULL };
	char *env[] = { (char *)"LXCNET_EVENT=hotplug-add", (char *)"LXCNET_SPEC=name=eth1,bridge=vmbr0,tag=5", NULL };
	char dir[] = "/tmp/lxcnet-spawn-XXXXXX", fake[64];
	SpawnResult res;
	char **v;
	FILE *f;

	v = spawn_systemd_argv("/usr/bin/systemd-run", pct, NULL, 60000);
	is_str(joined(v),
	       "/usr/bin/systemd-run|--quiet|--collect|--wait|--pipe|--service-type=exec|--property=KillMode=control-group|"
	       "--property=TimeoutStopSec=2|--description=lxcnetd: /usr/sbin/pct set|--property=RuntimeMaxSec=60000ms|--|"
	       "/usr/sbin/pct|set|100|--net1|name=eth1,bridge=vmbr0",
	       "pct: the command after --, its time limit as RuntimeMaxSec=");
	free(v);
	v = spawn_systemd_argv("/usr/bin/systemd-run", plugin, env, 0);
	is_str(joined(v),
	       "/usr/bin/systemd-run|--quiet|--collect|--wait|--pipe|--service-type=exec|--property=KillMode=control-group|"
	       "--property=TimeoutStopSec=2|--description=lxcnetd: /etc/lxcnet/hooks.d/10-log hotplug-add|"
	       "--setenv=LXCNET_EVENT=hotplug-add|--setenv=LXCNET_SPEC=name=eth1,bridge=vmbr0,tag=5|--|"
	       "/etc/lxcnet/hooks.d/10-log|hotplug-add",
	       "plugin: its environment as --setenv, no limit without a timeout");
	free(v);
	unsetenv("INVOCATION_ID");
	ok(!spawn_under_systemd(), "without $INVOCATION_ID lxcnetd was not started by systemd");

	/* A stand-in systemd-run: drops its own options, sets --setenv, execs the command. */
	if (!mkdtemp(dir))
		tap_skip_all("no temp dir");
	snprintf(fake, sizeof(fake), "%s/systemd-run", dir);
	f = fopen(fake, "w");
	fputs("#!/bin/sh\n"
	      "while [ \"$1\" != -- ]; do case \"$1\" in --setenv=*) export \"${1#--setenv=}\";; esac; shift; done\n"
	      "shift\nexec \"$@\"\n",
	      f);
	fclose(f);
	chmod(fake, 0755);
	char *sh[] = { (char *)"/bin/sh", (char *)"-c",
		       (char *)"read line; echo \"got $line and $LXCNET_EVENT\" >&2; exit 7", NULL };
	spawn_use_systemd(fake);
	ok(spawn_run(sh, env, "input-line\n", 5000, &res) == 0, "spawn_run through the stand-in systemd-run");
	is_int(res.status, 7, "the exit status passes through");
	is_str(res.first_line, "got input-line and hotplug-add", "stdin, stderr and the environment pass through");
	spawn_use_systemd(NULL);
	ok(spawn_run(sh, env, "direct\n", 5000, &res) == 0 && res.status == 7 &&
		   strcmp(res.first_line, "got direct and hotplug-add") == 0,
	   "and as a child again after spawn_use_systemd(NULL): %s", res.first_line);
	unlink(fake);
	rmdir(dir);

	/* spawn_run_with(): what the CNI plugin's IPAM run and the hook's legacy command need. */
	{
		char *out = NULL;
		char *cat[] = { (char *)"/bin/sh", (char *)"-c", (char *)"cat; echo \" and $CNI_COMMAND\"", NULL };
		char *big[] = { (char *)"/bin/sh", (char *)"-c", (char *)"head -c 100000 /dev/zero", NULL };
		char *killed[] = { (char *)"/bin/sh", (char *)"-c", (char *)"kill -TERM $$", NULL };
		char *slow[] = { (char *)"/bin/sh", (char *)"-c", (char *)"sleep 5", NULL };
		char *missing[] = { (char *)"/nonexistent/ipam", NULL };
		char *ipam_env[] = { (char *)"CNI_COMMAND=ADD", NULL };
		int r;

		ok(spawn_run_with(cat, ipam_env, &(SpawnOptions){ .input = "{\"cniVersion\":\"1.0.0\"}", .out = &out, .out_max = 4096 },
				  &res) == 0 && res.status == 0,
		   "stdin in, stdout out");
		is_str(out, "{\"cniVersion\":\"1.0.0\"} and ADD\n", "stdout read whole, with the environment given");
		free(out);
		out = NULL;
		r = spawn_run_with(big, NULL, &(SpawnOptions){ .out = &out, .out_max = 4096 }, &res);
		is_int(r, -EFBIG, "stdout over out_max: -EFBIG");
		ok(!out && res.status == 0, "and no output kept (exit status %d %s)", res.status, res.first_line);
		r = spawn_run_with(killed, NULL, &(SpawnOptions){ 0 }, &res);
		ok(r == 0 && res.signal == SIGTERM && res.status == 128 + SIGTERM, "killed by a signal: which one (%d)", res.signal);
		r = spawn_run_with(slow, NULL, &(SpawnOptions){ .timeout_ms = 200 }, &res);
		ok(r == 0 && res.timed_out && res.usec >= 200000 && res.usec < 2000000, "a time limit kills it (after %llu us)",
		   (unsigned long long)res.usec);
		ok(spawn_run_with(missing, NULL, &(SpawnOptions){ .keep_stdio = true }, &res) == -ENOENT && res.status == -ENOENT,
		   "a command that is not there: -ENOENT");
		ok(spawn_run_with(sh, env, &(SpawnOptions){ .keep_stdio = true }, &res) == 0 && res.status == 7 && !res.first_line[0],
		   "keep_stdio: the caller's stdio (nothing captured), the exit status");
	}

	/* spawn_start() and spawn_wait(): the child runs while the caller works (the CNI plugin's IPAM). */
	{
		char *out = NULL, *input = malloc(200001);
		char *both[] = { (char *)"/bin/sh", (char *)"-c", (char *)"sleep 0.3; wc -c", NULL };
		char *missing[] = { (char *)"/nonexistent/ipam", NULL };
		struct timespec work = { .tv_nsec = 300 * 1000 * 1000 };
		uint64_t t0 = clock_usec(CLOCK_MONOTONIC), took;
		Spawn *sp = NULL;
		int r;

		if (!input)
			return tap_done();
		/* More input than a pipe holds: the rest goes in while waiting. */
		memset(input, 'x', 200000);
		input[200000] = '\0';
		ok(spawn_start(both, NULL, &(SpawnOptions){ .input = input, .out = &out, .out_max = 4096 }, &sp) == 0 && sp,
		   "started");
		nanosleep(&work, NULL);
		r = sp ? spawn_wait(sp, &res) : -EINVAL;
		ok(r == 0 && res.status == 0, "waited for (exit status %d)", res.status);
		took = clock_usec(CLOCK_MONOTONIC) - t0;
		is_str(out, "200000\n", "it read all 200,000 bytes of input, and its output is there");
		ok(took < 550000, "0.3 s of its own beside 0.3 s of the caller's took %llu us, not 0.6 s", (unsigned long long)took);
		free(out);
		free(input);
		ok(spawn_start(missing, NULL, &(SpawnOptions){ 0 }, &sp) == -ENOENT && !sp, "a command that is not there: -ENOENT");
	}
	return tap_done();
}
