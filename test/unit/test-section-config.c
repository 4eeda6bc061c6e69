/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Section config syntax: headers, indented keys, flags, comments, repeated keys. */
#include "section-config.h"
#include "storage-config.h"
#include "storage-plugin.h"
#include "tap.h"

int main(void)
{
	static const char text[] = "# storage\n"
				   "dir: local\n"
				   "\tpath /var/lib/vz\n"
				   "\tcontent iso,vztmpl,backup\n"
				   "\n"
				   "# default image store on ZFS\n"
				   "ZFSPOOL: local-zfs\n"
				   "    pool rpool/data\n"
				   "    sparse\n"
				   "#comment inside\n"
				   "    options  vers=3,  soft   \n"
				   "\n\n"
				   "nfs:   iso\n"
				   "\tserver 10.0.0.10\n"
				   "\texport /space/iso\n"
				   "\tpath /mnt/pve/iso\n";
	static const char *const multi[] = { "dhcp-range", NULL };
	_cleanup_(section_file_freep) SectionFile *f = NULL, *g = NULL;
	_cleanup_(storage_config_freep) StorageConfig *st = NULL;
	const Storage *nfs;
	const SectionEntry *e;
	Diag d = {};
	int r;

	r = section_file_parse("storage.cfg", text, sizeof(text) - 1, NULL, &f, &d);
	ok(r >= 0, "parses (%s)", r < 0 ? d.msg : "ok");
	is_int(f->n_sections, 3, "three sections");
	is_str(f->sections[0].type, "dir", "type");
	is_str(f->sections[0].id, "local", "id");
	is_int(f->sections[0].line, 2, "header line number");
	is_str(f->sections[1].type, "zfspool", "type is lower-cased like Proxmox");
	e = section_get(&f->sections[1], "sparse");
	ok(e && e->value == NULL, "flag without value");
	e = section_get(&f->sections[1], "options");
	ok(e && strcmp(e->value, "vers=3,  soft") == 0, "value keeps inner spaces, trims the ends");
	is_int(e ? e->line : 0, 11, "entry line number past a comment");
	is_str(f->sections[2].id, "iso", "id after extra spaces");
	ok(section_get(&f->sections[0], "pool") == NULL, "keys stay in their own section");

	st = NULL;
	r = storage_config_from_sections(TAKE_PTR(f), &st, &d);
	ok(r >= 0, "storage typing (%s)", r < 0 ? d.msg : "ok");
	nfs = st ? storage_config_find(st, "iso") : NULL;
	ok(nfs && storage_plugin_of(nfs) == &storage_plugin_nfs && strcmp(storage_get(nfs, "server"), "10.0.0.10") == 0 &&
		   strcmp(storage_get(nfs, "export"), "/space/iso") == 0,
	   "nfs storage typed");
	ok(st && storage_plugin_of(storage_config_find(st, "local")) == NULL, "dir kept as an opaque section");

	{
		static const char subnets[] =
			"subnet: z-10.0.0.0-24\n\tvnet v1\n"
			"\tdhcp-range start-address=10.0.0.10,end-address=10.0.0.20\n"
			"\tdhcp-range start-address=10.0.0.30,end-address=10.0.0.40\n";

		r = section_file_parse("subnets.cfg", subnets, sizeof(subnets) - 1, multi, &g, &d);
	}
	ok(r >= 0 && g->sections[0].n_entries == 3, "repeated array key kept twice");

	{
		_cleanup_(section_file_freep) SectionFile *h = NULL;

		r = section_file_parse("x.cfg", "", 0, NULL, &h, &d);
		ok(r >= 0 && h->n_sections == 0, "empty file is an empty config");
	}
	{
		_cleanup_(section_file_freep) SectionFile *h = NULL;

		r = section_file_parse("x.cfg", "vnet: a\n\tzone z", 15, NULL, &h, &d);
		ok(r >= 0 && section_get(&h->sections[0], "zone") != NULL, "last line without newline");
	}
	return tap_done();
}
