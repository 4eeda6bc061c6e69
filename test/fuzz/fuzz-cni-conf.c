/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CNI network configuration on lxcnet-cni's stdin: whatever arrives, a
 * configuration or a CNI error with a message; and host-local's reading of
 * its "ipam" (done by lxcnet-cni), which is either whole or says why not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cni-conf.h"
#include "cni-hostlocal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	CniConf c = {};
	CniError err = {};

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cni_conf_parse(text, &c, &err) < 0) {
		if (!err.code || !err.msg[0])
			abort();
	} else if (!c.name || !c.bridge || strncmp(c.spec, "bridge=", 7) != 0)
		abort();
	if (c.root && c.ipam_type) {
		HostLocal h = {};
		Diag why = {};
		int r = host_local_parse(c.root, "IgnoreUnknown=1;IP=10.0.0.9", &h, &why);

		/* Whole: a directory, at least one non-empty range set; refused: a reason. */
		if (r > 0 && (!h.dir || !h.n_sets || !h.sets[0].n))
			abort();
		if (r == 0 && !why.msg[0])
			abort();
		host_local_done(&h);
	}
	cni_conf_done(&c);
	free(text);
	return 0;
}
