/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The eBPF datapath from user space: load bpf/port.bpf.c once and pin its
 * programs and maps under <root>/<ABI> (root /sys/fs/bpf/lxcnet, or
 * $LXCNET_BPF_ROOT), so that every hook, the agent and the kernel share one
 * policy map and traffic keeps its policy with no lxcnet process running.
 * A new ABI pins beside the old one: ports attached before an upgrade keep
 * the old programs and maps until their container restarts.
 */

#include <stdbool.h>
#include <stdint.h>

#include "../bpf/port-abi.h"
#include "diag.h"
#include "macro.h"

/* The maps of the guest firewall's rules (their fds), as datapath_fw_rules_write() writes them. */
typedef struct DatapathFwMaps {
	int match_fd; /* lxcnet_fw_match: the rules by field value, prefixes */
	int exact_fd; /* lxcnet_fw_exact: and whole values */
	int bits_fd;  /* lxcnet_fw_bits: their chunks beyond the first 256 rules */
	int rules_fd; /* lxcnet_fw_rules: each port's rules (an array each): verdict, test and counters */
} DatapathFwMaps;

/* Those of a port program's skeleton (port.skel.h), as the tests load it. */
#define DATAPATH_FW_MAPS_OF(skel)                                                                               \
	((DatapathFwMaps){ .match_fd = bpf_map__fd((skel)->maps.lxcnet_fw_match),                              \
			   .exact_fd = bpf_map__fd((skel)->maps.lxcnet_fw_exact),                              \
			   .bits_fd = bpf_map__fd((skel)->maps.lxcnet_fw_bits),                                \
			   .rules_fd = bpf_map__fd((skel)->maps.lxcnet_fw_rules) })

typedef struct Datapath {
	char *pin_dir;
	int ports_fd;	 /* lxcnet_ports: slot -> policy */
	int counters_fd; /* lxcnet_counters: slot -> per-CPU packets and bytes */
	int trunks_fd;	 /* lxcnet_trunks: slot -> VLAN bitmap */
	int drops_fd;	 /* lxcnet_drops: slot -> drops by reason */
	int slots_fd;	 /* lxcnet_slots: ifindex -> slot */
	int fw_fd;	 /* lxcnet_fw: slot -> guest firewall */
	int fw_ipset_fd; /* lxcnet_fw_ipset: (slot, family, address) -> in the ipfilter set or not */
	int ct4_fd;	 /* lxcnet_ct4: IPv4 connections */
	int ct6_fd;	 /* lxcnet_ct6: IPv6 connections */
	int ct_seen_fd;	 /* lxcnet_ct_seen: the filter of the connections they may hold */
	int edt_fd;	 /* lxcnet_edt: slot -> next departure time to the container */
	DatapathFwMaps fw_rules; /* the guest firewall's rules */
	int ingress_fd;
	int egress_fd;
} Datapath;

void datapath_free(Datapath *dp);
DEFINE_TRIVIAL_CLEANUP_FUNC(Datapath, datapath_free);

/*
 * Open the pinned datapath. With load, load and pin it first if needed
 * (mounting bpffs if needed); without, -ENOENT when nothing is pinned.
 */
int datapath_open(bool load, Datapath **ret, Diag *d);

/*
 * Are dp's maps still the pinned ones? False once the pins were removed (a
 * hook then pins a new datapath) or replaced: open it again.
 */
bool datapath_current(const Datapath *dp);

/*
 * Does lxcnet's filter on ifindex run a program that is pinned under no ABI
 * any more (its pins were removed)? Its policy and counters can then be
 * neither read nor changed; replugging the port (or restarting its
 * container) puts it on the pinned datapath.
 */
bool datapath_port_orphaned(int ifindex);
/*
 * Whether any port can be orphaned: a loaded program named like lxcnet's
 * tc_ingress that is pinned nowhere under the pin root. One walk over the
 * loaded programs instead of a tc query per port.
 */
bool datapath_orphans_possible(void);

/*
 * Set ifindex's policy (its ifindex and LXCNET_PORT_TRUNKS flag are filled
 * in here) and trunks (NULL: none), taking a slot for the port if it has
 * none yet, then attach both programs to it (tc clsact ingress and egress)
 * with the slot as classid. Setting an attached port's policy again keeps
 * its slot and counters.
 */
int datapath_port_set(Datapath *dp, int ifindex, const struct lxcnet_port *policy, const struct lxcnet_trunks *trunks,
		      Diag *d);

/*
 * A port's Proxmox guest firewall in the datapath (bpf/guest-fw.h): its
 * settings (ifindex and gen are filled in) and its ipfilter set, entries
 * of family 4, 6 or LXCNET_FW_FAMILY_ARP with their prefix length.
 */
#define DATAPATH_FW_SET_MAX 256
typedef struct DatapathFwEntry {
	uint32_t family;
	uint8_t addr[16];
	uint8_t prefixlen;
	bool nomatch;
} DatapathFwEntry;

struct FwClassifier;
typedef struct DatapathFw {
	struct lxcnet_fw fw;
	struct FwClassifier *rules; /* the guest's rules as the datapath's classifier (NULL: none); owned */
	char **warnings;	    /* rules skipped as pve-firewall skips them (file:line: why); owned */
	DatapathFwEntry set[DATAPATH_FW_SET_MAX];
	size_t n_set;
} DatapathFw;

/*
 * Write the classifier c of slot's rules as rules generation gen into the
 * maps m; datapath_port_set_fw() does it for a port, beside the rules in
 * force.
 */
int datapath_fw_rules_write(const DatapathFwMaps *m, uint32_t slot, uint32_t gen, const struct FwClassifier *c);

/*
 * An fd of the array of slot's rules of generation gen's place in
 * lxcnet_fw_rules (rules_fd), whose rules_gen says whose it is; -ENOENT
 * when the place is empty, another negative errno when it cannot be opened.
 */
int datapath_fw_rules_array(int rules_fd, uint32_t slot, uint32_t gen);

/* Free what f owns (its rules and warnings); f is empty of them after, and may be filled again. (fw-classify.c) */
void datapath_fw_done(DatapathFw *f);
/* datapath_fw_done(), then free(f). */
void datapath_fw_free(DatapathFw *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(DatapathFw, datapath_fw_free);

/*
 * datapath_port_set() with the guest firewall fw (NULL: none). The
 * firewall and its set are in place before the policy that sends frames
 * through them. Setting it again on the same port keeps its connections;
 * a port new to its slot starts with none.
 */
int datapath_port_set_fw(Datapath *dp, int ifindex, const struct lxcnet_port *policy, const struct lxcnet_trunks *trunks,
			 const DatapathFw *fw, Diag *d);

/* The guest firewall in force on ifindex, with its set (its rules only as fw.n_rules and fw.rules_hash); -ENOENT when it has none. */
int datapath_port_fw(Datapath *dp, int ifindex, DatapathFw *ret);

/*
 * The counters and verdicts of the rules in force on ifindex: *ret holds
 * ret_fw->n_rules[LXCNET_FROM_CT] OUT rules, then the IN rules, by index
 * (free() it). -ENOENT when the port has no guest firewall.
 */
int datapath_port_fw_rules(Datapath *dp, int ifindex, struct lxcnet_fw *ret_fw, struct lxcnet_fw_rule **ret);

/* Whether two firewalls are the same (their sets as sets: order and repeats aside; rules by their hash); ifindex and gen are not compared. */
bool datapath_fw_equal(const DatapathFw *a, const DatapathFw *b);

/* Detach lxcnet's filters (and only those) and give the port's slot back; idempotent. */
int datapath_port_clear(Datapath *dp, int ifindex);

/* The policy (and trunks, unless ret_trunks is NULL) in force on ifindex; -ENOENT when there is none. */
int datapath_port_get(Datapath *dp, int ifindex, struct lxcnet_port *ret, struct lxcnet_trunks *ret_trunks);

/* The port's counters summed over CPUs; -ENOENT if it has no policy. */
int datapath_port_stats(Datapath *dp, int ifindex, struct lxcnet_port_stats *ret);

/* Give back the slots of interfaces that no longer exist. */
int datapath_sweep(Datapath *dp, unsigned *ret_removed);

/*
 * The connection filter (lxcnet_ct_seen, bpf/port-abi.h): renewed when at
 * least min_fill bytes of the filter in use are set (0: always). The other
 * filter is cleared, every key lxcnet_ct4 and lxcnet_ct6 hold is marked in
 * it, and the program switches to it. One renewer at a time (lxcnetd).
 */
#define DATAPATH_CT_SEEN_RENEW_FILL (LXCNET_CT_SEEN_BYTES / 16)
typedef struct DatapathCtSeen {
	bool renewed;
	unsigned in_use;    /* the filter in use after it (0 or 1) */
	size_t set_before;  /* bytes set in the filter in use before */
	size_t set_after;   /* and after (set_before when not renewed) */
	size_t connections; /* keys marked (when renewed) */
} DatapathCtSeen;
int datapath_ct_seen_renew(int seen_fd, int ct4_fd, int ct6_fd, size_t min_fill, DatapathCtSeen *ret);

/* "vlan-in", "spoofed-mac", ...: a drop reason as the API and metrics name it. */
const char *datapath_drop_reason(unsigned reason);
/* "ACCEPT", "DROP" or "REJECT" for an enum lxcnet_fw_verdict. */
const char *datapath_fw_verdict_name(unsigned verdict);
