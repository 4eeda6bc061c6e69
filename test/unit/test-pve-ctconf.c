/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Container config: only the current section's netN are read; a write changes exactly one line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "pve-ctconf.h"
#include "strutil.h"
#include "tap.h"

static char *tmpdir;

static char *slurp(const char *path, size_t *len)
{
	char *data = NULL;

	return read_full_file(path, 64 * 1024 * 1024, &data, len) < 0 ? NULL : data;
}

static void spew(const char *path, const char *data)
{
	FILE *f = fopen(path, "we");

	fputs(data, f);
	fclose(f);
}

static PveNet net(const char *s)
{
	PveNet n = {};
	Diag d = {};

	if (pve_net_parse(s, &n, &d) < 0)
		tap_diag("bad test input '%s': %s", s, d.msg);
	return n;
}

/* Apply one change in memory and compare every byte of the result. */
static void expect_change(const char *name, const char *in, unsigned idx, const char *spec, const char *expected)
{
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	PveNet n;
	Diag d = {};
	int r;

	r = ct_config_parse("100.conf", in, strlen(in), &c, &d);
	if (!ok(r >= 0, "%s: parses", name)) {
		tap_diag("%s", d.msg);
		return;
	}
	if (spec)
		n = net(spec);
	r = ct_config_set_net(c, idx, spec ? &n : NULL, &d);
	ok(r >= 0, "%s: set net%u", name, idx);
	is_str(c->data, expected, "%s: bytes", name);
	is_int(c->size, strlen(expected), "%s: size", name);
	ok(!spec || (c->nets[idx].present && pve_net_equal(&c->nets[idx].net, &n)), "%s: entry reads back", name);
}

static char *replace_line(const char *in, const char *old, const char *new)
{
	const char *p = strstr(in, old);
	char *out = NULL;

	if (!p)
		return NULL;
	if (asprintf(&out, "%.*s%s%s", (int)(p - in), in, new, p + strlen(old)) < 0)
		return NULL;
	return out;
}

static int count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	_cleanup_free_ char *rich = NULL, *path = NULL, *lockdir = NULL, *bak = NULL, *expected = NULL;
	_cleanup_free_ char *exp2 = NULL, *exp3 = NULL, *exp4 = NULL, *data_dir = NULL;
	_cleanup_(ct_config_freep) CtConfig *c = NULL;
	char tmpl[] = "/tmp/lxcnet-ctconf-XXXXXX";
	const char *td = getenv("LXCNET_TEST_DATA");
	PveNet n;
	Diag d = {};
	size_t len;
	int r, fd;

	if (!td)
		td = "test/data";
	tmpdir = mkdtemp(tmpl);
	if (!tmpdir)
		tap_skip_all("cannot create a temporary directory");
	if (asprintf(&data_dir, "%s/rich.conf", td) < 0)
		return 1;
	rich = slurp(data_dir, &len);
	if (!rich)
		tap_skip_all("test/data/rich.conf not found (set LXCNET_TEST_DATA)");

	/* Reading: only the current section counts. */
	r = ct_config_parse("100.conf", rich, len, &c, &d);
	ok(r >= 0, "rich config parses");
	ok(c->nets[0].present && c->nets[1].present && !c->nets[5].present, "net0, net1 current; snapshot's net5 not read");
	is_int(c->nets[1].net.tag, 100, "net1 tag from the current section, not the pending one");
	is_int(c->nets[1].line, 10, "net1 line number");
	ok(c->nets[0].net.firewall && c->nets[0].net.ip.mode == PVE_IP_STATIC, "net0 values from the current section");

	/* Unchanged write: the same values in another key order change no byte. */
	n = net("type=veth,tag=100,name=eth1,hwaddr=BC:24:11:4D:B0:FE,bridge=vmbr1");
	ok(ct_config_set_net(c, 1, &n, &d) >= 0 && c->size == len && memcmp(c->data, rich, len) == 0,
	   "writing back the same net1 keeps every byte");
	ok(ct_config_set_net(c, 7, NULL, &d) >= 0 && c->size == len && memcmp(c->data, rich, len) == 0,
	   "deleting an absent net7 keeps every byte");

	/* Replace net1: exactly that line changes, pending and snapshot untouched. */
	expected = replace_line(rich, "net1: bridge=vmbr1,name=eth1,tag=100,hwaddr=BC:24:11:4D:B0:FE,type=veth\n",
				"net1: name=eth1,bridge=vmbr1,hwaddr=BC:24:11:4D:B0:FE,tag=300,type=veth\n");
	expect_change("replace net1", rich, 1, "name=eth1,bridge=vmbr1,hwaddr=BC:24:11:4D:B0:FE,tag=300,type=veth", expected);
	/* Add net2: after net1, before ostype (Proxmox's sorted key order). */
	exp2 = replace_line(rich, "ostype: debian\n", "net2: name=eth2,bridge=vmbr0\nostype: debian\n");
	expect_change("add net2", rich, 2, "name=eth2,bridge=vmbr0", exp2);
	/* Add net10: sorts between net1 and net2 as a string. */
	exp3 = replace_line(rich, "ostype: debian\n", "net10: name=eth10,bridge=vmbr0\nostype: debian\n");
	expect_change("add net10", rich, 10, "name=eth10,bridge=vmbr0", exp3);
	/* Delete net0: its line goes, the snapshot's net0 stays. */
	exp4 = replace_line(rich, "net0: name=eth0,bridge=vmbr0,firewall=1,gw=192.0.2.1,hwaddr=BC:24:11:4D:B0:FF,ip=192.0.2.10/24,type=veth\n", "");
	expect_change("delete net0", rich, 0, NULL, exp4);
	ok(strstr(exp4, "net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:4D:B0:FF,ip=dhcp,type=veth") != NULL,
	   "snapshot net0 still there after delete");

	expect_change("add to unterminated file", "arch: amd64\nostype: debian", 0, "name=eth0",
		      "arch: amd64\nnet0: name=eth0\nostype: debian");
	expect_change("append after unterminated last line", "arch: amd64", 0, "name=eth0", "arch: amd64\nnet0: name=eth0\n");
	expect_change("add to empty file", "", 3, "name=eth3", "net3: name=eth3\n");
	expect_change("add after description only", "#my ct\n", 0, "name=eth0", "#my ct\nnet0: name=eth0\n");
	expect_change("add before first key when all sort after", "ostype: debian\nswap: 0\n", 0, "name=eth0",
		      "net0: name=eth0\nostype: debian\nswap: 0\n");
	expect_change("add stays out of snapshot", "arch: amd64\n\n[snap]\nnet0: name=eth9\n", 0, "name=eth0",
		      "arch: amd64\nnet0: name=eth0\n\n[snap]\nnet0: name=eth9\n");
	expect_change("delete last unterminated line", "arch: amd64\nnet0: name=eth0", 0, NULL, "arch: amd64\n");
	expect_change("replace keeps the file's CRLF", "a: 1\r\nnet0: name=eth0\r\nb: 2\r\n", 0, "name=eth1",
		      "a: 1\r\nnet0: name=eth1\r\nb: 2\r\n");
	expect_change("add to a CRLF file ends the line with CRLF", "arch: amd64\r\nostype: debian\r\n", 1, "name=eth1",
		      "arch: amd64\r\nnet1: name=eth1\r\nostype: debian\r\n");
	expect_change("add after an unterminated CRLF file's last line", "arch: amd64\r\nhostname: x", 1, "name=eth1",
		      "arch: amd64\r\nhostname: x\r\nnet1: name=eth1\r\n");
	expect_change("delete from a CRLF file takes the whole line", "a: 1\r\nnet0: name=eth0\r\nb: 2\r\n", 0, NULL,
		      "a: 1\r\nb: 2\r\n");
	expect_change("replace keeps an LF file LF", "a: 1\nnet0: name=eth0\nb: 2\n", 0, "name=eth1", "a: 1\nnet0: name=eth1\nb: 2\n");

	/* On disk, under the lock. */
	if (asprintf(&path, "%s/100.conf", tmpdir) < 0 || asprintf(&lockdir, "%s/lock", tmpdir) < 0 ||
	    asprintf(&bak, "%s/100.conf.bak", tmpdir) < 0)
		return 1;
	spew(path, rich);
	n = net("name=eth1,bridge=vmbr1,hwaddr=BC:24:11:4D:B0:FE,tag=300,type=veth");
	r = ct_config_update_net(path, lockdir, 1, &n, &d);
	ok(r >= 0, "update on disk (%s)", r < 0 ? d.msg : "ok");
	{
		_cleanup_free_ char *now = slurp(path, NULL), *prev = slurp(bak, NULL);
		_cleanup_free_ char *lockfile = NULL;
		struct stat st;

		is_str(now, expected, "file on disk has exactly the one line changed");
		is_str(prev, rich, "previous content kept as 100.conf.bak");
		if (asprintf(&lockfile, "%s/pve-config-100.lock", lockdir) < 0)
			return 1;
		ok(stat(lockfile, &st) == 0, "Proxmox lock file pve-config-100.lock used");
		is_int(count_files(tmpdir), 3, "no temporary file left (100.conf, .bak, lock dir)");
	}

	/* Failed writes never modify the file. */
	spew(path, "net0: name=eth0,tag=5000\narch: amd64\n");
	unlink(bak);
	n = net("name=eth1");
	r = ct_config_update_net(path, lockdir, 1, &n, &d);
	ok(r < 0, "update of an invalid file fails");
	is_str(d.msg, "100.conf:1: net0: tag: 5000 is out of range 1..4094", "and says why");
	{
		_cleanup_free_ char *now = slurp(path, NULL);
		struct stat st;

		is_str(now, "net0: name=eth0,tag=5000\narch: amd64\n", "invalid file left byte for byte");
		ok(stat(bak, &st) < 0 && errno == ENOENT, "no backup written for a failed update");
	}

	spew(path, rich);
	mkdir(bak, 0755); /* the backup cannot be renamed into place */
	n = net("name=eth1,tag=7");
	r = ct_config_update_net(path, lockdir, 1, &n, &d);
	ok(r < 0 && strstr(d.msg, "cannot write"), "update fails when the backup cannot be written (%s)", d.msg);
	{
		_cleanup_free_ char *now = slurp(path, NULL);

		is_str(now, rich, "file unchanged after a failed write");
		is_int(count_files(tmpdir), 3, "temporary files removed after a failed write");
	}
	rmdir(bak);

	r = ct_config_update_net(path, lockdir, 32, &n, &d);
	ok(r == -ERANGE, "net32 rejected");
	is_str(d.msg, "net32: index out of range 0..31", "net32 message");
	{
		_cleanup_free_ char *now = slurp(path, NULL);

		is_str(now, rich, "file unchanged after net32");
	}

	{
		_cleanup_free_ char *missing = NULL, *msg = NULL;
		struct stat st;

		if (asprintf(&missing, "%s/404.conf", tmpdir) < 0 || asprintf(&msg, "%s: No such file or directory", missing) < 0)
			return 1;
		r = ct_config_update_net(missing, lockdir, 0, &n, &d);
		ok(r == -ENOENT, "missing config file: ENOENT");
		is_str(d.msg, msg, "missing config file message names the path");
		ok(stat(missing, &st) < 0, "missing config file is not created");
	}

	/* A config that is a symbolic link: the file it points to is written, the link stays. */
	{
		_cleanup_free_ char *real = NULL, *link = NULL, *now = NULL, *realbak = NULL, *prev = NULL;
		struct stat st;

		if (asprintf(&real, "%s/real-100.conf", tmpdir) < 0 || asprintf(&link, "%s/101.conf", tmpdir) < 0 ||
		    asprintf(&realbak, "%s/real-100.conf.bak", tmpdir) < 0)
			return 1;
		spew(real, "arch: amd64\nnet0: name=eth0\n");
		ok(symlink("real-100.conf", link) == 0, "101.conf is a link to real-100.conf");
		n = net("name=eth0,tag=9");
		r = ct_config_update_net(link, lockdir, 0, &n, &d);
		ok(r >= 0, "update through the link (%s)", r < 0 ? d.msg : "ok");
		ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "101.conf is still a link");
		now = slurp(real, NULL);
		is_str(now, "arch: amd64\nnet0: name=eth0,tag=9\n", "the file it points to has the new line");
		prev = slurp(realbak, NULL);
		is_str(prev, "arch: amd64\nnet0: name=eth0\n", "the backup is beside that file");
		unlink(real);
		unlink(realbak);
		r = ct_config_save(&(CtConfig){ .path = link, .name = "101.conf", .data = (char *)"x\n", .size = 2 }, &d);
		ok(r < 0 && strstr(d.msg, "a symbolic link to nothing that can be written"), "a dangling link is refused (%s)", d.msg);
		ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode) && stat(real, &st) < 0, "and nothing is created");
		unlink(link);
	}

	/* The lock excludes a second writer (Proxmox uses flock on the same file). */
	{
		_cleanup_free_ char *lockfile = NULL;
		int fd2 = -1;

		if (asprintf(&lockfile, "%s/pve-config-100.lock", lockdir) < 0)
			return 1;
		fd = open(lockfile, O_RDWR | O_CLOEXEC);
		ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "test holds the container's config lock");
		r = ct_config_lock(lockdir, "100", 100, &fd2, &d);
		ok(r == -ETIMEDOUT, "second locker times out");
		ok(strstr(d.msg, "still locked by another process after 100 ms") != NULL, "timeout message (%s)", d.msg);
		close(fd);
		r = ct_config_lock(lockdir, "100", 100, &fd2, &d);
		ok(r >= 0, "lock free again after release");
		if (r >= 0)
			close(fd2);
	}

	/* Clean up the temporary directory. */
	{
		_cleanup_free_ char *cmd = NULL;

		if (asprintf(&cmd, "rm -rf '%s'", tmpdir) >= 0 && system(cmd) != 0)
			tap_diag("could not remove %s", tmpdir);
	}
	return tap_done();
}
