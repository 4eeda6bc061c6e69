/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lxcnetd's one Manager: event loop, bus, rtnetlink tracking and the
 * binding registry (which container interface is plugged where).
 * Single-threaded on sd-event.
 */

#include <net/if.h>
#include <netlink/netlink.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <systemd/sd-event.h>

#include "api/bus.h"
#include "datapath.h"
#include "event.h"
#include "lxcnet-conf.h"
#include "operation.h"
#include "pve-ctconf.h"
#include "pve-netconf.h"
#include "reconcile.h"
#include "sdn-config.h"
#include "macro.h"


#define LXCNETD_STATE_DIR "/var/lib/lxcnet"
#define MANAGER_STATE_MAX (16 * 1024 * 1024) /* bindings.json */

/* Who plugged a port last, which decides who owns it until its container's next start (reconcile.h). */
typedef enum PluggedBy {
	PLUGGED_AT_START, /* the container's start: the path the phase gives net-up */
	PLUGGED_LXCNET,	  /* lxcnetd's hotplug add or update, done by lxcnet */
	PLUGGED_LEGACY,	  /* lxcnetd's hotplug add or update, done by the legacy command */
	_PLUGGED_MAX,
} PluggedBy;

const char *plugged_by_name(PluggedBy p); /* "", "lxcnet", "legacy": as the state file has it */

/*
 * Who made the container a binding belongs to: an LXC container's host
 * veth is veth<ct>i<N>; the OCI hook's and the CNI plugin's host ends say
 * whose they are in their alias ("lxcnet-oci <id> net<N>", "lxcnet-cni
 * <network> <id> <ifname>").
 */
typedef enum BindingRuntime {
	RUNTIME_LXC,
	RUNTIME_OCI,
	RUNTIME_CNI,
	_RUNTIME_MAX,
} BindingRuntime;

const char *binding_runtime_name(BindingRuntime r); /* "lxc", "oci", "cni" */

#define BINDING_CONTAINER_MAX 201 /* an OCI container id: 200 characters at most (lxcnet-oci) */
#define BINDING_NIC_MAX 96	  /* "<network>/<ifname>": 64 and 15 characters at most (lxcnet-cni) */

typedef struct Binding {
	BindingRuntime runtime;
	char container[BINDING_CONTAINER_MAX]; /* the LXC container's name or VMID, the OCI or CNI container id */
	unsigned net;			       /* N of netN (LXC, OCI) */
	char nic[BINDING_NIC_MAX];	       /* the NIC's name in the API: "net<N>", or "<network>/<ifname>" (CNI) */
	char ifname[IFNAMSIZ];
	int ifindex;
	/* Where the datapath counts it: ifindex, or the fwpr of its Proxmox firewall bridge (fw-bridge.h). */
	int port_ifindex;
	/* The bridge it is plugged into (through its firewall bridge when it has one), "" when unplugged. */
	char bridge[IFNAMSIZ];
	char vnet[16];	       /* as the hook reported it, "" when none */
	bool up;
	PluggedBy plugged_by; /* saved in the state file */
	bool seen;	/* found by the current dump */
	uint64_t since; /* CLOCK_REALTIME, µs */
	/* Reconciliation (reconcile.h). */
	bool reconcile_seen;   /* looked at once since it appeared */
	bool reconcile_link;   /* its master or state changed since (a replug, by somebody) */
	bool reconcile_settings; /* its VLAN membership or shaper changed since (no replug) */
	bool reconcile_failed; /* the last look failed: not again until the config or the port changes */
	uint64_t reconcile_failed_usec; /* CLOCK_MONOTONIC */
	struct stat conf_st;   /* its container's config file then */
	struct stat fw_st;     /* and its firewall file, <pve-dir>/firewall/<ct>.fw ... */
	bool fw_watch;	       /* ... watched only while its NIC says firewall=1 (as at its last look) */
} Binding;

/* The netN lines of the container config read last, for as long as the file stays the same (manager-vnet.c). */
typedef struct ConfCache {
	char *path;
	struct stat st;
	CtNetEntry nets[PVE_NET_MAX];
} ConfCache;

/* Bindings by (container, net) and by ifindex (manager.c). */
typedef struct BindingIndex {
	uint32_t *by_name, *by_ifindex; /* array index + 1, 0: empty */
	size_t size;			/* slots in each, a power of two; 0: none yet */
	bool dirty;			/* rebuild before the next look-up */
} BindingIndex;

typedef struct Plugins Plugins;
typedef struct PlugEnv PlugEnv;
typedef struct StorageNet StorageNet;
typedef struct StorageDatapath StorageDatapath;
typedef struct Helper Helper;

/* How one operation fared on one path (rollout.c). */
typedef struct PathStats {
	uint64_t count, ok, fallbacks, usec_sum, usec_max;
} PathStats;

typedef struct Manager {
	sd_event *event;
	Listener core_listeners[MANAGER_LISTENERS_MAX], listeners[MANAGER_LISTENERS_MAX]; /* event.h */
	size_t n_core_listeners, n_listeners;
	struct nl_sock *nl;	/* requests and dumps */
	struct nl_sock *events; /* RTNLGRP_LINK */
	int notify_fd;
	Datapath *dp; /* NULL until something is pinned */
	Binding *bindings;
	size_t n_bindings;
	BindingIndex index;
	char *state_file;
	const char *notify_path;
	const char *pve_dir;
	const char *conf_dir;
	unsigned rebuild_found, rebuild_dropped;
	const char *version; /* the Version property */
	bool announce;	     /* emit events: not while rebuilding at start (nothing changed then); event.h */
	bool dirty;	     /* a binding came or went while reading events */
	sd_event_source *save_timer; /* a save is pending */
	sd_event_source *ct_seen_timer; /* the datapath's connection filter is looked at (registry.c) */
	const char *lxc_path;	     /* liblxc's lxcpath for hotplug; NULL = its default */
	/* Binds and unbinds between their request and their end (vnet.c): their containers. */
	char (*binds)[64];
	size_t n_binds;
	/* Hotplug (operation.c). */
	Operation **ops;
	size_t n_ops;
	uint64_t next_op_id;
	unsigned n_running;
	int op_efd;
	sd_event_source *op_retry; /* operations wait for a config lock held elsewhere */
	pthread_mutex_t op_lock; /* the workers' fields of Operation */
	pthread_mutex_t lxc_lock; /* liblxc calls, one at a time */
	/* Rollout (rollout.c): lxcnet.conf as last read, and what each path did. */
	LxcnetConf *conf;
	unsigned plugin_timeout_ms; /* read by plugin runs in other threads */
	pthread_mutex_t stats_lock;
	PathStats path_stats[_ROP_MAX][_PATH_MAX];
	Plugins *plugins; /* plugins.c */
	Helper *helper;	  /* helper.c */
	char *state_dir;
	StorageDatapath *sdp; /* storage.c; NULL until a storage network needs it */
	StorageNet *storage_nets;
	size_t n_storage_nets;
	ConfCache conf_cache;
	/* Reconciliation (reconcile.c). */
	sd_event_source *reconcile_tick, *reconcile_settle;
	unsigned reconcile_ticks;
	bool reconcile_orphans; /* datapath_orphans_possible() at the start of the pass */
	struct stat cluster_fw_st, host_fw_st; /* cluster.fw and this node's host.fw, as the last pass saw them */
	bool fw_changed;		      /* either changed since: every port looks at its firewall again */
	uint64_t reconcile_total[_RECONCILE_REASON_MAX][_RECONCILE_ACTION_MAX];
} Manager;

int manager_new(const char *state_dir, const char *notify_path, Manager **ret);
void manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager, manager_free);

/* Rebuild the registry from the saved state, the kernel's links and the pins; then follow rtnetlink. */
int manager_start(Manager *m);
/*
 * From now on events go out: the listeners added so far (the bus) hear them
 * first, then the plugins (added here).
 */
void manager_announce(Manager *m);
/* Wait for what runs in other threads (workers, the helper): their last events still go out. manager_free() calls it too. */
void manager_stop(Manager *m);

/* An LXC container's netN. */
Binding *manager_find(Manager *m, const char *container, unsigned net);
/* A binding by its container and NIC name, as the API has them ("net<N>", "<network>/<ifname>"): LXC's first. */
Binding *manager_find_nic(Manager *m, const char *container, const char *nic);
size_t manager_count_container(Manager *m, const char *container);

/* A hook (or a D-Bus client) reports a plug: note the VNet, refresh from the kernel. */
int manager_notify(Manager *m, const char *container, unsigned net, const char *vnet);

/* Re-read the kernel's view of every binding and save. */
int manager_reload(Manager *m);

/*
 * (registry.c) At start: follow rtnetlink, dump every link, add what the
 * state file knew, load and pin the datapath, sweep what is stale, renew
 * its connection filter (and look at it every MANAGER_CT_SEEN_USEC after,
 * renewing it once DATAPATH_CT_SEEN_RENEW_FILL of it is set); then listen
 * for the hooks' datagrams (api/notify.h).
 */
#define MANAGER_CT_SEEN_USEC (60 * 1000 * 1000)
int registry_rebuild(Manager *m);
int registry_listen_notify(Manager *m);
/* One RTM_NEWLINK or RTM_DELLINK, from a dump or an event (or a test); true when what is saved changed. */
struct nlmsghdr;
bool registry_link_msg(Manager *m, struct nlmsghdr *h);
/* Record who plugged netN of container last (after an operation: its link may still be an unread event). */
int manager_set_plugged_by(Manager *m, const char *container, unsigned net, PluggedBy who);
/* One message of the registry's rtnetlink subscription (links, and the tc and bridge notes of bound ports). */
void registry_event_msg(Manager *m, struct nlmsghdr *h);

/*
 * Reload and SIGHUP: lxcnet.conf (and with it the storage networks), then
 * the kernel's view of every binding, saved. A bad lxcnet.conf keeps the
 * previous settings and is -EINVAL with d saying why; the rest is reloaded
 * all the same.
 */
int manager_reload_all(Manager *m, Diag *d);

int manager_save(Manager *m);

/*
 * The pinned datapath, opened if needed; NULL when none is pinned. Its pins
 * removed or replaced meanwhile, it is opened again (and said so).
 */
Datapath *manager_datapath(Manager *m);

/* Save within MANAGER_SAVE_DELAY_USEC, once for however many changes come meanwhile (and at exit). */
#define MANAGER_SAVE_DELAY_USEC (100 * 1000)
void manager_save_later(Manager *m);

/* sd_notify STATUS= with a one-line summary. */
void manager_status(Manager *m);

/* How a VNet operation failed; the bus names it org.lxcnet1.Error.*. */
typedef enum ManagerError {
	MANAGER_OK,
	MANAGER_NO_SUCH_BINDING,
	MANAGER_NO_SUCH_VNET,
	MANAGER_INVALID_CONFIG,
	MANAGER_BUSY,
	MANAGER_FAILED,
} ManagerError;


/*
 * The outcome of a request that ends later, on the main loop: r >= 0, or
 * r < 0 with the org.lxcnet1.Error name and a message.
 */
typedef void (*ManagerDone)(Manager *m, int r, const char *error_name, const char *message, void *userdata);

/* (vnet-plug.c) The org.lxcnet1.Error name of a ManagerError. */
const char *manager_error_name(ManagerError k);
/* *kind = k, and r. */
int manager_fail(ManagerError *kind, ManagerError k, int r);
/* Read the SDN config into e (the plug path uses it from there) and check that vnet is in it. */
int manager_load_vnet(Manager *m, PlugEnv *e, const char *vnet, ManagerError *kind, Diag *d);

/*
 * (vnet.c) BindVNet and UnbindVNet (vnet NULL): the validation plugins and
 * the legacy command run in the helper thread, the phase picks the path,
 * a failure lxcnet made falls back when allowed. done() gets the outcome
 * later, on the main loop: r < 0 with error_name and message when it
 * failed. Refused at once (no such binding, a VNet that cannot be used
 * here, a config the legacy command cannot get): < 0 with *kind and d, and
 * done() is not called.
 */
int manager_bind_request(Manager *m, const char *container, unsigned net, const char *vnet, ManagerDone done, void *userdata,
			 ManagerError *kind, Diag *d);
/* Whether a bind or unbind of container is under way (its kernel change may be done, its config line not yet). */
bool manager_bind_busy(Manager *m, const char *container);

/* Where a NIC on vnet is plugged on this node, or why it cannot be; _in: with e's rtnetlink and SDN config (read once). */
int manager_vnet_plug(Manager *m, const char *vnet, SdnPlug *ret, ManagerError *kind, Diag *d);
int manager_vnet_plug_in(Manager *m, PlugEnv *e, const char *vnet, SdnPlug *ret, ManagerError *kind, Diag *d);

/* The binding's netN as its container's config has it now; -ENOENT for an OCI or CNI port (no config lxcnetd reads). */
int manager_binding_net(Manager *m, const Binding *b, PveNet *ret);

/* (rollout.c) Read lxcnet.conf; on error the previous settings stay and d says why. */
int manager_load_conf(Manager *m, Diag *d);
/*
 * Write key: value to lxcnet.conf's node section, read the file back and
 * announce the Manager's property (EVENT_SETTINGS_CHANGED). On failure
 * *kind is MANAGER_INVALID_CONFIG (the file or the value) or MANAGER_FAILED.
 */
int manager_set_conf(Manager *m, const char *key, const char *value, const char *property, ManagerError *kind, Diag *d);
/* Count an operation on a path: ok or not, whether lxcnet fell back, how long it took. */
void manager_record_op(Manager *m, RolloutOp op, RolloutPath path, bool ok, bool fallback, uint64_t usec);
/*
 * The legacy command for hotplug and binds: "pct set VMID --netN SPEC", or
 * with spec NULL "pct set VMID --delete netN". Blocks (helper thread or
 * worker); 0 when it succeeded, else d has its first stderr line.
 */
int manager_run_pct(const char *pct, const char *container, unsigned net, const char *spec, Diag *d);
