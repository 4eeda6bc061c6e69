/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The agent's side of the phased rollout: lxcnet.conf as last read, the
 * legacy command for hotplug and binds (Proxmox's pct), what each path did,
 * and the phase and fallback settings (written to lxcnet.conf, where the
 * hooks read them too).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "lxc-hook.h"
#include "manager.h"
#include "spawn-cmd.h"

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

int manager_set_conf(Manager *m, const char *key, const char *value, const char *property, ManagerError *kind, Diag *d)
{
	int r;

	r = lxcnet_conf_set(m->conf_dir, "lxcnet", "node", key, value, d);
	if (r < 0) {
		*kind = r == -EINVAL ? MANAGER_INVALID_CONFIG : MANAGER_FAILED;
		return r;
	}
	r = manager_load_conf(m, d);
	if (r < 0) {
		*kind = MANAGER_INVALID_CONFIG;
		return r;
	}
	manager_emit(m, &(Event){ .type = EVENT_SETTINGS_CHANGED,
				  .properties = (const char *const[]){ property,
								       strcmp(property, "Phase") == 0 ? "PhaseSource" : NULL,
								       NULL } });
	return 0;
}
