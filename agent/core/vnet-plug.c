/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Where a VNet plugs on this node (ValidateVNet, binds, the builtin:vnet plugin), and the ManagerError names. */
#include <errno.h>
#include <string.h>

#include "manager.h"
#include "plug.h"

static const char *const manager_errors[] = {
	[MANAGER_NO_SUCH_BINDING] = LXCNET_ERR_NO_SUCH_BINDING, [MANAGER_NO_SUCH_VNET] = LXCNET_ERR_NO_SUCH_VNET,
	[MANAGER_INVALID_CONFIG] = LXCNET_ERR_INVALID_CONFIG,	 [MANAGER_BUSY] = LXCNET_ERR_BUSY,
	[MANAGER_FAILED] = LXCNET_ERR_FAILED,
};

const char *manager_error_name(ManagerError k)
{
	return k > MANAGER_OK && k <= MANAGER_FAILED ? manager_errors[k] : LXCNET_ERR_FAILED;
}

int manager_fail(ManagerError *kind, ManagerError k, int r)
{
	*kind = k;
	return r;
}

int manager_load_vnet(Manager *m, PlugEnv *e, const char *vnet, ManagerError *kind, Diag *d)
{
	int r = sdn_config_load(m->pve_dir, &e->sdn, d);

	if (r < 0)
		return manager_fail(kind, MANAGER_INVALID_CONFIG, r);
	e->sdn_loaded = true;
	if (!sdn_config_find_vnet(e->sdn, vnet))
		return manager_fail(kind, MANAGER_NO_SUCH_VNET,
			    diag_error(d, -ENOENT, "VNet '%s' is not defined in %s", vnet, e->sdn->source ?: "the SDN configuration"));
	return 0;
}

int manager_vnet_plug_in(Manager *m, PlugEnv *e, const char *vnet, SdnPlug *ret, ManagerError *kind, Diag *d)
{
	int r = e->sdn_loaded ? 0 : manager_load_vnet(m, e, vnet, kind, d);

	if (r >= 0 && !sdn_config_find_vnet(e->sdn, vnet))
		r = manager_fail(kind, MANAGER_NO_SUCH_VNET,
				 diag_error(d, -ENOENT, "VNet '%s' is not defined in %s", vnet,
					    e->sdn->source ?: "the SDN configuration"));
	if (r >= 0) {
		r = sdn_vnet_resolve(e->sdn, vnet, e->node, sdn_bridge_exists_sysfs, NULL, ret, d);
		if (r < 0)
			*kind = MANAGER_INVALID_CONFIG;
	}
	return r;
}

int manager_vnet_plug(Manager *m, const char *vnet, SdnPlug *ret, ManagerError *kind, Diag *d)
{
	PlugEnv e;
	int r;

	r = plug_env_open(&e, m->pve_dir);
	if (r < 0)
		return manager_fail(kind, MANAGER_FAILED, diag_error(d, r, "cannot open rtnetlink: %s", strerror(-r)));
	r = manager_vnet_plug_in(m, &e, vnet, ret, kind, d);
	plug_env_done(&e);
	return r;
}
