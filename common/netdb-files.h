/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * /etc/services and /etc/protocols, read the way glibc's "files" source
 * reads them (getservbyname_r() with any protocol, getprotobyname_r(),
 * getprotobynumber_r()): names and aliases alike, the first line that
 * matches wins, "#" starts a comment anywhere on a line. No NSS module is
 * loaded, which a statically linked program (lxcnet-cni, lxcnet-oci) could
 * not do safely; the file is read at each call, as glibc reads it.
 */

#include <stdbool.h>
#include <stdint.h>

#define NETDB_SERVICES "/etc/services"
#define NETDB_PROTOCOLS "/etc/protocols"

/* The port of service name (any protocol) in the services file at path: -ENOENT when none, -errno when unreadable. */
int netdb_service_port(const char *path, const char *name, uint16_t *ret_port);

/*
 * The number of protocol name (or alias) in the protocols file at path:
 * -ENOENT when none. It may exceed 255 (Debian lists mptcp as 262, a
 * number no IP header carries).
 */
int netdb_protocol_number(const char *path, const char *name, unsigned *ret_number);

/* Whether number has a line in the protocols file at path. */
bool netdb_protocol_known(const char *path, unsigned number);
