/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's side of the phased rollout: lxcnet.conf as last read, the
 * legacy command for hotplug and binds (Proxmox's pct), what each path did,
 * and the Phase/Fallback settings over the bus (written to lxcnet.conf,
 * where the hooks read them too).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lxc-hook.h"
#include "manager.h"
#include "spawn.h"

/* pct set talks to the cluster file system: slow, but not forever. */
#define PCT_TIMEOUT_MS (120 * 1000)

int manager_load_conf(Manager *m, Diag *d)
{
	LxcnetConf *c = NULL;
	int r;

	r = lxcnet_conf_load(m->conf_dir, &c, d);
	if (r < 0)
		return r;
	lxcnet_conf_free(m->conf);
	m->conf = c;
	__atomic_store_n(&m->plugin_timeout_ms, c->plugin_timeout_ms, __ATOMIC_RELAXED);
	log_ctx(NULL, LOG_INFO, "Rollout phase %s (%s), fallback %s", rollout_phase_name(c->phase),
		c->phase_source == PHASE_FROM_ENVIRONMENT ? "from LXCNET_PHASE" :
		c->exists				   ? c->path :
							     "default",
		c->fallback ? "on" : "off");
	return 0;
}

void manager_record_op(Manager *m, RolloutOp op, RolloutPath path, bool ok, bool fallback, uint64_t usec)
{
	PathStats *s;

	if (op >= _ROP_MAX || path >= _PATH_MAX)
		return;
	pthread_mutex_lock(&m->stats_lock);
	s = &m->path_stats[op][path];
	s->count++;
	s->ok += ok;
	s->fallbacks += fallback;
	s->usec_sum += usec;
	if (usec > s->usec_max)
		s->usec_max = usec;
	pthread_mutex_unlock(&m->stats_lock);
}

int manager_run_pct(const char *pct, const char *container, unsigned net, const char *spec, Diag *d)
{
	char key[16], opt[24];
	char *argv[] = { (char *)pct, (char *)"set", (char *)container, opt, spec ? (char *)spec : key, NULL };
	SpawnResult res;
	int r;

	if (!lxc_hook_is_vmid(container))
		return diag_error(d, -EOPNOTSUPP, "legacy command '%s' only knows Proxmox containers, not '%s'", pct, container);
	snprintf(key, sizeof(key), "net%u", net);
	if (spec)
		snprintf(opt, sizeof(opt), "--net%u", net);
	else
		snprintf(opt, sizeof(opt), "--delete");
	r = spawn_run(argv, NULL, NULL, PCT_TIMEOUT_MS, &res);
	if (r < 0)
		return diag_error(d, r, "cannot run legacy command '%s': %s", pct, strerror(-r));
	if (res.timed_out)
		return diag_error(d, -ETIMEDOUT, "legacy command '%s' did not finish in %u s", pct, PCT_TIMEOUT_MS / 1000);
	if (res.status != 0)
		return diag_error(d, -EIO, "legacy command '%s' failed (exit status %d)%s%s", pct, res.status,
				  res.first_line[0] ? ": " : "", res.first_line);
	return 0;
}

int property_rollout(sd_bus *bus, const char *path, const char *interface, const char *property, sd_bus_message *reply,
		     void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;

	(void)bus, (void)path, (void)interface, (void)error;
	if (strcmp(property, "Phase") == 0)
		return sd_bus_message_append(reply, "s", rollout_phase_name(m->conf->phase));
	if (strcmp(property, "PhaseSource") == 0)
		return sd_bus_message_append(reply, "s", phase_source_name(m->conf->phase_source));
	return sd_bus_message_append(reply, "b", (int)m->conf->fallback);
}

/* Write key to lxcnet.conf, read it back, announce. */
static int set_and_reload(Manager *m, const char *key, const char *value, const char *property, sd_bus_error *error)
{
	Diag d = {};
	int r;

	r = lxcnet_conf_set(m->conf_dir, "lxcnet", "node", key, value, &d);
	if (r < 0)
		return sd_bus_error_set(error, r == -EINVAL ? LXCNET_ERR_INVALID_CONFIG : LXCNET_ERR_FAILED, d.msg);
	r = manager_load_conf(m, &d);
	if (r < 0)
		return sd_bus_error_set(error, LXCNET_ERR_INVALID_CONFIG, d.msg);
	if (m->bus && m->announce)
		(void)sd_bus_emit_properties_changed(m->bus, LXCNET_BUS_PATH, LXCNET_BUS_MANAGER, property,
						     strcmp(property, "Phase") == 0 ? "PhaseSource" : NULL, NULL);
	return 0;
}

int method_set_phase(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	Manager *m = userdata;
	const char *phase;
	int r;

	r = sd_bus_message_read(msg, "s", &phase);
	if (r < 0)
		return r;
	if (rollout_phase_from_string(phase) < 0)
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_ARGUMENT, "'%s' is not a phase (%s)", phase, ROLLOUT_PHASE_LIST);
	r = manager_bus_authorize(msg, error);
	if (r < 0)
		return r;
	/* The file would change but not what the agent does: say so instead. */
	if (m->conf->phase_source == PHASE_FROM_ENVIRONMENT)
		return sd_bus_error_setf(error, LXCNET_ERR_INVALID_CONFIG,
					 "The phase is fixed to '%s' by LXCNET_PHASE in lxcnetd's environment; remove it there first",
					 rollout_phase_name(m->conf->phase));
	r = set_and_reload(m, "phase", phase, "Phase", error);
	if (r < 0)
		return r;
	log_ctx(NULL, LOG_NOTICE, "Rollout phase set to %s", phase);
	return sd_bus_reply_method_return(msg, NULL);
}

int method_set_fallback(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	int enabled, r;

	r = sd_bus_message_read(msg, "b", &enabled);
	if (r < 0)
		return r;
	r = manager_bus_authorize(msg, error);
	if (r < 0)
		return r;
	r = set_and_reload(userdata, "fallback", enabled ? "on" : "off", "Fallback", error);
	if (r < 0)
		return r;
	log_ctx(NULL, LOG_NOTICE, "Fallback to the legacy commands turned %s", enabled ? "on" : "off");
	return sd_bus_reply_method_return(msg, NULL);
}

/* Every operation (net-up once per NIC class): who performs it now, fallback, why, and how it went. */
int method_describe_rollout(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	Manager *m = userdata;
	int r;

	(void)error;
	r = sd_bus_message_new_method_return(msg, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', LXCNET_SIG_DECISION);
	for (int op = 0; r >= 0 && op < _ROP_MAX; op++)
		for (int cls = 0; r >= 0 && cls < (op == ROP_NET_UP ? _NIC_MAX : 1); cls++) {
			RolloutDecision dec;

			rollout_decide(m->conf, (RolloutOp)op, (NicClass)cls, &dec);
			r = sd_bus_message_append(reply, LXCNET_SIG_DECISION, rollout_op_name((RolloutOp)op),
						  op == ROP_NET_UP ? nic_class_name((NicClass)cls) : "", rollout_path_name(dec.path),
						  (int)dec.fallback, dec.reason);
		}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}
