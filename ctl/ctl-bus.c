/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnetctl's agent verbs: org.lxcnet1 on the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured). */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "clock.h"
#include "ctl.h"
#include "macro.h"


int ctl_connect_bus(sd_bus **ret)
{
	int r = sd_bus_open_system(ret);

	if (r < 0)
		fprintf(stderr, "lxcnetctl: cannot connect to the system bus: %s\n", strerror(-r));
	return r;
}

/* Call a Manager method; on failure print the bus error (the agent's message names the bad value). */
int ctl_call(sd_bus *bus, const char *method, sd_bus_message **reply, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, method);
	if (r >= 0 && types) {
		va_start(ap, types);
		r = sd_bus_message_appendv(m, types, ap);
		va_end(ap);
	}
	if (r >= 0)
		r = sd_bus_call(bus, m, 5 * 1000 * 1000, &error, reply);
	if (r < 0) {
		if (sd_bus_error_is_set(&error))
			fprintf(stderr, "lxcnetctl: %s: %s (%s)\n", method, error.message, error.name);
		else
			fprintf(stderr, "lxcnetctl: %s: %s\n", method, strerror(-r));
	}
	sd_bus_error_free(&error);
	return r;
}

typedef struct BindingRow {
	const char *container, *net, *ifname, *bridge, *vnet;
	uint32_t ifindex;
	int up;
	uint64_t since;
} BindingRow;

static int read_binding(sd_bus_message *m, BindingRow *b)
{
	return sd_bus_message_read(m, LXCNET_SIG_BINDING, &b->container, &b->net, &b->ifindex, &b->ifname, &b->bridge, &b->vnet,
				   &b->up, &b->since);
}

static json_object *binding_json(const BindingRow *b)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "container", json_object_new_string(b->container));
	json_object_object_add(o, "net", json_object_new_string(b->net));
	json_object_object_add(o, "ifname", json_object_new_string(b->ifname));
	json_object_object_add(o, "ifindex", json_object_new_int64(b->ifindex));
	json_object_object_add(o, "bridge", json_object_new_string(b->bridge));
	json_object_object_add(o, "vnet", json_object_new_string(b->vnet));
	json_object_object_add(o, "up", json_object_new_boolean(b->up));
	json_object_object_add(o, "since_usec", json_object_new_int64((int64_t)b->since));
	return o;
}

/* One line of the bindings table; firewall (NULL: no such column) and runtime after LINK. */
static void binding_line(const char *ct, const char *net, const char *ifname, const char *bridge, const char *vnet,
			 const char *link, const char *firewall, const char *runtime)
{
	printf("%-12s %-6s %-15s %-15s %-9s %-5s", ct, net, ifname, bridge, vnet, link);
	if (firewall)
		printf(" %-16s", firewall);
	printf(" %s\n", runtime);
}

static void binding_row(const BindingRow *b, const char *firewall, const char *runtime)
{
	binding_line(b->container, b->net, b->ifname, *b->bridge ? b->bridge : "-", *b->vnet ? b->vnet : "-",
		     b->up ? "up" : "down", firewall, runtime && *runtime ? runtime : "-");
}

/* A string property of the Binding object of host interface ifname; on failure error says why. */
static int binding_property(sd_bus *bus, const char *ifname, const char *name, sd_bus_error *error, char **ret)
{
	_cleanup_free_ char *path = NULL;
	int r = sd_bus_path_encode(LXCNET_BUS_BINDING_PATH, ifname, &path);

	if (r < 0)
		return r;
	return sd_bus_get_property_string(bus, LXCNET_BUS_NAME, path, LXCNET_BUS_BINDING, name, error, ret);
}

static void binding_header(bool one)
{
	binding_line("CONTAINER", "NET", "IFNAME", "BRIDGE", "VNET", "LINK", one ? "FIREWALL" : NULL, "RUNTIME");
}

void ctl_print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* The end of a list verb: r is the last read of the reply's array, a the rows for --json. */
int ctl_list_done(const CtlOptions *o, int r, json_object *a)
{
	if (r < 0) {
		fprintf(stderr, "lxcnetctl: bad reply: %s\n", strerror(-r));
		return CTL_EXIT_FAIL;
	}
	if (o->json)
		ctl_print_json(a);
	return CTL_EXIT_OK;
}

int ctl_bindings(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	BindingRow b;
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "ListBindings", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_BINDING);
	if (!o->json)
		binding_header(false);
	while (r >= 0 && (r = read_binding(reply, &b)) > 0) {
		_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
		_cleanup_free_ char *runtime = NULL;

		/* Who made its container (lxc, oci, cni): its object's property; "" when it went meanwhile. */
		(void)binding_property(bus, b.ifname, "Runtime", &error, &runtime);
		if (o->json) {
			json_object *j = binding_json(&b);

			json_object_object_add(j, "runtime", json_object_new_string(runtime ? runtime : ""));
			json_object_array_add(a, j);
		} else
			binding_row(&b, NULL, runtime);
	}
	return ctl_list_done(o, r, a);
}

int ctl_binding(const CtlOptions *o, const char *container, const char *net)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *enforcer = NULL, *runtime = NULL;
	const char *failed = NULL;
	BindingRow b;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "GetBinding", &reply, "ss", container, net) < 0)
		return CTL_EXIT_FAIL;
	if (read_binding(reply, &b) <= 0)
		return CTL_EXIT_FAIL;
	/* Who enforces the guest firewall on it, and who made its container: properties of its Binding object. */
	if (binding_property(bus, b.ifname, "FirewallEnforcer", &error, &enforcer) < 0)
		failed = "FirewallEnforcer";
	else if (binding_property(bus, b.ifname, "Runtime", &error, &runtime) < 0)
		failed = "Runtime";
	if (failed) {
		fprintf(stderr, "lxcnetctl: cannot read %s of '%s': %s\n", failed, b.ifname,
			error.message ? error.message : "out of memory");
		return CTL_EXIT_FAIL;
	}
	if (o->json) {
		_cleanup_(json_object_putp) json_object *j = binding_json(&b);

		json_object_object_add(j, "firewall_enforcer", json_object_new_string(enforcer));
		json_object_object_add(j, "runtime", json_object_new_string(runtime));
		ctl_print_json(j);
	} else {
		binding_header(true);
		binding_row(&b, enforcer, runtime);
	}
	return CTL_EXIT_OK;
}

int ctl_ports(const CtlOptions *o, const char *container, bool apply)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	const char *ct, *net, *what, *diff;
	unsigned rows = 0, bad = 0;
	int r;

	if (ctl_connect_bus(&bus) < 0 ||
	    ctl_call(bus, apply ? "Reconcile" : "CheckPorts", &reply, "s", container ? container : "") < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_PORT_CHANGE);
	while (r >= 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_PORT_CHANGE, &ct, &net, &what, &diff)) > 0) {
		rows++;
		bad += strcmp(what, "replugged") != 0 && strcmp(what, "withdrawn") != 0;
		if (o->json) {
			json_object *p = json_object_new_object();

			json_object_object_add(p, "container", json_object_new_string(ct));
			json_object_object_add(p, "net", json_object_new_string(net));
			json_object_object_add(p, apply ? "action" : "state", json_object_new_string(what));
			json_object_object_add(p, "difference", json_object_new_string(diff));
			json_object_array_add(a, p);
		} else {
			if (rows == 1)
				printf("%-12s %-6s %-10s %s\n", "CONTAINER", "NET", apply ? "ACTION" : "STATE", "DIFFERENCE");
			printf("%-12s %-6s %-10s %s\n", ct, net, what, diff);
		}
	}
	if (r >= 0 && !o->json && rows == 0)
		printf("Every port is as its config says\n");
	r = ctl_list_done(o, r, a);
	if (r != CTL_EXIT_OK)
		return r;
	/* check: like diff, 1 when something differs; reconcile: 1 when something could not be put right. */
	return (apply ? bad : rows) ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}

int ctl_containers(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	const char *name;
	uint32_t n;
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "ListContainers", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_CONTAINER);
	if (!o->json)
		printf("%-12s %s\n", "CONTAINER", "INTERFACES");
	while (r >= 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_CONTAINER, &name, &n)) > 0) {
		if (o->json) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "container", json_object_new_string(name));
			json_object_object_add(c, "interfaces", json_object_new_int64(n));
			json_object_array_add(a, c);
		} else
			printf("%-12s %u\n", name, n);
	}
	return ctl_list_done(o, r, a);
}

/* The rules of lxcnet's guest firewall on the NIC and what each matched: printed, or "firewall_rules" in j. */
static int stats_fw_rules(const CtlOptions *o, sd_bus *bus, const char *container, const char *net, json_object *j)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	json_object *a = json_object_new_array();
	const char *dir, *verdict, *origin;
	uint64_t packets, bytes;
	uint16_t index;
	bool first = true;
	int r;

	if (!a)
		return -ENOMEM;
	r = ctl_call(bus, "GetFirewallRules", &reply, "ss", container, net);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_FW_RULE);
	while (r >= 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_FW_RULE, &dir, &index, &verdict, &origin, &packets,
						  &bytes)) > 0) {
		if (o->json) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "direction", json_object_new_string(dir));
			json_object_object_add(e, "index", json_object_new_int(index));
			json_object_object_add(e, "verdict", json_object_new_string(verdict));
			json_object_object_add(e, "origin", *origin ? json_object_new_string(origin) : NULL);
			json_object_object_add(e, "packets", json_object_new_int64((int64_t)packets));
			json_object_object_add(e, "bytes", json_object_new_int64((int64_t)bytes));
			json_object_array_add(a, e);
			continue;
		}
		if (first)
			printf("guest firewall rules (new connections matched):\n");
		first = false;
		printf("  %-3s %5u %-6s %-24s %llu packets, %llu bytes\n", dir, index, verdict,
		       *origin ? origin : "(the files say other rules now)", (unsigned long long)packets,
		       (unsigned long long)bytes);
	}
	if (r < 0) {
		json_object_put(a);
		return r;
	}
	if (o->json)
		json_object_object_add(j, "firewall_rules", a);
	else
		json_object_put(a);
	return 0;
}

int ctl_stats(const CtlOptions *o, const char *container, const char *net)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *j = json_object_new_object();
	json_object *drops = json_object_new_object();
	uint64_t pf, bf, pt, bt, count;
	const char *reason;
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "GetStatistics", &reply, "ss", container, net) < 0) {
		json_object_put(drops);
		return CTL_EXIT_FAIL;
	}
	r = sd_bus_message_read(reply, "tttt", &pf, &bf, &pt, &bt);
	if (!o->json)
		printf("from container: %llu packets, %llu bytes\nto container:   %llu packets, %llu bytes\ndrops:\n",
		       (unsigned long long)pf, (unsigned long long)bf, (unsigned long long)pt, (unsigned long long)bt);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_DROP);
	while (r >= 0 && (r = sd_bus_message_read(reply, LXCNET_SIG_DROP, &reason, &count)) > 0) {
		if (o->json)
			json_object_object_add(drops, reason, json_object_new_int64((int64_t)count));
		else
			printf("  %-14s %llu\n", reason, (unsigned long long)count);
	}
	if (r < 0) {
		json_object_put(drops);
		return CTL_EXIT_FAIL;
	}
	r = stats_fw_rules(o, bus, container, net, j);
	if (r < 0) {
		json_object_put(drops);
		return CTL_EXIT_FAIL;
	}
	if (o->json) {
		json_object_object_add(j, "packets_from_container", json_object_new_int64((int64_t)pf));
		json_object_object_add(j, "bytes_from_container", json_object_new_int64((int64_t)bf));
		json_object_object_add(j, "packets_to_container", json_object_new_int64((int64_t)pt));
		json_object_object_add(j, "bytes_to_container", json_object_new_int64((int64_t)bt));
		json_object_object_add(j, "drops", drops);
		ctl_print_json(j);
	} else
		json_object_put(drops);
	return CTL_EXIT_OK;
}

int ctl_status(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_free_ char *version = NULL;
	uint32_t n = 0;
	int r;

	/* The node's wiring first: it is there without the agent too. */
	if (!o->json && ctl_node_wiring(o, NULL) < 0)
		return CTL_EXIT_FAIL;
	if (ctl_connect_bus(&bus) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_get_property_string(bus, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "Version", &error, &version);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "NBindings", &error, 'u', &n);
	if (r < 0) {
		fprintf(stderr, "lxcnetctl: lxcnetd is not reachable: %s\n", error.message ? error.message : strerror(-r));
		sd_bus_error_free(&error);
		return CTL_EXIT_FAIL;
	}
	if (o->json) {
		_cleanup_(json_object_putp) json_object *j = json_object_new_object();

		json_object_object_add(j, "agent", json_object_new_string("running"));
		json_object_object_add(j, "version", json_object_new_string(version));
		json_object_object_add(j, "bindings", json_object_new_int64(n));
		if (ctl_node_wiring(o, j) < 0)
			return CTL_EXIT_FAIL;
		ctl_print_json(j);
	} else
		printf("lxcnetd %s: running, %u bound interfaces\n", version, n);
	return CTL_EXIT_OK;
}

int ctl_reload(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	(void)o;
	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "Reload", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	return CTL_EXIT_OK;
}

int ctl_vnets(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	const char *id, *zone, *type, *alias, *bridge, *problem;
	uint32_t tag, n;
	int vlanaware, r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "ListVNets", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_VNET);
	if (!o->json)
		printf("%-9s %-9s %-7s %-8s %-15s %-8s %s\n", "VNET", "ZONE", "TYPE", "TAG", "PLUGS INTO", "BINDINGS", "ALIAS");
	while (r >= 0 &&
	       (r = sd_bus_message_read(reply, LXCNET_SIG_VNET, &id, &zone, &type, &tag, &vlanaware, &alias, &bridge, &problem,
					&n)) > 0) {
		if (o->json) {
			json_object *v = json_object_new_object();

			json_object_object_add(v, "vnet", json_object_new_string(id));
			json_object_object_add(v, "zone", json_object_new_string(zone));
			json_object_object_add(v, "type", json_object_new_string(type));
			json_object_object_add(v, "tag", json_object_new_int64(tag));
			json_object_object_add(v, "vlanaware", json_object_new_boolean(vlanaware));
			json_object_object_add(v, "alias", json_object_new_string(alias));
			json_object_object_add(v, "bridge", json_object_new_string(bridge));
			json_object_object_add(v, "problem", json_object_new_string(problem));
			json_object_object_add(v, "bindings", json_object_new_int64(n));
			json_object_array_add(a, v);
		} else {
			char tagbuf[16];

			snprintf(tagbuf, sizeof(tagbuf), "%u", tag);
			printf("%-9s %-9s %-7s %-8s %-15s %-8u %s\n", id, zone, type, tag ? tagbuf : "-", *bridge ? bridge : "-",
			       n, alias);
			if (*problem)
				printf("  cannot plug here: %s\n", problem);
		}
	}
	return ctl_list_done(o, r, a);
}

int ctl_bind(const CtlOptions *o, const char *container, const char *net, const char *vnet)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	(void)o;
	if (ctl_connect_bus(&bus) < 0)
		return CTL_EXIT_FAIL;
	if (vnet ? ctl_call(bus, "BindVNet", &reply, "sss", container, net, vnet) < 0 :
		   ctl_call(bus, "UnbindVNet", &reply, "ss", container, net) < 0)
		return CTL_EXIT_FAIL;
	return CTL_EXIT_OK;
}

typedef struct OpRow {
	const char *path, *kind, *container, *net, *state, *step, *error_name, *error_message;
	uint64_t created, started, finished;
} OpRow;


static int read_op(sd_bus_message *m, OpRow *r)
{
	return sd_bus_message_read(m, LXCNET_SIG_OPERATION, &r->path, &r->kind, &r->container, &r->net, &r->state, &r->step,
				   &r->error_name, &r->error_message, &r->created, &r->started, &r->finished);
}

static void op_line(const OpRow *r)
{
	printf("%-28s %-7s %-10s %-6s %-9s %s\n", r->path, r->kind, r->container, r->net, r->state,
	       *r->error_message ? r->error_message : r->step);
}

static int on_op_changed(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	bool *changed = userdata;

	(void)m, (void)error;
	*changed = true;
	return 0;
}

/* Until OperationChanged (any: the state is read again) or the deadline; false at the deadline. */
static bool wait_changed(sd_bus *bus, bool *changed, uint64_t deadline)
{
	while (!*changed) {
		uint64_t now;
		int r = sd_bus_process(bus, NULL);

		if (r < 0)
			return false;
		if (r > 0)
			continue;
		now = clock_usec(CLOCK_MONOTONIC);
		if (now >= deadline)
			return false;
		if (sd_bus_wait(bus, deadline - now) < 0)
			return false;
	}
	return true;
}

int ctl_hotplug(const CtlOptions *o, const char *what, const char *container, const char *net, const char *spec)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ char *path = NULL;
	bool changed = false;
	uint64_t deadline;
	const char *p;
	int r;

	if (ctl_connect_bus(&bus) < 0)
		return CTL_EXIT_FAIL;
	/* Subscribed before the call, so that no change can slip past. */
	if (o->wait) {
		r = sd_bus_match_signal(bus, NULL, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, "OperationChanged", on_op_changed, &changed);
		if (r < 0) {
			fprintf(stderr, "lxcnetctl: cannot subscribe to OperationChanged: %s\n", strerror(-r));
			return CTL_EXIT_FAIL;
		}
	}
	r = strcmp(what, "add") == 0	 ? ctl_call(bus, "AddInterface", &reply, "sss", container, net, spec) :
	    strcmp(what, "update") == 0 ? ctl_call(bus, "UpdateInterface", &reply, "sss", container, net, spec) :
					  ctl_call(bus, "RemoveInterface", &reply, "ss", container, net);
	if (r < 0 || sd_bus_message_read(reply, "o", &p) < 0 || !(path = strdup(p)))
		return CTL_EXIT_FAIL;
	if (!o->wait) {
		puts(path);
		return CTL_EXIT_OK;
	}
	/* Up to 2 minutes: the config lock alone may take 10 s, and operations queue per container. */
	deadline = clock_usec(CLOCK_MONOTONIC) + 120ULL * 1000 * 1000;
	do {
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *st = NULL;
		OpRow row;

		changed = false;
		if (ctl_call(bus, "GetOperation", &st, "o", path) < 0 || read_op(st, &row) < 0)
			return CTL_EXIT_FAIL;
		if (strcmp(row.state, "done") == 0) {
			printf("%s: %s %s of %s: done\n", path, what, net, container);
			return CTL_EXIT_OK;
		}
		if (strcmp(row.state, "failed") == 0 || strcmp(row.state, "cancelled") == 0) {
			fprintf(stderr, "lxcnetctl: %s %s of %s: %s%s%s%s%s%s\n", what, net, container, row.state,
				*row.error_message ? ": " : "", row.error_message, *row.error_name ? " (" : "", row.error_name,
				*row.error_name ? ")" : "");
			return CTL_EXIT_FAIL;
		}
	} while (wait_changed(bus, &changed, deadline));
	fprintf(stderr, "lxcnetctl: %s is still not finished; see 'lxcnetctl operations'\n", path);
	return CTL_EXIT_FAIL;
}

int ctl_operations(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	OpRow row;
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "ListOperations", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_OPERATION);
	if (!o->json)
		printf("%-28s %-7s %-10s %-6s %-9s %s\n", "OPERATION", "KIND", "CONTAINER", "NET", "STATE", "STEP / ERROR");
	while (r >= 0 && (r = read_op(reply, &row)) > 0) {
		if (o->json) {
			json_object *j = json_object_new_object();

			json_object_object_add(j, "operation", json_object_new_string(row.path));
			json_object_object_add(j, "kind", json_object_new_string(row.kind));
			json_object_object_add(j, "container", json_object_new_string(row.container));
			json_object_object_add(j, "net", json_object_new_string(row.net));
			json_object_object_add(j, "state", json_object_new_string(row.state));
			json_object_object_add(j, "step", json_object_new_string(row.step));
			json_object_object_add(j, "error_name", json_object_new_string(row.error_name));
			json_object_object_add(j, "error_message", json_object_new_string(row.error_message));
			json_object_object_add(j, "created_usec", json_object_new_int64((int64_t)row.created));
			json_object_object_add(j, "started_usec", json_object_new_int64((int64_t)row.started));
			json_object_object_add(j, "finished_usec", json_object_new_int64((int64_t)row.finished));
			json_object_array_add(a, j);
		} else
			op_line(&row);
	}
	return ctl_list_done(o, r, a);
}
