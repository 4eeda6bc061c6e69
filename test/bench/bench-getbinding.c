/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * GetBinding throughput from one pipelining sd-bus client: keeps WINDOW
 * calls in flight and counts replies per second.
 *   bench-getbinding BUS-ADDRESS CONTAINER NET CALLS
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "api/bus.h"

#define WINDOW 128

static unsigned sent, done, failed, total;
static const char *container, *net;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error);

static int send_one(sd_bus *bus)
{
	sent++;
	return sd_bus_call_method_async(bus, NULL, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "GetBinding",
					on_reply, NULL, "ss", container, net);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)userdata;
	(void)error;
	done++;
	if (sd_bus_message_is_method_error(m, NULL))
		failed++;
	if (sent < total)
		return send_one(sd_bus_message_get_bus(m));
	return 0;
}

int main(int argc, char **argv)
{
	sd_bus *bus = NULL;
	struct timespec a, b;
	double secs;
	int r;

	if (argc != 5) {
		fprintf(stderr, "usage: bench-getbinding BUS-ADDRESS CONTAINER NET CALLS\n");
		return 2;
	}
	container = argv[2];
	net = argv[3];
	total = (unsigned)strtoul(argv[4], NULL, 10);
	if ((r = sd_bus_new(&bus)) < 0 || (r = sd_bus_set_address(bus, argv[1])) < 0 ||
	    (r = sd_bus_set_bus_client(bus, 1)) < 0 || (r = sd_bus_start(bus)) < 0) {
		fprintf(stderr, "bench-getbinding: cannot connect: %s\n", strerror(-r));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned i = 0; i < WINDOW && sent < total; i++)
		if (send_one(bus) < 0)
			return 1;
	while (done < total) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return 1;
		if (r == 0 && sd_bus_wait(bus, 1000000) < 0)
			return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("%u calls (%u errors) in %.3f s: %.0f calls/s\n", done, failed, secs, done / secs);
	sd_bus_flush_close_unref(bus);
	return failed ? 1 : 0;
}
