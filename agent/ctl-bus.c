/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnetctl's agent verbs: org.lxcnet1 on the system bus ($DBUS_SYSTEM_BUS_ADDRESS honoured). */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "ctl.h"
#include "macro.h"

#define DEST "org.lxcnet1"
#define PATH "/org/lxcnet1"
#define IFACE "org.lxcnet1.Manager"

static int connect_bus(sd_bus **ret)
{
	int r = sd_bus_open_system(ret);

	if (r < 0)
		fprintf(stderr, "lxcnetctl: cannot connect to the system bus: %s\n", strerror(-r));
	return r;
}

/* Call a Manager method; on failure print the bus error (the agent's message names the bad value). */
static int call(sd_bus *bus, const char *method, sd_bus_message **reply, const char *types, ...)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(bus, &m, DEST, PATH, IFACE, method);
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
	return sd_bus_message_read(m, "(ssusssbt)", &b->container, &b->net, &b->ifindex, &b->ifname, &b->bridge, &b->vnet,
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

static void binding_row(const BindingRow *b)
{
	printf("%-12s %-6s %-15s %-15s %-9s %s\n", b->container, b->net, b->ifname, *b->bridge ? b->bridge : "-",
	       *b->vnet ? b->vnet : "-", b->up ? "up" : "down");
}

static void binding_header(void)
{
	printf("%-12s %-6s %-15s %-15s %-9s %s\n", "CONTAINER", "NET", "IFNAME", "BRIDGE", "VNET", "LINK");
}

static void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

int ctl_bindings(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	BindingRow b;
	int r;

	if (connect_bus(&bus) < 0 || call(bus, "ListBindings", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', "(ssusssbt)");
	if (!o->json)
		binding_header();
	while (r >= 0 && (r = read_binding(reply, &b)) > 0) {
		if (o->json)
			json_object_array_add(a, binding_json(&b));
		else
			binding_row(&b);
	}
	if (r < 0) {
		fprintf(stderr, "lxcnetctl: bad reply: %s\n", strerror(-r));
		return CTL_EXIT_FAIL;
	}
	if (o->json)
		print_json(a);
	return CTL_EXIT_OK;
}

int ctl_binding(const CtlOptions *o, const char *container, const char *net)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	BindingRow b;

	if (connect_bus(&bus) < 0 || call(bus, "GetBinding", &reply, "ss", container, net) < 0)
		return CTL_EXIT_FAIL;
	if (read_binding(reply, &b) <= 0)
		return CTL_EXIT_FAIL;
	if (o->json) {
		_cleanup_(json_object_putp) json_object *j = binding_json(&b);

		print_json(j);
	} else {
		binding_header();
		binding_row(&b);
	}
	return CTL_EXIT_OK;
}

int ctl_containers(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	const char *name;
	uint32_t n;
	int r;

	if (connect_bus(&bus) < 0 || call(bus, "ListContainers", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', "(su)");
	if (!o->json)
		printf("%-12s %s\n", "CONTAINER", "INTERFACES");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(su)", &name, &n)) > 0) {
		if (o->json) {
			json_object *c = json_object_new_object();

			json_object_object_add(c, "container", json_object_new_string(name));
			json_object_object_add(c, "interfaces", json_object_new_int64(n));
			json_object_array_add(a, c);
		} else
			printf("%-12s %u\n", name, n);
	}
	if (r < 0)
		return CTL_EXIT_FAIL;
	if (o->json)
		print_json(a);
	return CTL_EXIT_OK;
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

	if (connect_bus(&bus) < 0 || call(bus, "GetStatistics", &reply, "ss", container, net) < 0) {
		json_object_put(drops);
		return CTL_EXIT_FAIL;
	}
	r = sd_bus_message_read(reply, "tttt", &pf, &bf, &pt, &bt);
	if (!o->json)
		printf("from container: %llu packets, %llu bytes\nto container:   %llu packets, %llu bytes\ndrops:\n",
		       (unsigned long long)pf, (unsigned long long)bf, (unsigned long long)pt, (unsigned long long)bt);
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', "(st)");
	while (r >= 0 && (r = sd_bus_message_read(reply, "(st)", &reason, &count)) > 0) {
		if (o->json)
			json_object_object_add(drops, reason, json_object_new_int64((int64_t)count));
		else
			printf("  %-14s %llu\n", reason, (unsigned long long)count);
	}
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
		print_json(j);
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

	if (connect_bus(&bus) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_get_property_string(bus, DEST, PATH, IFACE, "Version", &error, &version);
	if (r >= 0)
		r = sd_bus_get_property_trivial(bus, DEST, PATH, IFACE, "NBindings", &error, 'u', &n);
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
		print_json(j);
	} else
		printf("lxcnetd %s: running, %u bound interfaces\n", version, n);
	return CTL_EXIT_OK;
}

int ctl_reload(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	(void)o;
	if (connect_bus(&bus) < 0 || call(bus, "Reload", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	return CTL_EXIT_OK;
}
