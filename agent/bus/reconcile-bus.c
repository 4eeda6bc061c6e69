/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CheckPorts(s container) -> a(ssss) and Reconcile(s container) -> a(ssss),
 * over reconcile_ports(): (container, net, what, difference) per port.
 */
#include <errno.h>

#include "bus.h"

typedef struct Ports {
	Manager *m;
	sd_bus_message *reply;
	const char *container;
	bool apply;
} Ports;

static int append_port(const char *container, const char *net, const char *what, const char *difference, void *userdata)
{
	return sd_bus_message_append(((Ports *)userdata)->reply, LXCNET_SIG_PORT_CHANGE, container, net, what, difference);
}

static int append_ports(sd_bus_message *reply, void *userdata)
{
	Ports *p = userdata;

	p->reply = reply;
	return reconcile_ports(p->m, p->container, p->apply, append_port, p);
}

static int ports_reply(sd_bus_message *msg, Manager *m, bool apply, sd_bus_error *error)
{
	Ports p = { .m = m, .apply = apply };
	int r;

	r = sd_bus_message_read(msg, "s", &p.container);
	if (r < 0)
		return r;
	if (*p.container && manager_count_container(m, p.container) == 0)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_BINDING, "Container '%s' has no bound interface", p.container);
	return bus_reply_array(msg, LXCNET_SIG_PORT_CHANGE, append_ports, &p);
}

int method_check_ports(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	return ports_reply(msg, userdata, false, error);
}

int method_reconcile(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	int r = bus_authorize(msg, error);

	return r < 0 ? r : ports_reply(msg, userdata, true, error);
}
