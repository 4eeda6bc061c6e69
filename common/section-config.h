/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * Proxmox's "section config" format (zones.cfg, vnets.cfg, subnets.cfg,
 * storage.cfg, and lxcnet's own lxcnet.conf):
 *
 *   # comment
 *   type: id
 *   <tab or spaces>key value
 *   <tab or spaces>flag
 *   <blank line ends the section>
 *
 * This layer only knows the syntax. Typed readers (sdn-config.c,
 * storage-config.c) give the keys their meaning.
 */

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "macro.h"

#define SECTION_FILE_SIZE_MAX (16u * 1024 * 1024)

typedef struct SectionEntry {
	char *key;
	char *value; /* NULL for a flag without value */
	unsigned line;
} SectionEntry;

typedef struct Section {
	char *type;
	char *id;
	unsigned line; /* 0 when the section did not come from a text file */
	SectionEntry *entries;
	size_t n_entries;
} Section;

typedef struct SectionFile {
	char *name; /* for messages: "zones.cfg" */
	Section *sections;
	size_t n_sections;
} SectionFile;

void section_file_free(SectionFile *f);
DEFINE_TRIVIAL_CLEANUP_FUNC(SectionFile, section_file_free);

/*
 * Parse text. A key may appear more than once in a section only if it is
 * listed in multi_keys (NULL-terminated, may be NULL), like Proxmox's array
 * properties (subnets' dhcp-range).
 */
int section_file_parse(const char *name, const char *data, size_t size, const char *const *multi_keys,
		       SectionFile **ret, Diag *d);
int section_file_load(const char *path, const char *const *multi_keys, SectionFile **ret, Diag *d);

/* An empty file to fill by hand (the JSON running config). */
int section_file_new(const char *name, SectionFile **ret);
int section_file_add(SectionFile *f, const char *type, const char *id, unsigned line, Section **ret);
int section_add_entry(Section *s, const char *key, const char *value, unsigned line);

const SectionEntry *section_get(const Section *s, const char *key);

/* "zones.cfg:7: myzone: " or "running-config: myzone: " for messages about an entry. */
void section_where(const SectionFile *f, const Section *s, const SectionEntry *e, char *buf, size_t bufsz);
