/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The hooks' datagram to lxcnetd (api/notify.h): what a hook writes is what
 * the agent reads, over a real unix datagram socket too; a hook without the
 * report (an older version) is still understood; malformed ones are refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/notify.h"
#include "tap.h"

static int parse_str(const char *s, NotifyMessage *m, bool *failed)
{
	return notify_parse(s, strlen(s), m, failed);
}

int main(void)
{
	NotifyMessage in = { .container = "100", .net = 3, .vnet = "prod", .report = true, .op = ROP_NET_UP,
			     .path = PATH_LXCNET, .ok = true, .fallback = true, .usec = 2500 };
	NotifyMessage out;
	char buf[LXCNET_NOTIFY_MAX];
	bool failed;
	int n;

	n = notify_format(&in, buf, sizeof(buf));
	ok(n > 0, "format: %d bytes", n);
	is_str(buf, "container=100\nnet=3\nvnet=prod\nop=net-up\npath=lxcnet\nresult=ok\nfallback=1\nusec=2500\n",
	       "format: the text a hook sends");
	is_int(notify_parse(buf, (size_t)n, &out, &failed), 0, "parse what format wrote");
	ok(strcmp(out.container, "100") == 0 && out.net == 3 && strcmp(out.vnet, "prod") == 0 && out.report &&
		   out.op == ROP_NET_UP && out.path == PATH_LXCNET && out.ok && out.fallback && out.usec == 2500,
	   "parse: every field back");
	ok(!failed, "parse: result=ok is not failed");

	/* An older hook: no report. */
	is_int(parse_str("container=web1\nnet=0\nvnet=\n", &out, &failed), 0, "without report: accepted");
	ok(!out.report && !failed && strcmp(out.container, "web1") == 0 && out.net == 0 && !out.vnet[0],
	   "without report: no report, not failed, no VNet");

	/* A failed plug from a hook of either age. */
	is_int(parse_str("container=100\nnet=1\nvnet=\nop=net-up\npath=legacy\nresult=failed\nfallback=0\nusec=7\n", &out,
			 &failed),
	       0, "failed plug: accepted");
	ok(failed && out.report && !out.ok && out.path == PATH_LEGACY && out.usec == 7, "failed plug: failed, reported");
	is_int(parse_str("container=100\nnet=1\nresult=failed\n", &out, &failed), 0, "partial report: accepted");
	ok(failed && !out.report && !out.fallback, "partial report: no report, still failed");

	/* Unknown lines are ignored, so either side may be newer. */
	is_int(parse_str("container=100\nnet=2\nfuture=1\n", &out, &failed), 0, "an unknown line is ignored");

	static const char *const bad[] = {
		"",
		"net=0\n",
		"container=100\n",
		"container=100\nnet=32\n",
		"container=100\nnet=-1\n",
		"container=100\nnet=x\n",
		"container=100\nnet=0\nvnet=has space\n",
		"container=100\nnet=0\nvnet=waytoolongvnetname\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(parse_str(bad[i], &out, &failed), -EINVAL, "malformed %zu refused", i);
	{
		char big[LXCNET_NOTIFY_MAX * 2 + 1];

		memset(big, 'a', sizeof(big));
		is_int(notify_parse(big, sizeof(big), &out, &failed), -EINVAL, "an oversized datagram is refused");
	}
	{
		NotifyMessage huge = in;

		memset(huge.container, 'x', sizeof(huge.container) - 1);
		huge.container[sizeof(huge.container) - 1] = '\0';
		is_int(notify_format(&huge, buf, 64), -ENOBUFS, "format into a small buffer: -ENOBUFS");
	}

	/* Through a real socket, as the hook and the agent use it. */
	{
		char dir[] = "/tmp/lxcnet-notify-XXXXXX", path[64], got[LXCNET_NOTIFY_MAX * 2];
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int fd = -1;
		ssize_t len = -1;

		if (mkdtemp(dir)) {
			snprintf(path, sizeof(path), "%s/notify", dir);
			snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
			fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
				notify_send(path, &in);
				len = recv(fd, got, sizeof(got), MSG_DONTWAIT);
			}
		}
		ok(len > 0 && notify_parse(got, (size_t)len, &out, &failed) == 0 && strcmp(out.container, "100") == 0 &&
			   out.net == 3 && out.report && out.usec == 2500,
		   "notify_send: the agent's socket reads the message back");
		if (fd >= 0)
			close(fd);
		(void)unlink(path);
		(void)rmdir(dir);
	}
	return tap_done();
}
