/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

/* The only global state here: options parsed once at start. */
static int stderr_level = LOG_WARNING;
static int max_level = -1; /* -1: $LXCNET_LOG_LEVEL, else LOG_INFO */

void log_set_stderr_level(int level)
{
	stderr_level = level;
}

int log_level_from_string(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "notice", LOG_NOTICE },
		{ "warning", LOG_WARNING }, { "err", LOG_ERR }, { "error", LOG_ERR },
	};

	for (size_t i = 0; name && i < ELEMENTSOF(levels); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -EINVAL;
}

void log_set_max_level(int level)
{
	max_level = level;
}

int log_max_level(void)
{
	int level;

	if (max_level >= 0)
		return max_level;
	level = log_level_from_string(getenv("LXCNET_LOG_LEVEL"));
	return level >= 0 ? level : LOG_INFO;
}

/* One "FIELD=value\n" line; a newline inside a value would end it, so it becomes a space. */
static void field(FILE *f, const char *name, const char *value)
{
	fprintf(f, "%s=", name);
	for (const char *p = value ? value : ""; *p; p++)
		fputc(*p == '\n' ? ' ' : *p, f);
	fputc('\n', f);
}

/*
 * journald's native protocol: one datagram of FIELD=value lines to
 * /run/systemd/journal/socket. Spoken directly rather than through
 * libsystemd, whose shared-library dependencies would cost every hook
 * start more than the rest of its work. Without journald it sends nothing.
 */
static void journal_send(const LogContext *ctx, int priority, const char *msg)
{
	static const struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/run/systemd/journal/socket" };
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = 0;
	char prio[4];
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return;
	snprintf(prio, sizeof(prio), "%d", priority);
	field(f, "MESSAGE", msg);
	field(f, "PRIORITY", prio);
	field(f, "SYSLOG_IDENTIFIER", ctx && ctx->identifier ? ctx->identifier : "lxcnet");
	/* Fields that do not apply are left out. */
	if (ctx && ctx->vmid)
		field(f, "LXCNET_VMID", ctx->vmid);
	if (ctx && ctx->net)
		field(f, "LXCNET_NET", ctx->net);
	if (ctx && ctx->ifname)
		field(f, "LXCNET_IFNAME", ctx->ifname);
	if (ctx && ctx->vnet)
		field(f, "LXCNET_VNET", ctx->vnet);
	if (fclose(f) != 0)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, buf, len, MSG_NOSIGNAL, (const struct sockaddr *)&sa, sizeof(sa));
}

void log_ctx(const LogContext *ctx, int priority, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (priority > log_max_level())
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	journal_send(ctx, priority, msg);
	if (priority <= stderr_level || (getenv("LXCNET_LOG_STDERR") && priority <= log_level_from_string(getenv("LXCNET_LOG_STDERR"))))
		fprintf(stderr, "%s: %s\n", ctx && ctx->identifier ? ctx->identifier : "lxcnet", msg);
}
