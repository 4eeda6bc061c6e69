/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox's firewall configuration files, read as pve-firewall reads them:
 *
 *   <pve-dir>/firewall/cluster.fw         [OPTIONS] [ALIASES] [IPSET x] [RULES] [group x]
 *   <pve-dir>/nodes/<node>/host.fw        [OPTIONS] [RULES] (nftables: 1 picks proxmox-firewall)
 *   <pve-dir>/firewall/<vmid>.fw          [OPTIONS] [ALIASES] [IPSET x] [RULES]
 *
 * Section names and option keys are case-insensitive, lines are trimmed,
 * '#' starts a comment line. Like pve-firewall, a line it cannot use is
 * skipped, not fatal: an option it does not know or whose value it refuses,
 * a line before any section, a bad ipset entry. Each such line is kept in
 * problems[] as "<file>:<line>: <reason>", so that nothing is dropped
 * silently. Only a file that cannot be read at all is an error.
 *
 * Rules are kept as written (with their line), for the eBPF firewall to
 * compile; this reader gives meaning to the options and ipsets.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "diag.h"
#include "macro.h"
#include "pve-netconf.h"

#define FW_FILE_SIZE_MAX (16u * 1024 * 1024)
#define FW_NAME_MAX 64	     /* ipset and alias names (pve-firewall's limit) */
#define FW_GROUP_NAME_MAX 18 /* security group names */

typedef enum FwFileKind {
	FW_CLUSTER,
	FW_HOST,
	FW_GUEST,
} FwFileKind;

typedef enum FwVerdict {
	FW_VERDICT_UNSET,
	FW_ACCEPT,
	FW_DROP,
	FW_REJECT,
} FwVerdict;

/* -1: the option is not set (absent, or its value was refused). */
typedef struct FwOptions {
	int64_t enable; /* cluster.fw: 0, 1, or a time (temporary enable, see fw_cluster_enabled()) */
	int macfilter, ipfilter, dhcp, ndp, radv; /* guest */
	int nftables;				  /* host */
	FwVerdict policy_in, policy_out;	  /* guest and cluster */
} FwOptions;

typedef struct FwLine {
	char *text; /* trimmed, as written */
	unsigned line;
} FwLine;

typedef struct FwIpsetEntry {
	char *cidr; /* an address, a CIDR, or an alias name ("dc/" and "guest/" scopes allowed) */
	bool nomatch;
	unsigned line;
} FwIpsetEntry;

typedef struct FwIpset {
	char *name; /* lower-cased */
	unsigned line;
	FwIpsetEntry *entries;
	size_t n_entries;
} FwIpset;

typedef struct FwAlias {
	char *name; /* lower-cased */
	char *cidr;
	unsigned line;
} FwAlias;

typedef struct FwGroup {
	char *name; /* lower-cased */
	unsigned line;
	FwLine *rules;
	size_t n_rules;
} FwGroup;

typedef struct FwConfig {
	char *name; /* for messages: "100.fw" */
	FwFileKind kind;
	FwOptions options;
	FwLine *unknown_options; /* "key: value" lines kept but not used */
	size_t n_unknown_options;
	FwAlias *aliases;
	size_t n_aliases;
	FwIpset *ipsets;
	size_t n_ipsets;
	FwLine *rules;
	size_t n_rules;
	FwGroup *groups; /* cluster.fw only */
	size_t n_groups;
	char **problems; /* "<name>:<line>: <reason>" for every line skipped */
	size_t n_problems;
} FwConfig;

void fw_config_free(FwConfig *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(FwConfig, fw_config_free);

int fw_config_parse(const char *name, FwFileKind kind, const char *data, size_t size, FwConfig **ret, Diag *d);
/* Read and parse a file; a missing one is -ENOENT (pve-firewall then reads it as empty: nothing enabled). */
int fw_config_load(const char *path, FwFileKind kind, FwConfig **ret, Diag *d);

/* The value of a kept option ("ips: 1" gives "1"; key in lower case), or NULL when it is not set. */
const char *fw_config_option(const FwConfig *c, const char *key);

/* The ipset named so (case-insensitive), or NULL. */
const FwIpset *fw_config_find_ipset(const FwConfig *c, const char *name);

/* cluster.fw's enable: 1, or a time no more than 60 s before now (pve-firewall's temporary enable). */
bool fw_cluster_enabled(const FwConfig *cluster, time_t now);

/*
 * What Proxmox's firewall does for one container NIC (netIDX, n). It is in
 * effect only when cluster.fw and <vmid>.fw both say enable: 1 and the NIC
 * says firewall=1; then the MAC filter is on unless macfilter: 0, the IP
 * filter only with ipfilter: 1 or an [IPSET ipfilter-netIDX], DHCP and NDP
 * allowed unless turned off, router advertisements from the guest dropped
 * unless radv: 1, and the policies default to DROP in and ACCEPT out.
 * cluster or guest NULL: that file does not exist.
 */
typedef struct FwNicPolicy {
	bool effective;
	bool macfilter, ipfilter, dhcp, ndp, radv;
	FwVerdict policy_in, policy_out;
	const FwIpset *ipfilter_set; /* the guest's ipfilter-netIDX, or NULL */
} FwNicPolicy;

void fw_nic_policy(const FwConfig *cluster, const FwConfig *guest, unsigned idx, const PveNet *n, time_t now,
		   FwNicPolicy *ret);

/* Which of Proxmox's firewalls filters guests on this node. */
typedef enum FwBackend {
	FW_BACKEND_IPTABLES, /* pve-firewall: fwbr/fwln/fwpr plumbing per firewalled NIC */
	FW_BACKEND_NFTABLES, /* proxmox-firewall: rules keyed on the tap/veth on the bridge itself */
} FwBackend;

/*
 * As Proxmox decides: nftables when the force-disable flag file is absent,
 * host.fw (NULL: none) says nftables: 1, and proxmox-firewall is installed;
 * else iptables.
 */
FwBackend fw_backend(const FwConfig *host, bool force_disabled, bool nft_installed);
#define FW_NFT_FORCE_DISABLE_FILE "/run/proxmox-nftables-firewall-force-disable"
#define FW_NFT_BINARY "/usr/libexec/proxmox/proxmox-firewall"

const char *fw_verdict_name(FwVerdict v);
const char *fw_backend_name(FwBackend b);
