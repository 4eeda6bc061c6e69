/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The one plug path: lxcnet-netup (and later hotplug, the OCI hook and the
 * CNI plugin) resolve a parsed netN to a bridge (directly or through an SDN
 * VNet) and plug a host veth into it with these functions, and nothing else.
 */

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "ct-netif.h"
#include "datapath.h"
#include "diag.h"
#include "lxcnet-conf.h"
#include "netlink-link.h"
#include "pve-netconf.h"
#include "sdn-config.h"

typedef struct PlugEnv {
	struct nl_sock *nl;  /* owned */
	const char *pve_dir; /* for the SDN config */
	char node[256];	     /* this node's name, for a zone's `nodes` */
	SdnConfig *sdn;	     /* loaded on first use of a VNet, owned */
	bool sdn_loaded;
	Datapath *dp;	     /* opened (loaded and pinned if needed) on first use, owned */
	FirewallMode fw_mode; /* lxcnet.conf "firewall" (plug_resolve_nic()) */
	bool fw_quiet;	      /* plug_resolve_nic() does not log why Proxmox's firewall enforces (t->fw_fallback) */
	int dp_error;	     /* why it could not be opened, once tried */
	char dp_reason[DIAG_MAX];
	struct nl_cache *qdiscs; /* the node's qdiscs, read once (plug_env_qdiscs()), owned */
} PlugEnv;

/* This node's name as Proxmox has it: the short host name. */
void plug_node_name(char *buf, size_t bufsz);

/* Open what plugging needs (rtnetlink, the node name); plug_env_done() releases it all. */
int plug_env_open(PlugEnv *e, const char *pve_dir);
void plug_env_done(PlugEnv *e);
/* Every qdisc of the node, dumped at the first call (for comparing shapers, shaper_get()). */
int plug_env_qdiscs(PlugEnv *e, struct nl_cache **ret);

/* Who enforces a NIC's Proxmox guest firewall (rules and policies of <vmid>.fw). */
typedef enum PlugFwEnforcer {
	FW_ENFORCER_NONE,		/* not in effect: no filter, or lxcnet's own anti-spoofing with firewall always */
	FW_ENFORCER_PROXMOX_IPTABLES,	/* pve-firewall, on Proxmox's firewall bridge (fw-bridge.h), which lxcnet builds */
	FW_ENFORCER_PROXMOX_NFTABLES,	/* proxmox-firewall, on the veth in the bridge */
	FW_ENFORCER_LXCNET,		/* lxcnet's eBPF guest firewall (fw-compile.h), on the veth in the bridge */
} PlugFwEnforcer;

/* "none", "proxmox-iptables", "proxmox-nftables", "lxcnet": as the Binding object and lxcnetctl show it. */
const char *plug_fw_enforcer_name(PlugFwEnforcer f);

/*
 * Who enforces Proxmox's guest firewall for netIDX (n) of container vmid
 * on this node: in effect when cluster.fw and <vmid>.fw both say enable: 1
 * and the NIC firewall=1 (pve-fwconf.h); then with mode FIREWALL_LXCNET
 * lxcnet when it compiles the guest's firewall (into ret_fw unless NULL),
 * else the backend Proxmox runs, and why_not (unless NULL, DIAG_MAX bytes)
 * says why lxcnet does not. FW_ENFORCER_NONE for a container that is no
 * Proxmox VMID. A firewall file that exists but cannot be read is an
 * error: never guessed open.
 */
int plug_fw_enforcer(const char *pve_dir, const char *node, const char *vmid, unsigned idx, const PveNet *n,
		     FirewallMode mode, PlugFwEnforcer *ret, DatapathFw *ret_fw, char *why_not, Diag *d);

typedef struct PlugTarget {
	char bridge[IFNAMSIZ];
	int bridge_ifindex;
	uint32_t bridge_mtu;
	char vnet[SDN_ID_MAX + 1]; /* "" when the NIC names a bridge directly */
	uint16_t vlan_tag;	   /* pushed for the VNet (vlan/qinq zone), 0 = none */
	uint16_t service_tag;	   /* qinq outer tag, 0 = none */
	uint16_t service_proto;	   /* qinq: 0x8100 or 0x88a8 */
	struct lxcnet_port policy; /* what the datapath enforces on the port */
	struct lxcnet_trunks trunks; /* the VLANs it passes tagged */
	double rate;		   /* MiB/s both ways, 0 = none */
	bool needs_datapath;	   /* the policy does more than drop tagged frames */
	PlugFwEnforcer fw_enforcer; /* plug_resolve_nic(): who enforces Proxmox's guest firewall */
	DatapathFw fw;		    /* FW_ENFORCER_LXCNET: that firewall */
	char fw_fallback[DIAG_MAX]; /* why lxcnet's does not enforce it where it would ("" otherwise) */
	/*
	 * A VLAN-aware bridge (vlan_filtering 1) tags itself, as Proxmox's
	 * tap_plug has it: the port's VLAN membership does what the datapath
	 * does on other bridges, which then only filters and counts.
	 */
	bool bridge_vlan_aware;
	uint16_t bridge_vlan_proto;    /* its VLAN protocol, host order */
	uint16_t port_pvid;	       /* the port's untagged VLAN there (PVID) */
	struct lxcnet_trunks port_vids; /* and its tagged ones */
	/* tag=N on a bridge that is not VLAN-aware, where Proxmox made <bridge>vN: that bridge, untagged. */
	bool proxmox_vlan_bridge;
} PlugTarget;

/* Free what t owns (its guest firewall's rules); t may be resolved again after. */
void plug_target_done(PlugTarget *t);

/*
 * Where netN plugs on this host, and whether it can be: the bridge or VNet
 * exists (VNet allowed on this node), `mtu` is not above the bridge MTU,
 * `tag`/`trunks` are allowed on the VNet, and whatever the NIC needs from
 * the datapath is available. d starts with the key: "mtu: 9000 is bigger ...".
 */
int plug_resolve(PlugEnv *e, const PveNet *n, PlugTarget *ret, Diag *d);
/*
 * The plug of netIDX of container ct (a Proxmox VMID, or a plain LXC
 * container's name) as n says: plug_resolve(), then who enforces its
 * Proxmox guest firewall (t->fw_enforcer; t->fw when lxcnet's eBPF
 * firewall does). With proxmox-firewall (nftables) the veth on the bridge
 * is what it filters; with pve-firewall (iptables) the rules apply on
 * Proxmox's firewall bridge, which plug_host_veth() then builds; not in
 * effect, Proxmox filters nothing. Unless e->fw_mode is FIREWALL_ALWAYS,
 * lxcnet's own anti-spoofing is then taken off t, and a Proxmox
 * container's firewall=1 NIC needs no hwaddr. A plain LXC container has no
 * Proxmox firewall: lxcnet's anti-spoofing stays. -errno with
 * *ret_invalid (may be NULL) when plug_resolve() failed (the request or
 * config is wrong), without when lxcnet cannot enforce the firewall here.
 */
int plug_resolve_nic(PlugEnv *e, const char *ct, unsigned idx, const PveNet *n, PlugTarget *ret, bool *ret_invalid, Diag *d);
/* The journal line that says why Proxmox's firewall, not lxcnet's, enforces netIDX (t->fw_fallback). */
void plug_log_fw_fallback(const char *vmid, unsigned idx, const PlugTarget *t);

/*
 * Plug host interface ifname as netN: datapath policy set and attached
 * first, then MTU of the bridge, enslaved and up; or, for link_down=1, down
 * and not enslaved. A failure restores the interface's previous master, MTU
 * and state and removes the datapath entry. Without a usable datapath a
 * port that needs none is plugged all the same (a warning says so).
 *
 * As Proxmox's tap_plug, a Proxmox-named veth's firewall bridge left from
 * before goes first. Under pve-firewall (t->fw_enforcer) ifname is plugged
 * into a new firewall bridge (fw-bridge.h) instead, with the datapath and
 * the shaper on its fwpr end in the bridge; a failure removes it again.
 */
int plug_host_veth(PlugEnv *e, const char *ifname, const PveNet *n, const PlugTarget *t, Diag *d);

/* The MTU of the NIC: its `mtu`, else the bridge's. */
uint32_t plug_nic_mtu(const PveNet *n, const PlugTarget *t);

/*
 * Entry points that make the pair themselves (hotplug, the OCI hook, the
 * CNI plugin): n's interface in ns and its host end host_ifname, plugged as
 * plug_host_veth() does; alias (may be NULL) marks the host end as lxcnet's
 * for what has no VMID in its name. On failure nothing is left.
 */
int plug_netns_add(PlugEnv *e, CtNetns *ns, const char *host_ifname, const char *alias, const PveNet *n, const PlugTarget *t,
		   Diag *d);

/*
 * Unplug and delete host interface ifname (its container end goes with it):
 * datapath entry and shaper first, and its firewall bridge (fw-bridge.h).
 * 0 when there is no such interface. With del, the deletion of ifname goes
 * on in a thread (see link_delete_start()).
 */
int plug_remove(PlugEnv *e, const char *ifname, LinkDeletion *del);
/*
 * plug_remove() for a process that exits right after (the CNI plugin's
 * DEL, the OCI hook's poststop; no Proxmox firewall bridge there): the
 * datapath slot and the names of the veth and its ifb are gone when it
 * returns, the kernel's slow part runs on in a detached process
 * (link_delete_detached()).
 */
int plug_remove_detached(PlugEnv *e, const char *ifname);

/*
 * Whether host interface ifname exists and is the one alias marks: 1 (and
 * *ret), 0 when there is no such interface, -EEXIST when the name is taken
 * by another (a hash collision, or not lxcnet's), or -errno.
 */
int plug_owned(PlugEnv *e, const char *ifname, const char *alias, LinkInfo *ret);

/*
 * Remove what the datapath and the shaper keep for interfaces that are gone
 * (any container's): after a stop, when the pair died with the namespace.
 */
int plug_sweep(PlugEnv *e);

/*
 * A host interface name for entry points whose containers have no short
 * name: prefix, 8 hex digits of a hash of key, and "i<index>" unless index
 * is negative ("oci1b2c3d4ei0"). Different keys can meet: the alias says
 * whose an interface is.
 */
void plug_hashed_ifname(char ret[IFNAMSIZ], const char *prefix, const char *key, int index);

/*
 * Whose a host end of the OCI hook or the CNI plugin is, as its alias
 * says: "lxcnet-oci <id> net<N>", "lxcnet-cni <network> <id> <ifname>".
 */
#define PLUG_OWNER_ID_MAX 200	   /* a container id, no white space */
#define PLUG_OWNER_NETWORK_MAX 64 /* a CNI network name (CNI_NAME_MAX, cni_name_valid()) */
typedef struct PlugOwner {
	bool cni;
	char container[PLUG_OWNER_ID_MAX + 1];
	unsigned net;				   /* OCI: N of netN */
	char network[PLUG_OWNER_NETWORK_MAX + 1]; /* CNI: the network */
	char ifname[IFNAMSIZ];			   /* CNI: the interface in the container */
} PlugOwner;

/* The alias for o (LINK_ALIAS_MAX bytes at most, truncated beyond). */
void plug_owner_alias(const PlugOwner *o, char *ret, size_t size);
/* An alias as plug_owner_alias() writes it; -EINVAL when it is not one. */
int plug_owner_parse(const char *alias, PlugOwner *ret);
/* A CNI attachment's NIC as the API names it, "<network>/<ifname>", into ret's cni, network and ifname; -EINVAL when it is not one. */
int plug_owner_parse_nic(const char *nic, PlugOwner *ret);

/* Whether bridge names an SDN VNet (false when the SDN configuration cannot be read). */
bool plug_names_vnet(PlugEnv *e, const char *bridge);

/*
 * Who plugs n at its container's start (the net-up operation) under conf,
 * in *ret; true when its bridge names an SDN VNet, which is looked up only
 * below phase full, where the class of the NIC matters (reading the SDN
 * configuration costs).
 */
bool plug_net_up_decision(PlugEnv *e, const LxcnetConf *conf, const PveNet *n, RolloutDecision *ret);

/*
 * Tests make lxcnet fail on purpose: while the file named by
 * $LXCNET_TEST_FAIL exists, plug_host_veth() fails after its last step (and
 * undoes them all), as a real failure would.
 */
bool plug_test_failure(void);
