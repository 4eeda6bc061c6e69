/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "section-config.h"
#include "strutil.h"

static void section_clear(Section *s)
{
	for (size_t i = 0; i < s->n_entries; i++) {
		free(s->entries[i].key);
		free(s->entries[i].value);
	}
	free(s->entries);
	free(s->type);
	free(s->id);
}

void section_file_free(SectionFile *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n_sections; i++)
		section_clear(&f->sections[i]);
	free(f->sections);
	free(f->name);
	free(f);
}

int section_file_new(const char *name, SectionFile **ret)
{
	SectionFile *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	f->name = strdup(name);
	if (!f->name) {
		free(f);
		return -ENOMEM;
	}
	*ret = f;
	return 0;
}

int section_file_add(SectionFile *f, const char *type, const char *id, unsigned line, Section **ret)
{
	Section *s = array_grow(&f->sections, f->n_sections, sizeof(*s));

	if (!s)
		return -ENOMEM;
	*s = (Section){ .type = strdup(type), .id = strdup(id), .line = line };
	if (!s->type || !s->id) {
		section_clear(s);
		return -ENOMEM;
	}
	f->n_sections++;
	*ret = s;
	return 0;
}

int section_add_entry(Section *s, const char *key, const char *value, unsigned line)
{
	SectionEntry *e = array_grow(&s->entries, s->n_entries, sizeof(*e));

	if (!e)
		return -ENOMEM;
	*e = (SectionEntry){ .key = strdup(key), .value = value ? strdup(value) : NULL, .line = line };
	if (!e->key || (value && !e->value)) {
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	s->n_entries++;
	return 0;
}

const SectionEntry *section_get(const Section *s, const char *key)
{
	for (size_t i = 0; i < s->n_entries; i++)
		if (strcmp(s->entries[i].key, key) == 0)
			return &s->entries[i];
	return NULL;
}

void section_where(const SectionFile *f, const Section *s, const SectionEntry *e, char *buf, size_t bufsz)
{
	unsigned line = e ? e->line : s->line;

	if (line > 0)
		snprintf(buf, bufsz, "%s:%u: %s: ", f->name, line, s->id);
	else
		snprintf(buf, bufsz, "%s: %s: ", f->name, s->id);
}

/* pve_verify_configid: [a-z][a-z0-9_-]+ (any case) */
static bool configid_valid(const char *s)
{
	if (!isalpha((unsigned char)s[0]) || !s[1])
		return false;
	for (s++; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return false;
	return true;
}

/* Split "a  b  c" style text at white space: first word, rest (trimmed, NULL if none). */
static void split_word(char *s, char **ret_word, char **ret_rest)
{
	char *p = s + strcspn(s, " \t\v\f\r");

	*ret_word = s;
	if (!*p) {
		*ret_rest = NULL;
		return;
	}
	*p++ = '\0';
	p = strstrip(p);
	*ret_rest = *p ? p : NULL;
}

/* "type: id" (line already stripped of surrounding white space). */
static int parse_header(SectionFile *f, char *line, unsigned lineno, Section **ret, Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];
	char *colon, *id, *extra;

	diag_escape(esc, sizeof(esc), line, strlen(line));
	colon = strchr(line, ':');
	if (!colon)
		goto bad;
	*colon = '\0';
	if (!configid_valid(line))
		goto bad;
	split_word(strstrip(colon + 1), &id, &extra);
	if (!*id || extra)
		goto bad;
	for (char *p = line; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	for (size_t i = 0; i < f->n_sections; i++)
		if (strcmp(f->sections[i].id, id) == 0)
			return diag_error(d, -EEXIST, "%s:%u: %s: duplicate section (first on line %u)", f->name,
					  lineno, id, f->sections[i].line);
	return section_file_add(f, line, id, lineno, ret);
bad:
	return diag_error(d, -EINVAL, "%s:%u: '%s' is not a 'type: id' section header", f->name, lineno, esc);
}

/* "<ws>key value" or "<ws>flag" inside section s. */
static int parse_entry(SectionFile *f, Section *s, char *line, unsigned lineno, const char *const *multi_keys,
		       Diag *d)
{
	char esc[DIAG_ESCAPE_MAX];
	char *key, *value;

	if (!isspace((unsigned char)line[0]))
		return diag_error(d, -EINVAL, "%s:%u: %s: '%s' is not indented (a blank line must end a section)",
				  f->name, lineno, s->id, diag_escape(esc, sizeof(esc), line, strlen(line)));
	split_word(strstrip(line), &key, &value);
	if (!(multi_keys && strv_contains((char *const *)multi_keys, key)))
		for (size_t i = 0; i < s->n_entries; i++)
			if (strcmp(s->entries[i].key, key) == 0)
				return diag_error(d, -EINVAL, "%s:%u: %s: %s: duplicate key (first on line %u)",
						  f->name, lineno, s->id, key, s->entries[i].line);
	return section_add_entry(s, key, value, lineno);
}

int section_file_parse(const char *name, const char *data, size_t size, const char *const *multi_keys,
		       SectionFile **ret, Diag *d)
{
	_cleanup_(section_file_freep) SectionFile *f = NULL;
	Section *cur = NULL;
	unsigned lineno = 0;
	size_t pos = 0;
	int r;

	if (size > SECTION_FILE_SIZE_MAX)
		return diag_error(d, -EFBIG, "%s: file is larger than %u bytes", name, SECTION_FILE_SIZE_MAX);
	r = section_file_new(name, &f);
	if (r < 0)
		return r;

	while (pos < size) {
		const char *s = data + pos, *nl = memchr(s, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - s) : size - pos;
		_cleanup_free_ char *line = NULL;

		lineno++;
		pos += len + (nl ? 1 : 0);
		if (memchr(s, '\0', len))
			return diag_error(d, -EINVAL, "%s:%u: line contains a NUL byte", name, lineno);
		line = strndup(s, len);
		if (!line)
			return -ENOMEM;
		if (line[0] == '#')
			continue;
		if (line[strspn(line, " \t\r\v\f")] == '\0') {
			cur = NULL; /* a blank line ends the section */
			continue;
		}
		/* cur points into f->sections: valid until the next section is added, which ends it. */
		r = cur ? parse_entry(f, cur, line, lineno, multi_keys, d) : parse_header(f, line, lineno, &cur, d);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(f);
	return 0;
}

int section_file_load(const char *path, const char *const *multi_keys, SectionFile **ret, Diag *d)
{
	_cleanup_free_ char *data = NULL;
	const char *base = strrchr(path, '/');
	size_t size;
	int r;

	r = read_config_file(path, SECTION_FILE_SIZE_MAX, &data, &size, d);
	if (r < 0)
		return r;
	return section_file_parse(base ? base + 1 : path, data, size, multi_keys, ret, d);
}
