/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * org.lxcnet1.Manager on /org/lxcnet1. Handlers follow one order: read
 * arguments, validate (the error quotes the bad value), authorise, act,
 * emit, reply.
 */
#include <errno.h>
#include <stdarg.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "lxc-netconf.h"
#include "plug.h"
#include "reconcile.h"
#include "storage.h"
#include "strutil.h"

static int append_binding(sd_bus_message *reply, const Binding *b)
{
	return sd_bus_message_append(reply, LXCNET_SIG_BINDING, b->container, b->nic, (uint32_t)b->ifindex, b->ifname,
				     b->bridge, b->vnet, (int)b->up, b->since);
}

/* Read (container, net) and find that binding; an error naming the value otherwise. */
static int read_binding_args(sd_bus_message *m, Manager *mgr, const Binding **ret, sd_bus_error *error)
{
	const char *container, *net;
	int r;

	r = sd_bus_message_read(m, "ss", &container, &net);
	if (r < 0)
		return r;
	r = bus_parse_nic(net, error);
	if (r < 0)
		return r;
	*ret = manager_find_nic(mgr, container, net);
	if (!*ret)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_BINDING, "Container '%s' has no bound interface for %s", container,
					 net);
	return 0;
}

static int append_bindings(sd_bus_message *reply, void *userdata)
{
	Manager *mgr = userdata;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < mgr->n_bindings; i++)
		r = append_binding(reply, &mgr->bindings[i]);
	return r;
}

static int method_list_bindings(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	(void)error;
	return bus_reply_array(m, LXCNET_SIG_BINDING, append_bindings, userdata);
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
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_CONTAINER);
	for (size_t i = 0, run; r >= 0 && i < mgr->n_bindings; i += run) {
		for (run = 1; i + run < mgr->n_bindings && compare_container(&sorted[i], &sorted[i + run]) == 0; run++)
			;
		r = sd_bus_message_append(reply, LXCNET_SIG_CONTAINER, sorted[i]->container, (uint32_t)run);
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
	int r;

	r = read_binding_args(m, mgr, &b, error);
	if (r < 0)
		return r;
	if (!manager_datapath(mgr) || datapath_port_stats(mgr->dp, b->port_ifindex, &st) < 0)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_DATAPATH, "No datapath counters for '%s'%s", b->ifname,
					 datapath_port_orphaned(b->port_ifindex) ?
						 ": it runs a datapath whose pins were removed (plug it again to count it)" :
						 "");
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "tttt", st.packets[LXCNET_FROM_CT], st.bytes[LXCNET_FROM_CT],
					  st.packets[LXCNET_TO_CT], st.bytes[LXCNET_TO_CT]);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_DROP);
	for (int i = 0; r >= 0 && i < _LXCNET_DROP_MAX; i++)
		r = sd_bus_message_append(reply, LXCNET_SIG_DROP, datapath_drop_reason(i), st.drops[i]);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_get_firewall_rules(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *mgr = userdata;
	FwRuleStat *s = NULL;
	const Binding *b;
	size_t n = 0;
	int r;

	r = read_binding_args(m, mgr, &b, error);
	if (r < 0)
		return r;
	r = reconcile_fw_rules(mgr, b, &s, &n);
	if (r == -ENODEV)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_DATAPATH, "No datapath for '%s'", b->ifname);
	if (r < 0 && r != -ENOENT)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_FW_RULE);
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sd_bus_message_append(reply, LXCNET_SIG_FW_RULE, s[i].dir == LXCNET_FROM_CT ? "out" : "in", s[i].index,
					  datapath_fw_verdict_name(s[i].verdict), s[i].origin ?: "", s[i].packets, s[i].bytes);
	fw_rule_stats_free(s, n);
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

/* A VNet id as SDN spells them; anything else cannot name one. */
static int check_vnet_id(const char *vnet, sd_bus_error *error)
{
	if (!sdn_id_valid(vnet))
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "'%s' is not a VNet id (2..%d letters and digits)", vnet,
					 SDN_ID_MAX);
	return 0;
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
	r = bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	if (!ct_name_valid(container))
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "'%s' is not a container name", container);
	/* "" says the NIC is on no VNet; anything else must be a VNet id, as BindVNet takes them. */
	if (*vnet) {
		r = check_vnet_id(vnet, error);
		if (r < 0)
			return r;
	}
	r = bus_authorize(m, error);
	if (r < 0)
		return r;
	r = manager_notify(mgr, container, idx, vnet);
	if (r == -ENOENT)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_BINDING, "Container '%s' has no interface for %s", container, net);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static int method_reload(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	Diag d = {};
	int r = bus_authorize(m, error);

	if (r < 0)
		return r;
	r = manager_reload_all(userdata, &d);
	if (r == -EINVAL)
		return sd_bus_error_set(error, LXCNET_ERR_INVALID_CONFIG, d.msg);
	return r < 0 ? r : sd_bus_reply_method_return(m, NULL);
}

/* The outcome of a bind: the reply the client waits for. */
static void bind_done(Manager *m, int r, const char *error_name, const char *message, void *userdata)
{
	sd_bus_message *msg = userdata;

	(void)m;
	if (r >= 0)
		(void)sd_bus_reply_method_return(msg, NULL);
	else
		(void)sd_bus_reply_method_errorf(msg, error_name, "%s", message);
	sd_bus_message_unref(msg);
}

static int bind_or_unbind(sd_bus_message *m, Manager *mgr, const char *container, const char *net, const char *vnet,
			  sd_bus_error *error)
{
	ManagerError kind;
	unsigned idx = 0;
	Diag d = {};
	int r;

	r = bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	if (vnet) {
		r = check_vnet_id(vnet, error);
		if (r < 0)
			return r;
	}
	r = bus_authorize(m, error);
	if (r < 0)
		return r;
	r = manager_bind_request(mgr, container, idx, vnet, bind_done, sd_bus_message_ref(m), &kind, &d);
	if (r < 0) {
		sd_bus_message_unref(m);
		return kind != MANAGER_OK ? sd_bus_error_set(error, manager_error_name(kind), d.msg) : r;
	}
	return 1; /* the reply comes from bind_done() */
}

static int method_bind_vnet(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *container, *net, *vnet;
	int r;

	r = sd_bus_message_read(m, "sss", &container, &net, &vnet);
	if (r < 0)
		return r;
	return bind_or_unbind(m, userdata, container, net, vnet, error);
}

static int method_unbind_vnet(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *container, *net;
	int r;

	r = sd_bus_message_read(m, "ss", &container, &net);
	if (r < 0)
		return r;
	return bind_or_unbind(m, userdata, container, net, NULL, error);
}

static uint32_t count_vnet(Manager *m, const char *vnet)
{
	uint32_t n = 0;

	for (size_t i = 0; i < m->n_bindings; i++)
		n += strcmp(m->bindings[i].vnet, vnet) == 0;
	return n;
}

static int method_list_vnets(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *mgr = userdata;
	PlugEnv e;
	Diag d = {};
	int r;

	r = plug_env_open(&e, mgr->pve_dir);
	if (r < 0)
		return r;
	r = sdn_config_load(mgr->pve_dir, &e.sdn, &d);
	if (r < 0) {
		plug_env_done(&e);
		return sd_bus_error_set(error, LXCNET_ERR_INVALID_CONFIG, d.msg);
	}
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_VNET);
	for (size_t i = 0; r >= 0 && i < e.sdn->n_vnets; i++) {
		const SdnVnet *v = &e.sdn->vnets[i];
		const SdnZone *z = sdn_config_find_zone(e.sdn, v->zone);
		SdnPlug p = {};
		Diag pd = {};

		/* Where it plugs on this node, or why it cannot. */
		if (sdn_vnet_resolve(e.sdn, v->id, e.node, sdn_bridge_exists_sysfs, NULL, &p, &pd) < 0)
			p.bridge[0] = '\0';
		r = sd_bus_message_append(reply, LXCNET_SIG_VNET, v->id, v->zone, z ? z->type_name : "", v->tag, (int)v->vlanaware,
					  v->alias ?: "", p.bridge, pd.msg, count_vnet(mgr, v->id));
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	plug_env_done(&e);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_validate_vnet(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *vnet;
	ManagerError kind;
	SdnPlug p = {};
	Diag d = {};
	int r;

	r = sd_bus_message_read(m, "s", &vnet);
	if (r < 0)
		return r;
	r = check_vnet_id(vnet, error);
	if (r < 0)
		return r;
	r = manager_vnet_plug(userdata, vnet, &p, &kind, &d);
	if (r < 0)
		return sd_bus_error_set(error, manager_error_name(kind), d.msg);
	return sd_bus_reply_method_return(m, "sqq", p.bridge, p.tag, p.service_tag);
}

static int property_n_bindings(sd_bus *bus, const char *path, const char *interface, const char *property,
			       sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	(void)bus, (void)path, (void)interface, (void)property, (void)error;
	return sd_bus_message_append(reply, "u", (uint32_t)((Manager *)userdata)->n_bindings);
}

const sd_bus_vtable bus_manager_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", NULL, offsetof(Manager, version), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("NBindings", "u", property_n_bindings, 0, 0),
	SD_BUS_METHOD_WITH_NAMES("ListBindings", "", , "a" LXCNET_SIG_BINDING, SD_BUS_PARAM(bindings), method_list_bindings,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetBinding", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), LXCNET_SIG_BINDING,
				 SD_BUS_PARAM(binding), method_get_binding, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListContainers", "", , "a" LXCNET_SIG_CONTAINER, SD_BUS_PARAM(containers), method_list_containers,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetStatistics", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), "tttta(st)",
				 SD_BUS_PARAM(packets_from_container) SD_BUS_PARAM(bytes_from_container)
					 SD_BUS_PARAM(packets_to_container) SD_BUS_PARAM(bytes_to_container) SD_BUS_PARAM(drops),
				 method_get_statistics, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetFirewallRules", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), "a" LXCNET_SIG_FW_RULE,
				 SD_BUS_PARAM(rules), method_get_firewall_rules, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("NotifyBinding", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), "", ,
				 method_notify_binding, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("BindVNet", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), "", ,
				 method_bind_vnet, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("UnbindVNet", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), "", , method_unbind_vnet,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListVNets", "", , "a" LXCNET_SIG_VNET, SD_BUS_PARAM(vnets), method_list_vnets,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ValidateVNet", "s", SD_BUS_PARAM(vnet), "sqq",
				 SD_BUS_PARAM(bridge) SD_BUS_PARAM(tag) SD_BUS_PARAM(service_tag), method_validate_vnet,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("AddInterface", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(spec), "o",
				 SD_BUS_PARAM(operation), method_add_interface, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("RemoveInterface", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), "o",
				 SD_BUS_PARAM(operation), method_remove_interface, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("UpdateInterface", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(spec), "o",
				 SD_BUS_PARAM(operation), method_update_interface, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetOperation", "o", SD_BUS_PARAM(operation), LXCNET_SIG_OPERATION, SD_BUS_PARAM(status),
				 method_get_operation, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListOperations", "", , "a" LXCNET_SIG_OPERATION, SD_BUS_PARAM(operations),
				 method_list_operations, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("CancelOperation", "o", SD_BUS_PARAM(operation), "", , method_cancel_operation,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD("Reload", "", "", method_reload, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("CheckPorts", "s", SD_BUS_PARAM(container), "a" LXCNET_SIG_PORT_CHANGE, SD_BUS_PARAM(differences),
				 method_check_ports, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("Reconcile", "s", SD_BUS_PARAM(container), "a" LXCNET_SIG_PORT_CHANGE, SD_BUS_PARAM(actions),
				 method_reconcile, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_PROPERTY("Phase", "s", property_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PhaseSource", "s", property_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Fallback", "b", property_rollout, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_NAMES("SetPhase", "s", SD_BUS_PARAM(phase), "", , method_set_phase, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("SetFallback", "b", SD_BUS_PARAM(enabled), "", , method_set_fallback,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("DescribeRollout", "", , "a" LXCNET_SIG_DECISION, SD_BUS_PARAM(decisions), method_describe_rollout,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetMetrics", "", , "a" LXCNET_SIG_METRIC_FAMILY, SD_BUS_PARAM(families), method_get_metrics,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListPlugins", "", , "a" LXCNET_SIG_PLUGIN, SD_BUS_PARAM(plugins), method_list_plugins,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetPluginHistory", "", , "a" LXCNET_SIG_PLUGIN_RUN, SD_BUS_PARAM(runs), method_get_plugin_history,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ConfigureStorageNetwork", "ssqasdas",
				 SD_BUS_PARAM(id) SD_BUS_PARAM(interface) SD_BUS_PARAM(vlan) SD_BUS_PARAM(storages)
					 SD_BUS_PARAM(rate) SD_BUS_PARAM(allow),
				 "", , method_configure_storage_network, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("RemoveStorageNetwork", "s", SD_BUS_PARAM(id), "", , method_remove_storage_network,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("ListStorageNetworks", "", , "a" LXCNET_SIG_STORAGE_NET, SD_BUS_PARAM(networks),
				 method_list_storage_networks, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_NAMES("GetStorageStatus", "s", SD_BUS_PARAM(id), "sqssa{st}a(ssasbbsa{st})",
				 SD_BUS_PARAM(interface) SD_BUS_PARAM(vlan) SD_BUS_PARAM(state) SD_BUS_PARAM(error)
					 SD_BUS_PARAM(drops) SD_BUS_PARAM(storages),
				 method_get_storage_status, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_SIGNAL_WITH_NAMES("StorageNetworkChanged", "ss", SD_BUS_PARAM(id) SD_BUS_PARAM(state), 0),
	SD_BUS_SIGNAL_WITH_NAMES("BindingChanged", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), 0),
	SD_BUS_SIGNAL_WITH_NAMES("VNetBound", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), 0),
	SD_BUS_SIGNAL_WITH_NAMES("VNetUnbound", "sss", SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(vnet), 0),
	SD_BUS_SIGNAL_WITH_NAMES("OperationChanged", "os", SD_BUS_PARAM(operation) SD_BUS_PARAM(state), 0),
	SD_BUS_SIGNAL_WITH_NAMES("InterfaceAdded", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), 0),
	SD_BUS_SIGNAL_WITH_NAMES("InterfaceRemoved", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), 0),
	SD_BUS_SIGNAL_WITH_NAMES("InterfaceUpdated", "ss", SD_BUS_PARAM(container) SD_BUS_PARAM(net), 0),
	SD_BUS_SIGNAL_WITH_NAMES("ContainerStarted", "s", SD_BUS_PARAM(container), 0),
	SD_BUS_SIGNAL_WITH_NAMES("ContainerStopped", "s", SD_BUS_PARAM(container), 0),
	SD_BUS_SIGNAL_WITH_NAMES("Reconciled", "sssss",
				 SD_BUS_PARAM(container) SD_BUS_PARAM(net) SD_BUS_PARAM(action) SD_BUS_PARAM(reason)
					 SD_BUS_PARAM(difference),
				 0),
	SD_BUS_VTABLE_END,
};

int bus_setup(Manager *m, sd_bus *bus)
{
	int r;

	/* Objects first, then the name; the events go out once the name is ours. */
	r = sd_bus_add_object_vtable(bus, NULL, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, bus_manager_vtable, m);
	if (r >= 0)
		r = bus_bindings_setup(m, bus);
	if (r >= 0)
		r = bus_operations_setup(m, bus);
	if (r >= 0)
		r = sd_bus_request_name(bus, LXCNET_BUS_NAME, 0);
	if (r >= 0)
		r = sd_bus_attach_event(bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r >= 0)
		r = manager_listen(m, bus_on_event, bus);
	if (r < 0)
		return r;
	manager_announce(m);
	return 0;
}
