/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/notify.h"
#include "lxc-netconf.h"
#include "sdn-config.h"
#include "strutil.h"

int notify_format(const NotifyMessage *msg, char *buf, size_t size)
{
	int n;

	n = snprintf(buf, size, "container=%s\nnet=%u\nvnet=%s\n", msg->container, msg->net, msg->vnet);
	if (n >= 0 && (size_t)n < size && msg->report)
		n += snprintf(buf + n, size - (size_t)n, "op=%s\npath=%s\nresult=%s\nfallback=%d\nusec=%llu\n",
			      rollout_op_name(msg->op), rollout_path_name(msg->path), msg->ok ? "ok" : "failed", msg->fallback,
			      (unsigned long long)msg->usec);
	if (n < 0 || (size_t)n >= size)
		return -ENOBUFS;
	return n;
}

int notify_parse(const char *buf, size_t size, NotifyMessage *ret, bool *failed)
{
	char text[LXCNET_NOTIFY_MAX * 2], *save = NULL;
	uint64_t net = UINT64_MAX, usec = 0;
	int op = -1, path = -1, ok = -1;
	NotifyMessage msg = {};

	if (size >= sizeof(text))
		return -EINVAL;
	memcpy(text, buf, size);
	text[size] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "container=", 10) == 0)
			snprintf(msg.container, sizeof(msg.container), "%s", line + 10);
		else if (strncmp(line, "net=", 4) == 0 && parse_uint_range(line + 4, 0, 31, &net) < 0)
			net = UINT64_MAX;
		else if (strncmp(line, "vnet=", 5) == 0)
			snprintf(msg.vnet, sizeof(msg.vnet), "%s", line + 5);
		else if (strncmp(line, "op=", 3) == 0)
			op = rollout_op_from_string(line + 3);
		else if (strncmp(line, "path=", 5) == 0)
			path = rollout_path_from_string(line + 5);
		else if (strncmp(line, "result=", 7) == 0)
			ok = strcmp(line + 7, "ok") == 0;
		else if (strcmp(line, "fallback=1") == 0)
			msg.fallback = true;
		else if (strncmp(line, "usec=", 5) == 0 && parse_uint_range(line + 5, 0, UINT64_MAX, &usec) < 0)
			usec = 0;
	}
	if (!ct_name_valid(msg.container) || net == UINT64_MAX || (msg.vnet[0] && !sdn_id_valid(msg.vnet)))
		return -EINVAL;
	msg.net = (unsigned)net;
	msg.report = op >= 0 && path >= 0 && ok >= 0;
	if (msg.report) {
		msg.op = (RolloutOp)op;
		msg.path = (RolloutPath)path;
		msg.ok = ok;
		msg.usec = usec;
	} else
		msg.fallback = false;
	*failed = ok == 0;
	*ret = msg;
	return 0;
}

void notify_send(const char *path, const NotifyMessage *msg)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[LXCNET_NOTIFY_MAX];
	int fd, n;

	if (strlen(path) >= sizeof(sa.sun_path))
		return;
	strcpy(sa.sun_path, path);
	n = notify_format(msg, buf, sizeof(buf));
	if (n < 0)
		return;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	(void)sendto(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
}
