/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * netdb-files.c against glibc: every name and alias of this machine's
 * /etc/services and /etc/protocols, and every protocol number, give what
 * getservbyname_r() (any protocol), getprotobyname_r() and
 * getprotobynumber_r() give; and crafted files for what the system's may
 * lack: comments inside a line, the first of two lines winning, aliases,
 * malformed lines, a missing file.
 */
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "netdb-files.h"
#include "tap.h"

static char dir[] = "/tmp/test-netdb-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

/* Each word of every line of path (comments cut) through check(word). */
static unsigned each_word(const char *path, void (*check)(const char *word))
{
	FILE *f = fopen(path, "re");
	char line[1024];
	unsigned n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *w;
		unsigned i = 0;

		line[strcspn(line, "#\n")] = '\0';
		for (w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save), i++)
			if (i != 1) { /* the port or number */
				check(w);
				n++;
			}
	}
	fclose(f);
	return n;
}

static unsigned mismatches;

static void service_agrees(const char *name)
{
	struct servent se, *res = NULL;
	char buf[4096];
	uint16_t port = 0;
	int mine = netdb_service_port(NETDB_SERVICES, name, &port);
	bool theirs = getservbyname_r(name, NULL, &se, buf, sizeof(buf), &res) == 0 && res;

	if ((mine >= 0) != theirs || (theirs && port != ntohs((uint16_t)se.s_port))) {
		tap_diag("service '%s': lxcnet %d (port %u), glibc %s (port %u)", name, mine, port, theirs ? "found" : "none",
			 theirs ? ntohs((uint16_t)se.s_port) : 0);
		mismatches++;
	}
}

static void protocol_agrees(const char *name)
{
	struct protoent pe, *res = NULL;
	char buf[4096];
	unsigned n = 0;
	int mine = netdb_protocol_number(NETDB_PROTOCOLS, name, &n);
	bool theirs = getprotobyname_r(name, &pe, buf, sizeof(buf), &res) == 0 && res;

	if ((mine >= 0) != theirs || (theirs && (int)n != pe.p_proto)) {
		tap_diag("protocol '%s': lxcnet %d (%u), glibc %s (%d)", name, mine, n, theirs ? "found" : "none",
			 theirs ? pe.p_proto : -1);
		mismatches++;
	}
}

static void system_files(void)
{
	unsigned words, numbers = 0;

	if (access(NETDB_SERVICES, R_OK) < 0 || access(NETDB_PROTOCOLS, R_OK) < 0) {
		tap_skip(3, "no /etc/services or /etc/protocols here");
		return;
	}
	mismatches = 0;
	words = each_word(NETDB_SERVICES, service_agrees);
	ok(words > 100 && mismatches == 0, "%u service names and aliases of %s: as glibc's getservbyname_r (%u differ)", words,
	   NETDB_SERVICES, mismatches);
	mismatches = 0;
	words = each_word(NETDB_PROTOCOLS, protocol_agrees);
	ok(words > 20 && mismatches == 0, "%u protocol names and aliases of %s: as glibc's getprotobyname_r (%u differ)", words,
	   NETDB_PROTOCOLS, mismatches);
	mismatches = 0;
	for (unsigned i = 0; i <= 1024; i++) {
		struct protoent pe, *res = NULL;
		char buf[4096];
		bool theirs = getprotobynumber_r((int)i, &pe, buf, sizeof(buf), &res) == 0 && res;

		if (netdb_protocol_known(NETDB_PROTOCOLS, i) != theirs)
			mismatches++;
		numbers += theirs;
	}
	ok(numbers > 20 && mismatches == 0, "protocol numbers 0 to 1024: %u known, as glibc's getprotobynumber_r (%u differ)",
	   numbers, mismatches);
}

/* Both crafted files; a case is a service when service is true, else a protocol. */
static const char services_text[] = "# a comment line\n"
				    "\n"
				    "ssh\t\t22/tcp\t\t\t# SSH Remote Login Protocol\n"
				    "web 8080/udp www# a comment right after an alias\n"
				    "web 80/tcp\n"
				    "huge 70000/tcp\n"
				    "noport tcp\n"
				    "lonely\n"
				    "  indented 7/tcp   echo-alias  \n";
static const char protocols_text[] = "ip\t0\tIP\t\t# internet protocol\n"
				     "tcp 6 TCP\n"
				     "tcp 7 TCP2\n"
				     "bad x\n"
				     "mptcp 262 MPTCP\n"
				     "huge 70000\n"
				     "ipv6-icmp 58 IPv6-ICMP\n";

static void crafted(void)
{
	static const struct {
		bool service;
		const char *name, *what;
		int r;
		unsigned value;
	} cases[] = {
		{ true, "ssh", "a name with tabs and a trailing comment", 0, 22 },
		{ true, "web", "a name on two lines: the first wins, whatever its protocol", 0, 8080 },
		{ true, "www", "an alias right before '#'", 0, 8080 },
		{ true, "echo-alias", "an alias on an indented line", 0, 7 },
		{ true, "huge", "a port above 65535 is no port", -ENOENT, 0 },
		{ true, "noport", "a line without port/protocol", -ENOENT, 0 },
		{ true, "lonely", "a line with a name alone", -ENOENT, 0 },
		{ true, "SSH", "names are case-sensitive", -ENOENT, 0 },
		{ true, "tcp", "a protocol is no service", -ENOENT, 0 },
		{ true, "comment", "nor is a word of a comment", -ENOENT, 0 },
		{ false, "tcp", "a protocol name: the first line wins", 0, 6 },
		{ false, "IPv6-ICMP", "an alias", 0, 58 },
		{ false, "TCP2", "an alias of a later line", 0, 7 },
		{ false, "mptcp", "a number above 255 (Debian's mptcp) is read as it is", 0, 262 },
		{ false, "huge", "a number above 65535 is none", -ENOENT, 0 },
		{ false, "bad", "a line whose number is no number", -ENOENT, 0 },
		{ false, "Tcp", "names are case-sensitive", -ENOENT, 0 },
	};
	char services[128], protocols[128];

	snprintf(services, sizeof(services), "%s", write_file("services", services_text));
	snprintf(protocols, sizeof(protocols), "%s", write_file("protocols", protocols_text));
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		uint16_t port = 0;
		unsigned n = 0;
		int r = cases[i].service ? netdb_service_port(services, cases[i].name, &port) :
					   netdb_protocol_number(protocols, cases[i].name, &n);

		if (cases[i].service)
			n = port;
		ok(r == cases[i].r && (r < 0 || n == cases[i].value), "%s '%s': %s (%d, %u)",
		   cases[i].service ? "service" : "protocol", cases[i].name, cases[i].what, r, n);
	}
	ok(netdb_protocol_known(protocols, 0) && netdb_protocol_known(protocols, 7) && netdb_protocol_known(protocols, 58) &&
		   netdb_protocol_known(protocols, 262),
	   "numbers of lines are known");
	ok(!netdb_protocol_known(protocols, 1) && !netdb_protocol_known(protocols, 256) && !netdb_protocol_known(protocols, 70000),
	   "others are not");
	ok(netdb_service_port("/nonexistent/services", "ssh", &(uint16_t){ 0 }) == -ENOENT &&
		   netdb_protocol_number("/nonexistent/protocols", "tcp", &(unsigned){ 0 }) == -ENOENT &&
		   !netdb_protocol_known("/nonexistent/protocols", 6),
	   "a missing file: nothing found");
}

int main(void)
{
	if (!mkdtemp(dir))
		tap_skip_all("cannot create a temporary directory");
	system_files();
	crafted();
	unlink(write_file("services", ""));
	unlink(write_file("protocols", ""));
	rmdir(dir);
	return tap_done();
}
