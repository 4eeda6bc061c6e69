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

/*
 * The first line of the file at path for which match(name, value, aliases,
 * userdata) is true (line_split()'s words): 0, -ENOENT when none, -errno
 * when it cannot be read.
 */
static int scan(const char *path, bool (*match)(char *name, char *value, char *aliases, void *userdata), void *userdata)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *line = NULL;
	size_t size = 0;

	if (!f)
		return -errno;
	while (getline(&line, &size, f) >= 0) {
		char *first, *value, *aliases;

		if (line_split(line, &first, &value, &aliases) && match(first, value, aliases, userdata))
			return 0;
	}
	return -ENOENT;
}

typedef struct Lookup {
	const char *name; /* NULL: by number */
	unsigned long number;
} Lookup;

/* "name port/protocol [aliases]" */
static bool service_match(char *first, char *value, char *aliases, void *userdata)
{
	Lookup *l = userdata;

	return strchr(value, '/') && number_parse(value, '/', 65535, &l->number) && names_match(l->name, first, aliases);
}

int netdb_service_port(const char *path, const char *name, uint16_t *ret_port)
{
	Lookup l = { .name = name };
	int r = scan(path, service_match, &l);

	if (r >= 0)
		*ret_port = (uint16_t)l.number;
	return r;
}

/* "name number [aliases]", by name (or alias) or by number */
static bool protocol_match(char *first, char *value, char *aliases, void *userdata)
{
	Lookup *l = userdata;
	unsigned long n;

	if (!number_parse(value, '\0', 65535, &n) || (l->name ? !names_match(l->name, first, aliases) : n != l->number))
		return false;
	l->number = n;
	return true;
}

int netdb_protocol_number(const char *path, const char *name, unsigned *ret_number)
{
	Lookup l = { .name = name };
	int r = scan(path, protocol_match, &l);

	if (r >= 0)
		*ret_number = (unsigned)l.number;
	return r;
}

bool netdb_protocol_known(const char *path, unsigned number)
{
	Lookup l = { .number = number };

	return scan(path, protocol_match, &l) >= 0;
}
