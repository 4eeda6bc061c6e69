/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "macro.h"
#include "strutil.h"

int parse_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "1", "on", "yes", "true" };
	static const char *const no[] = { "0", "off", "no", "false" };

	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_decimal(const char *s, double *ret)
{
	const char *p = s;
	size_t digits = 0;
	char *end;
	double v;

	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (*p || digits == 0)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end)
		return -ERANGE;
	*ret = v;
	return 0;
}

void format_double(char *buf, size_t bufsz, double d)
{
	/*
	 * Plain decimal notation, never an exponent: Proxmox's number syntax
	 * (and parse_decimal()) has none, so what we print must read back.
	 * The fewest fraction digits that give back exactly d.
	 */
	for (int prec = 0; prec <= 400; prec++) {
		int n = snprintf(buf, bufsz, "%.*f", prec, d);

		if (n < 0 || (size_t)n >= bufsz)
			break;
		if (strtod(buf, NULL) == d)
			return;
	}
	snprintf(buf, bufsz, "%.17g", d);
}

bool pve_word_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isascii((unsigned char)*s) ||
		    !(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

char *strstrip(char *s)
{
	char *e;

	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -1;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -EBADFD;
	return read_fd_full(fd, max, ret, ret_len);
}

int read_fd_full(int fd, size_t max, char **ret, size_t *ret_len)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			if (cap > max + 4096)
				cap = max + 4096;
			nb = realloc(buf, cap + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max)
			return -EFBIG;
	}
	if (!buf) {
		buf = malloc(1);
		if (!buf)
			return -ENOMEM;
	}
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int read_config_file(const char *path, size_t max, char **ret, size_t *ret_len, Diag *d)
{
	int r = read_full_file(path, max, ret, ret_len);

	if (r == -EFBIG)
		return diag_error(d, r, "%s: file is larger than %zu bytes", path, max);
	if (r < 0)
		return diag_error(d, r, "%s: %s", path, strerror(-r));
	return 0;
}

void *array_grow(void *array_p, size_t n, size_t size)
{
	void **array = array_p;
	char *na = realloc(*array, (n + 1) * size);

	if (!na)
		return NULL;
	*array = na;
	memset(na + n * size, 0, size);
	return na + n * size;
}

void strv_free(char **l)
{
	if (!l)
		return;
	for (char **p = l; *p; p++)
		free(*p);
	free(l);
}

size_t strv_length(char *const *l)
{
	size_t n = 0;

	while (l && l[n])
		n++;
	return n;
}

bool strv_contains(char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

int strv_push(char ***l, char *s)
{
	size_t n = strv_length(*l);
	char **nl = realloc(*l, (n + 2) * sizeof(char *));

	if (!nl)
		return -ENOMEM;
	nl[n] = s;
	nl[n + 1] = NULL;
	*l = nl;
	return 0;
}

int strv_join(char *const *l, const char *sep, char **ret)
{
	size_t len = 1, n = 0;
	char *out, *p;

	for (size_t i = 0; l && l[i]; i++, n++)
		len += strlen(l[i]) + (i ? strlen(sep) : 0);
	out = malloc(len);
	if (!out)
		return -ENOMEM;
	p = out;
	for (size_t i = 0; i < n; i++)
		p = stpcpy(i ? stpcpy(p, sep) : p, l[i]);
	*p = '\0';
	*ret = out;
	return 0;
}

int strv_split(const char *s, const char *seps, char ***ret)
{
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

	if (!l)
		return -ENOMEM;
	while (*s) {
		size_t n = strcspn(s, seps);

		if (n > 0) {
			char *item = strndup(s, n);

			if (!item)
				return -ENOMEM;
			if (strv_push(&l, item) < 0) {
				free(item);
				return -ENOMEM;
			}
		}
		s += n;
		if (*s)
			s++;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

int write_file_sync(const char *path, mode_t mode, const char *data, size_t size)
{
	_cleanup_close_ int fd = -1;
	size_t done = 0;

	/* Callers name the file uniquely (a pid, a lock held): one left over is from a crashed writer. */
	if (unlink(path) < 0 && errno != ENOENT)
		return negative_errno();
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return negative_errno();
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		done += (size_t)n;
	}
	if (fsync(fd) < 0)
		return negative_errno();
	if (close(TAKE_FD(fd)) < 0)
		return negative_errno();
	return 0;
}

int mkdir_p(const char *path, mode_t mode)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST)
				return negative_errno();
			*s = '/';
		}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

int fsync_parent_dir(const char *path)
{
	_cleanup_free_ char *copy = strdup(path);
	_cleanup_close_ int fd = -1;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	/* FUSE file systems such as pmxcfs may not implement directory fsync. */
	if (fsync(fd) < 0 && errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
		return negative_errno();
	return 0;
}

int inet_prefix_parse(const char *s, int family, unsigned min_len, InetPrefix *ret)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = s ? strchr(s, '/') : NULL;
	size_t alen = slash ? (size_t)(slash - s) : 0;
	InetPrefix p = {};
	uint64_t len;
	int r;

	if (!slash || alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	p.family = family != AF_UNSPEC ? family : strchr(addr, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(p.family, addr, p.addr) != 1)
		return -EINVAL;
	r = parse_uint_range(slash + 1, min_len, p.family == AF_INET ? 32 : 128, &len);
	if (r < 0)
		return r == -ERANGE ? -ERANGE : -EDOM;
	p.len = (unsigned)len;
	*ret = p;
	return 0;
}

int mac_parse(const char *s, uint8_t ret[6])
{
	unsigned b[6];
	int n = -1;

	if (!s || strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &n) != 6 ||
	    n != 17)
		return -EINVAL;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return -EINVAL;
	for (int i = 0; i < 6; i++)
		ret[i] = (uint8_t)b[i];
	return 0;
}

int str_appendf(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= size - len ? -ENOBUFS : 0;
}
