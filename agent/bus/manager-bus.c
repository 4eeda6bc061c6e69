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

#include "clock.h"
#include "log.h"
#include "manager.h"
#include "storage.h"
#include "plug.h"
#include "plugins.h"
#include "helper.h"
#include "lxc-hook.h"
#include "pve-ctconf.h"
#include "pve-netconf.h"
#include "strutil.h"

static const char *const manager_errors[] = {
	[MANAGER_NO_SUCH_BINDING] = LXCNET_ERR_NO_SUCH_BINDING, [MANAGER_NO_SUCH_VNET] = LXCNET_ERR_NO_SUCH_VNET,
	[MANAGER_INVALID_CONFIG] = LXCNET_ERR_INVALID_CONFIG,	 [MANAGER_BUSY] = LXCNET_ERR_BUSY,
	[MANAGER_FAILED] = LXCNET_ERR_FAILED,
};

static int append_binding(sd_bus_message *reply, const Binding *b)
{
	char net[16];

	snprintf(net, sizeof(net), "net%u", b->net);
	return sd_bus_message_append(reply, LXCNET_SIG_BINDING, b->container, net, (uint32_t)b->ifindex, b->ifname, b->bridge,
				     b->vnet, (int)b->up, b->since);
}

/* "net3" -> 3, else an InvalidArgument error naming the value. */
int manager_bus_parse_net(const char *net, unsigned *ret, sd_bus_error *error)
{
	int idx = pve_net_index_from_key(net);

	if (idx < 0)
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "'%s' is not a NIC key (net0..net31)", net);
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
	r = manager_bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	*ret = manager_find(mgr, container, idx);
	if (!*ret)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_BINDING, "Container '%s' has no bound interface for %s", container,
					 net);
	return 0;
}

/* Mutating calls: root or CAP_NET_ADMIN, checked here as well as in the bus policy. */
int manager_bus_authorize(sd_bus_message *m, sd_bus_error *error)
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

static int method_list_bindings(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *mgr = userdata;
	int r;

	(void)error;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_BINDING);
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
	r = manager_bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	if (!*container || strlen(container) >= sizeof(((Binding *)0)->container))
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "'%s' is not a container name", container);
	/* "" says the NIC is on no VNet; anything else must be a VNet id, as BindVNet takes them. */
	if (*vnet) {
		r = check_vnet_id(vnet, error);
		if (r < 0)
			return r;
	}
	r = manager_bus_authorize(m, error);
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
	int r = manager_bus_authorize(m, error);

	if (r < 0)
		return r;
	r = manager_load_conf(userdata, &d);
	if (r < 0)
		return sd_bus_error_set(error, LXCNET_ERR_INVALID_CONFIG, d.msg);
	storage_nets_reload(userdata);
	r = manager_reload(userdata);
	if (r >= 0)
		r = manager_save(userdata);
	return r < 0 ? r : sd_bus_reply_method_return(m, NULL);
}

/* A bind or unbind between its call and its reply: plugins and a legacy command run in the helper thread. */
typedef struct BindJob {
	sd_bus_message *msg;
	char container[64];
	unsigned net;
	char vnet[16]; /* "" to unbind */
	RolloutDecision dec;
	char *pct;
	char *spec; /* the netN line the legacy command writes */
	uint64_t t0;
	bool fell_back;
	int r;
	const char *error_name;
	Diag d;
} BindJob;

static void bind_job_free(BindJob *j)
{
	sd_bus_message_unref(j->msg);
	free(j->pct);
	free(j->spec);
	free(j);
}

/* The netN line as the bind (bridge=VNET) or unbind (link_down=1) leaves it, for the legacy command. */
static int bind_spec(Manager *m, BindJob *j)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	PveNet n;
	int r;

	if (lxc_hook_config_path(j->container, m->pve_dir, m->conf_dir, &path) < 0)
		return -ENOMEM;
	r = ct_config_load(path, &c, &j->d);
	if (r < 0)
		return r;
	if (!c->nets[j->net].present)
		return diag_error(&j->d, -ENOENT, "%s: has no net%u", path, j->net);
	n = c->nets[j->net].net;
	if (j->vnet[0]) {
		snprintf(n.bridge, sizeof(n.bridge), "%s", j->vnet);
		n.keys |= 1u << PVE_NET_BRIDGE;
		n.link_down = false;
		n.keys &= ~(1u << PVE_NET_LINK_DOWN);
	} else {
		n.link_down = true;
		n.keys |= 1u << PVE_NET_LINK_DOWN;
	}
	free(j->spec);
	j->spec = NULL;
	return pve_net_format(&n, &j->spec);
}

static void bind_reply(Manager *m, BindJob *j, bool ok)
{
	manager_record_op(m, ROP_VNET_BIND, j->dec.path, ok, j->fell_back, clock_usec(CLOCK_MONOTONIC) - j->t0);
	if (ok) {
		manager_status(m);
		(void)sd_bus_reply_method_return(j->msg, NULL);
	} else
		(void)sd_bus_reply_method_errorf(j->msg, j->error_name, "%s", j->d.msg[0] ? j->d.msg : strerror(-j->r));
	bind_job_free(j);
}

static void bind_legacy_work(Manager *m, void *userdata)
{
	BindJob *j = userdata;

	(void)m;
	j->r = manager_run_pct(j->pct, j->container, j->net, j->spec, &j->d);
	if (j->r < 0)
		j->error_name = LXCNET_ERR_FAILED;
}

static void bind_legacy_done(Manager *m, void *userdata)
{
	BindJob *j = userdata;

	bind_reply(m, j, j->r >= 0);
}

/* Helper thread: validation plugins, then the legacy command if the phase gives it the bind. */
static void bind_work(Manager *m, void *userdata)
{
	BindJob *j = userdata;
	PluginEvent ev = {};

	snprintf(ev.event, sizeof(ev.event), "validate-bind");
	snprintf(ev.action, sizeof(ev.action), "%s", j->vnet[0] ? "bind" : "unbind");
	snprintf(ev.container, sizeof(ev.container), "%s", j->container);
	snprintf(ev.net, sizeof(ev.net), "net%u", j->net);
	snprintf(ev.vnet, sizeof(ev.vnet), "%s", j->vnet);
	j->r = plugins_validate(m, &ev, &j->d);
	if (j->r < 0) {
		j->error_name = LXCNET_ERR_VETOED;
		return;
	}
	if (j->dec.path != PATH_LXCNET)
		bind_legacy_work(m, j);
}

static void bind_done(Manager *m, void *userdata)
{
	BindJob *j = userdata;
	ManagerError kind;
	int r;

	if (j->r < 0 || j->dec.path != PATH_LXCNET) {
		bind_reply(m, j, j->r >= 0);
		return;
	}
	r = manager_bind_vnet(m, j->container, j->net, j->vnet[0] ? j->vnet : NULL, &kind, &j->d);
	if (r >= 0) {
		bind_reply(m, j, true);
		return;
	}
	j->r = r;
	j->error_name = manager_errors[kind];
	/* Only what lxcnet failed at goes to the legacy command, not what is wrong with the request. */
	if (j->dec.fallback && kind == MANAGER_FAILED) {
		log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = j->container }, LOG_WARNING,
			"Cannot %s net%u of container '%s': %s; falling back to '%s'", j->vnet[0] ? "bind" : "unbind", j->net,
			j->container, j->d.msg, j->pct);
		j->fell_back = true;
		j->d = (Diag){};
		r = bind_spec(m, j);
		if (r >= 0)
			r = helper_submit(m, bind_legacy_work, bind_legacy_done, j);
		if (r >= 0)
			return;
		j->r = r;
		j->error_name = LXCNET_ERR_FAILED;
	}
	bind_reply(m, j, false);
}

static int bind_or_unbind(sd_bus_message *m, Manager *mgr, const char *container, const char *net, const char *vnet,
			  sd_bus_error *error)
{
	ManagerError kind;
	unsigned idx = 0;
	SdnPlug plug;
	BindJob *j;
	Diag d = {};
	int r;

	r = manager_bus_parse_net(net, &idx, error);
	if (r < 0)
		return r;
	if (vnet) {
		r = check_vnet_id(vnet, error);
		if (r < 0)
			return r;
	}
	r = manager_bus_authorize(m, error);
	if (r < 0)
		return r;
	if (!manager_find(mgr, container, idx))
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_BINDING, "Container '%s' has no bound interface for %s", container,
					 net);
	if (vnet && manager_vnet_plug(mgr, vnet, &plug, &kind, &d) < 0)
		return sd_bus_error_set(error, manager_errors[kind], d.msg);

	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->msg = sd_bus_message_ref(m);
	j->t0 = clock_usec(CLOCK_MONOTONIC);
	j->net = idx;
	snprintf(j->container, sizeof(j->container), "%s", container);
	snprintf(j->vnet, sizeof(j->vnet), "%s", vnet ?: "");
	rollout_decide(mgr->conf, ROP_VNET_BIND, NIC_VNET, &j->dec);
	j->pct = strdup(mgr->conf->legacy_pct);
	log_ctx(&(LogContext){ .identifier = "lxcnetd", .vmid = container }, LOG_INFO, "%s %s of container '%s': %s performs it, %s",
		vnet ? "Bind" : "Unbind", net, container, j->dec.path == PATH_LXCNET ? "lxcnet" : j->pct, j->dec.reason);
	r = j->pct ? 0 : -ENOMEM;
	if (r >= 0 && j->dec.path != PATH_LXCNET) {
		r = bind_spec(mgr, j);
		if (r < 0) {
			r = sd_bus_error_set(error, LXCNET_ERR_INVALID_CONFIG, j->d.msg[0] ? j->d.msg : strerror(-r));
			bind_job_free(j);
			return r;
		}
	}
	if (r >= 0)
		r = helper_submit(mgr, bind_work, bind_done, j);
	if (r < 0) {
		bind_job_free(j);
		return r;
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
		return sd_bus_error_set(error, manager_errors[kind], d.msg);
	return sd_bus_reply_method_return(m, "sqq", p.bridge, p.tag, p.service_tag);
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

/*
 * Binding objects: /org/lxcnet1/binding/<host ifname>, e.g. .../veth100i0.
 * None is allocated: a fallback vtable finds the binding from the path on
 * each call, so 10,000 bindings cost no more than their registry entries.
 */
static Binding *binding_from_path(Manager *m, const char *path)
{
	_cleanup_free_ char *ifname = NULL;

	if (sd_bus_path_decode(path, LXCNET_BUS_BINDING_PATH, &ifname) <= 0)
		return NULL;
	for (size_t i = 0; i < m->n_bindings; i++)
		if (strcmp(m->bindings[i].ifname, ifname) == 0)
			return &m->bindings[i];
	return NULL;
}

static int binding_find(sd_bus *bus, const char *path, const char *interface, void *userdata, void **found,
			sd_bus_error *error)
{
	(void)bus, (void)interface, (void)error;
	if (!binding_from_path(userdata, path))
		return 0;
	*found = userdata; /* the Manager: getters look the binding up again, the array may move */
	return 1;
}

static int binding_enumerate(sd_bus *bus, const char *path, void *userdata, char ***nodes, sd_bus_error *error)
{
	Manager *m = userdata;
	char **l = calloc(m->n_bindings + 1, sizeof(char *));

	(void)bus, (void)path, (void)error;
	if (!l)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_bindings; i++)
		if (sd_bus_path_encode(LXCNET_BUS_BINDING_PATH, m->bindings[i].ifname, &l[i]) < 0) {
			strv_free(l);
			return -ENOMEM;
		}
	*nodes = l;
	return 0;
}

/* The config-derived properties: what the container's netN says now (empty values when unreadable). */
static int binding_config_property(sd_bus *bus, const char *path, const char *interface, const char *property,
				   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const Binding *b = binding_from_path(m, path);
	PveNet n = {};
	int r;

	(void)bus, (void)interface, (void)error;
	if (!b)
		return -ENOENT;
	(void)manager_binding_net(m, b, &n);
	if (strcmp(property, "Tag") == 0)
		return sd_bus_message_append(reply, "q", pve_net_has(&n, PVE_NET_TAG) ? n.tag : 0);
	if (strcmp(property, "Rate") == 0)
		return sd_bus_message_append(reply, "d", pve_net_has(&n, PVE_NET_RATE) ? n.rate : 0.0);
	if (strcmp(property, "Firewall") == 0)
		return sd_bus_message_append(reply, "b", (int)n.firewall);
	if (strcmp(property, "FirewallEnforcer") == 0) {
		PlugFwEnforcer f;
		char node[256];
		Diag d = {};

		/* A firewall file that cannot be read: who filters is not known, and it is not "none". */
		plug_node_name(node, sizeof(node));
		return sd_bus_message_append(reply, "s",
					     plug_fw_enforcer(m->pve_dir, node, b->container, b->net, &n, &f, &d) < 0 ?
						     "unknown" :
						     plug_fw_enforcer_name(f));
	}
	if (strcmp(property, "Trunks") == 0) {
		r = sd_bus_message_open_container(reply, 'a', "q");
		for (unsigned vid = PVE_VLAN_MIN; r >= 0 && vid <= PVE_VLAN_MAX; vid++)
			if (pve_net_trunk_has(&n, vid))
				r = sd_bus_message_append(reply, "q", (uint16_t)vid);
		return r < 0 ? r : sd_bus_message_close_container(reply);
	}
	/* Zone: the VNet's, "" when the NIC names a bridge. */
	if (b->vnet[0]) {
		_cleanup_(sdn_config_freep) SdnConfig *c = NULL;
		const SdnVnet *v;
		Diag d;

		if (sdn_config_load(m->pve_dir, &c, &d) >= 0 && (v = sdn_config_find_vnet(c, b->vnet)))
			return sd_bus_message_append(reply, "s", v->zone);
	}
	return sd_bus_message_append(reply, "s", "");
}

static int binding_property(sd_bus *bus, const char *path, const char *interface, const char *property,
			    sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const Binding *b = binding_from_path(m, path);
	char net[16];

	(void)bus, (void)interface, (void)error;
	if (!b)
		return -ENOENT;
	snprintf(net, sizeof(net), "net%u", b->net);
	if (strcmp(property, "Container") == 0)
		return sd_bus_message_append(reply, "s", b->container);
	if (strcmp(property, "Net") == 0)
		return sd_bus_message_append(reply, "s", net);
	if (strcmp(property, "IfName") == 0)
		return sd_bus_message_append(reply, "s", b->ifname);
	if (strcmp(property, "IfIndex") == 0)
		return sd_bus_message_append(reply, "u", (uint32_t)b->ifindex);
	if (strcmp(property, "Bridge") == 0)
		return sd_bus_message_append(reply, "s", b->bridge);
	if (strcmp(property, "VNet") == 0)
		return sd_bus_message_append(reply, "s", b->vnet);
	if (strcmp(property, "Since") == 0)
		return sd_bus_message_append(reply, "t", b->since);
	/* State: "up" (plugged and up), "unplugged" (up, in no bridge) or "down". */
	return sd_bus_message_append(reply, "s", !b->up ? "down" : b->bridge[0] ? "up" : "unplugged");
}

static int binding_counter(sd_bus *bus, const char *path, const char *interface, const char *property,
			   sd_bus_message *reply, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const Binding *b = binding_from_path(m, path);
	struct lxcnet_port_stats st = {};
	uint64_t v, drops = 0;

	(void)bus, (void)interface, (void)error;
	if (!b)
		return -ENOENT;
	if (manager_datapath(m))
		(void)datapath_port_stats(m->dp, b->port_ifindex, &st);
	for (int i = 0; i < _LXCNET_DROP_MAX; i++)
		drops += st.drops[i];
	v = strcmp(property, "PacketsFromContainer") == 0 ? st.packets[LXCNET_FROM_CT] :
	    strcmp(property, "BytesFromContainer") == 0	  ? st.bytes[LXCNET_FROM_CT] :
	    strcmp(property, "PacketsToContainer") == 0	  ? st.packets[LXCNET_TO_CT] :
	    strcmp(property, "BytesToContainer") == 0	  ? st.bytes[LXCNET_TO_CT] :
								    drops;
	return sd_bus_message_append(reply, "t", v);
}

#define B_PROP(name, sig, get, flags) SD_BUS_PROPERTY(name, sig, get, 0, flags)
static const sd_bus_vtable binding_vtable[] = {
	SD_BUS_VTABLE_START(0),
	B_PROP("Container", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Net", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("IfName", "s", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("IfIndex", "u", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Since", "t", binding_property, SD_BUS_VTABLE_PROPERTY_CONST),
	B_PROP("Bridge", "s", binding_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("State", "s", binding_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("VNet", "s", binding_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Zone", "s", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Tag", "q", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Trunks", "aq", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Rate", "d", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("Firewall", "b", binding_config_property, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	B_PROP("FirewallEnforcer", "s", binding_config_property, 0),
	B_PROP("PacketsFromContainer", "t", binding_counter, 0),
	B_PROP("BytesFromContainer", "t", binding_counter, 0),
	B_PROP("PacketsToContainer", "t", binding_counter, 0),
	B_PROP("BytesToContainer", "t", binding_counter, 0),
	B_PROP("Drops", "t", binding_counter, 0),
	SD_BUS_VTABLE_END,
};

void manager_bus_emit_binding_properties(Manager *m, const Binding *b, ...)
{
	_cleanup_free_ char *path = NULL;
	const char *names[16];
	size_t n = 0;
	va_list ap;

	if (!m->bus || !m->announce || sd_bus_path_encode(LXCNET_BUS_BINDING_PATH, b->ifname, &path) < 0)
		return;
	va_start(ap, b);
	for (const char *p; n < ELEMENTSOF(names) - 1 && (p = va_arg(ap, const char *));)
		names[n++] = p;
	va_end(ap);
	names[n] = NULL;
	(void)sd_bus_emit_properties_changed_strv(m->bus, path, LXCNET_BUS_BINDING, (char **)names);
}

void manager_bus_emit(Manager *m, const char *signal, const Binding *b)
{
	char net[16];

	if (!m->bus || !m->announce)
		return;
	snprintf(net, sizeof(net), "net%u", b->net);
	if (strcmp(signal, "BindingChanged") == 0)
		(void)sd_bus_emit_signal(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, signal, "ss", b->container, net);
	else {
		(void)sd_bus_emit_signal(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, signal, "sss", b->container, net, b->vnet);
		plugins_notify(m, strcmp(signal, "VNetBound") == 0 ? "bound" : "unbound", b->container, b->net, b->ifname, b->vnet,
			       b->bridge);
	}
	if (strcmp(signal, "BindingChanged") == 0)
		(void)sd_bus_emit_properties_changed(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "NBindings", NULL);
}

void manager_bus_emit_reconciled(Manager *m, const Binding *b, const char *action, const char *reason, const char *difference)
{
	char net[16];

	if (!m->bus || !m->announce)
		return;
	snprintf(net, sizeof(net), "net%u", b->net);
	(void)sd_bus_emit_signal(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "Reconciled", "sssss", b->container, net, action, reason,
				 difference);
}

void manager_bus_emit_container(Manager *m, const char *signal, const char *container)
{
	if (!m->bus || !m->announce)
		return;
	(void)sd_bus_emit_signal(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, signal, "s", container);
	plugins_notify(m, strcmp(signal, "ContainerStarted") == 0 ? "container-started" : "container-stopped", container,
		       UINT32_MAX, NULL, NULL, NULL);
}

int manager_bus_setup(Manager *m)
{
	int r;

	/* Objects first, then the name. */
	r = sd_bus_add_object_vtable(m->bus, NULL, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, manager_vtable, m);
	if (r < 0)
		return r;
	r = sd_bus_add_fallback_vtable(m->bus, NULL, LXCNET_BUS_BINDING_PATH, LXCNET_BUS_BINDING, binding_vtable, binding_find, m);
	if (r < 0)
		return r;
	r = sd_bus_add_node_enumerator(m->bus, NULL, LXCNET_BUS_BINDING_PATH, binding_enumerate, m);
	if (r < 0)
		return r;
	r = operations_bus_setup(m);
	if (r < 0)
		return r;
	r = sd_bus_request_name(m->bus, LXCNET_BUS_NAME, 0);
	if (r < 0)
		return r;
	r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return r;
	m->announce = true;
	return 0;
}
