// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for user/config.c and user/proposal.c: arbitrary bytes
 * are an iketcpd.conf, read through fmemopen() and ik_config_load_stream()
 * (libinih, the line checks, every value parser, the checks of sections as
 * a whole).  Relative paths in it resolve against the current directory;
 * files it names are only opened (non-blocking), stat()ed and, for
 * psk_file, read.
 *
 * Invariants (any violation aborts, so libFuzzer reports it); ASan and
 * LeakSanitizer add: no bad access, no leak on success or failure.
 *  - failure: no config, one line of message starting "fuzz.conf:", and
 *    never libinih's own "syntax error" nor "parser out of step": the
 *    line layer must refuse first whatever libinih refuses, and agree with
 *    it on every key line;
 *  - success: the message buffer untouched; each connection found by its
 *    name and equal to itself; every proposal's canonical string parses
 *    back to the same proposal; a second load of the same bytes gives an
 *    equal [global] and equal connections.
 *
 * Build and run from the top of the tree (a 60 s run, seeded with the
 * example file):
 *
 *   mkdir -p build/fuzz/corpus-config
 *   cp user/iketcpd.conf.example build/fuzz/corpus-config/
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *       -Iinclude -Iuser -o build/fuzz/fuzz_config \
 *       selftests/fuzz/fuzz_config.c user/config.c user/proposal.c \
 *       $(pkg-config --cflags --libs inih libcrypto)
 *   build/fuzz/fuzz_config -max_total_time=60 -max_len=4096 \
 *       build/fuzz/corpus-config
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_config: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

static struct ik_config *load(const uint8_t *data, size_t size, char *err,
			      size_t errlen, int *ret)
{
	struct ik_config *cfg = (struct ik_config *)1;
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)			/* size 0 on older glibc */
		return NULL;
	*ret = ik_config_load_stream(f, "fuzz.conf", &cfg, err, errlen);
	fclose(f);
	return cfg;
}

/*
 * The problem in "fuzz.conf:LINE: [global: |conn 'NAME': ]PROBLEM" (values
 * in PROBLEM may hold any text, so only its start tells what it is).
 */
static const char *problem(const char *err)
{
	const char *p = err + strlen("fuzz.conf:");

	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, ": ", 2) == 0)
		p += 2;
	if (strncmp(p, "global: ", 8) == 0)
		p += 8;
	else if (strncmp(p, "conn '", 6) == 0 && strstr(p, "': "))
		p = strstr(p, "': ") + 3;	/* names hold no quote */
	return p;
}

static void check_proposals(const struct ik_proposals *ps)
{
	struct ik_proposals again;
	char buf[256], err[512];
	unsigned i;

	for (i = 0; i < ps->n; i++) {
		CHECK(ik_proposal_format(&ps->p[i], buf, sizeof(buf)) <
		      (int)sizeof(buf));
		memset(&again, 0, sizeof(again));
		CHECK(ik_proposals_parse(&again, ps->p[i].protocol, buf, err,
					 sizeof(err)) == 0);
		CHECK(again.n == 1);
		CHECK(again.p[0].n == ps->p[i].n);
		CHECK(memcmp(again.p[0].t, ps->p[i].t,
			     ps->p[i].n * sizeof(ps->p[i].t[0])) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ik_config *cfg, *cfg2;
	char err[1024], err2[1024];
	size_t i;
	int r = 0, r2 = 0;

	memcpy(err, "untouched", 10);
	cfg = load(data, size, err, sizeof(err), &r);
	if (r) {
		CHECK(r == -1 && cfg == NULL);
		CHECK(strncmp(err, "fuzz.conf:", 10) == 0);
		CHECK(strchr(err, '\n') == NULL);
		/* the line layer refuses all libinih refuses, in step with it */
		CHECK(strncmp(problem(err), "syntax error", 12) != 0);
		CHECK(strncmp(problem(err), "parser out of step", 18) != 0);
		return 0;
	}
	if (!cfg)
		return 0;
	CHECK(strcmp(err, "untouched") == 0);
	CHECK(cfg->global.ctl_socket && cfg->global.ctl_socket[0] == '/');
	for (i = 0; i < cfg->n_conns; i++) {
		const struct ik_conn *c = cfg->conns[i];

		CHECK(c->name && c->name[0]);
		CHECK(ik_config_conn(cfg, c->name) == c);
		CHECK(ik_conn_equal(c, c));
		CHECK(c->ike.n > 0 && c->esp.n > 0);
		CHECK(c->auth != IK_AUTH_PSK ||
		      (c->psk.len >= IK_PSK_MIN && c->psk.p));
		CHECK(c->lifetime_ms > c->rekey_time_ms);
		check_proposals(&c->ike);
		check_proposals(&c->esp);
	}

	cfg2 = load(data, size, err2, sizeof(err2), &r2);
	/* files named by the config could change between the two loads */
	if (cfg2) {
		CHECK(ik_global_equal(&cfg->global, &cfg2->global));
		CHECK(cfg2->n_conns == cfg->n_conns);
		for (i = 0; i < cfg->n_conns; i++)
			CHECK(ik_conn_equal(cfg->conns[i], cfg2->conns[i]));
	}
	ik_config_free(cfg2);
	ik_config_free(cfg);
	return 0;
}
