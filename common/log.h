/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Logging for hooks and tools: every message goes to the journal (native
 * protocol, no libsystemd) with
 * structured fields (LXCNET_VMID=, LXCNET_NET=, LXCNET_IFNAME=, ...), and
 * errors also to stderr as one short line, so `lxc-start -F`, LXC's own
 * log and hosts without journald still show why a start failed.
 * Hooks print nothing on success.
 */

#include <syslog.h>

#include "macro.h"

typedef struct LogContext {
	const char *identifier; /* SYSLOG_IDENTIFIER */
	const char *vmid;
	const char *net;    /* "net0" */
	const char *ifname; /* host interface */
	const char *vnet;
} LogContext;

/* Messages start with a capital and have no trailing period. */
void log_ctx(const LogContext *ctx, int priority, const char *fmt, ...) _printf_(3, 4);

/*
 * Messages at a priority above this (less severe) are dropped: the level
 * set by log_set_max_level(), else LXCNET_LOG_LEVEL=debug|info|notice|warning|err,
 * else info.
 */
int log_max_level(void);
void log_set_max_level(int level);

/* "debug", "info", "notice", "warning", "err" (or "error") -> LOG_*; -EINVAL otherwise. */
int log_level_from_string(const char *name);

/*
 * Also write messages up to this priority to stderr (default LOG_WARNING: errors
 * and warnings only, as the hooks need). lxcnetd raises it when it does not run
 * under journald, so that a terminal shows everything.
 */
void log_set_stderr_level(int level);
