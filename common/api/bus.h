/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * lxcnetd's D-Bus contract, for the daemon, lxcnetctl, the tests and the
 * benchmarks: the one place its names and record signatures are spelled.
 * contrib/man/lxcnetd.8.scd documents it; changing a name or a signature
 * here is an API change.
 */

#define LXCNET_BUS_NAME "org.lxcnet1"
#define LXCNET_BUS_PATH "/org/lxcnet1"

/* Interfaces. */
#define LXCNET_BUS_MANAGER LXCNET_BUS_NAME ".Manager"	  /* on LXCNET_BUS_PATH */
#define LXCNET_BUS_BINDING LXCNET_BUS_NAME ".Binding"	  /* on LXCNET_BUS_BINDING_PATH/<host ifname> */
#define LXCNET_BUS_OPERATION LXCNET_BUS_NAME ".Operation" /* on LXCNET_BUS_OPERATION_PATH/<id> */

/* Object path prefixes (sd_bus_path_encode). */
#define LXCNET_BUS_BINDING_PATH LXCNET_BUS_PATH "/binding"
#define LXCNET_BUS_OPERATION_PATH LXCNET_BUS_PATH "/operation"

/* Every error the API returns. */
#define LXCNET_ERR_PREFIX LXCNET_BUS_NAME ".Error."
#define LXCNET_ERR_NO_SUCH_BINDING LXCNET_ERR_PREFIX "NoSuchBinding"
#define LXCNET_ERR_NO_SUCH_CONTAINER LXCNET_ERR_PREFIX "NoSuchContainer"
#define LXCNET_ERR_NO_SUCH_VNET LXCNET_ERR_PREFIX "NoSuchVNet"
#define LXCNET_ERR_NO_SUCH_OPERATION LXCNET_ERR_PREFIX "NoSuchOperation"
#define LXCNET_ERR_INVALID_ARGUMENT LXCNET_ERR_PREFIX "InvalidArgument"
#define LXCNET_ERR_INVALID_CONFIG LXCNET_ERR_PREFIX "InvalidConfig"
#define LXCNET_ERR_PERMISSION_DENIED LXCNET_ERR_PREFIX "PermissionDenied"
#define LXCNET_ERR_BUSY LXCNET_ERR_PREFIX "Busy"
#define LXCNET_ERR_FAILED LXCNET_ERR_PREFIX "Failed"
#define LXCNET_ERR_NO_DATAPATH LXCNET_ERR_PREFIX "NoDatapath"
#define LXCNET_ERR_VETOED LXCNET_ERR_PREFIX "Vetoed"
#define LXCNET_ERR_INVALID_STORAGE LXCNET_ERR_PREFIX "InvalidStorage"
#define LXCNET_ERR_NO_SUCH_STORAGE_NETWORK LXCNET_ERR_PREFIX "NoSuchStorageNetwork"

/* Records: one element of the arrays the methods return. */
#define LXCNET_SIG_BINDING "(ssusssbt)"	    /* container, net, ifindex, ifname, bridge, vnet, up, since */
#define LXCNET_SIG_CONTAINER "(su)"	    /* container, interfaces */
#define LXCNET_SIG_DROP "(st)"		    /* reason, count */
#define LXCNET_SIG_FW_RULE "(sqsstt)"	    /* direction (in, out), index, verdict, origin, packets, bytes */
#define LXCNET_SIG_PORT_CHANGE "(ssss)"	    /* container, net, what, difference */
#define LXCNET_SIG_VNET "(sssubsssu)"	    /* id, zone, type, tag, vlanaware, alias, bridge, problem, bindings */
#define LXCNET_SIG_OPERATION "(osssssssttt)" /* path, kind, container, net, state, step, error, message, created, started, finished */
#define LXCNET_SIG_DECISION "(sssbs)"	    /* operation, class, path, fallback, reason */
#define LXCNET_SIG_METRIC_SAMPLE "(sa{ss}d)" /* suffix, labels, value */
#define LXCNET_SIG_METRIC_FAMILY "(sssa" LXCNET_SIG_METRIC_SAMPLE ")" /* name, type, help, samples */
#define LXCNET_SIG_PLUGIN "(ssstttttt)"	    /* name, kind, state, runs, failures, timeouts, vetoes, ... */
#define LXCNET_SIG_PLUGIN_RUN "(tsssssits)" /* when, plugin, event, container, net, outcome, ... */
#define LXCNET_SIG_STORAGE_NET "(ssqasdasss)"
#define LXCNET_SIG_STORAGE_STATUS "(ssasbbsa{st})"
