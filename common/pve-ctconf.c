/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "pve-ctconf.h"
#include "strutil.h"

void ct_config_free(CtConfig *c)
{
	if (!c)
		return;
	free(c->path);
	free(c->data);
	free(c->keys);
	free(c);
}

static bool is_blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return false;
	return true;
}

/* `[pve:pending]` or `[snapname]`, as Proxmox's parse_pct_config recognises them. */
static bool is_section_header(const char *s, size_t len)
{
	size_t i = 1;

	if (len < 3 || s[0] != '[')
		return false;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (s[len - 1] != ']')
		return false;
	len--;
	if (len - 1 == strlen("pve:pending") && strncasecmp(s + 1, "pve:pending", len - 1) == 0)
		return true;
	if (!isalpha((unsigned char)s[1]) || len < 3)
		return false;
	for (i = 2; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* Length of a `[a-z][a-z_]*\d*` key at s, when followed by ':'; 0 otherwise. */
static size_t key_length(const char *s, size_t len)
{
	size_t i = 0;

	if (len == 0 || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++;
	return i < len && s[i] == ':' ? i : 0;
}

/* Does the line start like a NIC line ("net" followed by a digit)? */
static bool looks_like_net(const char *s, size_t len)
{
	return len > 3 && memcmp(s, "net", 3) == 0 && s[3] >= '0' && s[3] <= '9';
}

static int parse_net_line(CtConfig *c, unsigned lineno, const char *s, size_t len, size_t klen, Diag *d)
{
	_cleanup_free_ char *key = strndup(s, klen), *value = NULL;
	CtNetEntry *e;
	const char *v = s + klen + 1, *end = s + len;
	int idx, r;

	if (!key)
		return -ENOMEM;
	idx = pve_net_index_from_key(key);
	if (idx < 0)
		return diag_error(d, -EINVAL, "%s:%u: %s: not a NIC key (net0..net%d)", c->name, lineno, key,
				  PVE_NET_MAX - 1);
	e = &c->nets[idx];
	if (e->present)
		return diag_error(d, -EINVAL, "%s:%u: %s: duplicate entry (first on line %u)", c->name, lineno,
				  key, e->line);
	while (v < end && isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if (v == end)
		return diag_error(d, -EINVAL, "%s:%u: %s: empty value", c->name, lineno, key);
	if (memchr(v, '\0', (size_t)(end - v)))
		return diag_error(d, -EINVAL, "%s:%u: %s: value contains a NUL byte", c->name, lineno, key);
	value = strndup(v, (size_t)(end - v));
	if (!value)
		return -ENOMEM;
	r = pve_net_parse(value, &e->net, d);
	if (r < 0) {
		diag_prefix(d, "%s:%u: %s: ", c->name, lineno, key);
		return r;
	}
	e->present = true;
	e->line = lineno;
	e->off = (size_t)(s - c->data);
	e->len = len;
	return 0;
}

static int parse_buffer(CtConfig *c, Diag *d)
{
	size_t pos = 0;
	unsigned lineno = 0;

	memset(c->nets, 0, sizeof(c->nets));
	free(c->keys);
	c->keys = NULL;
	c->n_keys = 0;
	c->body_end = 0;

	while (pos < c->size) {
		const char *s = c->data + pos, *nl = memchr(s, '\n', c->size - pos);
		size_t len = nl ? (size_t)(nl - s) : c->size - pos;
		size_t end = pos + len + (nl ? 1 : 0), klen;

		lineno++;
		/* Proxmox reads no key after a byte order mark: say so rather than miss the line. */
		if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
			return diag_error(d, -EINVAL, "%s:%u: the line starts with a UTF-8 byte order mark (BOM): remove it", c->name,
					  lineno);
		if (is_blank(s, len))
			goto next;
		/* The current section ends at the first snapshot or pending header. */
		if (is_section_header(s, len))
			break;
		c->body_end = end;
		if (s[0] == '#')
			goto next;
		klen = key_length(s, len);
		if (klen > 0) {
			CtKeyLine *k = array_grow(&c->keys, c->n_keys, sizeof(*k));

			if (!k)
				return -ENOMEM;
			*k = (CtKeyLine){ .off = pos, .klen = klen, .end = end };
			c->n_keys++;
			if (looks_like_net(s, len)) {
				int r = parse_net_line(c, lineno, s, len, klen, d);

				if (r < 0)
					return r;
			}
		} else if (looks_like_net(s, len)) {
			char esc[DIAG_ESCAPE_MAX];

			return diag_error(d, -EINVAL, "%s:%u: '%s' is not a 'netN: value' line", c->name, lineno,
					  diag_escape(esc, sizeof(esc), s, len));
		}
		/* Anything else (lxc.* lines, unknown lines) is kept but not ours to judge. */
	next:
		pos = end;
	}
	return 0;
}

int ct_config_parse(const char *path, const char *data, size_t size, CtConfig **ret, Diag *d)
{
	_cleanup_(ct_config_freep) CtConfig *c = calloc(1, sizeof(*c));
	const char *slash;
	int r;

	if (!c)
		return -ENOMEM;
	if (size > CT_CONFIG_SIZE_MAX)
		return diag_error(d, -EFBIG, "%s: file is larger than %u bytes", path, CT_CONFIG_SIZE_MAX);
	c->path = strdup(path);
	c->data = malloc(size + 1);
	if (!c->path || !c->data)
		return -ENOMEM;
	memcpy(c->data, data, size);
	c->data[size] = '\0';
	c->size = size;
	slash = strrchr(c->path, '/');
	c->name = slash ? slash + 1 : c->path;

	r = parse_buffer(c, d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(c);
	return 0;
}

int ct_config_load(const char *path, CtConfig **ret, Diag *d)
{
	_cleanup_free_ char *data = NULL;
	size_t size;
	int r;

	r = read_config_file(path, CT_CONFIG_SIZE_MAX, &data, &size, d);
	if (r < 0)
		return r;
	return ct_config_parse(path, data, size, ret, d);
}

/* The file's line ending, as its first line has it: "\r\n" or "\n". */
static const char *line_ending(const CtConfig *c)
{
	const char *nl = memchr(c->data, '\n', c->size);

	return nl && nl > c->data && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* Where a new netIDX line goes: after the last key of the current section that sorts before it. */
static size_t insert_position(const CtConfig *c, const char *key)
{
	size_t klen = strlen(key), pos = c->body_end;

	for (size_t i = 0; i < c->n_keys; i++) {
		const CtKeyLine *k = &c->keys[i];
		size_t n = k->klen < klen ? k->klen : klen;
		int cmp = memcmp(c->data + k->off, key, n);

		if (cmp < 0 || (cmp == 0 && k->klen < klen))
			pos = k->end;
		else if (i == 0)
			pos = k->off;
	}
	return pos;
}

int ct_config_set_net(CtConfig *c, unsigned idx, const PveNet *net, Diag *d)
{
	_cleanup_free_ char *value = NULL, *line = NULL, *data = NULL, *saved = NULL;
	const CtNetEntry *e;
	size_t start, stop, llen = 0, nsize;
	char key[16];
	int r;

	if (idx >= PVE_NET_MAX)
		return diag_error(d, -ERANGE, "net%u: index out of range 0..%d", idx, PVE_NET_MAX - 1);
	snprintf(key, sizeof(key), "net%u", idx);
	e = &c->nets[idx];
	/* Writing back what is there changes no byte, whatever order the keys were written in. */
	if (net && e->present && pve_net_equal(&e->net, net))
		return 0;

	if (net) {
		r = pve_net_format(net, &value);
		if (r < 0)
			return r;
		if (asprintf(&line, "%s: %s", key, value) < 0)
			return -ENOMEM;
		llen = strlen(line);
	}

	if (e->present) {
		start = e->off;
		stop = e->off + e->len;
		if (!net && stop < c->size)
			stop++; /* deleting: take the newline too */
		else if (net && stop > start && c->data[stop - 1] == '\r')
			stop--; /* replacing: the line keeps its CRLF */
	} else if (net) {
		start = stop = insert_position(c, key);
		/*
		 * A new line needs its own newline (the file's kind), and one before
		 * it if it follows an unterminated last line.
		 */
		bool after_unterminated = start > 0 && c->data[start - 1] != '\n';
		const char *eol = line_ending(c);
		_cleanup_free_ char *l2 = NULL;

		if (asprintf(&l2, "%s%s%s", after_unterminated ? eol : "", line, eol) < 0)
			return -ENOMEM;
		free(line);
		line = TAKE_PTR(l2);
		llen = strlen(line);
	} else
		return 0; /* deleting what is not there */

	nsize = c->size - (stop - start) + llen;
	if (nsize > CT_CONFIG_SIZE_MAX)
		return diag_error(d, -EFBIG, "%s: file would be larger than %u bytes", c->name, CT_CONFIG_SIZE_MAX);
	data = malloc(nsize + 1);
	if (!data)
		return -ENOMEM;
	memcpy(data, c->data, start);
	if (llen)
		memcpy(data + start, line, llen);
	memcpy(data + start + llen, c->data + stop, c->size - stop);
	data[nsize] = '\0';

	/* Re-parse so that offsets and entries match the new bytes; on failure keep the old state. */
	saved = c->data;
	c->data = TAKE_PTR(data);
	{
		size_t old_size = c->size;

		c->size = nsize;
		r = parse_buffer(c, d);
		if (r < 0) {
			data = c->data;
			c->data = TAKE_PTR(saved);
			c->size = old_size;
			(void)parse_buffer(c, NULL);
			return r;
		}
	}
	return 0;
}

int ct_config_save(const CtConfig *c, Diag *d)
{
	_cleanup_free_ char *tmp = NULL, *bak = NULL, *baktmp = NULL, *old = NULL, *target = NULL;
	const char *path = c->path;
	size_t old_size = 0;
	mode_t mode = 0640;
	struct stat st;
	int r;

	/* A config that is a symbolic link stays one: the file it points to is replaced. */
	if (lstat(c->path, &st) == 0 && S_ISLNK(st.st_mode)) {
		target = realpath(c->path, NULL);
		if (!target)
			return diag_error(d, -errno, "%s: a symbolic link to nothing that can be written: %m", c->path);
		path = target;
	}
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0 || asprintf(&bak, "%s.bak", path) < 0 ||
	    asprintf(&baktmp, "%s.bak.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		r = read_full_file(path, CT_CONFIG_SIZE_MAX, &old, &old_size);
		if (r < 0)
			return diag_error(d, r, "%s: cannot read current file for backup: %s", c->path, strerror(-r));
	} else if (errno != ENOENT)
		return diag_error(d, -errno, "%s: %m", c->path);

	r = write_file_sync(tmp, mode, c->data, c->size);
	if (r < 0)
		goto fail;
	if (old) {
		r = write_file_sync(baktmp, mode, old, old_size);
		if (r < 0)
			goto fail;
		if (rename(baktmp, bak) < 0) {
			r = negative_errno();
			goto fail;
		}
	}
	if (rename(tmp, path) < 0) {
		r = negative_errno();
		goto fail;
	}
	r = fsync_parent_dir(path);
	if (r < 0)
		return diag_error(d, r, "%s: written, but syncing its directory failed: %s", c->path, strerror(-r));
	return 0;
fail:
	(void)unlink(tmp);
	(void)unlink(baktmp);
	return diag_error(d, r, "%s: cannot write: %s", c->path, strerror(-r));
}

int ct_config_lock(const char *lock_dir, const char *vmid, int timeout_ms, int *ret_fd, Diag *d)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct timespec start, now;

	if (asprintf(&path, "%s/pve-config-%s.lock", lock_dir, vmid) < 0)
		return -ENOMEM;
	if (mkdir(lock_dir, 0755) < 0 && errno != EEXIST)
		return diag_error(d, -errno, "%s: cannot create lock directory: %m", lock_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return diag_error(d, -errno, "%s: cannot open lock file: %m", path);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		long elapsed_ms;

		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return diag_error(d, -errno, "%s: cannot lock: %m", path);
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed_ms >= timeout_ms)
			return diag_error(d, -ETIMEDOUT, "%s: still locked by another process after %d ms", path,
					  timeout_ms);
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The vmid is the file name without ".conf" ("100" for ".../lxc/100.conf"). */
static int vmid_from_path(const char *path, char *buf, size_t bufsz)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len <= 5 || strcmp(base + len - 5, ".conf") != 0 || len - 5 >= bufsz)
		return -EINVAL;
	memcpy(buf, base, len - 5);
	buf[len - 5] = '\0';
	return 0;
}

int ct_config_update_net(const char *path, const char *lock_dir, unsigned idx, const PveNet *net, Diag *d)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_close_ int lock_fd = -1;
	char vmid[256];
	int r;

	if (vmid_from_path(path, vmid, sizeof(vmid)) < 0)
		return diag_error(d, -EINVAL, "%s: not a '<vmid>.conf' path", path);
	r = ct_config_lock(lock_dir, vmid, CT_CONFIG_LOCK_TIMEOUT_MS, &lock_fd, d);
	if (r < 0)
		return r;
	r = ct_config_load(path, &c, d);
	if (r < 0)
		return r;
	r = ct_config_set_net(c, idx, net, d);
	if (r < 0)
		return r;
	return ct_config_save(c, d);
}

int ct_config_path(const char *pve_dir, const char *vmid, char **ret)
{
	return asprintf(ret, "%s/lxc/%s.conf", pve_dir, vmid) < 0 ? -ENOMEM : 0;
}
