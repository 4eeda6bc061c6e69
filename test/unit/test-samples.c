/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every real Proxmox sample in a format lxcnet reads must parse; printing
 * and re-parsing gives the same values; writing an unchanged container
 * config gives the same bytes.
 */
#define _XOPEN_SOURCE 700
#include <fnmatch.h>
#include <ftw.h>
#include <stdlib.h>

#include "pve-ctconf.h"
#include "sdn-config.h"
#include "storage-config.h"
#include "strutil.h"
#include "tap.h"

static unsigned n_ct, n_storage, n_running, n_sdn_cfg, n_nets;
static char tmpdir[] = "/tmp/lxcnet-samples-XXXXXX";

static void check_ct(const char *path, const char *data, size_t size)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	_cleanup_free_ char *out = NULL, *copy = NULL, *back = NULL;
	Diag d = {};
	size_t back_len = 0;
	int r;

	r = ct_config_parse(path, data, size, &c, &d);
	if (!ok(r >= 0, "container config %s parses", path)) {
		tap_diag("%s", d.msg);
		return;
	}
	n_ct++;
	for (unsigned i = 0; i < PVE_NET_MAX; i++) {
		_cleanup_free_ char *s = NULL;
		PveNet again;

		if (!c->nets[i].present)
			continue;
		n_nets++;
		ok(pve_net_format(&c->nets[i].net, &s) >= 0 && pve_net_parse(s, &again, &d) >= 0 &&
			   pve_net_equal(&again, &c->nets[i].net),
		   "%s net%u: print and re-parse give the same values (%s)", path, i, s ?: "?");
		ok(ct_config_set_net(c, i, &again, &d) >= 0 && c->size == size && memcmp(c->data, data, size) == 0,
		   "%s net%u: writing it back unchanged keeps every byte", path, i);
	}

	/* Through the real writer: an unchanged config saved to disk reads back byte for byte. */
	if (asprintf(&copy, "%s/%u.conf", tmpdir, 100 + n_ct) < 0)
		return;
	free(c->path);
	c->path = strdup(copy);
	ok(ct_config_save(c, &d) >= 0 && read_full_file(copy, CT_CONFIG_SIZE_MAX, &back, &back_len) >= 0 &&
		   back_len == size && memcmp(back, data, size) == 0,
	   "%s: saved unchanged, same bytes on disk", path);
}

static void check_storage(const char *path)
{
	_cleanup_(storage_config_freep) StorageConfig *st = NULL;
	Diag d = {};
	int r = storage_config_load(path, &st, &d);

	if (ok(r >= 0, "storage config %s parses", path)) {
		n_storage++;
		ok(st->n_storages > 0, "%s: has storages (%zu)", path, st->n_storages);
	} else
		tap_diag("%s", d.msg);
}

static void check_running(const char *path, const char *data, size_t size)
{
	_cleanup_(sdn_config_freep) SdnConfig *c = NULL;
	Diag d = {};
	int r = sdn_config_parse_running(path, data, size, &c, &d);

	if (ok(r >= 0, "SDN running config %s parses", path)) {
		n_running++;
		ok(c->n_zones > 0 && c->n_vnets > 0, "%s: zones %zu, vnets %zu", path, c->n_zones, c->n_vnets);
	} else
		tap_diag("%s", d.msg);
}

/* pve-docs' example holds vnets.cfg and subnets.cfg one after the other. */
static void check_sdn_example(const char *path, const char *data, size_t size)
{
	_cleanup_(section_file_freep) SectionFile *z = NULL, *v = NULL, *s = NULL;
	_cleanup_(sdn_config_freep) SdnConfig *c = NULL;
	static const char *const multi[] = { "dhcp-range", NULL };
	const char *split = strstr(data, "# /etc/pve/sdn/subnets.cfg");
	Diag d = {};
	int r;

	if (!ok(split != NULL, "%s: has the subnets.cfg part", path))
		return;
	r = section_file_parse("zones.cfg", "simple: simple\n", 15, NULL, &z, &d);
	if (r >= 0)
		r = section_file_parse("vnets.cfg", data, (size_t)(split - data), NULL, &v, &d);
	if (r >= 0)
		r = section_file_parse("subnets.cfg", split, size - (size_t)(split - data), multi, &s, &d);
	if (r >= 0)
		r = sdn_config_from_sections(z, v, s, &c, &d);
	if (ok(r >= 0, "SDN example %s parses", path)) {
		n_sdn_cfg++;
		ok(c->n_vnets == 1 && c->n_subnets == 2 && strv_length(c->subnets[0].dhcp_ranges) == 1,
		   "%s: 1 vnet, 2 subnets with dhcp-range", path);
	} else
		tap_diag("%s", d.msg);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	_cleanup_free_ char *data = NULL;
	size_t size;

	(void)st;
	if (type != FTW_F)
		return 0;
	if (read_full_file(path, 16 * 1024 * 1024, &data, &size) < 0) {
		ok(0, "read %s", path);
		return 0;
	}
	if (fnmatch("[0-9]*.conf", base, 0) == 0 && strspn(base, "0123456789") == strlen(base) - 5)
		check_ct(path, data, size);
	else if (fnmatch("storage.cfg*", base, 0) == 0)
		check_storage(path);
	else if (strstr(base, "running-config"))
		check_running(path, data, size);
	else if (strcmp(base, "sdn-vnets-subnets.cfg-example") == 0)
		check_sdn_example(path, data, size);
	else
		tap_diag("not a format lxcnet reads: %s", path);
	return 0;
}

int main(void)
{
	const char *dir = getenv("LXCNET_SAMPLES_DIR");

	if (!dir || !*dir)
		tap_skip_all("no Proxmox samples (LXCNET_SAMPLES_DIR unset; configure --with-pve-samples)");
	if (!mkdtemp(tmpdir))
		tap_skip_all("cannot create a temporary directory");
	if (nftw(dir, visit, 16, FTW_PHYS) != 0)
		ok(0, "walk %s", dir);

	ok(n_ct >= 6, "container configs checked: %u", n_ct);
	ok(n_nets >= 6, "NICs checked: %u", n_nets);
	ok(n_storage >= 5, "storage configs checked: %u", n_storage);
	ok(n_running >= 2, "running configs checked: %u", n_running);
	ok(n_sdn_cfg >= 1, "SDN section examples checked: %u", n_sdn_cfg);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
