/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * host-local done by lxcnet-cni (common/cni-hostlocal.c) against the
 * host-local plugin itself: the same sequence of ADD, DEL and CHECK runs
 * three times on a data directory of its own, by the plugin alone, by
 * lxcnet's alone, and by the two in turn. After each step the three agree
 * on the answer (the address, gateway, routes and DNS given, or host-local's
 * error message word for word) and on every file in the data directory
 * (names and contents; the lock aside). Then what lxcnet's reader leaves to
 * the plugin, and GC, which this host-local (1.1.1) does not have.
 *
 * The plugin is $LXCNET_HOST_LOCAL, else /usr/lib/cni/host-local
 * (containernetworking-plugins); without it those cases skip.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cni-conf.h"
#include "cni-hostlocal.h"
#include "spawn-cmd.h"
#include "strutil.h"
#include "tap.h"

static char top[64] = "/tmp/test-hostlocal.XXXXXX";
static const char *plugin;

/* text with @DIR@ replaced by dir and @TOP@ by the test's directory. */
static char *expand(const char *text, const char *dir)
{
	char *out = malloc(strlen(text) + 4096), *w = out;

	for (const char *r = text; *r;) {
		if (strncmp(r, "@DIR@", 5) == 0) {
			w = stpcpy(w, dir);
			r += 5;
		} else if (strncmp(r, "@TOP@", 5) == 0) {
			w = stpcpy(w, top);
			r += 5;
		} else
			*w++ = *r++;
	}
	*w = '\0';
	return out;
}

/* *s becomes *s a b. */
static void append(char **s, const char *a, const char *b)
{
	char *n;

	if (asprintf(&n, "%s%s%s", *s, a, b) >= 0) {
		free(*s);
		*s = n;
	}
}

/* " <a> via <b>" for each object of the list key of res. */
static void append_pairs(char **s, json_object *res, const char *key, const char *a, const char *b)
{
	json_object *l;

	if (!json_object_object_get_ex(res, key, &l))
		return;
	for (size_t i = 0; i < json_object_array_length(l); i++) {
		json_object *o = json_object_array_get_idx(l, i);

		append(s, " ", cni_json_str(o, a) ?: "-");
		append(s, " via ", cni_json_str(o, b) ?: "-");
	}
}

/* An ADD result the same whoever wrote it: "ips ... | routes ... | dns ...", members in a fixed order. */
static char *canon(json_object *res)
{
	static const char *const dns_keys[] = { "nameservers", "domain", "search", "options" };
	char *s = strdup("ips");
	json_object *dns;

	append_pairs(&s, res, "ips", "address", "gateway");
	append(&s, " | routes", "");
	append_pairs(&s, res, "routes", "dst", "gw");
	append(&s, " | dns", "");
	if (json_object_object_get_ex(res, "dns", &dns))
		for (size_t k = 0; k < ELEMENTSOF(dns_keys); k++) {
			json_object *v;

			if (!json_object_object_get_ex(dns, dns_keys[k], &v))
				continue;
			append(&s, " ", dns_keys[k]);
			append(&s, "=", json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		}
	return s;
}

/* The plugin: "ok", the canonical result, or "error: <msg>". */
static char *run_plugin(const char *conf, const char *cmd, const char *id, const char *ifname, const char *args)
{
	char e_cmd[64], e_id[256], e_if[64], e_args[512], e_netns[] = "CNI_NETNS=/proc/self/ns/net", e_path[] = "CNI_PATH=/usr/lib/cni";
	char *env[] = { e_cmd, e_id, e_if, e_args, e_netns, e_path, NULL };
	char *argv[] = { (char *)plugin, NULL };
	_cleanup_free_ char *out = NULL;
	SpawnResult res;
	json_object *j;
	char *s;

	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", cmd);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", id);
	snprintf(e_if, sizeof(e_if), "CNI_IFNAME=%s", ifname);
	snprintf(e_args, sizeof(e_args), "CNI_ARGS=%s", args ?: "");
	if (spawn_run_with(argv, env, &(SpawnOptions){ .input = conf, .out = &out, .out_max = 65536, .timeout_ms = 10000 },
			   &res) < 0)
		return strdup("cannot run the plugin");
	j = out ? json_tokener_parse(out) : NULL;
	if (res.status != 0)
		s = strdup(j && cni_json_str(j, "msg") ? cni_json_str(j, "msg") : "no error object");
	else
		s = strcmp(cmd, "ADD") == 0 ? (j ? canon(j) : strdup("no result")) : strdup("ok");
	if (res.status != 0) {
		char *e;

		if (asprintf(&e, "error: %s", s) >= 0) {
			free(s);
			s = e;
		}
	}
	json_object_put(j);
	return s;
}

/* lxcnet's, the same way. */
static char *run_ours(const char *conf, const char *cmd, const char *id, const char *ifname, const char *args)
{
	json_object *root = json_tokener_parse(conf), *res = NULL;
	HostLocal h = {};
	Diag d = {};
	char *s = NULL;
	int r;

	if (host_local_parse(root, args, &h, &d) != 1) {
		json_object_put(root);
		if (asprintf(&s, "not handled: %s", d.msg) < 0)
			return NULL;
		return s;
	}
	if (strcmp(cmd, "ADD") == 0) {
		r = host_local_add(&h, id, ifname, &res, &d);
		s = r < 0 ? NULL : canon(res);
	} else if (strcmp(cmd, "DEL") == 0)
		r = host_local_del(&h, id, ifname, &d);
	else {
		r = host_local_check(&h, id, ifname, &d);
		if (r == 0)
			r = diag_error(&d, -ENOENT, "host-local: Failed to find address added by container %s", id);
	}
	if (r < 0) {
		free(s);
		if (asprintf(&s, "error: %s", d.msg) < 0)
			s = NULL;
	} else if (!s)
		s = strdup("ok");
	json_object_put(res);
	json_object_put(root);
	host_local_done(&h);
	return s;
}

/* Every file below dir but the lock, sorted: "name=content" with \r and \n shown. */
static void snapshot_into(const char *dir, const char *prefix, char ***list)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		char path[4096], rel[512];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		snprintf(rel, sizeof(rel), "%s%s", prefix, ents[i]->d_name);
		if (strcmp(ents[i]->d_name, ".") != 0 && strcmp(ents[i]->d_name, "..") != 0 && strcmp(rel, "lock") != 0 &&
		    lstat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode)) {
				strcat(rel, "/");
				snapshot_into(path, rel, list);
			} else {
				_cleanup_free_ char *c = NULL;
				char line[1024], *w;

				(void)read_full_file(path, 4096, &c, NULL);
				w = line + snprintf(line, sizeof(line), "%s=", rel);
				for (const char *p = c ?: ""; *p && w < line + sizeof(line) - 4; p++)
					w = *p == '\r' ? stpcpy(w, "\\r") : *p == '\n' ? stpcpy(w, "\\n") : (*w++ = *p, w);
				*w = '\0';
				(void)strv_push(list, strdup(line));
			}
		}
		free(ents[i]);
	}
	free(ents);
}

static char *snapshot(const char *dir)
{
	_cleanup_(strv_freep) char **l = NULL;
	char *s = NULL;

	snapshot_into(dir, "", &l);
	if (!l)
		return strdup("(empty)");
	(void)strv_join(l, " ", &s);
	return s;
}

typedef struct Op {
	const char *cmd, *id, *ifname, *args;
} Op;

typedef struct Scenario {
	const char *name;
	const char *conf; /* @DIR@: the data directory */
	const Op *ops;
} Scenario;

#define NET "{\"cniVersion\":\"1.0.0\",\"name\":\"hl\",\"type\":\"lxcnet-cni\",\"bridge\":\"br0\","

/*
 * The steps every scenario takes; STATIC is an address in its first range
 * set, GW that set's gateway, OUT an address in none of its ranges.
 */
#define STEPS(STATIC, GW, OUT)                                                                                                    \
	{ "ADD", "c1", "eth0", NULL }, { "ADD", "c2", "eth0", NULL }, { "ADD", "c1", "eth1", "IgnoreUnknown=1;K8S_POD_NAME=x" }, \
		{ "ADD", "c1", "eth0", NULL }, { "CHECK", "c2", "eth0", NULL }, { "DEL", "c2", "eth0", NULL },                    \
		{ "CHECK", "c2", "eth0", NULL }, { "ADD", "c3", "eth0", NULL }, { "ADD", "c4", "eth0", "IP=" STATIC },         \
		{ "ADD", "c5", "eth0", "IgnoreUnknown=true;IP=" STATIC }, { "ADD", "c6", "eth0", "IP=" GW },                     \
		{ "ADD", "c7", "eth0", "IP=" OUT }, { "ADD", "c8", "eth0", NULL }, { "ADD", "c9", "eth0", NULL },                  \
		{ "DEL", "c1", "eth0", NULL }, { "ADD", "c10", "eth0", NULL }, { "ADD", "c11", "eth0", NULL },                    \
		{ "DEL", "nobody", "eth0", NULL }, { "DEL", "c1", "eth1", NULL }, { "ADD", "c12", "eth0", NULL },                 \
		{ "DEL", "c4", "eth0", NULL }, { "ADD", "c4", "eth0", "IP=" STATIC }, { "DEL", "c3", "eth0", NULL }, {            \
		NULL                                                                                                              \
	}

static const Op ops_small[] = { STEPS("10.1.0.5", "10.1.0.1", "10.2.0.1") };
static const Op ops_set[] = { STEPS("10.3.0.6", "10.2.0.11", "10.2.0.9") };
static const Op ops_dual[] = { STEPS("10.4.0.6", "10.4.0.1", "10.4.0.7") };
static const Op ops_v6[] = { STEPS("fd00:6::c", "fd00:6::", "fd00:6::ff") };

static const Scenario scenarios[] = {
	{ "one /29 range (5 addresses)", NET "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@\","
					     "\"ranges\":[[{\"subnet\":\"10.1.0.0/29\"}]]}}",
	  ops_small },
	{ "a set of two ranges, the gateway inside the first",
	  NET "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@\",\"ranges\":[[{\"subnet\":\"10.2.0.0/24\",\"rangeStart\":"
	      "\"10.2.0.10\",\"rangeEnd\":\"10.2.0.12\",\"gateway\":\"10.2.0.11\"},{\"subnet\":\"10.3.0.0/24\",\"rangeStart\":"
	      "\"10.3.0.5\",\"rangeEnd\":\"10.3.0.7\"}]]}}",
	  ops_set },
	{ "dual stack: the single range of old, an IPv6 set, routes and resolvConf",
	  NET "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@\",\"subnet\":\"10.4.0.0/29\",\"rangeStart\":\"10.4.0.2\","
	      "\"ranges\":[[{\"subnet\":\"fd00:4::/125\",\"gateway\":\"fd00:4::7\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"},"
	      "{\"dst\":\"10.9.3.1/16\",\"gw\":\"10.4.0.1\"},{\"dst\":\"::/0\"}],\"resolvConf\":\"@TOP@/resolv.conf\"}}",
	  ops_dual },
	{ "IPv6 /124 from ::10, gateway outside the range",
	  NET "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@\",\"ranges\":[[{\"subnet\":\"fd00:6::/124\",\"rangeStart\":"
	      "\"fd00:6::2\",\"gateway\":\"fd00:6::\"}]]}}",
	  ops_v6 },
};

static void compare_scenario(const Scenario *sc, size_t index)
{
	char dirs[3][128];
	const char *who[3] = { "the plugin", "lxcnet", "the two in turn" };
	unsigned step = 0, agreed = 0;
	bool ok_all = true;

	for (int k = 0; k < 3; k++)
		snprintf(dirs[k], sizeof(dirs[k]), "%s/%zu-%d", top, index, k);
	for (const Op *op = sc->ops; op->cmd; op++, step++) {
		char *out[3], *snap[3];

		for (int k = 0; k < 3; k++) {
			_cleanup_free_ char *conf = expand(sc->conf, dirs[k]), *netdir = NULL;
			bool theirs = k == 0 || (k == 2 && step % 2 == 1);

			out[k] = theirs ? run_plugin(conf, op->cmd, op->id, op->ifname, op->args)
					: run_ours(conf, op->cmd, op->id, op->ifname, op->args);
			if (asprintf(&netdir, "%s/hl", dirs[k]) < 0)
				abort();
			snap[k] = snapshot(netdir);
		}
		if (strcmp(out[0], out[1]) != 0 || strcmp(out[0], out[2]) != 0 || strcmp(snap[0], snap[1]) != 0 ||
		    strcmp(snap[0], snap[2]) != 0) {
			if (ok_all)
				for (int k = 0; k < 3; k++)
					tap_diag("step %u %s %s %s by %s: %s; files: %s", step, op->cmd, op->id, op->ifname, who[k],
						 out[k], snap[k]);
			ok_all = false;
		} else
			agreed++;
		for (int k = 0; k < 3; k++) {
			free(out[k]);
			free(snap[k]);
		}
	}
	ok(ok_all, "%s: the plugin, lxcnet and the two in turn agree at each of %u steps (%u agreed)", sc->name, step, agreed);
}

/* One step of lxcnet's alone, its answer checked. */
static void expect(const char *conf, const char *cmd, const char *id, const char *ifname, const char *args, const char *want,
		   const char *what)
{
	_cleanup_free_ char *got = run_ours(conf, cmd, id, ifname, args);

	is_str(got, want, "%s", what);
}

/* Keys before "ipam", the keys of "ipam" after type and dataDir, CNI_ARGS: host-local's to read, with a reason saying so. */
static void not_handled_with(const char *before, const char *ipam, const char *args, const char *says, const char *what)
{
	_cleanup_free_ char *conf = NULL, *text = NULL;
	json_object *root;
	HostLocal h = {};
	Diag d = {};
	int r;

	if (asprintf(&text, NET "%s\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@\",%s}}", before, ipam) < 0)
		abort();
	conf = expand(text, top);
	root = json_tokener_parse(conf);
	r = host_local_parse(root, args, &h, &d);
	ok(root && r == 0 && strstr(d.msg, says), "left to the plugin: %s ('%s': %s)", what, says, d.msg);
	host_local_done(&h);
	json_object_put(root);
}

static void not_handled(const char *ipam, const char *args, const char *says, const char *what)
{
	not_handled_with("", ipam, args, says, what);
}

int main(void)
{
	_cleanup_free_ char *conf = NULL;
	FILE *f;

	if (!mkdtemp(top))
		return 1;
	f = fopen(strcat(strcpy((char[96]){ 0 }, top), "/resolv.conf"), "w");
	if (!f)
		return 1;
	fputs("# a comment\n; another\nnameserver 10.9.0.53\nnameserver fd00::53 extra\n"
	      "domain example.org\nsearch a.example b.example\noptions ndots:2 edns0\nbogus\n",
	      f);
	fclose(f);

	plugin = getenv("LXCNET_HOST_LOCAL") ?: "/usr/lib/cni/host-local";
	if (access(plugin, X_OK) == 0)
		for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
			compare_scenario(&scenarios[i], i);
	else
		for (size_t i = 0; i < ELEMENTSOF(scenarios); i++)
			printf("ok %u - %s # SKIP %s is not installed\n", ++tap_count, scenarios[i].name, plugin);

	/*
	 * Both at once: 24 ADDs in parallel, every other one by the plugin, on
	 * one network (under the plugin's flock(), each file made O_EXCL):
	 * each gets an address, and every reservation file is there.
	 */
	if (access(plugin, X_OK) == 0) {
		_cleanup_free_ char *par = expand(NET "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@/par\","
						     "\"ranges\":[[{\"subnet\":\"10.5.0.0/24\"}]]}}",
						  top),
				     *dir = NULL, *snap = NULL;
		unsigned failed = 0, files = 0, distinct = 1;
		pid_t pids[24];

		for (int i = 0; i < 24; i++) {
			pids[i] = fork();
			if (pids[i] == 0) {
				char id[16];
				_cleanup_free_ char *out = NULL;

				snprintf(id, sizeof(id), "par%d", i);
				out = i % 2 ? run_plugin(par, "ADD", id, "eth0", NULL) : run_ours(par, "ADD", id, "eth0", NULL);
				_exit(out && strncmp(out, "ips 10.5.0.", 11) == 0 ? 0 : 1);
			}
		}
		for (int i = 0; i < 24; i++) {
			int st = 0;

			if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
				failed++;
		}
		if (asprintf(&dir, "%s/par/hl", top) < 0)
			abort();
		snap = snapshot(dir);
		/* "10.5.0.N=parK\r\neth0 ...": one file per container, each address once (names are unique in a directory). */
		for (int i = 0; i < 24; i++) {
			char want[32];

			snprintf(want, sizeof(want), "=par%d\\r\\neth0 ", i);
			if (!strstr(snap, want))
				distinct = 0;
		}
		for (const char *p = snap; (p = strstr(p, "10.5.0.")); p++)
			if (p == snap || p[-1] == ' ')
				files++;
		ok(failed == 0 && files == 24 && distinct, "24 ADDs at once, by the plugin and lxcnet in turn: all given an address, 24 files, one per container (%u failed, %u files)",
		   failed, files);
	} else
		printf("ok %u - parallel ADDs # SKIP %s is not installed\n", ++tap_count, plugin);

	/* Static addresses from the configuration: args.cni.ips and runtimeConfig.ips (podman's, for more than one). */
	conf = expand(NET "\"args\":{\"cni\":{\"ips\":[\"10.7.0.9\"]}},\"runtimeConfig\":{\"ips\":[\"fd00:7::9/64\",\"10.7.0.9\"]},"
			  "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@/s\",\"ranges\":[[{\"subnet\":\"10.7.0.0/24\"}],"
			  "[{\"subnet\":\"fd00:7::/64\"}]]}}",
		      top);
	expect(conf, "ADD", "s1", "eth0", NULL, "ips 10.7.0.9/24 via 10.7.0.1 fd00:7::9/64 via fd00:7::1 | routes | dns",
	       "args.cni.ips and runtimeConfig.ips: each set gets the static address asked for");
	expect(conf, "ADD", "s2", "eth0", NULL,
	       "error: failed to allocate for range 0: requested IP address 10.7.0.9 is not available in range set 10.7.0.1-10.7.0.254",
	       "a second container asking for them: host-local's error");
	expect(conf, "CHECK", "s1", "eth0", NULL, "ok", "CHECK finds s1's");
	{
		_cleanup_free_ char *file = NULL, *c = NULL;

		if (asprintf(&file, "%s/s/hl/10.7.0.9", top) < 0)
			abort();
		ok(read_full_file(file, 4096, &c, NULL) >= 0 && strcmp(c, "s1\r\neth0") == 0, "the reservation file holds 's1\\r\\neth0'");
	}

	/* GC (host-local 1.1.1 has none): what no valid attachment holds goes, the lock and last_reserved_ip stay. */
	{
		_cleanup_free_ char *gc = expand(NET "\"ipam\":{\"type\":\"host-local\",\"dataDir\":\"@DIR@/gc\","
						    "\"ranges\":[[{\"subnet\":\"10.8.0.0/24\"}]]}}",
						 top),
				     *legacy = NULL, *snap = NULL, *dir = NULL;
		json_object *root = json_tokener_parse(gc), *valid, *res = NULL;
		HostLocal h = {};
		Diag d = {};
		unsigned released = 0;
		int r;

		if (asprintf(&dir, "%s/gc/hl", top) < 0 || asprintf(&legacy, "%s/10.8.0.200", dir) < 0)
			abort();
		ok(host_local_parse(root, NULL, &h, &d) == 1, "GC: the configuration is read (%s)", d.msg);
		for (const char *const *c = (const char *const[]){ "keep", "gone", "twoif", NULL }; *c; c++) {
			json_object_put(res);
			res = NULL;
			(void)host_local_add(&h, *c, "eth0", &res, &d);
		}
		json_object_put(res);
		res = NULL;
		(void)host_local_add(&h, "twoif", "eth1", &res, &d);
		json_object_put(res);
		(void)write_file_sync(legacy, 0644, "legacy-id", 9);
		valid = json_tokener_parse("[{\"containerID\":\"keep\",\"ifname\":\"eth0\"},{\"containerID\":\"twoif\",\"ifname\":"
					   "\"eth0\"},{\"containerID\":\"legacy-id\",\"ifname\":\"eth0\"}]");
		r = host_local_gc(&h, valid, &released, &d);
		ok(r == 0 && released == 2, "GC released two reservations (%u)", released);
		snap = snapshot(dir);
		is_str(snap, "10.8.0.2=keep\\r\\neth0 10.8.0.200=legacy-id 10.8.0.4=twoif\\r\\neth0 last_reserved_ip.0=10.8.0.5",
		       "what is left: keep's, twoif's eth0, the legacy file of a valid id, last_reserved_ip.0");
		r = host_local_gc(&h, NULL, &released, &d);
		ok(r == 0 && released == 3, "GC with no valid attachment releases all (%u)", released);
		free(snap);
		snap = snapshot(dir);
		is_str(snap, "last_reserved_ip.0=10.8.0.5", "only last_reserved_ip.0 is left (and the lock)");
		free(snap);
		if (asprintf(&snap, "%s/lock", dir) < 0)
			abort();
		ok(access(snap, F_OK) == 0, "the lock file is there");
		json_object_put(valid);
		json_object_put(root);
		host_local_done(&h);
	}

	/* What lxcnet's reader leaves to host-local itself. */
	not_handled("\"Subnet\":\"10.0.0.0/24\"", NULL, "in another case", "a key spelt in another case (Go's JSON reads it)");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"RangeEnd\":\"10.0.0.9\"}]]", NULL, "in another case",
		    "a range's key in another case");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.1/24\"}]]", NULL, "host bits", "a subnet with host bits set");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/31\"}]]", NULL, "too small", "a /31");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.1.1\"}]]", NULL, "rangeStart",
		    "rangeStart outside the subnet");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\",\"rangeStart\":\"10.0.0.9\",\"rangeEnd\":\"10.0.0.8\"}]]", NULL,
		    "rangeEnd", "rangeEnd before rangeStart");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}],[{\"subnet\":\"10.0.0.0/25\"}]]", NULL, "overlaps",
		    "two sets that overlap");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"},{\"subnet\":\"fd00::/64\"}]]", NULL, "mixed", "a set of two families");
	not_handled("\"ranges\":[]", NULL, "no IP ranges", "no range");
	not_handled("\"ranges\":[[{\"subnet\":\"::ffff:10.0.0.0/120\"}]]", NULL, "subnet", "an IPv4-mapped IPv6 subnet");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\",\"mtu\":1400}]", NULL, "mtu",
		    "a route key other than dst and gw");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]", "K8S_POD_NAME=x", "without IgnoreUnknown",
		    "CNI_ARGS with a key host-local refuses");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]", "IgnoreUnknown=1;IP=10.0.0.300", "IP", "CNI_ARGS IP that is no address");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]", "IgnoreUnknown=1;;IP=10.0.0.3", "pair", "CNI_ARGS with an empty pair");
	not_handled("\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]", "IgnoreUnknown=maybe", "IgnoreUnknown", "IgnoreUnknown not a boolean");
	not_handled_with("\"RuntimeConfig\":{\"ips\":[\"10.0.0.9\"]},", "\"ranges\":[[{\"subnet\":\"10.0.0.0/24\"}]]", NULL,
			 "RuntimeConfig", "\"RuntimeConfig\", which Go reads as runtimeConfig");
	not_handled_with("\"runtimeConfig\":{\"ipRanges\":[[{\"subnet\":\"10.0.0.0/24\"}]]},", "\"ranges\":[[{\"subnet\":\"10.1.0.0/24\"}]]",
			 NULL, "ipRanges", "runtimeConfig.ipRanges");
	{
		_cleanup_free_ char *c = expand(NET "\"ipam\":{\"type\":\"host-local\",\"name\":\"ignored\",\"ranges\":[[{\"subnet\":"
						    "\"10.1.0.0/24\",\"rangeStart\":\"\",\"gateway\":null}]]}}",
						top);
		json_object *root = json_tokener_parse(c);
		HostLocal h = {};
		Diag d = {};

		ok(host_local_parse(root, "IgnoreUnknown=1;K8S_POD_NAME=x;IP=10.1.0.7/24", &h, &d) == 1 &&
			   strcmp(h.dir, HOST_LOCAL_DATA_DIR "/hl") == 0 && h.n_requested == 1,
		   "read: no dataDir is %s/<name>, \"\" and null are unset, IP may carry a prefix (%s)", HOST_LOCAL_DATA_DIR,
		   h.dir ?: d.msg);
		host_local_done(&h);
		json_object_put(root);
	}

	{
		_cleanup_free_ char *cmd = NULL;

		if (asprintf(&cmd, "rm -rf '%s'", top) >= 0 && system(cmd) != 0)
			tap_diag("cannot remove %s", top);
	}
	printf("1..%u\n", tap_count);
	return tap_failures ? 1 : 0;
}
