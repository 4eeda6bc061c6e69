/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The rollout over the bus: the Phase, PhaseSource and Fallback properties, SetPhase, SetFallback, DescribeRollout. */
#include <string.h>

#include "bus.h"
#include "log.h"

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
	ManagerError kind;
	Diag d = {};

	if (manager_set_conf(m, key, value, property, &kind, &d) < 0)
		return sd_bus_error_set(error, manager_error_name(kind), d.msg);
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
	r = bus_authorize(msg, error);
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
	r = bus_authorize(msg, error);
	if (r < 0)
		return r;
	r = set_and_reload(userdata, "fallback", enabled ? "on" : "off", "Fallback", error);
	if (r < 0)
		return r;
	log_ctx(NULL, LOG_NOTICE, "Fallback to the legacy commands turned %s", enabled ? "on" : "off");
	return sd_bus_reply_method_return(msg, NULL);
}

static int append_decisions(sd_bus_message *reply, void *userdata)
{
	Manager *m = userdata;
	int r = 0;

	for (int op = 0; r >= 0 && op < _ROP_MAX; op++)
		for (int cls = 0; r >= 0 && cls < (op == ROP_NET_UP ? _NIC_MAX : 1); cls++) {
			RolloutDecision dec;

			rollout_decide(m->conf, (RolloutOp)op, (NicClass)cls, &dec);
			r = sd_bus_message_append(reply, LXCNET_SIG_DECISION, rollout_op_name((RolloutOp)op),
						  op == ROP_NET_UP ? nic_class_name((NicClass)cls) : "", rollout_path_name(dec.path),
						  (int)dec.fallback, dec.reason);
		}
	return r;
}

/* Every operation (net-up once per NIC class): who performs it now, fallback, why, and how it went. */
int method_describe_rollout(sd_bus_message *msg, void *userdata, sd_bus_error *error)
{
	(void)error;
	return bus_reply_array(msg, LXCNET_SIG_DECISION, append_decisions, userdata);
}
