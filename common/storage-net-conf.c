/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lxcnet.conf's storage-network sections:
 *
 *   storage-network: san
 *           interface eno2
 *           vlan 50
 *           storages nas-nfs,backup-smb,lun0
 *           rate 200
 *           allow tcp/22,10.50.0.5
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lxcnet-conf.h"
#include "storage-plugin.h"
#include "strutil.h"

#define LIST_SEPS ", \t"
#define RATE_MAX 2047.0 /* tbf takes an int of bytes per second */

void storage_net_conf_done(StorageNetConf *s)
{
	if (!s)
		return;
	free(s->id);
	free(s->interface);
	strv_free(s->storages);
	strv_free(s->allow);
	*s = (StorageNetConf){};
}

int storage_allow_parse(const char *item, StorageAllow *ret)
{
	StorageAllow a = {};
	uint64_t port;

	if (strncmp(item, "tcp/", 4) == 0 || strncmp(item, "udp/", 4) == 0) {
		if (parse_uint_range(item + 4, 1, 65535, &port) < 0)
			return -EINVAL;
		a.is_port = true;
		a.proto = item[0] == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		a.port = (uint16_t)port;
	} else {
		if (!storage_valid_host(item) || strlen(item) >= sizeof(a.host))
			return -EINVAL;
		snprintf(a.host, sizeof(a.host), "%s", item);
	}
	*ret = a;
	return 0;
}

static int set_list(const char *key, const char *value, char ***dst, size_t *ret_n, Diag *d)
{
	_cleanup_strv_free_ char **l = NULL;
	char esc[DIAG_ESCAPE_MAX];
	int r;

	r = strv_split(value, LIST_SEPS, &l);
	if (r < 0)
		return r;
	for (size_t i = 0; l[i]; i++) {
		StorageAllow a;

		if (strcmp(key, "allow") == 0 && storage_allow_parse(l[i], &a) < 0)
			return diag_error(d, -EINVAL,
					  "allow: '%s' is neither tcp/PORT, udp/PORT nor an IP address or DNS name",
					  diag_escape(esc, sizeof(esc), l[i], strlen(l[i])));
		if (strcmp(key, "storages") == 0 && !pve_word_valid(l[i]))
			return diag_error(d, -EINVAL, "storages: '%s' is not a storage id",
					  diag_escape(esc, sizeof(esc), l[i], strlen(l[i])));
		for (size_t j = 0; j < i; j++)
			if (strcmp(l[i], l[j]) == 0)
				return diag_error(d, -EINVAL, "%s: '%s' is listed twice", key, l[i]);
	}
	strv_free(*dst);
	*ret_n = strv_length(l);
	*dst = TAKE_PTR(l);
	return 0;
}

int storage_net_conf_set(StorageNetConf *s, const char *key, const char *value, Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];
	const char *v = value ? diag_escape(esc, sizeof(esc), value, strlen(value)) : "";
	uint64_t u;
	double rate;

	if (!value || !*value)
		return diag_error(d, -EINVAL, "%s: needs a value", key);
	if (strcmp(key, "interface") == 0) {
		char *dup;

		if (strlen(value) >= IFNAMSIZ || !pve_word_valid(value))
			return diag_error(d, -EINVAL, "interface: '%s' is not an interface name", v);
		dup = strdup(value);
		if (!dup)
			return -ENOMEM;
		free(s->interface);
		s->interface = dup;
		return 0;
	}
	if (strcmp(key, "vlan") == 0) {
		if (parse_uint_range(value, 1, 4094, &u) < 0)
			return diag_error(d, -EINVAL, "vlan: '%s' is not a VLAN (1..4094)", v);
		s->vlan = (unsigned)u;
		return 0;
	}
	if (strcmp(key, "rate") == 0) {
		/* Below 1 byte/s no shaper can be set up: the same bound as the NICs' rate. */
		if (parse_decimal(value, &rate) < 0 || rate * 1024 * 1024 < 1 || rate > RATE_MAX)
			return diag_error(d, -EINVAL, "rate: '%s' is not a rate in MiB/s (at least 1 byte/s, at most %g)", v,
					  RATE_MAX);
		s->rate = rate;
		return 0;
	}
	if (strcmp(key, "storages") == 0)
		return set_list(key, value, &s->storages, &s->n_storages, d);
	if (strcmp(key, "allow") == 0)
		return set_list(key, value, &s->allow, &s->n_allow, d);
	return diag_error(d, -EINVAL, "%s: unknown key (interface, vlan, storages, rate, allow)", key);
}

int storage_net_conf_finish(const StorageNetConf *s, Diag *d)
{
	bool host = false;

	if (!s->interface)
		return diag_error(d, -EINVAL, "interface: missing (the storage interface)");
	for (size_t i = 0; i < s->n_allow; i++) {
		StorageAllow a;

		host = host || (storage_allow_parse(s->allow[i], &a) >= 0 && !a.is_port);
	}
	if (s->n_storages == 0 && !host)
		return diag_error(d, -EINVAL, "storages: missing (storage.cfg ids; or an address in 'allow')");
	return 0;
}

static int append(char **buf, const char *fmt, ...) _printf_(2, 3);
static int append(char **buf, const char *fmt, ...)
{
	_cleanup_free_ char *more = NULL;
	va_list ap;
	char *n;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&more, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	if (asprintf(&n, "%s%s", *buf ?: "", more) < 0)
		return -ENOMEM;
	free(*buf);
	*buf = n;
	return 0;
}

static int append_list(char **buf, const char *key, char *const *l)
{
	int r;

	if (!l || !l[0])
		return 0;
	r = append(buf, "\t%s ", key);
	for (size_t i = 0; r >= 0 && l[i]; i++)
		r = append(buf, "%s%s", i ? "," : "", l[i]);
	return r < 0 ? r : append(buf, "\n");
}

int storage_net_conf_format(const StorageNetConf *s, char **ret)
{
	_cleanup_free_ char *out = NULL;
	int r;

	r = append(&out, "storage-network: %s\n\tinterface %s\n", s->id, s->interface);
	if (r >= 0 && s->vlan)
		r = append(&out, "\tvlan %u\n", s->vlan);
	if (r >= 0)
		r = append_list(&out, "storages", s->storages);
	if (r >= 0 && s->rate > 0) {
		char rate[FORMAT_DOUBLE_MAX];

		format_double(rate, sizeof(rate), s->rate);
		r = append(&out, "\trate %s\n", rate);
	}
	if (r >= 0)
		r = append_list(&out, "allow", s->allow);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(out);
	return 0;
}
