/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every bus file shares (bus.h): authorising a caller, reading a NIC key, an operation's path. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "plug.h"

/* Mutating calls: root or CAP_NET_ADMIN, checked here as well as in the bus policy. */
int bus_authorize(sd_bus_message *m, sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	uid_t euid;
	int r;

	r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_EFFECTIVE_CAPS | SD_BUS_CREDS_AUGMENT, &creds);
	if (r < 0)
		return sd_bus_error_setf(error, LXCNET_ERR_PERMISSION_DENIED, "Cannot identify the caller: %s", strerror(-r));
	if (sd_bus_creds_get_euid(creds, &euid) >= 0 && euid == 0)
		return 0;
	if (sd_bus_creds_has_effective_cap(creds, CAP_NET_ADMIN) > 0)
		return 0;
	return sd_bus_error_setf(error, LXCNET_ERR_PERMISSION_DENIED, "Only root or CAP_NET_ADMIN may call %s",
				 sd_bus_message_get_member(m));
}

/* "net3" -> 3, else an InvalidArgument error naming the value. */
int bus_parse_net(const char *net, unsigned *ret, sd_bus_error *error)
{
	int idx = pve_net_index_from_key(net);

	if (idx < 0)
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "'%s' is not a NIC key (net0..net31)", net);
	*ret = (unsigned)idx;
	return 0;
}

int bus_parse_nic(const char *nic, sd_bus_error *error)
{
	PlugOwner o;

	/* LXC's and the OCI hook's netN, or a CNI attachment's "<network>/<ifname>", as lxcnet-cni's alias has them. */
	if (pve_net_index_from_key(nic) >= 0 || plug_owner_parse_nic(nic, &o) >= 0)
		return 0;
	return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT,
				 "'%s' is not a NIC key (net0..net31, or <network>/<ifname> for a CNI attachment)", nic);
}

int bus_operation_path(const Operation *op, char **ret)
{
	return asprintf(ret, LXCNET_BUS_OPERATION_PATH "/%llu", (unsigned long long)op->id) < 0 ? -ENOMEM : 0;
}

int bus_reply_array(sd_bus_message *msg, const char *element_sig, BusAppendFn fn, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r;

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', element_sig);
	if (r >= 0)
		r = fn(reply, userdata);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}
