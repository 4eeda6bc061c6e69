/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CheckPorts(s container) -> a(ssss) and Reconcile(s container) -> a(ssss),
 * over reconcile_ports(): (container, net, what, difference) per port.
 */
#include <errno.h>

#include "bus.h"

static int append_port(const char *container, const char *net, const char *what, const char *difference, void *userdata)
{
	return sd_bus_message_append(userdata, LXCNET_SIG_PORT_CHANGE, container, net, what, difference);
}

static int ports_reply(sd_bus_message *msg, Manager *m, bool apply, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *container;
	int r;

	r = sd_bus_message_read(msg, "s", &container);
	if (r < 0)
		return r;
	if (*container && manager_count_container(m, container) == 0)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_BINDING, "Container '%s' has no bound interface", container);
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_PORT_CHANGE);
	if (r >= 0)
		r = reconcile_ports(m, container, apply, append_port, reply);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
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
