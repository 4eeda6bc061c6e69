/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "macro.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR, closedir);

/* Proxmox booleans: 1/0 on/off yes/no true/false, any case. -EINVAL otherwise. */
int parse_bool(const char *s, bool *ret);

/*
 * Plain decimal unsigned integer (no sign, no spaces, no hex): -EINVAL if
 * s is not one, -ERANGE if it lies outside min..max.
 */
int parse_uint_range(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/*
 * "address/length" of family (AF_UNSPEC: IPv6 when it has a ':'), the
 * length min_len..32 or 128: -EINVAL without '/' or when the address is
 * not one, -EDOM when the length is not a number, -ERANGE when it is out
 * of range. Proxmox's ip=/ip6= take 8.., CNI routes 0...
 */
typedef struct InetPrefix {
	int family;
	unsigned char addr[16]; /* network order: 4 bytes for IPv4 */
	unsigned len;
} InetPrefix;
int inet_prefix_parse(const char *s, int family, unsigned min_len, InetPrefix *ret);

/* printf to the end of the string in buf (size bytes in all): -ENOBUFS when it does not fit. */
int str_appendf(char *buf, size_t size, const char *fmt, ...) _printf_(3, 4);

/* "XX:XX:XX:XX:XX:XX", hex digits only: -EINVAL otherwise. */
int mac_parse(const char *s, uint8_t ret[6]);

/* Non-negative decimal number "12", "12.5", ".5" (no sign, no exponent). */
int parse_decimal(const char *s, double *ret);

/* Shortest plain decimal text (no exponent) that reads back to exactly d; bufsz >= FORMAT_DOUBLE_MAX. */
#define FORMAT_DOUBLE_MAX 1024
void format_double(char *buf, size_t bufsz, double d);

/* Characters Proxmox allows in netN name and bridge: [-_.A-Za-z0-9]+ */
bool pve_word_valid(const char *s);

/* Trim ASCII white space at both ends, in place. Returns s. */
char *strstrip(char *s);

/* Read a whole regular file into a NUL-terminated buffer, at most max bytes (-EFBIG beyond). */
int read_full_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* The same from an open descriptor (a pipe too), up to its end. */
int read_fd_full(int fd, size_t max, char **ret, size_t *ret_len);

/* read_full_file() with the message a config reader reports: "PATH: reason". */
struct Diag;
int read_config_file(const char *path, size_t max, char **ret, size_t *ret_len, struct Diag *d);

/*
 * Make room for one more element at the end of the array *array_p holding n
 * elements of size bytes. Returns the new element, zeroed (the caller counts
 * it), or NULL when out of memory (the array is unchanged).
 */
void *array_grow(void *array_p, size_t n, size_t size);

/* "a,b; c" style lists: split on any char in seps, skip empty items. */
int strv_split(const char *s, const char *seps, char ***ret);
void strv_free(char **l);
/* "a,b,c" from l and sep; "" for an empty or NULL list. */
int strv_join(char *const *l, const char *sep, char **ret);
size_t strv_length(char *const *l);
bool strv_contains(char *const *l, const char *s);
int strv_push(char ***l, char *s);

/*
 * Create path (O_EXCL, after removing a leftover) with data, fsync'd: the
 * first half of an atomic replace; rename() it over the target, then
 * fsync_parent_dir() the target.
 */
int write_file_sync(const char *path, mode_t mode, const char *data, size_t size);
int fsync_parent_dir(const char *path);

/* path and the directories above it, as mkdir -p (those there already are fine). */
int mkdir_p(const char *path, mode_t mode);

static inline void strv_freep(char ***l)
{
	strv_free(*l);
}
#define _cleanup_strv_free_ __attribute__((cleanup(strv_freep)))
