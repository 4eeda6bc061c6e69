/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * host-local, the CNI reference IPAM plugin, done inside lxcnet-cni so that
 * an attachment costs no second process (about 5 ms of Go start-up). It is
 * host-local's behaviour, not a look-alike:
 * - the same configuration: "ranges" (range sets of subnet, rangeStart,
 *   rangeEnd, gateway), the single range of old at the top of "ipam",
 *   "routes", "dataDir", "resolvConf"; static addresses from CNI_ARGS IP,
 *   args.cni.ips and runtimeConfig.ips;
 * - the same files in <dataDir>/<network name>: one per address, named
 *   after it, holding "<container id>\r\n<ifname>" (a file holding the id
 *   alone, from host-local before 0.7, is released with it too);
 *   last_reserved_ip.<range set index>; flock() on "lock";
 * - the same order: round robin from the last address reserved, the
 *   gateway skipped, range after range of a set.
 * So the plugin binary and lxcnet-cni can share one network's addresses,
 * and either can release what the other reserved.
 *
 * What host-local reads differently from this reader is left to host-local
 * itself: host_local_parse() returns 0 for a key it does not know under a
 * known name's spelling in another case (Go's JSON matches names without
 * case), runtimeConfig.ipRanges, route keys other than dst and gw, a value
 * it cannot read, an invalid or overlapping range, an IPv4-mapped IPv6
 * address, or CNI_ARGS host-local would refuse. The caller runs the plugin
 * then, which gives its own answer (and its own error).
 */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

#define HOST_LOCAL_DATA_DIR "/var/lib/cni/networks"

typedef struct HostLocalAddr {
	int family;   /* AF_INET or AF_INET6 */
	uint8_t a[16]; /* network order; 4 bytes for IPv4 */
} HostLocalAddr;

typedef struct HostLocalRange {
	HostLocalAddr subnet, start, end, gateway;
	unsigned prefix;
} HostLocalRange;

typedef struct HostLocalSet {
	HostLocalRange *ranges;
	size_t n;
} HostLocalSet;

typedef struct HostLocal {
	char *dir; /* <dataDir>/<network name> */
	HostLocalSet *sets;
	size_t n_sets;
	HostLocalAddr *requested; /* static addresses asked for, each once */
	size_t n_requested;
	json_object *routes; /* as host-local prints them; NULL: none */
	char *resolv_conf;   /* NULL: none */
} HostLocal;

/*
 * Read the network configuration conf (its "ipam" is host-local's) and
 * CNI_ARGS (may be NULL). 1: *ret is filled (host_local_done() frees it);
 * 0: host-local reads it otherwise or refuses it, why says what (run the
 * plugin); -ENOMEM.
 */
int host_local_parse(json_object *conf, const char *cni_args, HostLocal *ret, Diag *why);
void host_local_done(HostLocal *h);

/*
 * ADD: an address from each range set for container id's ifname, the
 * static ones where asked. *ret is host-local's result: ips (address,
 * gateway), routes, dns. On failure nothing stays reserved and d says why
 * in host-local's words.
 */
int host_local_add(const HostLocal *h, const char *id, const char *ifname, json_object **ret, Diag *d);

/* DEL: release what container id's ifname holds. No reservation is not an error. */
int host_local_del(const HostLocal *h, const char *id, const char *ifname, Diag *d);

/* CHECK: 1 when container id's ifname holds an address, 0 when not. */
int host_local_check(const HostLocal *h, const char *id, const char *ifname, Diag *d);

/*
 * GC: release every reservation whose attachment is not in valid (an array
 * of {containerID, ifname}; NULL releases all). A reservation of host-local
 * before 0.7 (the id alone) stays while that container has any attachment.
 * The lock and last_reserved_ip files stay.
 */
int host_local_gc(const HostLocal *h, json_object *valid, unsigned *ret_released, Diag *d);
