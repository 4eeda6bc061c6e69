/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Proxmox firewall files: Proxmox's own fixtures (proxmox-firewall's test
 * input, pve-firewall's test directories), a table of lines pve-firewall
 * skips (each with its exact problem), the effective firewall of a NIC for
 * each combination of the enables and filters, and the backend decision.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>

#include <sys/stat.h>
#include <unistd.h>

#include "fw-bridge.h"
#include "fw-compile.h"
#include "fw-rules.h"
#include "plug.h"
#include "pve-fwconf.h"
#include "tap.h"

static const char *samples;

static FwConfig *load(const char *rel, FwFileKind kind)
{
	_cleanup_free_ char *path = NULL;
	FwConfig *c = NULL;
	Diag d = {};

	if (asprintf(&path, "%s/%s", samples, rel) < 0)
		return NULL;
	if (fw_config_load(path, kind, &c, &d) < 0)
		tap_diag("%s: %s", rel, d.msg);
	return c;
}

static FwConfig *parse(FwFileKind kind, const char *text)
{
	FwConfig *c = NULL;
	Diag d = {};

	if (fw_config_parse(kind == FW_CLUSTER ? "cluster.fw" : kind == FW_HOST ? "host.fw" : "100.fw", kind, text, strlen(text),
			    &c, &d) < 0)
		tap_diag("parse failed: %s", d.msg);
	return c;
}

static void proxmox_firewall_fixtures(void)
{
	_cleanup_(fw_config_freep) FwConfig *g = load("proxmox-firewall/tests/input/100.fw", FW_GUEST);
	_cleanup_(fw_config_freep) FwConfig *c = load("proxmox-firewall/tests/input/cluster.fw", FW_CLUSTER);
	_cleanup_(fw_config_freep) FwConfig *h = load("proxmox-firewall/tests/input/host.fw", FW_HOST);
	_cleanup_(fw_config_freep) FwConfig *g2 = load("proxmox-firewall/tests/input/101.fw", FW_GUEST);
	const FwIpset *set;

	if (!ok(g && c && h && g2, "proxmox-firewall's 100.fw, 101.fw, cluster.fw and host.fw parse"))
		return;
	is_int(g->n_problems + c->n_problems + h->n_problems + g2->n_problems, 0, "with no line skipped");
	ok(g->options.enable == 1 && g->options.ndp == 1 && g->options.ipfilter == 1 && g->options.dhcp == 1 &&
		   g->options.macfilter == 0 && g->options.radv == -1,
	   "100.fw: enable, ndp, ipfilter, dhcp, macfilter as written, radv unset");
	ok(g->options.policy_in == FW_DROP && g->options.policy_out == FW_REJECT, "100.fw: policy_in DROP, policy_out REJECT");
	is_int(g->n_unknown_options, 2, "100.fw: log_level_in and log_level_out kept, not used");
	set = fw_config_find_ipset(g, "IPFILTER-NET1");
	ok(set && set->n_entries == 1 && strcmp(set->entries[0].cidr, "dc/network1") == 0 && !set->entries[0].nomatch,
	   "100.fw: [IPSET ipfilter-net1] holds dc/network1 (found case-insensitively)");
	is_int(g->n_rules, 5, "100.fw: five rules");
	is_str(g->n_rules ? g->rules[0].text : NULL, "GROUP network1 -i net1", "100.fw: the first rule as written");
	is_int(g->n_rules ? g->rules[0].line : 0, 19, "100.fw: and its line");

	ok(c->options.enable == 1 && fw_cluster_enabled(c, 0), "cluster.fw: enable 1");
	is_int(c->n_aliases, 3, "cluster.fw: three aliases");
	ok(c->n_aliases == 3 && strcmp(c->aliases[0].name, "network1") == 0 && strcmp(c->aliases[0].cidr, "172.16.100.0/24") == 0,
	   "cluster.fw: network1 is 172.16.100.0/24");
	ok(fw_config_find_ipset(c, "network1") && fw_config_find_ipset(c, "management") && c->n_ipsets == 2,
	   "cluster.fw: ipsets network1 and management");
	is_int(c->n_rules, 6, "cluster.fw: six rules (FORWARD included)");
	ok(c->n_groups == 1 && strcmp(c->groups[0].name, "network1") == 0 && c->groups[0].n_rules == 2,
	   "cluster.fw: security group network1 with two rules");

	ok(h->options.nftables == 1 && h->options.enable == 1, "host.fw: nftables 1, enable 1");
	is_int(h->n_rules, 9, "host.fw: nine rules");
	ok(g2->options.ndp == 0 && g2->options.radv == 0 && g2->options.dhcp == 1 && g2->options.policy_out == FW_ACCEPT &&
		   g2->options.policy_in == FW_VERDICT_UNSET,
	   "101.fw: ndp 0, radv 0, dhcp 1, policy_out ACCEPT, policy_in unset");
	set = fw_config_find_ipset(g2, "testing");
	ok(set && set->n_entries == 0, "101.fw: the empty ipset testing exists");
	ok(g2->n_aliases == 1 && strcmp(g2->aliases[0].cidr, "123.123.123.123") == 0, "101.fw: alias analias");
}

static unsigned n_files, n_failed;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	const char *base = path + ftw->base;
	size_t len = strlen(base);
	FwFileKind kind;
	FwConfig *c = NULL;
	Diag d = {};

	(void)st;
	if (type != FTW_F || len < 4 || strcmp(base + len - 3, ".fw") != 0)
		return 0;
	kind = strcmp(base, "cluster.fw") == 0 ? FW_CLUSTER : strcmp(base, "host.fw") == 0 ? FW_HOST : FW_GUEST;
	n_files++;
	if (fw_config_load(path, kind, &c, &d) < 0) {
		tap_diag("%s: %s", path, d.msg);
		n_failed++;
	}
	fw_config_free(c);
	return 0;
}

static void pve_firewall_fixtures(void)
{
	_cleanup_(fw_config_freep) FwConfig *e4 = load("pve-firewall/test/test-errors4/100.fw", FW_GUEST);
	_cleanup_(fw_config_freep) FwConfig *e1 = load("pve-firewall/test/test-errors1/100.fw", FW_GUEST);
	_cleanup_(fw_config_freep) FwConfig *ip1 = load("pve-firewall/test/test-vm-ipfilter1/100.fw", FW_GUEST);
	_cleanup_(fw_config_freep) FwConfig *set1 = load("pve-firewall/test/test-ipset1/cluster.fw", FW_CLUSTER);
	_cleanup_free_ char *dir = NULL;
	const FwIpset *s;

	if (asprintf(&dir, "%s/pve-firewall/test", samples) < 0)
		return;
	nftw(dir, visit, 16, FTW_PHYS);
	ok(n_files >= 25 && n_failed == 0, "every .fw file of pve-firewall's %u test files reads", n_files);

	if (!ok(e4 && e1 && ip1 && set1, "test-errors4, test-errors1, test-vm-ipfilter1, test-ipset1 parse"))
		return;
	is_int(e4->n_problems, 1, "test-errors4: one line skipped");
	is_str(e4->n_problems ? e4->problems[0] : NULL,
	       "100.fw:3: can't parse option 'dafadfsdf: afda # unknown option - should be skipped' (unknown option)",
	       "test-errors4: the unknown option, with file and line");
	ok(e4->options.enable == 1 && e4->n_rules == 1, "test-errors4: lower-case [options] and [rules] read, enable 1");
	ok(e1->options.enable == 1 && e1->n_rules == 2, "test-errors1: a repeated [options] section is read again");
	s = fw_config_find_ipset(ip1, "ipfilter-net0");
	ok(s && s->n_entries == 2, "test-vm-ipfilter1: ipfilter-net0 has two addresses");
	s = fw_config_find_ipset(ip1, "ipfilter-net2");
	ok(s && s->n_entries == 0, "test-vm-ipfilter1: the empty ipfilter-net2 (comment after its header) exists");
	s = fw_config_find_ipset(set1, "myipset");
	ok(s && s->n_entries == 5 && strcmp(s->entries[3].cidr, "mynetworkalias") == 0,
	   "test-ipset1: myipset has addresses, a network and aliases (trailing blank trimmed)");
	is_int(set1->n_problems, 0, "test-ipset1: nothing skipped");
}

/* Each line pve-firewall skips, with the problem lxcnet reports for it. */
static const struct {
	FwFileKind kind;
	const char *text;
	const char *problem;
} bad[] = {
	{ FW_GUEST, "enable: 1\n", "100.fw:1: skip line - no section: 'enable: 1'" },
	{ FW_GUEST, "[OPTIONS]\nenable: 2\n", "100.fw:2: enable: '2' is not 0 or 1" },
	{ FW_GUEST, "[OPTIONS]\nenable: yes\n", "100.fw:2: enable: 'yes' is not 0 or 1" },
	{ FW_GUEST, "[OPTIONS]\nmacfilter:\n", "100.fw:2: macfilter: '' is not 0 or 1" },
	{ FW_GUEST, "[OPTIONS]\npolicy_in: ALLOW\n", "100.fw:2: policy_in: 'ALLOW' is not ACCEPT, DROP or REJECT" },
	{ FW_GUEST, "[OPTIONS]\nfoo: 1\n", "100.fw:2: can't parse option 'foo: 1' (unknown option)" },
	{ FW_GUEST, "[OPTIONS]\nnftables: 1\n", "100.fw:2: can't parse option 'nftables: 1' (unknown option)" },
	{ FW_GUEST, "[OPTIONS]\nenable 1\n", "100.fw:2: can't parse option 'enable 1'" },
	{ FW_GUEST, "[OPTIONS]\n: 1\n", "100.fw:2: can't parse option ': 1'" },
	{ FW_CLUSTER, "[OPTIONS]\nenable: -1\n", "cluster.fw:2: enable: '-1' is not a number" },
	{ FW_CLUSTER, "[OPTIONS]\nmacfilter: 0\n", "cluster.fw:2: can't parse option 'macfilter: 0' (unknown option)" },
	{ FW_HOST, "[OPTIONS]\nnftables: on\n", "host.fw:2: nftables: 'on' is not 0 or 1" },
	{ FW_GUEST, "[ALIASES]\nonlyname\n", "100.fw:2: alias 'onlyname': want NAME ADDRESS" },
	{ FW_GUEST, "[ALIASES]\nx1 1.2.3.4 5.6.7.8\n", "100.fw:2: alias 'x1': want NAME ADDRESS" },
	{ FW_GUEST, "[ALIASES]\n1x 1.2.3.4\n", "100.fw:2: alias '1x': not an alias name" },
	{ FW_GUEST, "[ALIASES]\nsrv 1.2.3.400\n", "100.fw:2: alias 'srv': '1.2.3.400' does not look like a valid IP address or CIDR network" },
	{ FW_GUEST, "[ALIASES]\nsrv 1.2.3.0/33\n", "100.fw:2: alias 'srv': '1.2.3.0/33' does not look like a valid IP address or CIDR network" },
	{ FW_GUEST, "[ALIASES]\nsrv 1.2.3.4\nSRV 1.2.3.5\n", "100.fw:3: alias 'srv': defined already on line 2" },
	{ FW_GUEST, "[IPSET ipfilter-net0]\n1.2.3.4 5.6.7.8\n", "100.fw:2: ipset 'ipfilter-net0': '1.2.3.4 5.6.7.8' is not one address, network or alias" },
	{ FW_GUEST, "[IPSET s1]\n1.2.3.0/0\n", "100.fw:2: ipset 's1': a zero prefix is not allowed in ipset entries ('1.2.3.0/0')" },
	{ FW_GUEST, "[IPSET s1]\n::/00\n", "100.fw:2: ipset 's1': a zero prefix is not allowed in ipset entries ('::/00')" },
	{ FW_GUEST, "[IPSET s1]\n1.2.3.4\n1.2.3.4 # again\n", "100.fw:3: ipset 's1': duplicate ipset entry for '1.2.3.4'" },
	{ FW_GUEST, "[IPSET s1]\nbad/alias\n", "100.fw:2: ipset 's1': 'bad/alias' does not look like a valid IP address, CIDR network or alias" },
	{ FW_GUEST, "[IPSET s1]\n!\n", "100.fw:2: ipset 's1': '' is not one address, network or alias" },
	{ FW_GUEST, "[IPSET 1bad]\n1.2.3.4\n", "100.fw:1: invalid ipset name '1bad'" },
	{ FW_GUEST, "[IPSET s1] junk\n", "100.fw:1: skip line - not a section header: '[IPSET s1] junk'" },
	{ FW_GUEST, "[IPSET s1]\n[IPSET S1]\n", "100.fw:2: ipset 's1' is defined twice" },
	{ FW_CLUSTER, "[group averyveryverylonggroupname]\n", "cluster.fw:1: invalid group name 'averyveryverylonggroupname'" },
	{ FW_GUEST, "[RULES]\nACCEPT -p tcp\n", "100.fw:2: unknown rule type in 'ACCEPT -p tcp'" },
	{ FW_GUEST, "[RULES]\n[group g1]\n", "100.fw:2: unknown rule type in '[group g1]'" },
	{ FW_HOST, "[RULES]\n[IPSET s1]\n", "host.fw:2: unknown rule type in '[IPSET s1]'" },
	{ FW_CLUSTER, "[group g1]\nGROUP g2\n", "cluster.fw:2: unknown rule type in 'GROUP g2'" },
	{ FW_GUEST, "[OOPS]\nenable: 1\n", "100.fw:1: skip line - no section: '[OOPS]'" },
};

static void bad_lines(void)
{
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		_cleanup_(fw_config_freep) FwConfig *c = parse(bad[i].kind, bad[i].text);

		if (!ok(c && c->n_problems >= 1, "bad line %zu: skipped with a problem", i))
			continue;
		is_str(c->problems[0], bad[i].problem, "bad line %zu: the problem names file, line and reason", i);
	}
	{
		_cleanup_(fw_config_freep) FwConfig *c = parse(FW_GUEST, "[OPTIONS]\nenable: 2\nenable: 1\n");

		ok(c && c->options.enable == 1, "a skipped option leaves the one after it in force");
	}
	{
		_cleanup_(fw_config_freep) FwConfig *c = parse(FW_GUEST, "[IPSET 1bad]\n1.2.3.4\n[OPTIONS]\nenable: 1\n");

		ok(c && c->n_problems == 2 && c->n_ipsets == 0 && c->options.enable == 1,
		   "after a bad ipset header its entries are skipped too, up to the next section");
	}
	{
		char *big = malloc(2 * 1024 * 1024);
		_cleanup_(fw_config_freep) FwConfig *c = NULL;

		memset(big, 'x', 2 * 1024 * 1024 - 1);
		memcpy(big, "[OPTIONS]\n", 10);
		big[2 * 1024 * 1024 - 1] = '\0';
		c = parse(FW_GUEST, big);
		ok(c && c->n_problems == 1 && strlen(c->problems[0]) < 300, "a 2 MiB line makes a short problem");
		free(big);
	}
	{
		FwConfig *c = NULL;
		Diag d = {};

		ok(fw_config_parse("100.fw", FW_GUEST, "[OPTIONS]\n\0", 11, &c, &d) == -EINVAL &&
			   strcmp(d.msg, "100.fw: contains a NUL byte") == 0,
		   "a NUL byte makes the file unreadable (%s)", d.msg);
		ok(fw_config_load("/nonexistent/100.fw", FW_GUEST, &c, &d) == -ENOENT &&
			   strcmp(d.msg, "/nonexistent/100.fw: No such file or directory") == 0,
		   "a missing file: ENOENT naming it");
	}
	{
		_cleanup_(fw_config_freep) FwConfig *c =
			parse(FW_GUEST, "  [Options]  \r\n\tENABLE:   1  \r\n[ipset  IPFILTER-net3 ]  # mine\r\n ! 10.0.0.0/8  # not these\r\n");
		const FwIpset *s = c ? fw_config_find_ipset(c, "ipfilter-net3") : NULL;

		ok(c && c->n_problems == 0 && c->options.enable == 1 && s && s->n_entries == 1 && s->entries[0].nomatch &&
			   strcmp(s->entries[0].cidr, "10.0.0.0/8") == 0,
		   "blanks, CRLF, case and comments as pve-firewall allows them; '!' marks a nomatch entry");
	}
}

static void nic_policy(void)
{
	static const struct {
		const char *cluster, *guest;
		bool nic_firewall;
		time_t now;
		bool effective, macfilter, ipfilter, dhcp, ndp, radv;
		FwVerdict in, out;
	} t[] = {
		/* The three enables. */
		{ "enable: 1", "enable: 1", true, 0, true, true, false, true, true, false, FW_DROP, FW_ACCEPT },
		{ "enable: 0", "enable: 1", true, 0, false },
		{ NULL, "enable: 1", true, 0, false },
		{ "enable: 1", "enable: 0", true, 0, false },
		{ "enable: 1", NULL, true, 0, false },
		{ "enable: 1", "", true, 0, false },
		{ "enable: 1", "enable: 1", false, 0, false },
		{ "", "enable: 1", true, 0, false },
		/* Temporary enable: a time within the last 60 s. */
		{ "enable: 1000", "enable: 1", true, 1050, true, true, false, true, true, false, FW_DROP, FW_ACCEPT },
		{ "enable: 1000", "enable: 1", true, 1061, false },
		/* The filters and their defaults. */
		{ "enable: 1", "enable: 1\nmacfilter: 0", true, 0, true, false, false, true, true, false, FW_DROP, FW_ACCEPT },
		{ "enable: 1", "enable: 1\nipfilter: 1", true, 0, true, true, true, true, true, false, FW_DROP, FW_ACCEPT },
		{ "enable: 1", "enable: 1\nipfilter: 0", true, 0, true, true, false, true, true, false, FW_DROP, FW_ACCEPT },
		{ "enable: 1", "enable: 1\nipfilter: 0\n[IPSET ipfilter-net2]\n10.0.0.5", true, 0, true, true, true, true, true,
		  false, FW_DROP, FW_ACCEPT },
		{ "enable: 1", "enable: 1\n[IPSET ipfilter-net1]\n10.0.0.5", true, 0, true, true, false, true, true, false,
		  FW_DROP, FW_ACCEPT },
		{ "enable: 1", "enable: 1\ndhcp: 0\nndp: 0\nradv: 1", true, 0, true, true, false, false, false, true, FW_DROP,
		  FW_ACCEPT },
		{ "enable: 1", "enable: 1\npolicy_in: ACCEPT\npolicy_out: REJECT", true, 0, true, true, false, true, true, false,
		  FW_ACCEPT, FW_REJECT },
		/* A refused value is no value: the default holds. */
		{ "enable: 1", "enable: 1\nmacfilter: no", true, 0, true, true, false, true, true, false, FW_DROP, FW_ACCEPT },
		{ "enable: 1", "enable: yes", true, 0, false },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		_cleanup_free_ char *ctext = NULL, *gtext = NULL;
		_cleanup_(fw_config_freep) FwConfig *c = NULL, *g = NULL;
		PveNet n = { .firewall = t[i].nic_firewall };
		FwNicPolicy p;

		if ((t[i].cluster && asprintf(&ctext, "[OPTIONS]\n%s\n", t[i].cluster) < 0) ||
		    (t[i].guest && asprintf(&gtext, "[OPTIONS]\n%s\n", t[i].guest) < 0))
			return;
		c = ctext ? parse(FW_CLUSTER, ctext) : NULL;
		g = gtext ? parse(FW_GUEST, gtext) : NULL;
		fw_nic_policy(c, g, 2, &n, t[i].now, &p);
		if (!t[i].effective) {
			ok(!p.effective && !p.macfilter && !p.ipfilter, "policy %zu: not in effect (cluster.fw %s, guest .fw %s, firewall=%d)",
			   i, t[i].cluster ? "read" : "missing", t[i].guest ? "read" : "missing", t[i].nic_firewall);
			continue;
		}
		ok(p.effective && p.macfilter == t[i].macfilter && p.ipfilter == t[i].ipfilter && p.dhcp == t[i].dhcp &&
			   p.ndp == t[i].ndp && p.radv == t[i].radv && p.policy_in == t[i].in && p.policy_out == t[i].out,
		   "policy %zu: in effect, macfilter %d ipfilter %d dhcp %d ndp %d radv %d, in %s out %s", i, t[i].macfilter,
		   t[i].ipfilter, t[i].dhcp, t[i].ndp, t[i].radv, fw_verdict_name(t[i].in), fw_verdict_name(t[i].out));
	}
}

static void backend(void)
{
	_cleanup_(fw_config_freep) FwConfig *on = parse(FW_HOST, "[OPTIONS]\nnftables: 1\n");
	_cleanup_(fw_config_freep) FwConfig *off = parse(FW_HOST, "[OPTIONS]\nnftables: 0\n");

	ok(fw_backend(on, false, true) == FW_BACKEND_NFTABLES, "nftables: 1, installed, not disabled: proxmox-firewall");
	ok(fw_backend(on, true, true) == FW_BACKEND_IPTABLES, "the force-disable flag: pve-firewall");
	ok(fw_backend(on, false, false) == FW_BACKEND_IPTABLES, "proxmox-firewall not installed: pve-firewall");
	ok(fw_backend(off, false, true) == FW_BACKEND_IPTABLES, "nftables: 0: pve-firewall");
	ok(fw_backend(NULL, false, true) == FW_BACKEND_IPTABLES, "no host.fw: pve-firewall");
	is_str(fw_backend_name(FW_BACKEND_NFTABLES), "proxmox-nftables", "backend names as the API shows them");
}

static void bridge_names(void)
{
	static const struct {
		const char *veth, *fwbr, *fwln, *fwpr;
		int r;
	} t[] = {
		{ "veth100i0", "fwbr100i0", "fwln100i0", "fwpr100p0", 0 },
		{ "veth999999i31", "fwbr999999i31", "fwln999999i31", "fwpr999999p31", 0 },
		/* As long as the veth's name: what fits one fits the others (15 characters). */
		{ "veth12345678i31", "fwbr12345678i31", "fwln12345678i31", "fwpr12345678p31", 0 },
		{ "veth123456789i31", NULL, NULL, NULL, -ENAMETOOLONG },
		{ "vethweb91i0", NULL, NULL, NULL, -EINVAL }, /* a plain container: no Proxmox firewall */
		{ "veth100i", NULL, NULL, NULL, -EINVAL },
		{ "vethi0", NULL, NULL, NULL, -EINVAL },
		{ "oci1b2c3d4ei0", NULL, NULL, NULL, -EINVAL },
		{ "veth100x0", NULL, NULL, NULL, -EINVAL },
	};

	for (size_t i = 0; i < ELEMENTSOF(t); i++) {
		FwBridge fb;
		int r = fw_bridge_names(t[i].veth, &fb);

		if (t[i].r < 0) {
			is_int(r, t[i].r, "%s: no firewall bridge names (%s)", t[i].veth, strerror(-t[i].r));
			continue;
		}
		ok(r == 0 && strcmp(fb.fwbr, t[i].fwbr) == 0 && strcmp(fb.fwln, t[i].fwln) == 0 && strcmp(fb.fwpr, t[i].fwpr) == 0,
		   "%s: %s, %s, %s", t[i].veth, t[i].fwbr, t[i].fwln, t[i].fwpr);
	}
}

/* plug_fw_enforcer() on files in a temporary pve-dir: the gate, the backend, and never open on an unreadable file. */
static void enforcer(void)
{
	char dir[] = "/tmp/lxcnet-fwconf-XXXXXX", path[256];
	PveNet fw1 = { .firewall = true }, fw0 = {};
	PlugFwEnforcer f;
	Diag d = {};
	FILE *fp;
	int r;

	if (!mkdtemp(dir)) {
		ok(false, "a temporary pve-dir");
		return;
	}
	snprintf(path, sizeof(path), "%s/firewall", dir);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/nodes", dir);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/nodes/n1", dir);
	(void)mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/firewall/cluster.fw", dir);
	fp = fopen(path, "w");
	fputs("[OPTIONS]\nenable: 1\n", fp);
	fclose(fp);

	r = plug_fw_enforcer(dir, "n1", "100", 0, &fw1, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
	ok(r == 0 && f == FW_ENFORCER_NONE, "no 100.fw: the guest's firewall is off, nothing enforces (%d)", r);
	snprintf(path, sizeof(path), "%s/firewall/100.fw", dir);
	fp = fopen(path, "w");
	fputs("[OPTIONS]\nenable: 1\n", fp);
	fclose(fp);
	r = plug_fw_enforcer(dir, "n1", "100", 0, &fw1, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
	ok(r == 0 && f == FW_ENFORCER_PROXMOX_IPTABLES, "in effect, no host.fw: pve-firewall (%s)", plug_fw_enforcer_name(f));
	r = plug_fw_enforcer(dir, "n1", "100", 0, &fw0, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
	ok(r == 0 && f == FW_ENFORCER_NONE, "firewall=0 on the NIC: none (%s)", plug_fw_enforcer_name(f));
	r = plug_fw_enforcer(dir, "n1", "web", 0, &fw1, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
	ok(r == 0 && f == FW_ENFORCER_NONE, "a container that is no VMID: none (%s)", plug_fw_enforcer_name(f));
	snprintf(path, sizeof(path), "%s/nodes/n1/host.fw", dir);
	fp = fopen(path, "w");
	fputs("[OPTIONS]\nnftables: 1\n", fp);
	fclose(fp);
	setenv("LXCNET_PROXMOX_FIREWALL", "/bin/true", 1);
	r = plug_fw_enforcer(dir, "n1", "100", 0, &fw1, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
	ok(r == 0 && f == FW_ENFORCER_PROXMOX_NFTABLES, "host.fw nftables: 1, proxmox-firewall installed: %s",
	   plug_fw_enforcer_name(f));
	unsetenv("LXCNET_PROXMOX_FIREWALL");
	snprintf(path, sizeof(path), "%s/firewall/100.fw", dir);
	(void)unlink(path);
	(void)mkdir(path, 0755); /* exists, cannot be read as a file */
	r = plug_fw_enforcer(dir, "n1", "100", 0, &fw1, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
	ok(r < 0 && strncmp(d.msg, "firewall: ", 10) == 0, "100.fw unreadable: an error, not 'none' (%s)", d.msg);
	(void)rmdir(path);

	/* firewall lxcnet: lxcnet's guest firewall where it compiles the guest's, else Proxmox's with the reason. */
	{
		static const struct {
			const char *guest, *host, *enforcer, *why;
		} t[] = {
			{ "[OPTIONS]\nenable: 1\n", "", "lxcnet", "" },
			{ "[OPTIONS]\nenable: 1\n\n[RULES]\n|IN ACCEPT -p tcp -dport 22\nIN ACCEPT -i net1 -p tcp -dport 80\n", "",
			  "lxcnet", "" },
			{ "[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -p tcp -dport 22 # ssh\n", "", "lxcnet", "" },
			{ "[OPTIONS]\nenable: 1\n\n[RULES]\nGROUP web -i net0\n", "", "lxcnet", "" },
			{ "[OPTIONS]\nenable: 1\n\n[RULES]\nIN ACCEPT -p tcp -dport 22\nIN REJECT -p tcp -dport 23\n", "",
			  "lxcnet", "" },
			{ "[OPTIONS]\nenable: 1\npolicy_in: REJECT\npolicy_out: REJECT\n", "", "lxcnet", "" },
			{ "[OPTIONS]\nenable: 1\nips: 1\n", "", "proxmox-iptables",
			  "100.fw: option 'ips: 1' (not enforced by lxcnet)" },
			{ "[OPTIONS]\nenable: 1\n", "[OPTIONS]\ntcpflags: 1\n", "proxmox-iptables",
			  "host.fw: option 'tcpflags: 1' (not enforced by lxcnet)" },
			{ "[OPTIONS]\nenable: 1\n", "[OPTIONS]\ntcpflags: 0\nnosmurfs: 0\n", "lxcnet", "" },
		};
		PveNet n = { .firewall = true };

		for (size_t i = 0; i < ELEMENTSOF(t); i++) {
			char why[DIAG_MAX] = "";
			DatapathFw *fw = calloc(1, sizeof(*fw));

			snprintf(path, sizeof(path), "%s/firewall/100.fw", dir);
			fp = fopen(path, "w");
			fputs(t[i].guest, fp);
			fclose(fp);
			snprintf(path, sizeof(path), "%s/nodes/n1/host.fw", dir);
			fp = fopen(path, "w");
			fputs(t[i].host, fp);
			fclose(fp);
			d = (Diag){};
			r = plug_fw_enforcer(dir, "n1", "100", 0, &n, FIREWALL_LXCNET, &f, fw, why, &d);
			ok(r == 0 && strcmp(plug_fw_enforcer_name(f), t[i].enforcer) == 0 && strcmp(why, t[i].why) == 0,
			   "firewall lxcnet, case %zu: %s (%s) %s", i, plug_fw_enforcer_name(f), why, d.msg);
			if (i == 0)
				ok(fw->fw.policy_in == LXCNET_FW_DROP && fw->fw.policy_out == LXCNET_FW_ACCEPT &&
					   fw->fw.flags == (LXCNET_FW_DHCP | LXCNET_FW_NDP | LXCNET_FW_NOSMURFS) && fw->n_set == 0,
				   "defaults: DROP in, ACCEPT out, DHCP, NDP, nosmurfs; no MAC filter without hwaddr (flags %#x)",
				   fw->fw.flags);
			if (i == 2)
				ok(fw->rules && fw->fw.n_rules[LXCNET_TO_CT] == 1 && fw->fw.n_rules[LXCNET_FROM_CT] == 0 &&
					   fw->fw.rules_hash,
				   "a rule: compiled, one IN rule, with its hash");
			if (i == 3)
				ok(!fw->rules && fw->warnings && strstr(fw->warnings[0], "100.fw:5: no such security group 'web'"),
				   "a GROUP of no security group: skipped, as pve-firewall does, and said (%s)",
				   fw->warnings ? fw->warnings[0] : "none");
			if (i == ELEMENTSOF(t) - 1)
				ok(!(fw->fw.flags & LXCNET_FW_NOSMURFS), "host.fw nosmurfs: 0 turns it off");
			datapath_fw_free(fw);
		}
		r = plug_fw_enforcer(dir, "n1", "100", 0, &n, FIREWALL_PROXMOX, &f, NULL, NULL, &d);
		ok(r == 0 && f == FW_ENFORCER_PROXMOX_IPTABLES, "firewall proxmox pins Proxmox's firewall (%s)",
		   plug_fw_enforcer_name(f));
		is_str(plug_fw_enforcer_name(FW_ENFORCER_LXCNET), "lxcnet", "lxcnet's own, as the API names it");
		snprintf(path, sizeof(path), "%s/nodes/n1/host.fw", dir);
		(void)unlink(path);
		snprintf(path, sizeof(path), "%s/firewall/100.fw", dir);
		(void)unlink(path);
	}
	is_str(plug_fw_enforcer_name(FW_ENFORCER_PROXMOX_IPTABLES), "proxmox-iptables", "enforcer names as the API shows them");
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	(void)!system(path);
}

static bool has_entry(const DatapathFw *f, uint32_t family, const char *cidr, bool nomatch)
{
	uint8_t addr[16];
	unsigned plen;
	int fam;

	if (fw_resolve_cidr(NULL, NULL, cidr, &fam, addr, &plen) < 0)
		return false;
	for (size_t i = 0; i < f->n_set; i++)
		if (f->set[i].family == family && f->set[i].prefixlen == plen && memcmp(f->set[i].addr, addr, 16) == 0 &&
		    f->set[i].nomatch == nomatch)
			return true;
	return false;
}

/* fw_compile_nic(): the flags, the ipfilter set as compile_ipsets() fills it, ARP's list as ebtables has it. */
static void compile(void)
{
	_cleanup_(fw_config_freep) FwConfig *cluster = parse(FW_CLUSTER, "[OPTIONS]\nenable: 1\n\n[ALIASES]\nnas 10.9.0.5\nlan 10.0.0.0/24\n");
	_cleanup_(fw_config_freep) FwConfig *guest = parse(
		FW_GUEST, "[OPTIONS]\nenable: 1\nmacfilter: 1\nradv: 1\n\n[ALIASES]\nlan 10.7.0.0/16\n\n[IPSET ipfilter-net0]\n"
			  "10.0.1.0/24\n!10.0.1.128/25\nfd00:1::/64\ndc/nas\nlan\ndc/lan\nnosuch\n");
	_cleanup_(fw_config_freep) FwConfig *no_eb = parse(FW_CLUSTER, "[OPTIONS]\nenable: 1\nebtables: 0\n");
	DatapathFw *f = calloc(1, sizeof(*f));
	FwNicPolicy pol;
	PveNet n = {};
	Diag d = {};
	int fam, r;
	uint8_t a[16];
	unsigned plen;

	if (!f || !cluster || !guest || !no_eb || pve_net_parse("name=eth0,bridge=vmbr0,firewall=1,hwaddr=BC:24:11:00:00:02,"
								 "ip=10.0.0.2/24,ip6=fd00::2/64",
								 &n, &d) < 0) {
		ok(false, "compile: inputs (%s)", d.msg);
		datapath_fw_free(f);
		return;
	}
	fw_nic_policy(cluster, guest, 0, &n, time(NULL), &pol);
	r = fw_compile_nic(cluster, NULL, guest, 0, &n, &pol, f, &d);
	ok(r == 0, "compiles: %s", d.msg);
	ok(f->fw.flags == (LXCNET_FW_MACFILTER | LXCNET_FW_L2MACFILTER | LXCNET_FW_IPFILTER | LXCNET_FW_ARPFILTER |
			   LXCNET_FW_DHCP | LXCNET_FW_NDP | LXCNET_FW_RADV | LXCNET_FW_NOSMURFS),
	   "flags: MAC filter (ebtables too), ipfilter (the set exists), ARP filter, DHCP, NDP, radv, nosmurfs (%#x)",
	   f->fw.flags);
	ok(has_entry(f, 4, "10.0.1.0/24", false) && has_entry(f, 4, "10.0.1.128/25", true) &&
		   has_entry(f, 6, "fd00:1::/64", false),
	   "the ipset's networks, '!' as nomatch");
	ok(has_entry(f, 4, "10.9.0.5/32", false) && has_entry(f, 4, "10.7.0.0/16", false) &&
		   has_entry(f, 4, "10.0.0.0/24", false),
	   "aliases: dc/nas the cluster's, lan the guest's, dc/lan the cluster's");
	ok(has_entry(f, 6, "fe80::be24:11ff:fe00:2/128", false) && has_entry(f, 6, "fe80::/10", true) &&
		   has_entry(f, 4, "10.0.0.2/32", false) && has_entry(f, 6, "fd00::2/128", false),
	   "the NIC's own: EUI-64 link-local, !fe80::/10, ip and ip6");
	ok(has_entry(f, LXCNET_FW_FAMILY_ARP, "10.0.1.0/24", false) && has_entry(f, LXCNET_FW_FAMILY_ARP, "10.0.1.128/25", false) &&
		   !has_entry(f, LXCNET_FW_FAMILY_ARP, "10.9.0.5/32", false) && !has_entry(f, LXCNET_FW_FAMILY_ARP, "10.0.0.2/32", false),
	   "ARP's list: the IPv4 entries as written ('!' not heeded, aliases not resolved), no ip without ipfilter: 1");
	is_int((int)f->n_set, 12, "nothing else: 6 of the ipset (nosuch skipped), 4 of the NIC, 2 for ARP");

	r = fw_compile_nic(no_eb, NULL, guest, 0, &n, &pol, f, &d);
	ok(r == 0 && (f->fw.flags & LXCNET_FW_MACFILTER) && !(f->fw.flags & (LXCNET_FW_L2MACFILTER | LXCNET_FW_ARPFILTER)),
	   "cluster ebtables: 0: no filter of frames that are not IP, MAC filter of IP kept (%#x)", f->fw.flags);
	is_int(fw_resolve_cidr(cluster, guest, "guest/nas", &fam, a, &plen), -ENOENT, "guest/nas: no such alias there");
	ok(fw_resolve_cidr(NULL, NULL, "10.1.2.3/8", &fam, a, &plen) == 0 && fam == 4 && plen == 8 && a[0] == 10 && a[1] == 0,
	   "10.1.2.3/8: host bits off");
	datapath_fw_free(f);
}

int main(void)
{
	samples = getenv("LXCNET_SAMPLES_DIR");
	bad_lines();
	nic_policy();
	backend();
	bridge_names();
	enforcer();
	compile();
	if (!samples || !*samples) {
		tap_diag("LXCNET_SAMPLES_DIR is not set: Proxmox's fixtures not read");
		ok(false, "Proxmox's firewall fixtures are available (configure --with-pve-samples)");
		return tap_done();
	}
	proxmox_firewall_fixtures();
	pve_firewall_fixtures();
	return tap_done();
}
