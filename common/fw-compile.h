/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox's guest firewall of one container NIC, compiled for lxcnet's
 * eBPF datapath (bpf/guest-fw.h): what pve-firewall builds for the NIC's
 * veth (ruleset_create_vm_chain, the tap's ebtables chain, the ipfilter
 * ipset, the input filters of PVEFW-FWBR-IN) as a DatapathFw.
 *
 * The guest's rules (and security groups, macros, ipsets, aliases) are
 * compiled into ret->rules (fw-rules.h, fw-classify.h); rules pve-firewall
 * skips are in ret->warnings. What lxcnet does not enforce yet is
 * -EOPNOTSUPP, with d naming the file, the line where there is one, and
 * the construct: the NIC is then left to Proxmox's own firewall, never
 * filtered less. That is today: more than
 * LXCNET_FW_RULES_MAX rules in a direction, the cluster's blacklist ipset,
 * the guest options ips and layer2_protocols, and host.fw's tcpflags,
 * nf_conntrack_allow_invalid and protection_synflood.
 */

#include "datapath.h"
#include "diag.h"
#include "pve-fwconf.h"
#include "pve-netconf.h"

/*
 * netIDX (n) of a guest whose firewall is in effect (pol, from
 * fw_nic_policy()); cluster and host NULL when those files do not exist.
 * ret->fw has flags and policies; its ifindex and gen are the datapath's.
 * ret must be zeroed or an earlier result (what it owns is freed first);
 * datapath_fw_done() frees the result's.
 */
int fw_compile_nic(const FwConfig *cluster, const FwConfig *host, const FwConfig *guest, unsigned idx, const PveNet *n,
		   const FwNicPolicy *pol, DatapathFw *ret, Diag *d);
