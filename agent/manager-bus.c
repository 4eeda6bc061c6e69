/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.lxcnet1.Manager on /org/lxcnet1. Handlers follow one order: read
 * arguments, validate (the error quotes the bad value), authorise, act,
 * emit, reply.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "manager.h"
#include "pve-netconf.h"

#define BUS_PATH "/org/lxcnet1"
#define BUS_INTERFACE "org.lxcnet1.Manager"
#define BINDING_SIG "(ssusssbt)"

/* Every error the API returns. */
#define ERR_NO_SUCH_BINDING "org.lxcnet1.Error.NoSuchBinding"
#define ERR_NO_SUCH_CONTAINER "org.lxcnet1.Error.NoSuchContainer"
#define ERR_INVALID_ARGUMENT "org.lxcnet1.Error.InvalidArgument"
#define ERR_PERMISSION_DENIED "org.lxcnet1.Error.PermissionDenied"
#define ERR_NO_DATAPATH "org.lxcnet1.Error.NoDatapath"

static const char *const drop_names[_LXCNET_DROP_MAX] = {
	[LXCNET_DROP_MALFORMED] = "malformed",	   [LXCNET_DROP_VLAN_IN] = "vlan-in",
	[LXCNET_DROP_VLAN_OUT] = "vlan-out",	   [LXCNET_DROP_UNTAGGED_OUT] = "untagged-out",
	[LXCNET_DROP_SERVICE] = "service-tag",	   [LXCNET_DROP_TAG_OP] = "tag-op",
	[LXCNET_DROP_NO_POLICY] = "no-policy",	   [LXCNET_DROP_SPOOF_MAC] = "spoofed-mac",
	[LXCNET_DROP_SPOOF_IP4] = "spoofed-ipv4",  [LXCNET_DROP_SPOOF_IP6] = "spoofed-ipv6",
};

static int append_binding(sd_bus_message *reply, const Binding *b)
{
	char net[16];

	snprintf(net, sizeof(net), "net%u", b->net);
	return sd_bus_message_append(reply, BINDING_SIG, b->container, net, (uint32_t)b->ifindex, b->ifname, b->bridge,
				     b->vnet, (int)b->up, b->since);
}

/* "net3" -> 3, else an InvalidArgument error naming the value. */
static int parse_net(const char *net, unsigned *ret, sd_bus_error *error)
{
	int idx = pve_net_index_from_key(net);

	if (idx < 0)
		return sd_bus_error_setf(error, ERR_INVALID_ARGUMENT, "'%s' is not a NIC key (net0..net31)", net);
	*ret = (unsigned)idx;
	return 0;
}

/* Read (container, net) and find that binding; an error naming the value otherwise. */
static int read_binding_args(sd_bus_message *m, Manager *mgr, const Binding **ret, sd_bus_error *error)
{
	const char *container, *net;
	unsigned idx = 0;
	int r;

	r = sd_bus_message_read(m, "ss", &container, &net);
	if (r < 0)
		return r;
	r = parse_net(net, &idx, error);
	if (r < 0)
		return r;
	*ret = manager_find(mgr, container, idx);
	if (!*ret)
		return sd_bus_error_setf(error, ERR_NO_SUCH_BINDING, "Container '%s' has no bound interface for %s", container,
					 net);
	return 0;
}

/* Mutating calls: root or CAP_NET_ADMIN, checked here as well as in the bus policy. */
static int authorize(sd_bus_message *m, sd_bus_error *error)
{
	_cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
	uid_t euid;
	int r;

	r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID | SD_BUS_CREDS_EFFECTIVE_CAPS | SD_BUS_CREDS_AUGMENT, &creds);
	if (r < 0)
		return sd_bus_error_setf(error, ERR_PERMISSION_DENIED, "Cannot identify the caller: %s", strerror(-r));
	if (sd_bus_creds_get_euid(creds, &euid) >= 0 && euid == 0)
		return 0;
	if (sd_bus_creds_has_effective_cap(creds, CAP_NET_ADMIN) > 0)
		return 0;
	return sd_bus_error_setf(error, ERR_PERMISSION_DENIED, "Only root or CAP_NET_ADMIN may call %s",
				 sd_bus_message_get_member(m));
}

static int method_list_bindings(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *mgr = userdata;
	int r;

	(void)error;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', BINDING_SIG);
	for (size_t i = 0; r >= 0 && i < mgr->n_bindings; i++)
		r = append_binding(reply, &mgr->bindings[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_binding(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const Binding *b;
	int r;

	r = read_binding_args(m, userdata, &b, error);
	if (r < 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = append_binding(reply, b);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int compare_container(const void *a, const void *b)
{
	return strcmp((*(const Binding *const *)a)->container, (*(const Binding *const *)b)->container);
}

static int method_list_containers(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ const Binding **sorted = NULL;
	Manager *mgr = userdata;
	int r;

	(void)error;
	/* Sorted by container, each container is one run: O(n log n) with 10,000 bindings. */
	sorted = calloc(mgr->n_bindings ?: 1, sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	for (size_t i = 0; i < mgr->n_bindings; i++)
		sorted[i] = &mgr->bindings[i];
	qsort(sorted, mgr->n_bindings, sizeof(*sorted), compare_container);

	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(su)");
	for (size_t i = 0, run; r >= 0 && i < mgr->n_bindings; i += run) {
		for (run = 1; i + run < mgr->n_bindings && compare_container(&sorted[i], &sorted[i + run]) == 0; run++)
			;
		r = sd_bus_message_append(reply, "(su)", sorted[i]->container, (uint32_t)run);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_statistics(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *mgr = userdata;
	struct lxcnet_port_stats st;
	const Binding *b;
	Diag d;
	int r;

	r = read_binding_args(m, mgr, &b, error);
	if (r < 0)
		return r;
	if (!mgr->dp)
		(void)datapath_open(false, &mgr->dp, &d);
	if (!mgr->dp || datapath_port_stats(mgr->dp, b->ifindex, &st) < 0)
		return sd_bus_error_setf(error, ERR_NO_DATAPATH, "No datapath counters for '%s'", b->ifname);
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "tttt", st.packets[LXCNET_FROM_CT], st.bytes[LXCNET_FROM_CT],
					  st.packets[LXCNET_TO_CT], st.bytes[LXCNET_TO_CT]);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "(st)");
	for (int i = 0; r >= 0 && i < _LXCNET_DROP_MAX; i++)
		r = sd_bus_message_append(reply, "(st)", drop_names[i], st.drops[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_notify_binding(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Manager *mgr = userdata;
	const char *container, *net, *vnet;
	unsigned idx = 0;
	int r;

	r = sd_bus_message_read(m, "sss", &container, &net, &vnet);
	if (r < 0)
		return r;
	r = parse_net(net, &idx, error);
	if (r < 0)
		return r;
	if (!*container || strlen(container) >= sizeof(((Binding *)0)->container))
		return sd_bus_error_setf(error, ERR_INVALID_ARGUMENT, "'%s' is not a container name", container);
	if (strlen(vnet) >= sizeof(((Binding *)0)->vnet))
		return sd_bus_error_setf(error, ERR_INVALID_ARGUMENT, "'%s' is not a VNet id", vnet);
	r = authorize(m, error);
	if (r < 0)
		return r;
	r = manager_notify(mgr, container, idx, vnet);
	if (r == -ENOENT)
		return sd_bus_error_setf(error, ERR_NO_SUCH_BINDING, "Container '%s' has no interface for %s", container, net);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	int r = authorize(m, error);

	if (r < 0)
		return r;
	r = manager_reload(userdata);
	if (r >= 0)
		r = manager_save(userdata);
	return r < 0 ? r : sd_bus_reply_method_return(m, NULL);
}

static int property_n_bindings(sd_bus *bus, const char *path, const char *interface, const char *property,
			       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	(void)bus, (void)path, (void)interface, (void)property, (void)error;
	return sd_bus_message_append(reply, "u", (uint32_t)((Manager *)userdata)->n_bindings);
}

static const sd_bus_vtable manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", NULL, offsetof(Manager, version), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("NBindings", "u", property_n_bindings, 0, 0),
	SD_BUS_METHOD_WITH_NAMES("ListBindings", "", , "a" BINDING_SIG, SD_BUS_PARAM(bindings), method_list_bindings,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetBinding", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), BINDING_SIG,
				 SD_BUS_PARAM(binding), method_get_binding, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListContainers", "", , "a(su)", SD_BUS_PARAM(containers), method_list_containers,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetStatistics", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), "tttta(st)",
				 SD_BUS_PARAM(packets_from_container) SD_BUS_PARAM(bytes_from_container)
					 SD_BUS_PARAM(packets_to_container) SD_BUS_PARAM(bytes_to_container) SD_BUS_PARAM(drops),
				 method_get_statistics, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("NotifyBinding", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), "", ,
				 method_notify_binding, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Reload", "", "", method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("BindingChanged", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), 0),
	SD_BUS_SIGNAL_WITH_NAMES("VNetBound", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), 0),
	SD_BUS_SIGNAL_WITH_NAMES("VNetUnbound", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), 0),
	SD_BUS_SIGNAL_WITH_NAMES("ContainerStarted", "s", SD_BUS_PARAM(container), 0),
	SD_BUS_SIGNAL_WITH_NAMES("ContainerStopped", "s", SD_BUS_PARAM(container), 0),
	SD_BUS_VTABLE_END,
};

void manager_bus_emit(Manager *m, const char *signal, const Binding *b)
{
	char net[16];

	if (!m->bus || !m->announce)
		return;
	snprintf(net, sizeof(net), "net%u", b->net);
	if (strcmp(signal, "BindingChanged") == 0)
		(void)sd_bus_emit_signal(m->bus, BUS_PATH, BUS_INTERFACE, signal, "ss", b->container, net);
	else
		(void)sd_bus_emit_signal(m->bus, BUS_PATH, BUS_INTERFACE, signal, "sss", b->container, net, b->vnet);
	if (strcmp(signal, "BindingChanged") == 0)
		(void)sd_bus_emit_properties_changed(m->bus, BUS_PATH, BUS_INTERFACE, "NBindings", NULL);
}

void manager_bus_emit_container(Manager *m, const char *signal, const char *container)
{
	if (m->bus && m->announce)
		(void)sd_bus_emit_signal(m->bus, BUS_PATH, BUS_INTERFACE, signal, "s", container);
}

int manager_bus_setup(Manager *m)
{
	int r;

	/* Objects first, then the name. */
	r = sd_bus_add_object_vtable(m->bus, NULL, BUS_PATH, BUS_INTERFACE, manager_vtable, m);
	if (r < 0)
		return r;
	r = sd_bus_request_name(m->bus, "org.lxcnet1", 0);
	if (r < 0)
		return r;
	r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	m->announce = true;
	return 0;
}
