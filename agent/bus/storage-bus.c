/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Storage networks over the bus: ConfigureStorageNetwork,
 * RemoveStorageNetwork, ListStorageNetworks and GetStorageStatus, over
 * storage.h; configuring and the status reply later, from the core's done
 * callbacks.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "log.h"
#include "storage-datapath.h"
#include "storage.h"
#include "strutil.h"

static int read_strv(sd_bus_message *msg, char ***ret)
{
	_cleanup_strv_free_ char **l = NULL;
	int r = sd_bus_message_read_strv(msg, &l);

	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

/* The outcome of a request whose reply waited: empty, or the error. */
static void reply_done(Manager *m, int r, const char *error_name, const char *message, void *userdata)
{
	sd_bus_message *msg = userdata;

	(void)m;
	if (r >= 0)
		(void)sd_bus_reply_method_return(msg, "");
	else
		(void)sd_bus_reply_method_errorf(msg, error_name, "%s", message);
	sd_bus_message_unref(msg);
}

int method_configure_storage_network(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_strv_free_ char **storages = NULL, **allow = NULL;
	StorageNetConf c = {};
	Manager *m = userdata;
	const char *id, *ifname;
	uint16_t vid;
	double rate;
	Diag d = {};
	int r;

	r = sd_bus_message_read(msg, "ssq", &id, &ifname, &vid);
	if (r >= 0)
		r = read_strv(msg, &storages);
	if (r >= 0)
		r = sd_bus_message_read(msg, "d", &rate);
	if (r >= 0)
		r = read_strv(msg, &allow);
	if (r < 0)
		return r;
	r = storage_net_conf_from_args(m, id, ifname, vid, storages, rate, allow, &c, &d);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return sd_bus_error_set(error, LXCNET_ERR_INVALID_ARGUMENT, d.msg);
	r = bus_authorize(msg, error);
	if (r >= 0) {
		r = storage_net_configure(m, &c, reply_done, sd_bus_message_ref(msg));
		if (r < 0)
			sd_bus_message_unref(msg);
	}
	storage_net_conf_done(&c);
	return r < 0 ? r : 1; /* the reply comes from reply_done() */
}

int method_remove_storage_network(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const char *id;
	Diag d = {};
	int r;

	r = sd_bus_message_read(msg, "s", &id);
	if (r < 0)
		return r;
	if (!storage_net_exists(m, id))
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_STORAGE_NETWORK, "No storage network '%s'", id);
	r = bus_authorize(msg, error);
	if (r < 0)
		return r;
	if (storage_net_remove(m, id, &d) < 0)
		return sd_bus_error_setf(error, LXCNET_ERR_FAILED, "%s", d.msg);
	return sd_bus_reply_method_return(msg, "");
}

static int append_networks(sd_bus_message *reply, void *userdata)
{
	Manager *m = userdata;
	int r = 0;

	for (size_t i = 0; r >= 0 && i < m->conf->n_storage_nets; i++) {
		const StorageNetConf *c = &m->conf->storage_nets[i];
		const char *state, *why;

		state = storage_net_state(m, c->id, &why);
		r = sd_bus_message_open_container(reply, 'r', "ssqasdasss");
		if (r >= 0)
			r = sd_bus_message_append(reply, "ssq", c->id, c->interface, (uint16_t)c->vlan);
		if (r >= 0)
			r = sd_bus_message_append_strv(reply, c->storages);
		if (r >= 0)
			r = sd_bus_message_append(reply, "d", c->rate);
		if (r >= 0)
			r = sd_bus_message_append_strv(reply, c->allow);
		if (r >= 0)
			r = sd_bus_message_append(reply, "ss", state, why);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	return r;
}

int method_list_storage_networks(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	(void)error;
	return bus_reply_array(msg, LXCNET_SIG_STORAGE_NET, append_networks, userdata);
}

static int append_counters(sd_bus_message *reply, const struct lxcnet_storage_stats *st)
{
	int r = sd_bus_message_open_container(reply, 'a', "{st}");

	if (r >= 0)
		r = sd_bus_message_append(reply, "{st}{st}{st}{st}", "packets-out", (uint64_t)st->packets[LXCNET_STORAGE_OUT],
					  "bytes-out", (uint64_t)st->bytes[LXCNET_STORAGE_OUT], "packets-in",
					  (uint64_t)st->packets[LXCNET_STORAGE_IN], "bytes-in", (uint64_t)st->bytes[LXCNET_STORAGE_IN]);
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static void status_done(Manager *m, int r, const char *error_name, const char *message, const StorageStatus *st, void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	(void)m;
	if (r < 0) {
		(void)sd_bus_reply_method_errorf(msg, error_name, "%s", message);
		return;
	}
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_append(reply, "sqss", st->interface, (uint16_t)st->vlan, st->state, st->error);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{st}");
	for (int k = 0; r >= 0 && k < _LXCNET_STORAGE_DROP_MAX; k++)
		for (int dir = 0; r >= 0 && dir < _LXCNET_STORAGE_DIR_MAX; dir++) {
			char key[48];

			snprintf(key, sizeof(key), "%s-%s", storage_datapath_drop_reason(k), dir == LXCNET_STORAGE_OUT ? "out" : "in");
			r = sd_bus_message_append(reply, "{st}", key, st->drops[k][dir]);
		}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_STORAGE_STATUS);
	for (size_t i = 0; r >= 0 && i < st->n_slots; i++) {
		const StorageSlotStatus *s = &st->slots[i];

		r = sd_bus_message_open_container(reply, 'r', "ssasbbsa{st}");
		if (r >= 0)
			r = sd_bus_message_append(reply, "ss", s->name, s->type);
		if (r >= 0)
			r = sd_bus_message_append_strv(reply, s->endpoints);
		if (r >= 0)
			r = sd_bus_message_append(reply, "bbs", s->in_use, s->reachable, s->reach);
		if (r >= 0)
			r = append_counters(reply, &s->counters);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
	if (r < 0)
		log_ctx(NULL, LOG_ERR, "Cannot reply to GetStorageStatus: %s", strerror(-r));
}

int method_get_storage_status(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	const char *id;
	int r;

	r = sd_bus_message_read(msg, "s", &id);
	if (r < 0)
		return r;
	r = storage_net_status(userdata, id, status_done, sd_bus_message_ref(msg));
	if (r < 0)
		sd_bus_message_unref(msg);
	if (r == -ENOENT)
		return sd_bus_error_setf(error, LXCNET_ERR_NO_SUCH_STORAGE_NETWORK, "No storage network '%s'", id);
	return r < 0 ? r : 1;
}
