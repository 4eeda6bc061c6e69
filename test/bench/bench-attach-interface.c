/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The baseline's way into a container: liblxc's attach_interface() and
 * detach_interface(), what lxc-device add/del call.
 *   bench-attach-interface LXCPATH NAME add HOST-DEV CT-DEV
 *   bench-attach-interface LXCPATH NAME del CT-DEV
 */
#include <lxc/lxccontainer.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	struct lxc_container *c;
	bool ok;

	if (argc < 5 || (strcmp(argv[3], "add") == 0 && argc != 6) || (strcmp(argv[3], "del") == 0 && argc != 5)) {
		fprintf(stderr, "usage: %s LXCPATH NAME add HOST-DEV CT-DEV | del CT-DEV\n", argv[0]);
		return 2;
	}
	c = lxc_container_new(argv[2], argv[1]);
	if (!c) {
		fprintf(stderr, "%s: no container\n", argv[2]);
		return 1;
	}
	if (strcmp(argv[3], "add") == 0)
		ok = c->attach_interface(c, argv[4], argv[5]);
	else
		ok = c->detach_interface(c, argv[4], NULL);
	lxc_container_put(c);
	if (!ok) {
		fprintf(stderr, "%s: %s %s failed\n", argv[2], argv[3], argv[4]);
		return 1;
	}
	return 0;
}
