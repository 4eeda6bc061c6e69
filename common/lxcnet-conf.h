/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lxcnet's own configuration, <conf-dir>/lxcnet.conf, in Proxmox's section
 * config syntax, and the rollout decision made from it:
 *
 *   lxcnet: node
 *           phase basic
 *           fallback on
 *           legacy-net-up /usr/share/lxc/lxcnetaddbr
 *           legacy-pct /usr/sbin/pct
 *           plugin-timeout 5
 *           firewall proxmox
 *           reconcile on
 *
 *   operation: hotplug-add
 *           path legacy
 *           fallback off
 *
 * A missing file means the defaults (phase full, fallback off). The
 * environment variable LXCNET_PHASE overrides the phase of whoever reads it
 * (a hook, the agent). The example contrib/lxcnet.conf.example documents
 * every key; lxcnet.conf(5) is the reference.
 */

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "macro.h"
#include "pve-netconf.h"

#define LXCNET_CONF_FILE "lxcnet.conf"
#define LXCNET_LEGACY_NET_UP_DEFAULT "/usr/share/lxc/lxcnetaddbr"
/* Where Proxmox's lxcnetaddbr is once the lxcnet package diverted it (and put lxcnet-netup in its place). */
#define LXCNET_LEGACY_NET_UP_DIVERTED "/usr/share/lxc/lxcnetaddbr.distrib"
#define LXCNET_LEGACY_PCT_DEFAULT "/usr/sbin/pct"
#define LXCNET_PLUGIN_TIMEOUT_DEFAULT_MS 5000u
#define LXCNET_PLUGIN_TIMEOUT_MAX_S 3600u

/*
 * Who enforces Proxmox's guest firewall on a NIC where it is in effect
 * (lxcnet.conf "firewall"). Where it is not, nothing is filtered, as on
 * Proxmox, except with FIREWALL_ALWAYS.
 */
typedef enum FirewallMode {
	FIREWALL_LXCNET,  /* default: lxcnet's eBPF guest firewall where it compiles the guest's, else Proxmox's */
	FIREWALL_PROXMOX, /* Proxmox's firewall, always */
	FIREWALL_ALWAYS,  /* Proxmox's, and lxcnet's own anti-spoofing on every firewall=1 NIC (stricter) */
	_FIREWALL_MAX,
} FirewallMode;

const char *firewall_mode_name(FirewallMode m);

/* From "everything legacy" to "everything lxcnet"; each phase adds one class of operation. */
typedef enum RolloutPhase {
	PHASE_LEGACY,	/* every operation through the legacy commands */
	PHASE_OBSERVE,	/* legacy commands plug; lxcnet records bindings and metrics */
	PHASE_BASIC,	/* lxcnet plugs plain bridge NICs */
	PHASE_ADVANCED, /* + tag, trunks, rate, firewall */
	PHASE_SDN,	/* + VNet NICs and VNet binds */
	PHASE_FULL,	/* + hotplug: everything */
	_PHASE_MAX,
} RolloutPhase;

typedef enum PhaseSource {
	PHASE_FROM_DEFAULT,
	PHASE_FROM_CONFIG,
	PHASE_FROM_ENVIRONMENT,
} PhaseSource;

/* The operations a phase routes, each overridable in an `operation:` section. */
typedef enum RolloutOp {
	ROP_NET_UP,	    /* lxcnet-netup at container start */
	ROP_HOTPLUG_ADD,    /* AddInterface */
	ROP_HOTPLUG_REMOVE, /* RemoveInterface */
	ROP_HOTPLUG_UPDATE, /* UpdateInterface */
	ROP_VNET_BIND,	    /* BindVNet and UnbindVNet */
	_ROP_MAX,
} RolloutOp;

/* What a NIC needs, which decides the phase that lets lxcnet plug it. */
typedef enum NicClass {
	NIC_PLAIN,    /* a bridge, maybe mtu/link_down */
	NIC_ADVANCED, /* tag, trunks, rate or firewall */
	NIC_VNET,     /* its bridge names an SDN VNet */
	_NIC_MAX,
} NicClass;

typedef enum RolloutPath {
	PATH_LXCNET,
	PATH_LEGACY,
	PATH_OBSERVE, /* legacy, recorded by lxcnet */
	_PATH_MAX,
} RolloutPath;

typedef struct RolloutOverride {
	int path;     /* a RolloutPath, or -1: as the phase says */
	int fallback; /* 0, 1, or -1: the global setting */
	unsigned line;
} RolloutOverride;

/*
 * A storage network (storage-network: <id>): the host's storage traffic on
 * interface, tagged vlan on the wire, to the endpoints of storages (ids in
 * storage.cfg) and of allow, optionally shaped to rate MiB/s each way.
 */
typedef struct StorageNetConf {
	char *id;
	char *interface;
	unsigned vlan; /* 0: none */
	char **storages;
	size_t n_storages;
	double rate; /* MiB/s; 0: none */
	char **allow; /* "tcp/22", "udp/123" (to every endpoint), or an address or DNS name (allowed everything) */
	size_t n_allow;
	unsigned line;
} StorageNetConf;

void storage_net_conf_done(StorageNetConf *s);

/* An allow item: a protocol port to every endpoint, or a host allowed everything. */
typedef struct StorageAllow {
	bool is_port;
	uint8_t proto; /* IPPROTO_TCP, IPPROTO_UDP */
	uint16_t port;
	char host[256];
} StorageAllow;

int storage_allow_parse(const char *item, StorageAllow *ret);

/* Set one key of s from its text as lxcnet.conf has it ("vlan", "50"); d says "vlan: ..." on error. */
int storage_net_conf_set(StorageNetConf *s, const char *key, const char *value, Diag *d);
/* After the keys: what must be there is there. */
int storage_net_conf_finish(const StorageNetConf *s, Diag *d);
/* s as a section: "storage-network: <id>\n\tinterface ...\n". */
int storage_net_conf_format(const StorageNetConf *s, char **ret);

typedef struct LxcnetConf {
	char *path; /* the file read (it may not exist) */
	bool exists;
	RolloutPhase phase;
	PhaseSource phase_source;
	RolloutPhase config_phase; /* what the file says (or the default) */
	bool fallback;
	char *legacy_net_up;
	char *legacy_pct;
	unsigned plugin_timeout_ms;
	FirewallMode firewall;
	/* reconcile on (default): lxcnetd converges running containers' ports on their config (agent/reconcile.h). */
	bool reconcile;
	RolloutOverride ops[_ROP_MAX];
	StorageNetConf *storage_nets;
	size_t n_storage_nets;
} LxcnetConf;

void lxcnet_conf_free(LxcnetConf *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(LxcnetConf, lxcnet_conf_free);

/* Parse text (name for messages); then apply LXCNET_PHASE if env_phase is not NULL. */
int lxcnet_conf_parse(const char *name, const char *text, size_t size, const char *env_phase, LxcnetConf **ret, Diag *d);
/* <conf_dir>/lxcnet.conf, defaults when it does not exist, $LXCNET_PHASE applied. */
int lxcnet_conf_load(const char *conf_dir, LxcnetConf **ret, Diag *d);

const char *rollout_phase_name(RolloutPhase p);
int rollout_phase_from_string(const char *s); /* -EINVAL if unknown */
const char *rollout_op_name(RolloutOp op);
int rollout_op_from_string(const char *s);
const char *rollout_path_name(RolloutPath p);
int rollout_path_from_string(const char *s);
const char *nic_class_name(NicClass c);
const char *phase_source_name(PhaseSource s);
/* "legacy, observe, basic, advanced, sdn, full" for messages. */
#define ROLLOUT_PHASE_LIST "legacy, observe, basic, advanced, sdn, full"

/* The class of a NIC; is_vnet: its bridge names an SDN VNet. */
NicClass rollout_nic_class(const PveNet *n, bool is_vnet);

typedef struct RolloutDecision {
	RolloutPath path;
	bool fallback;	 /* PATH_LXCNET only: retry through the legacy command if lxcnet fails */
	char reason[160]; /* "phase basic delegates tag/trunks/rate/firewall NICs (from advanced)" */
} RolloutDecision;

/* Who performs op on a NIC of class cls (ignored for hotplug and binds), and why. */
void rollout_decide(const LxcnetConf *c, RolloutOp op, NicClass cls, RolloutDecision *ret);

/*
 * Set "key value" in the first section of type type (whatever its id), or
 * append "type: id" with it; comments, other sections and keys are kept.
 */
int lxcnet_conf_edit(const char *text, const char *type, const char *id, const char *key, const char *value, char **ret);
/* The same on <conf_dir>/lxcnet.conf: validated, then written atomically (0644, created if missing). */
int lxcnet_conf_set(const char *conf_dir, const char *type, const char *id, const char *key, const char *value, Diag *d);

const StorageNetConf *lxcnet_conf_storage_net(const LxcnetConf *c, const char *id);

/* Replace the section "type: id" of text by section (a whole "type: id\n\tkey value\n" block), append it, or with section NULL remove it. */
int lxcnet_conf_edit_section(const char *text, const char *type, const char *id, const char *section, char **ret);
/* The same on <conf_dir>/lxcnet.conf, validated and written atomically like lxcnet_conf_set(). */
int lxcnet_conf_set_section(const char *conf_dir, const char *type, const char *id, const char *section, Diag *d);
