/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The hooks' datagram to lxcnetd: "a NIC was plugged" (or failed to be),
 * sent to a unix datagram socket, never waiting, from root only:
 *
 *   container=100\nnet=0\nvnet=prod\n
 *   op=net-up\npath=lxcnet\nresult=ok\nfallback=0\nusec=2500\n   (the report)
 *
 * Hooks of a version without the report send only the first three lines.
 * Lines the agent does not know are ignored, so either side may be newer.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lxcnet-conf.h"

#define LXCNET_NOTIFY_SOCKET_DEFAULT "/run/lxcnet/notify"
#define LXCNET_NOTIFY_MAX 256 /* bytes in one datagram */

typedef struct NotifyMessage {
	char container[64];
	unsigned net;	/* N of netN */
	char vnet[16];	/* the SDN VNet it was plugged into, "" when none */
	bool report;	/* what follows was sent */
	RolloutOp op;
	RolloutPath path; /* who performed it */
	bool ok;
	bool fallback; /* lxcnet failed and the legacy command was run instead */
	uint64_t usec; /* how long it took */
} NotifyMessage;

/* The datagram's text into buf; its length, or -ENOBUFS. */
int notify_format(const NotifyMessage *msg, char *buf, size_t size);

/*
 * Read a datagram: -EINVAL when the container, the net (0..31) or a valid
 * VNet id is missing. A report missing one of op, path and result is no
 * report; *failed is still set when result=failed came (a failed plug
 * leaves nothing to bind).
 */
int notify_parse(const char *buf, size_t size, NotifyMessage *ret, bool *failed);

/* Send msg to the socket at path, never waiting; errors are ignored (no agent: nothing happens). */
void notify_send(const char *path, const NotifyMessage *msg);
