/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Storage networks without privileges: storage.cfg entries checked as
 * Proxmox requires (each problem a named error naming storage and key),
 * the endpoints derived from them, mount detection, and lxcnet.conf's
 * storage-network sections (parse, errors, format, edit).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lxcnet-conf.h"
#include "storage-plugin.h"
#include "strutil.h"
#include "tap.h"

static char pve_dir[64];

static int load(const char *text, StorageConfig **ret)
{
	SectionFile *f = NULL;
	Diag d = {};
	int r = section_file_parse("storage.cfg", text, strlen(text), NULL, &f, &d);

	if (r < 0) {
		tap_diag("parse: %s", d.msg);
		return r;
	}
	return storage_config_from_sections(f, ret, &d);
}

/* Each invalid entry and the named error it must yield (problem, storage, key). */
static void test_invalid(void)
{
	static const struct {
		const char *cfg;
		const char *id, *problem, *key;
	} cases[] = {
		{ "nfs: n1\n\texport /x\n\tpath /mnt/pve/n1\n", "n1", "missing-key", "server" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\tpath /mnt/pve/n1\n", "n1", "missing-key", "export" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n", "n1", "missing-key", "path" },
		{ "nfs: n1\n\tserver bad_host!\n\texport /x\n\tpath /mnt/pve/n1\n", "n1", "bad-server", "server" },
		{ "nfs: n1\n\tserver -lead.example\n\texport /x\n\tpath /mnt/pve/n1\n", "n1", "bad-server", "server" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport relative/x\n\tpath /mnt/pve/n1\n", "n1", "bad-export", "export" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n\tpath mnt/pve\n", "n1", "bad-path", "path" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n\tpath /mnt/pve/n1\n\toptions vers=5\n", "n1", "bad-vers", "options" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n\tpath /mnt/pve/n1\n\toptions soft,port=70000\n", "n1", "bad-port",
		  "options" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n\tpath /mnt/pve/n1\n\toptions proto=rdma\n", "n1", "bad-proto",
		  "options" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n\tpath /mnt/pve/n1\n\toptions soft,,hard\n", "n1", "bad-options",
		  "options" },
		{ "cifs: c1\n\tshare s\n\tpath /mnt/pve/c1\n", "c1", "missing-key", "server" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tpath /mnt/pve/c1\n", "c1", "missing-key", "share" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tshare a/b\n\tpath /mnt/pve/c1\n", "c1", "bad-share", "share" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tshare s\n\tpath /mnt/pve/c1\n\tsmbversion 1.0\n", "c1", "bad-smbversion",
		  "smbversion" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tshare s\n\tpath /mnt/pve/c1\n\tusername nopw\n", "c1", "no-password-file",
		  "username" },
		{ "cifs: open\n\tserver 10.0.0.2\n\tshare s\n\tpath /mnt/pve/open\n\tusername anna\n", "open",
		  "password-file-readable", "username" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tshare s\n\tpath /mnt/pve/c1\n\tdomain has\\040space x\n", "c1", "bad-domain",
		  "domain" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tshare s\n\tpath /mnt/pve/c1\n\tsubdir data\n", "c1", "bad-subdir", "subdir" },
		{ "cifs: c1\n\tserver 10.0.0.2\n\tshare s\n\tpath /mnt/pve/c1\n\toptions port=0\n", "c1", "bad-port", "options" },
		{ "iscsi: i1\n\ttarget iqn.2003-01.org.example:t\n", "i1", "missing-key", "portal" },
		{ "iscsi: i1\n\tportal 10.0.0.3\n", "i1", "missing-key", "target" },
		{ "iscsi: i1\n\tportal 10.0.0.3:99999\n\ttarget iqn.2003-01.org.example:t\n", "i1", "bad-portal", "portal" },
		{ "iscsi: i1\n\tportal [fd00::1\n\ttarget iqn.2003-01.org.example:t\n", "i1", "bad-portal", "portal" },
		{ "iscsi: i1\n\tportal 10.0.0.3\n\ttarget iqn.03-01.org.example:t\n", "i1", "bad-target", "target" },
		{ "iscsi: i1\n\tportal 10.0.0.3\n\ttarget eui.12345\n", "i1", "bad-target", "target" },
		{ "iscsi: i1\n\tportal 10.0.0.3\n\ttarget wwn.0123456789abcdef\n", "i1", "bad-target", "target" },
		{ "dir: local\n\tpath /var/lib/vz\n", "local", "unsupported-type", "" },
		{ "nfs: off\n\tserver 10.0.0.1\n\texport /x\n\tpath /mnt/pve/off\n\tdisable 1\n", "off", "disabled", "" },
		{ "nfs: n1\n\tserver 10.0.0.1\n\texport /x\n\tpath /mnt/pve/n1\n", "absent", "no-such-storage", "" },
	};

	ok(ELEMENTSOF(cases) >= 20, "at least 20 invalid entries (%zu)", ELEMENTSOF(cases));
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_(storage_config_freep) StorageConfig *c = NULL;
		StorageIssue issue = {};
		char want[128];
		Diag d = {};
		int r;

		if (!ok(load(cases[i].cfg, &c) >= 0, "case %zu parses", i))
			continue;
		r = storage_check(c, cases[i].id, pve_dir, NULL, &issue, &d);
		snprintf(want, sizeof(want), "[%s]", cases[i].problem);
		ok(r == -EINVAL && strcmp(storage_problem_name(issue.problem), cases[i].problem) == 0 &&
			   strcmp(issue.storage, cases[i].id) == 0 && strcmp(issue.key, cases[i].key) == 0 &&
			   strncmp(d.msg, cases[i].id, strlen(cases[i].id)) == 0 && strstr(d.msg, want) &&
			   (!cases[i].key[0] || strstr(d.msg, cases[i].key)),
		   "%s/%s -> %s (%s)", cases[i].id, cases[i].key[0] ? cases[i].key : "-", cases[i].problem, d.msg);
	}
}

static void endpoint_is(const char *cfg, const char *id, const char *host, const char *ports)
{
	_cleanup_(storage_config_freep) StorageConfig *c = NULL;
	const Storage *s = NULL;
	StorageEndpoint e = {};
	char got[256] = "";
	Diag d = {};

	if (!ok(load(cfg, &c) >= 0 && storage_check(c, id, pve_dir, &s, NULL, &d) >= 0, "%s is valid (%s)", id, d.msg))
		return;
	if (!ok(storage_plugin_of(s)->endpoint(s, &e) >= 0, "%s: endpoint", id))
		return;
	for (size_t i = 0; i < e.n_ports; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s/%u", i ? " " : "",
			 storage_proto_name(e.ports[i].proto), e.ports[i].port);
	is_str(e.host, host, "%s: endpoint host", id);
	is_str(got, ports, "%s: endpoint ports", id);
}

static void test_endpoints(void)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_(storage_config_freep) StorageConfig *c = NULL;
	char path[256];
	size_t size;

	/* The pve-docs examples, as Proxmox ships them. */
	snprintf(path, sizeof(path), "%s/pve-docs/storage.cfg.nfs-example", getenv("LXCNET_SAMPLES_DIR") ?: "");
	if (read_full_file(path, 1 << 20, &text, &size) >= 0)
		endpoint_is(text, "iso-templates", "10.0.0.10", "tcp/111 udp/111 tcp/2049");
	else
		tap_diag("no %s: the Proxmox samples are checked by test-samples", path);

	endpoint_is("nfs: a\n\tserver nas.example.com\n\texport /e\n\tpath /mnt/pve/a\n\toptions vers=3,proto=udp,port=2050,mountport=892\n",
		    "a", "nas.example.com", "tcp/111 udp/111 udp/2049 udp/2050 udp/892");
	endpoint_is("nfs: v6\n\tserver fd00::10\n\texport /e\n\tpath /mnt/pve/v6\n\toptions vers=4.2\n", "v6", "fd00::10",
		    "tcp/111 udp/111 tcp/2049");
	endpoint_is("cifs: backup\n\tpath /mnt/pve/backup\n\tserver 10.0.0.11\n\tshare VMData\n\tcontent backup\n"
		    "\toptions noserverino,echo_interval=30\n\tsmbversion 3\n\tsubdir /data\n",
		    "backup", "10.0.0.11", "tcp/445");
	endpoint_is("cifs: sec\n\tpath /mnt/pve/sec\n\tserver 10.0.0.11\n\tshare s\n\tusername anna\n\tdomain EXAMPLE\n"
		    "\toptions port=4450\n",
		    "sec", "10.0.0.11", "tcp/4450");
	endpoint_is("iscsi: mynas\n     portal 10.10.10.1\n     target iqn.2006-01.openfiler.com:tsn.dcb5aaaddd\n     content none\n",
		    "mynas", "10.10.10.1", "tcp/3260");
	endpoint_is("iscsi: p\n\tportal [fd00::3]:3261\n\ttarget eui.0123456789ABCDEF\n", "p", "fd00::3", "tcp/3261");
	endpoint_is("iscsi: q\n\tportal san.example:3262\n\ttarget naa.60014055f0bd8d2a3a7d4a2f8c7a1b2c\n", "q", "san.example",
		    "tcp/3262");
}

static void test_mounted(void)
{
	static const char mountinfo[] =
		"22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
		"90 22 0:50 / /mnt/pve/nas rw,relatime shared:40 - nfs4 10.0.0.10:/space/iso rw,vers=4.2\n"
		"91 22 0:51 / /mnt/pve/my\\040smb rw shared:41 - cifs //10.0.0.11/VMData/data rw,vers=3.0\n"
		"92 22 0:52 / /mnt/pve/v6 rw - nfs [fd00::10]:/e rw\n";
	_cleanup_(storage_config_freep) StorageConfig *c = NULL;
	static const char cfg[] = "nfs: nas\n\tserver 10.0.0.10\n\texport /space/iso\n\tpath /mnt/pve/nas\n\n"
				  "nfs: other\n\tserver 10.0.0.10\n\texport /space/other\n\tpath /mnt/pve/other\n\n"
				  "cifs: smb\n\tserver 10.0.0.11\n\tshare VMData\n\tsubdir /data\n\tpath /mnt/pve/my smb\n\n"
				  "nfs: v6\n\tserver fd00::10\n\texport /e\n\tpath /mnt/pve/v6\n";

	if (!ok(load(cfg, &c) >= 0, "mount samples parse"))
		return;
	ok(storage_plugin_nfs.in_use(storage_config_find(c, "nas"), mountinfo), "nfs4 mount found by source and mount point");
	ok(!storage_plugin_nfs.in_use(storage_config_find(c, "other"), mountinfo), "another export is not mounted");
	ok(storage_plugin_cifs.in_use(storage_config_find(c, "smb"), mountinfo), "cifs mount with subdir and an escaped space");
	ok(storage_plugin_nfs.in_use(storage_config_find(c, "v6"), mountinfo), "IPv6 server in brackets");
}

static int conf(const char *text, LxcnetConf **ret, Diag *d)
{
	*d = (Diag){};
	return lxcnet_conf_parse("lxcnet.conf", text, strlen(text), NULL, ret, d);
}

static void test_conf(void)
{
	static const char good[] = "lxcnet: node\n\tphase full\n\n"
				   "storage-network: san\n\tinterface eno2\n\tvlan 50\n\tstorages nas,backup lun0\n"
				   "\trate 200\n\tallow tcp/22,10.50.0.5\n\n"
				   "storage-network: mgmt\n\tinterface eno3\n\tallow 10.60.0.1\n";
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "\tinterface eno2\n\tvlan 5000\n\tstorages a\n", "lxcnet.conf:3: s: vlan: '5000' is not a VLAN (1..4094)" },
		{ "\tinterface eno2\n\tstorages a\n\tmtu 9000\n", "lxcnet.conf:4: s: mtu: unknown key" },
		{ "\tvlan 5\n\tstorages a\n", "lxcnet.conf:1: s: interface: missing" },
		{ "\tinterface eno2\n", "lxcnet.conf:1: s: storages: missing" },
		{ "\tinterface eno2\n\tallow tcp/22\n", "lxcnet.conf:1: s: storages: missing" },
		{ "\tinterface eno2\n\tstorages a\n\tallow tcp/0\n", "lxcnet.conf:4: s: allow: 'tcp/0' is neither" },
		{ "\tinterface eno2\n\tstorages a\n\tallow bad_host!\n", "lxcnet.conf:4: s: allow: 'bad_host!' is neither" },
		{ "\tinterface eno2\n\tstorages a\n\trate 0\n", "lxcnet.conf:4: s: rate: '0' is not a rate" },
		{ "\tinterface eno2\n\tstorages a\n\trate 0.0000001\n",
		  "lxcnet.conf:4: s: rate: '0.0000001' is not a rate in MiB/s (at least 1 byte/s" },
		{ "\tinterface eno2\n\tstorages a,a\n", "lxcnet.conf:3: s: storages: 'a' is listed twice" },
		{ "\tinterface this-name-is-too-long\n\tstorages a\n", "lxcnet.conf:2: s: interface: 'this-name-is-too-long'" },
	};
	_cleanup_(lxcnet_conf_freep) LxcnetConf *c = NULL, *again = NULL;
	_cleanup_free_ char *text = NULL, *out = NULL, *removed = NULL;
	const StorageNetConf *s;
	Diag d;

	if (ok(conf(good, &c, &d) >= 0, "storage-network sections parse (%s)", d.msg)) {
		s = lxcnet_conf_storage_net(c, "san");
		ok(s && strcmp(s->interface, "eno2") == 0 && s->vlan == 50 && s->n_storages == 3 &&
			   strcmp(s->storages[2], "lun0") == 0 && s->rate == 200 && s->n_allow == 2 &&
			   strcmp(s->allow[1], "10.50.0.5") == 0,
		   "every key read back");
		s = lxcnet_conf_storage_net(c, "mgmt");
		ok(s && s->vlan == 0 && s->n_storages == 0 && s->n_allow == 1, "no vlan, only an allowed address");
		ok(lxcnet_conf_storage_net(c, "nope") == NULL, "unknown id");
		/* Formatted and parsed again: the same values. */
		s = lxcnet_conf_storage_net(c, "san");
		if (ok(s && storage_net_conf_format(s, &text) >= 0, "format")) {
			is_str(text, "storage-network: san\n\tinterface eno2\n\tvlan 50\n\tstorages nas,backup,lun0\n\trate 200\n"
				     "\tallow tcp/22,10.50.0.5\n",
			       "formatted section");
			ok(conf(text, &again, &d) >= 0 && again->n_storage_nets == 1 && again->storage_nets[0].vlan == 50,
			   "formatted section parses back");
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(lxcnet_conf_freep) LxcnetConf *b = NULL;
		_cleanup_free_ char *t = NULL;

		if (asprintf(&t, "storage-network: s\n%s", bad[i].body) < 0)
			continue;
		ok(conf(t, &b, &d) == -EINVAL && strncmp(d.msg, bad[i].msg, strlen(bad[i].msg)) == 0, "bad section %zu: %s", i,
		   d.msg);
	}
	{
		_cleanup_(lxcnet_conf_freep) LxcnetConf *b = NULL;

		ok(conf("storage-network: a\n\tinterface eno2\n\tstorages x\n\nstorage-network: b\n\tinterface eno2\n\tstorages y\n",
			&b, &d) == -EINVAL &&
			   strstr(d.msg, "lxcnet.conf:5: b: interface: 'eno2' already carries storage network 'a' (line 1)"),
		   "one storage network per interface (%s)", d.msg);
	}

	/* Editing: replace in place, append, remove; comments and other sections stay. */
	{
		static const char before[] = "# node settings\nlxcnet: node\n\tphase basic\n\n"
					     "# storage\nstorage-network: san\n\tinterface eno2\n\tstorages a\n\n"
					     "operation: net-up\n\tpath legacy\n";

		ok(lxcnet_conf_edit_section(before, "storage-network", "san",
					    "storage-network: san\n\tinterface eno4\n\tvlan 7\n\tstorages b\n", &out) >= 0 &&
			   strcmp(out, "# node settings\nlxcnet: node\n\tphase basic\n\n# storage\nstorage-network: san\n"
				       "\tinterface eno4\n\tvlan 7\n\tstorages b\n\noperation: net-up\n\tpath legacy\n") == 0,
		   "replace a section in place");
		free(out);
		out = NULL;
		ok(lxcnet_conf_edit_section(before, "storage-network", "new", "storage-network: new\n\tinterface eno5\n\tstorages c\n",
					    &out) >= 0 &&
			   strcmp(out + strlen(before), "\nstorage-network: new\n\tinterface eno5\n\tstorages c\n") == 0,
		   "append a section after a blank line");
		ok(lxcnet_conf_edit_section(before, "storage-network", "san", NULL, &removed) >= 0 &&
			   strcmp(removed, "# node settings\nlxcnet: node\n\tphase basic\n\n# storage\noperation: net-up\n\tpath legacy\n") == 0,
		   "remove a section and its blank line");
	}
}

static void setup_pve_dir(void)
{
	char path[128];
	int fd;

	snprintf(pve_dir, sizeof(pve_dir), "/tmp/lxcnet-storage-XXXXXX");
	if (!mkdtemp(pve_dir))
		tap_skip_all("no temp dir");
	snprintf(path, sizeof(path), "%s/priv", pve_dir);
	(void)mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/priv/storage", pve_dir);
	(void)mkdir(path, 0700);
	/* sec: a proper password file; open: one everybody can read. */
	snprintf(path, sizeof(path), "%s/priv/storage/sec.pw", pve_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/priv/storage/open.pw", pve_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		(void)fchmod(fd, 0644);
		close(fd);
	}
}

static void cleanup_pve_dir(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/priv/storage/sec.pw", pve_dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/priv/storage/open.pw", pve_dir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/priv/storage", pve_dir);
	(void)rmdir(path);
	snprintf(path, sizeof(path), "%s/priv", pve_dir);
	(void)rmdir(path);
	(void)rmdir(pve_dir);
}

int main(void)
{
	setup_pve_dir();
	test_invalid();
	test_endpoints();
	test_mounted();
	test_conf();
	cleanup_pve_dir();
	return tap_done();
}
