/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the storage plugins share (storage-plugin.h, "for the plugins"): issues, endpoints, hosts, paths, mounts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "storage-plugin.h"
#include "strutil.h"

static const char *const problem_names[_SP_MAX] = {
	[SP_NONE] = "none",
	[SP_NO_SUCH_STORAGE] = "no-such-storage",
	[SP_UNSUPPORTED_TYPE] = "unsupported-type",
	[SP_DISABLED] = "disabled",
	[SP_MISSING_KEY] = "missing-key",
	[SP_BAD_SERVER] = "bad-server",
	[SP_BAD_EXPORT] = "bad-export",
	[SP_BAD_PATH] = "bad-path",
	[SP_BAD_OPTIONS] = "bad-options",
	[SP_BAD_VERS] = "bad-vers",
	[SP_BAD_PORT] = "bad-port",
	[SP_BAD_PROTO] = "bad-proto",
	[SP_BAD_SHARE] = "bad-share",
	[SP_BAD_USERNAME] = "bad-username",
	[SP_NO_PASSWORD_FILE] = "no-password-file",
	[SP_PASSWORD_READABLE] = "password-file-readable",
	[SP_BAD_SMBVERSION] = "bad-smbversion",
	[SP_BAD_DOMAIN] = "bad-domain",
	[SP_BAD_SUBDIR] = "bad-subdir",
	[SP_BAD_PORTAL] = "bad-portal",
	[SP_BAD_TARGET] = "bad-target",
	[SP_UNRESOLVABLE] = "unresolvable",
};

const char *storage_problem_name(StorageProblem p)
{
	return p < _SP_MAX ? problem_names[p] : "?";
}

static int issue(StorageIssue *ret, Diag *d, const char *id, StorageProblem p, const char *key, const char *fmt, va_list ap)
{
	char msg[DIAG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (ret) {
		*ret = (StorageIssue){ .problem = p };
		snprintf(ret->storage, sizeof(ret->storage), "%s", id);
		snprintf(ret->key, sizeof(ret->key), "%s", key ?: "");
	}
	return diag_error(d, -EINVAL, "%s: %s%s%s [%s]", id, key ?: "", key ? ": " : "", msg, storage_problem_name(p));
}

int storage_issue(StorageIssue *ret, Diag *d, const Storage *s, StorageProblem p, const char *key, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = issue(ret, d, storage_id(s), p, key, fmt, ap);
	va_end(ap);
	return r;
}

int storage_issue_id(StorageIssue *ret, Diag *d, const char *id, StorageProblem p, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = issue(ret, d, id, p, NULL, fmt, ap);
	va_end(ap);
	return r;
}

const char *storage_proto_name(uint8_t proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "?";
}

int storage_endpoint_add_port(StorageEndpoint *e, uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i].proto == proto && e->ports[i].port == port)
			return 0;
	if (e->n_ports >= STORAGE_PORTS_MAX)
		return -E2BIG;
	e->ports[e->n_ports++] = (StoragePort){ .proto = proto, .port = port };
	return 0;
}

bool storage_valid_host(const char *s)
{
	struct in6_addr a6;
	struct in_addr a4;
	size_t len = strlen(s), label = 0;

	if (inet_pton(AF_INET, s, &a4) == 1 || inet_pton(AF_INET6, s, &a6) == 1)
		return true;
	/* A DNS name: labels of letters, digits and '-', not starting or ending with '-'. */
	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)ch) || (ch == '-' && label > 0) || ch == '_')
			label++;
		else
			return false;
	}
	return true;
}

bool storage_valid_abs_path(const char *s)
{
	if (s[0] != '/')
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int storage_parse_host_port(const char *s, char *ret_host, size_t size, uint16_t *ret_port)
{
	struct in6_addr a6;
	const char *host = s, *colon = NULL;
	size_t host_len;
	uint64_t port = 0;

	if (inet_pton(AF_INET6, s, &a6) == 1) {
		host_len = strlen(s);
	} else if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return -EINVAL;
		host = s + 1;
		host_len = (size_t)(end - host);
		if (end[1] == ':')
			colon = end + 1;
		else if (end[1])
			return -EINVAL;
	} else {
		colon = strchr(s, ':');
		host_len = colon ? (size_t)(colon - s) : strlen(s);
	}
	if (colon && parse_uint_range(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	if (host_len == 0 || host_len >= size)
		return -EINVAL;
	memcpy(ret_host, host, host_len);
	ret_host[host_len] = '\0';
	if (!storage_valid_host(ret_host) || (s[0] == '[' && inet_pton(AF_INET6, ret_host, &a6) != 1))
		return -EINVAL;
	*ret_port = (uint16_t)port;
	return 0;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++, w++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*w = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*w = *s;
	}
	*w = '\0';
}

static bool same_path(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (lb > 1 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

bool storage_mounted(const char *mountinfo, const char *mountpoint, const char *fstype_prefix, const char *source)
{
	for (const char *line = mountinfo; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[4096], *f[12] = { NULL }, *sep, *save = NULL;
		size_t n = 0;

		if (len < sizeof(buf)) {
			memcpy(buf, line, len);
			buf[len] = '\0';
			/* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
			sep = strstr(buf, " - ");
			if (sep) {
				*sep = '\0';
				for (char *t = strtok_r(buf, " ", &save); t && n < 5; t = strtok_r(NULL, " ", &save))
					f[n++] = t;
				save = NULL;
				f[5] = strtok_r(sep + 3, " ", &save);
				f[6] = f[5] ? strtok_r(NULL, " ", &save) : NULL;
			}
			if (n == 5 && f[5] && f[6]) {
				unescape(f[4]);
				unescape(f[6]);
				if (same_path(f[4], mountpoint) && strncmp(f[5], fstype_prefix, strlen(fstype_prefix)) == 0 &&
				    same_path(f[6], source))
					return true;
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return false;
}
