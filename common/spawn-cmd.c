/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "macro.h"
#include "spawn-cmd.h"

extern char **environ;

static const char *systemd_run;

void spawn_use_systemd(const char *path)
{
	systemd_run = path;
}

bool spawn_under_systemd(void)
{
	const char *id = getenv("INVOCATION_ID");
	struct stat st;

	/* systemd is PID 1: what sd_booted() asks, without linking the hooks against libsystemd. */
	return id && *id && lstat("/run/systemd/system/", &st) == 0 && S_ISDIR(st.st_mode);
}

char **spawn_systemd_argv(const char *run, char *const argv[], char *const envp[], unsigned timeout_ms)
{
	static const char *const fixed[] = { "--quiet", "--collect", "--wait", "--pipe", "--service-type=exec",
					     "--property=KillMode=control-group", "--property=TimeoutStopSec=2" };
	size_t nargv = 0, nenv = 0, n, size, i;
	char **out, *p;
	char desc[256], limit[64];

	while (argv[nargv])
		nargv++;
	while (envp && envp[nenv])
		nenv++;
	snprintf(desc, sizeof(desc), "--description=lxcnetd: %s%s%s", argv[0], nargv > 1 ? " " : "", nargv > 1 ? argv[1] : "");
	snprintf(limit, sizeof(limit), "--property=RuntimeMaxSec=%ums", timeout_ms);
	/* run, fixed, desc, limit, --setenv per variable, "--", argv, NULL */
	n = 1 + ELEMENTSOF(fixed) + 2 + nenv + 1 + nargv + 1;
	size = n * sizeof(char *) + strlen(run) + 1 + strlen(desc) + 1 + strlen(limit) + 1;
	for (i = 0; i < ELEMENTSOF(fixed); i++)
		size += strlen(fixed[i]) + 1;
	for (i = 0; i < nenv; i++)
		size += strlen("--setenv=") + strlen(envp[i]) + 1;
	size += 3;
	for (i = 0; i < nargv; i++)
		size += strlen(argv[i]) + 1;
	out = malloc(size);
	if (!out)
		return NULL;
	p = (char *)(out + n);
	n = 0;
#define PUT(...)                                          \
	do {                                              \
		out[n++] = p;                             \
		p += sprintf(p, __VA_ARGS__) + 1;         \
	} while (0)
	PUT("%s", run);
	for (i = 0; i < ELEMENTSOF(fixed); i++)
		PUT("%s", fixed[i]);
	PUT("%s", desc);
	if (timeout_ms)
		PUT("%s", limit);
	for (i = 0; i < nenv; i++)
		PUT("--setenv=%s", envp[i]);
	PUT("--");
	for (i = 0; i < nargv; i++)
		PUT("%s", argv[i]);
#undef PUT
	out[n] = NULL;
	return out;
}

/*
 * Write to the child's stdin without dying of SIGPIPE should it exit
 * between poll() saying POLLOUT and the write (the CNI plugin does not
 * ignore the signal): blocked while writing, the one raised taken back.
 */
static ssize_t write_input(int fd, const char *buf, size_t len)
{
	sigset_t pipe, old;
	ssize_t n;
	int e;

	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, &old);
	n = write(fd, buf, len);
	e = errno;
	if (n < 0 && e == EPIPE)
		(void)sigtimedwait(&pipe, NULL, &(struct timespec){ 0 });
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return n;
}

/* in_fd, out_fd, err_fd: the child's 0, 1, 2 (-1: /dev/null for 1, the caller's for 2); all -1 with keep_stdio. */
static int start(char *const argv[], char *const envp[], const SpawnOptions *o, int in_fd, int out_fd, int err_fd, pid_t *ret)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int r;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	if (!o->keep_stdio) {
		sigemptyset(&none);
		sigfillset(&all);
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
		if (out_fd >= 0)
			posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
		else
			posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		if (err_fd >= 0)
			posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
		/* Nothing of the caller's leaks into the child: not the bus, not netlink, not BPF objects. */
		posix_spawn_file_actions_addclosefrom_np(&fa, 3);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &all);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	}
	r = posix_spawn(ret, argv[0], &fa, &attr, argv, envp ? envp : environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -r;
}

/* Keep the start of stderr (the rest is read and dropped). */
static void read_err(int fd, char *buf, size_t bufsz, size_t *len, bool *eof)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		size_t take = MIN((size_t)n, bufsz - 1 - *len);

		memcpy(buf + *len, chunk, take);
		*len += take;
	}
	if (n == 0)
		*eof = true;
	buf[*len] = '\0';
}

/* Keep all of stdout, up to max bytes: more is an error (-EFBIG) once it ended. */
static void read_out(int fd, char **buf, size_t *len, size_t max, bool *eof, int *err)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		char *p;

		if (*len + (size_t)n > max) {
			*err = -EFBIG;
			continue;
		}
		p = realloc(*buf, *len + (size_t)n + 1);
		if (!p) {
			*err = -ENOMEM;
			continue;
		}
		*buf = p;
		memcpy(*buf + *len, chunk, (size_t)n);
		*len += (size_t)n;
		(*buf)[*len] = '\0';
	}
	if (n == 0)
		*eof = true;
}

int spawn_run(char *const argv[], char *const envp[], const char *input, unsigned timeout_ms, SpawnResult *ret)
{
	_cleanup_free_ char **systemd_run_argv = NULL;

	if (systemd_run) {
		systemd_run_argv = spawn_systemd_argv(systemd_run, argv, envp, timeout_ms);
		if (!systemd_run_argv)
			return -ENOMEM;
		/* systemd-run itself gets the agent's environment; the command, envp. */
		argv = systemd_run_argv;
		envp = NULL;
	}
	return spawn_run_with(argv, envp, &(SpawnOptions){ .input = input, .timeout_ms = timeout_ms }, ret);
}

/* A child started by spawn_start(): what spawn_wait() needs to feed it, read it and reap it. */
struct Spawn {
	SpawnOptions o;
	int in_w, out_r, err_r, pidfd;
	pid_t pid;
	uint64_t t0, deadline;
	size_t in_len, in_done, err_len, out_len;
	char err[4096];
	bool err_eof, out_eof, exited;
	int out_error;
};

/* As much of the input as the pipe takes now (all of it, usually); the pipe closes when it is all written. */
static void feed_input(Spawn *s)
{
	ssize_t n = write_input(s->in_w, s->o.input + s->in_done, s->in_len - s->in_done);

	if (n > 0)
		s->in_done += (size_t)n;
	if ((n < 0 && errno != EAGAIN) || s->in_done == s->in_len)
		s->in_w = safe_close(s->in_w);
}

void spawn_free(Spawn *s)
{
	if (!s)
		return;
	safe_close(s->in_w);
	safe_close(s->out_r);
	safe_close(s->err_r);
	safe_close(s->pidfd);
	free(s);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(Spawn, spawn_free);

int spawn_start(char *const argv[], char *const envp[], const SpawnOptions *o, Spawn **ret)
{
	_cleanup_close_ int in_r = -1, out_w = -1, err_w = -1;
	_cleanup_(spawn_freep) Spawn *s = calloc(1, sizeof(*s));
	int fds[2], r;

	*ret = NULL;
	if (!s)
		return -ENOMEM;
	*s = (Spawn){ .o = *o, .in_w = -1, .out_r = -1, .err_r = -1, .pidfd = -1, .t0 = clock_usec(CLOCK_MONOTONIC),
		      .in_len = o->input ? strlen(o->input) : 0, .err_eof = o->keep_stdio || o->keep_stderr, .out_eof = !o->out };
	if (o->out)
		*o->out = NULL;
	if (!o->keep_stdio) {
		if (pipe2(fds, O_CLOEXEC) < 0)
			return negative_errno();
		in_r = fds[0], s->in_w = fds[1];
		(void)fcntl(s->in_w, F_SETFL, O_NONBLOCK);
		/* Our ends do not block; the child's do, as a program expects of its stdout and stderr. */
		if (!o->keep_stderr) {
			if (pipe2(fds, O_CLOEXEC) < 0)
				return negative_errno();
			s->err_r = fds[0], err_w = fds[1];
			(void)fcntl(s->err_r, F_SETFL, O_NONBLOCK);
		}
		if (o->out) {
			if (pipe2(fds, O_CLOEXEC) < 0)
				return negative_errno();
			s->out_r = fds[0], out_w = fds[1];
			(void)fcntl(s->out_r, F_SETFL, O_NONBLOCK);
		}
	}
	r = start(argv, envp, o, in_r, out_w, err_w, &s->pid);
	if (r < 0)
		return r;
	if (!s->in_len)
		s->in_w = safe_close(s->in_w);
	else
		feed_input(s);
	s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	s->deadline = o->timeout_ms ? s->t0 + (uint64_t)o->timeout_ms * 1000 : UINT64_MAX;
	*ret = TAKE_PTR(s);
	return 0;
}

int spawn_wait(Spawn *s, SpawnResult *ret)
{
	SpawnResult res = { .status = -1 };
	int status = 0, out_error;

	/* Until it exited and its stdout ended (its stderr may stay open in something it left behind) or the time is up. */
	while (!s->exited || !s->out_eof) {
		struct pollfd p[4] = {
			{ .fd = s->exited ? -1 : s->pidfd, .events = POLLIN },
			{ .fd = s->err_eof ? -1 : s->err_r, .events = POLLIN },
			{ .fd = s->in_w, .events = POLLOUT },
			{ .fd = s->out_eof ? -1 : s->out_r, .events = POLLIN },
		};
		uint64_t now = clock_usec(CLOCK_MONOTONIC);
		int wait_ms = s->deadline == UINT64_MAX ? 1000 :
			      now >= s->deadline       ? 0 :
							 (int)MIN((s->deadline - now + 999) / 1000, 1000);

		if (now >= s->deadline) {
			res.timed_out = true;
			break;
		}
		if (poll(p, 4, s->pidfd >= 0 ? wait_ms : MIN(wait_ms, 10)) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			read_err(s->err_r, s->err, sizeof(s->err), &s->err_len, &s->err_eof);
		if (p[3].revents)
			read_out(s->out_r, s->o.out, &s->out_len, s->o.out_max, &s->out_eof, &s->out_error);
		if (p[2].revents & POLLOUT)
			feed_input(s);
		else if (p[2].revents)
			s->in_w = safe_close(s->in_w);
		/* Without a pidfd (old kernels), ask. */
		if (!s->exited && ((s->pidfd >= 0 && (p[0].revents & POLLIN)) ||
				   (s->pidfd < 0 && waitpid(s->pid, &status, WNOHANG) == s->pid))) {
			s->exited = true;
			if (s->pidfd < 0 && s->out_eof)
				goto reaped;
			if (s->pidfd < 0)
				s->pid = -1; /* reaped already */
		}
	}
	if (!s->exited) {
		/* Its whole session: a shell plugin's sleep goes too. */
		if (!s->o.keep_stdio)
			(void)kill(-s->pid, SIGKILL);
		(void)kill(s->pid, SIGKILL);
	}
	while (s->pid > 0 && waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
		;
reaped:
	if (s->err_r >= 0)
		read_err(s->err_r, s->err, sizeof(s->err), &s->err_len, &s->err_eof);
	if (s->out_r >= 0 && !s->out_eof)
		read_out(s->out_r, s->o.out, &s->out_len, s->o.out_max, &s->out_eof, &s->out_error);
	res.usec = clock_usec(CLOCK_MONOTONIC) - s->t0;
	res.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	snprintf(res.first_line, sizeof(res.first_line), "%.*s", (int)strcspn(s->err, "\n"), s->err);
	*ret = res;
	out_error = s->out_error;
	if (out_error < 0 && s->o.out) {
		free(*s->o.out);
		*s->o.out = NULL;
	}
	spawn_free(s);
	return out_error;
}

int spawn_run_with(char *const argv[], char *const envp[], const SpawnOptions *o, SpawnResult *ret)
{
	Spawn *s;
	int r = spawn_start(argv, envp, o, &s);

	if (r < 0) {
		*ret = (SpawnResult){ .status = r };
		return r;
	}
	return spawn_wait(s, ret);
}
