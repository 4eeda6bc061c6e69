/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* lxcnetctl storage: storage networks (the agent), and storage.cfg entries checked offline. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "storage-plugin.h"
#include "strutil.h"

int ctl_storage_list(const CtlOptions *o)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_(json_object_putp) json_object *a = json_object_new_array();
	int r;

	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "ListStorageNetworks", &reply, NULL) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_STORAGE_NET);
	if (!o->json)
		printf("%-12s %-10s %-5s %-8s %-24s %-6s %s\n", "ID", "INTERFACE", "VLAN", "STATE", "STORAGES", "RATE", "ALLOW");
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssqasdasss")) > 0) {
		_cleanup_strv_free_ char **storages = NULL, **allow = NULL;
		_cleanup_free_ char *s = NULL, *al = NULL;
		const char *id, *ifname, *state, *error;
		char rate[FORMAT_DOUBLE_MAX] = "-", vid[8];
		uint16_t vlan;
		double rt;

		r = sd_bus_message_read(reply, "ssq", &id, &ifname, &vlan);
		if (r >= 0)
			r = sd_bus_message_read_strv(reply, &storages);
		if (r >= 0)
			r = sd_bus_message_read(reply, "d", &rt);
		if (r >= 0)
			r = sd_bus_message_read_strv(reply, &allow);
		if (r >= 0)
			r = sd_bus_message_read(reply, "ss", &state, &error);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r < 0)
			break;
		if (rt > 0)
			format_double(rate, sizeof(rate), rt);
		if (o->json) {
			json_object *row = json_object_new_object(), *js = json_object_new_array(), *ja = json_object_new_array();

			for (size_t i = 0; storages && storages[i]; i++)
				json_object_array_add(js, json_object_new_string(storages[i]));
			for (size_t i = 0; allow && allow[i]; i++)
				json_object_array_add(ja, json_object_new_string(allow[i]));
			json_object_object_add(row, "id", json_object_new_string(id));
			json_object_object_add(row, "interface", json_object_new_string(ifname));
			json_object_object_add(row, "vlan", json_object_new_int(vlan));
			json_object_object_add(row, "storages", js);
			json_object_object_add(row, "rate", json_object_new_double(rt));
			json_object_object_add(row, "allow", ja);
			json_object_object_add(row, "state", json_object_new_string(state));
			json_object_object_add(row, "error", json_object_new_string(error));
			json_object_array_add(a, row);
			continue;
		}
		if (strv_join(storages, ",", &s) < 0 || strv_join(allow, ",", &al) < 0)
			return CTL_EXIT_FAIL;
		snprintf(vid, sizeof(vid), vlan ? "%u" : "-", vlan);
		printf("%-12s %-10s %-5s %-8s %-24s %-6s %s\n", id, ifname, vid, state, *s ? s : "-", rate, *al ? al : "-");
		if (*error)
			printf("  error: %s\n", error);
	}
	return ctl_list_done(o, r, a);
}

/* An a{st} of counters, each as "<before>name: value<after>". */
static int print_counters(sd_bus_message *reply, const char *before, const char *after)
{
	int r = sd_bus_message_enter_container(reply, 'a', "{st}");

	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "st")) > 0) {
		const char *k;
		uint64_t v;

		r = sd_bus_message_read(reply, "st", &k, &v);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
		if (r >= 0)
			printf("%s%s: %" PRIu64 "%s", before, k, v, after);
	}
	return r < 0 ? r : sd_bus_message_exit_container(reply);
}

int ctl_storage_status(const CtlOptions *o, const char *id)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *ifname, *state, *error;
	uint16_t vlan;
	int r;

	(void)o;
	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "GetStorageStatus", &reply, "s", id) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_read(reply, "sqss", &ifname, &vlan, &state, &error);
	if (r < 0)
		goto bad;
	printf("network:   %s\ninterface: %s\n", id, ifname);
	if (vlan)
		printf("vlan:      %u\n", vlan);
	else
		printf("vlan:      - (filter only)\n");
	printf("state:     %s%s%s\ndrops:\n", state, *error ? ": " : "", error);
	r = print_counters(reply, "  ", "\n");
	if (r >= 0)
		r = sd_bus_message_enter_container(reply, 'a', LXCNET_SIG_STORAGE_STATUS);
	while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "ssasbbsa{st}")) > 0) {
		_cleanup_strv_free_ char **eps = NULL;
		const char *name, *type, *reach;
		int in_use, reachable;

		r = sd_bus_message_read(reply, "ss", &name, &type);
		if (r >= 0)
			r = sd_bus_message_read_strv(reply, &eps);
		if (r >= 0)
			r = sd_bus_message_read(reply, "bbs", &in_use, &reachable, &reach);
		if (r < 0)
			break;
		printf("%-12s %s\n", name, type);
		for (size_t i = 0; eps && eps[i]; i++)
			printf("  endpoints: %s\n", eps[i]);
		if (strcmp(type, "allow") != 0) {
			printf("  %s: %s\n", strcmp(type, "iscsi") == 0 ? "session" : "mounted", in_use ? "yes" : "no");
			printf("  reachable: %s%s%s%s\n", reachable ? "yes" : "no", *reach ? " (" : "", reach, *reach ? ")" : "");
		}
		printf(" ");
		r = print_counters(reply, " ", "");
		printf("\n");
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r >= 0)
		return CTL_EXIT_OK;
bad:
	fprintf(stderr, "lxcnetctl: cannot read the reply: %s\n", strerror(-r));
	return CTL_EXIT_FAIL;
}

/* "a,b c" -> a NULL-terminated list (the --storages and --allow values). */
static int split(const char *s, char ***ret)
{
	if (!s) {
		*ret = calloc(1, sizeof(char *));
		return *ret ? 0 : -ENOMEM;
	}
	return strv_split(s, ", \t", ret);
}

int ctl_storage_configure(const CtlOptions *o, const char *id)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_strv_free_ char **storages = NULL, **allow = NULL;
	sd_bus_error error = SD_BUS_ERROR_NULL;
	uint64_t vlan = 0;
	double rate = 0;
	int r;

	if (!o->storage_interface) {
		fprintf(stderr, "lxcnetctl: storage configure needs --interface IFNAME\n");
		return CTL_EXIT_USAGE;
	}
	if (o->storage_vlan && parse_uint_range(o->storage_vlan, 0, 65535, &vlan) < 0) {
		fprintf(stderr, "lxcnetctl: --vlan: '%s' is not a VLAN (1..4094)\n", o->storage_vlan);
		return CTL_EXIT_USAGE;
	}
	if (o->storage_rate && parse_decimal(o->storage_rate, &rate) < 0) {
		fprintf(stderr, "lxcnetctl: --rate: '%s' is not a number of MiB/s\n", o->storage_rate);
		return CTL_EXIT_USAGE;
	}
	if (split(o->storage_storages, &storages) < 0 || split(o->storage_allow, &allow) < 0)
		return CTL_EXIT_FAIL;
	if (ctl_connect_bus(&bus) < 0)
		return CTL_EXIT_FAIL;
	r = sd_bus_message_new_method_call(bus, &m, LXCNET_BUS_NAME, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER,
					   "ConfigureStorageNetwork");
	if (r >= 0)
		r = sd_bus_message_append(m, "ssq", id, o->storage_interface, (uint16_t)vlan);
	if (r >= 0)
		r = sd_bus_message_append_strv(m, storages);
	if (r >= 0)
		r = sd_bus_message_append(m, "d", rate);
	if (r >= 0)
		r = sd_bus_message_append_strv(m, allow);
	/* Resolving names and setting up the interface: longer than a plain call. */
	if (r >= 0)
		r = sd_bus_call(bus, m, 30 * 1000 * 1000, &error, &reply);
	if (r < 0) {
		if (sd_bus_error_is_set(&error))
			fprintf(stderr, "lxcnetctl: ConfigureStorageNetwork: %s (%s)\n", error.message, error.name);
		else
			fprintf(stderr, "lxcnetctl: ConfigureStorageNetwork: %s\n", strerror(-r));
		sd_bus_error_free(&error);
		return CTL_EXIT_FAIL;
	}
	printf("Storage network '%s' is in force on '%s'\n", id, o->storage_interface);
	return CTL_EXIT_OK;
}

int ctl_storage_remove(const CtlOptions *o, const char *id)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	(void)o;
	if (ctl_connect_bus(&bus) < 0 || ctl_call(bus, "RemoveStorageNetwork", &reply, "s", id) < 0)
		return CTL_EXIT_FAIL;
	printf("Storage network '%s' removed; its interface is as before\n", id);
	return CTL_EXIT_OK;
}

int ctl_storage_check(const CtlOptions *o, char **ids)
{
	_cleanup_(storage_config_freep) StorageConfig *c = NULL;
	_cleanup_free_ char *path = NULL;
	unsigned bad = 0, checked = 0;
	Diag d = {};

	if (asprintf(&path, "%s/storage.cfg", o->pve_dir) < 0)
		return CTL_EXIT_FAIL;
	if (storage_config_load(path, &c, &d) < 0) {
		fprintf(stderr, "lxcnetctl: %s\n", d.msg);
		return CTL_EXIT_FAIL;
	}
	/* Without ids: every network storage lxcnet knows. */
	for (size_t i = 0; ids[0] ? ids[i] != NULL : i < c->n_storages; i++) {
		const char *id = ids[0] ? ids[i] : storage_id(&c->storages[i]);
		const Storage *s = NULL;
		StorageEndpoint e = {};

		if (!ids[0] && (!storage_plugin_of(&c->storages[i]) || c->storages[i].disable))
			continue;
		checked++;
		d = (Diag){};
		if (storage_check(c, id, o->pve_dir, &s, NULL, &d) < 0 || storage_plugin_of(s)->endpoint(s, &e) < 0) {
			printf("%-16s invalid: %s\n", id, d.msg);
			bad++;
			continue;
		}
		printf("%-16s %-6s %s", id, storage_plugin_of(s)->type, e.host);
		for (size_t p = 0; p < e.n_ports; p++)
			printf(" %s/%u", storage_proto_name(e.ports[p].proto), e.ports[p].port);
		printf("\n");
	}
	if (!checked)
		printf("No nfs, cifs or iscsi storage in %s\n", path);
	return bad ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
