/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-journal.h>

#include "log.h"

int log_max_level(void)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = {
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "notice", LOG_NOTICE },
		{ "warning", LOG_WARNING }, { "err", LOG_ERR }, { "error", LOG_ERR },
	};
	const char *e = getenv("LXCNET_LOG_LEVEL");

	for (size_t i = 0; e && i < ELEMENTSOF(levels); i++)
		if (strcasecmp(e, levels[i].name) == 0)
			return levels[i].level;
	return LOG_INFO;
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

	/* Empty fields are sent as "FIELD=" and mean "not applicable". */
	sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=%s",
			ctx && ctx->identifier ? ctx->identifier : "lxcnet", "LXCNET_VMID=%s",
			ctx && ctx->vmid ? ctx->vmid : "", "LXCNET_NET=%s", ctx && ctx->net ? ctx->net : "",
			"LXCNET_IFNAME=%s", ctx && ctx->ifname ? ctx->ifname : "", "LXCNET_VNET=%s",
			ctx && ctx->vnet ? ctx->vnet : "", NULL);
	if (priority <= LOG_WARNING)
		fprintf(stderr, "%s: %s\n", ctx && ctx->identifier ? ctx->identifier : "lxcnet", msg);
}
