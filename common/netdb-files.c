/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "netdb-files.h"
#include "strutil.h"

#define NETDB_SEP " \t\r\v\f"

/*
 * One line of either file as glibc's parser takes it: the comment cut off,
 * the first word in *ret_name, the second (the port/protocol or the number)
 * in *ret_value, the aliases left in *ret_aliases for next_alias(). False
 * for a line with fewer than two words.
 */
static bool line_split(char *line, char **ret_name, char **ret_value, char **ret_aliases)
{
	char *save = NULL;

	line[strcspn(line, "#\n")] = '\0';
	*ret_name = strtok_r(line, NETDB_SEP, &save);
	*ret_value = *ret_name ? strtok_r(NULL, NETDB_SEP, &save) : NULL;
	*ret_aliases = save;
	return *ret_value != NULL;
}

static bool names_match(const char *name, const char *first, char *aliases)
{
	char *save = NULL;

	if (strcmp(name, first) == 0)
		return true;
	for (char *a = strtok_r(aliases, NETDB_SEP, &save); a; a = strtok_r(NULL, NETDB_SEP, &save))
		if (strcmp(name, a) == 0)
			return true;
	return false;
}

/* A decimal number up to max, as the whole of s (up to end, when end is not NUL). */
static bool number_parse(const char *s, char end, unsigned long max, unsigned long *ret)
{
	char *e;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*ret = strtoul(s, &e, 10);
	return errno == 0 && *e == end && *ret <= max;
}

int netdb_service_port(const char *path, const char *name, uint16_t *ret_port)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;

	if (!f)
		return -errno;
	while (getline(&line, &size, f) >= 0) {
		char *first, *value, *aliases;
		unsigned long port;

		/* "name port/protocol [aliases]" */
		if (!line_split(line, &first, &value, &aliases) || !strchr(value, '/') || !number_parse(value, '/', 65535, &port))
			continue;
		if (names_match(name, first, aliases)) {
			*ret_port = (uint16_t)port;
			return 0;
		}
	}
	return -ENOENT;
}

/* The first line of the protocols file naming name (when not NULL) or else numbered number. */
static int protocol_find(const char *path, const char *name, unsigned number, unsigned *ret)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;

	if (!f)
		return -errno;
	while (getline(&line, &size, f) >= 0) {
		char *first, *value, *aliases;
		unsigned long n;

		/* "name number [aliases]" */
		if (!line_split(line, &first, &value, &aliases) || !number_parse(value, '\0', 65535, &n))
			continue;
		if (name ? names_match(name, first, aliases) : n == number) {
			*ret = (unsigned)n;
			return 0;
		}
	}
	return -ENOENT;
}

int netdb_protocol_number(const char *path, const char *name, unsigned *ret_number)
{
	return protocol_find(path, name, 0, ret_number);
}

bool netdb_protocol_known(const char *path, unsigned number)
{
	unsigned n;

	return protocol_find(path, NULL, number, &n) >= 0;
}
