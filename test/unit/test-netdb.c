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

static void crafted(void)
{
	static const struct {
		const char *name, *what;
		int r;
		unsigned value;
	} services[] = {
		{ "ssh", "a name with tabs and a trailing comment", 0, 22 },
		{ "web", "a name on two lines: the first wins, whatever its protocol", 0, 8080 },
		{ "www", "an alias right before '#'", 0, 8080 },
		{ "echo-alias", "an alias on an indented line", 0, 7 },
		{ "huge", "a port above 65535 is no port", -ENOENT, 0 },
		{ "noport", "a line without port/protocol", -ENOENT, 0 },
		{ "lonely", "a line with a name alone", -ENOENT, 0 },
		{ "SSH", "names are case-sensitive", -ENOENT, 0 },
		{ "tcp", "a protocol is no service", -ENOENT, 0 },
		{ "comment", "nor is a word of a comment", -ENOENT, 0 },
	}, protocols[] = {
		{ "tcp", "a protocol name: the first line wins", 0, 6 },
		{ "IPv6-ICMP", "an alias", 0, 58 },
		{ "TCP2", "an alias of a later line", 0, 7 },
		{ "mptcp", "a number above 255 (Debian's mptcp) is read as it is", 0, 262 },
		{ "huge", "a number above 65535 is none", -ENOENT, 0 },
		{ "bad", "a line whose number is no number", -ENOENT, 0 },
		{ "Tcp", "names are case-sensitive", -ENOENT, 0 },
	};
	const char *p;

	p = write_file("services", "# a comment line\n"
				   "\n"
				   "ssh\t\t22/tcp\t\t\t# SSH Remote Login Protocol\n"
				   "web 8080/udp www# a comment right after an alias\n"
				   "web 80/tcp\n"
				   "huge 70000/tcp\n"
				   "noport tcp\n"
				   "lonely\n"
				   "  indented 7/tcp   echo-alias  \n");
	for (size_t i = 0; i < ELEMENTSOF(services); i++) {
		uint16_t port = 0;
		int r = netdb_service_port(p, services[i].name, &port);

		ok(r == services[i].r && (r < 0 || port == services[i].value), "service '%s': %s (%d, port %u)", services[i].name,
		   services[i].what, r, port);
	}

	p = write_file("protocols", "ip\t0\tIP\t\t# internet protocol\n"
				    "tcp 6 TCP\n"
				    "tcp 7 TCP2\n"
				    "bad x\n"
				    "mptcp 262 MPTCP\n"
				    "huge 70000\n"
				    "ipv6-icmp 58 IPv6-ICMP\n");
	for (size_t i = 0; i < ELEMENTSOF(protocols); i++) {
		unsigned n = 0;
		int r = netdb_protocol_number(p, protocols[i].name, &n);

		ok(r == protocols[i].r && (r < 0 || n == protocols[i].value), "protocol '%s': %s (%d, %u)", protocols[i].name,
		   protocols[i].what, r, n);
	}
	ok(netdb_protocol_known(p, 0) && netdb_protocol_known(p, 7) && netdb_protocol_known(p, 58) && netdb_protocol_known(p, 262),
	   "numbers of lines are known");
	ok(!netdb_protocol_known(p, 1) && !netdb_protocol_known(p, 256) && !netdb_protocol_known(p, 70000), "others are not");

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
