/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Reconciliation: every port of a running container that lxcnetd knows
 * (veth<ct>i<N>) converges on what its netN line and the rollout phase say.
 * The desired state is what lxcnet would plug now (plug_resolve_nic());
 * the actual one is the kernel's: the veth's master (through its firewall
 * bridge when it has one), MTU and state, and the datapath entry of its
 * port (policy, trunks, shaper).
 *
 * When they differ and the phase gives the NIC to lxcnet, the port is
 * plugged again as lxcnet plugs it. When the phase gives it to Proxmox,
 * lxcnet never fights: only after the port was replugged by somebody else
 * (a link change) does it take its own datapath entry away, so that no
 * stale policy is left under Proxmox's plumbing.
 *
 * Triggers: a link change of a bound port or a tc filter deleted from it
 * (after RECONCILE_SETTLE_USEC, so that whoever changes it has finished), a changed container config (its
 * file checked every RECONCILE_TICK_USEC, as /etc/pve is a FUSE file system
 * without inotify), the agent's start, and a full pass every
 * RECONCILE_FULL_TICKS ticks. A port younger than RECONCILE_YOUNG_USEC is
 * still being plugged by its container's start, and one whose container has
 * a hotplug operation is being changed by lxcnetd itself: both wait.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECONCILE_TICK_USEC (500 * 1000)
#define RECONCILE_SETTLE_USEC (200 * 1000)
#define RECONCILE_YOUNG_USEC (2 * 1000 * 1000)
#define RECONCILE_FULL_TICKS 60
#define RECONCILE_RETRY_USEC (5 * 1000 * 1000) /* a port that failed, changed only by that failure */

typedef struct Manager Manager;
typedef struct Binding Binding;

typedef enum ReconcileReason {
	RECONCILE_LINK,	    /* the port's master or state changed */
	RECONCILE_CONFIG,   /* its container's config file changed */
	RECONCILE_START,    /* first look after the agent or the port started */
	RECONCILE_PERIODIC, /* the full pass */
	RECONCILE_FORCED,   /* asked for over the bus */
	_RECONCILE_REASON_MAX,
} ReconcileReason;

typedef enum ReconcileAction {
	RECONCILE_REPLUGGED, /* plugged again as lxcnet plugs it */
	RECONCILE_WITHDRAWN, /* lxcnet's datapath entry taken off a port Proxmox plugs */
	RECONCILE_FAILED,    /* it differs and could not be plugged again */
	_RECONCILE_ACTION_MAX,
} ReconcileAction;

const char *reconcile_reason_name(ReconcileReason r);
const char *reconcile_action_name(ReconcileAction a);

/* Start the tick and follow EVENT_PORT_CHANGED (a port's master, state or settings changed); reconcile_done() stops it. */
int reconcile_init(Manager *m);
void reconcile_done(Manager *m);

/*
 * One port: 1 when it differs (diff says how, for example "master is
 * 'vmbr0v200', lxcnet plugs it into 'vmbr0'"), 0 when it is as it should
 * be or not lxcnet's to judge, <0 when the desired state cannot be worked
 * out (diff says why). With apply, a difference is acted on and *ret_action
 * says how.
 */
int reconcile_port(Manager *m, Binding *b, ReconcileReason reason, bool apply, char *diff, size_t diff_size,
		   ReconcileAction *ret_action);

/* One rule of lxcnet's guest firewall in force on a port, and what it matched. */
typedef struct FwRuleStat {
	uint8_t dir;	 /* enum lxcnet_dir: LXCNET_FROM_CT for OUT rules */
	uint8_t verdict; /* enum lxcnet_fw_verdict */
	uint16_t index;	 /* within its direction, in file order */
	char *origin;	 /* "100.fw:12" (with the group's or macro's line); NULL when the files say other rules now */
	uint64_t packets, bytes;
} FwRuleStat;

/*
 * The rules of lxcnet's guest firewall in force on b's port, with their
 * counters and where each comes from: the NIC's firewall files are
 * compiled again, and their rules name the ones in force when they are the
 * same (the compiled rules' hash). -ENOENT: no guest firewall of lxcnet's
 * on the port; -ENODEV: no datapath.
 */
int reconcile_fw_rules(Manager *m, const Binding *b, FwRuleStat **ret, size_t *ret_n);
void fw_rule_stats_free(FwRuleStat *s, size_t n);

/*
 * CheckPorts and Reconcile: every port of container ("" for all) that
 * differs, as fn(container, net, what, difference); what is "differs"
 * without apply (nothing changed), the action with it (a forced pass),
 * "busy" for a container with a hotplug operation or a bind under way, "unknown" when the port
 * cannot be judged. -ESRCH when container has no binding; fn's error stops.
 */
typedef int (*ReconcilePortFn)(const char *container, const char *net, const char *what, const char *difference,
			       void *userdata);
int reconcile_ports(Manager *m, const char *container, bool apply, ReconcilePortFn fn, void *userdata);
