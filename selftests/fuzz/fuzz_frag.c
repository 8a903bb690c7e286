// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the reassembly half of user/ike/frag.c (RFC 7383):
 * the input is a budget size and a sequence of operations on four IKE SAs'
 * reassemblies sharing that budget, the way a peer's authenticated
 * fragments and the daemon's timers would drive them.  The fragments are
 * given already opened (ike_frag_add()): what authentication lets through
 * is exactly what this tries.
 *
 * Input:   limit:u8 (budget = (limit + 1) * 512 bytes), then records
 *   op:u8  low 3 bits: 0-3 add, 4 reset, 5 time passes, 6-7 take;
 *          bits 3-4: which SA;
 *   add:   key:u8 number:be16 total:be16 first_inner:u8 len:be16 seed:u8
 *          key: bits 0-1 the message ID, bit 2 response, bit 3 exchange;
 *          op bit 5: len += 65535 (a fragment larger than any message);
 *          op bit 6: number and total as given, else both modulo 16;
 *          the plaintext is len bytes of a pattern starting from seed
 *   time:  delta:u8, in 100 ms; then every SA expires with a 10 s age.
 *
 * Invariants (any violation aborts, so libFuzzer reports it):
 *  - budget: used never above limit, and always the sum of what the SAs
 *    say they are charged; 0 once every SA is reset;
 *  - each reassembly: pieces sorted by number, strictly, within
 *    1..total <= IKE_FRAG_MAX_FRAGS; bytes the sum of their lengths, at
 *    most IKE_FRAG_MAX_BYTES; charged = bytes + IKE_FRAG_PIECE_COST each;
 *  - outcomes: kept ones grow the reassembly by one piece (RESTART: to
 *    one), others leave it as it was (TOO_BIG: empty); COMPLETE means n ==
 *    total; a fresh reassembly that keeps nothing is not started;
 *  - take: succeeds exactly when complete, and returns the kept pieces'
 *    plaintexts in number order, first_inner from fragment 1 (a shadow
 *    copy of what was kept, by number, says what they must be);
 *  - ASan and LeakSanitizer: no bad access, nothing left allocated.
 *
 * Build and run from the top of the tree (`make fuzz` does the same):
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=gnu11 \
 *	-D_GNU_SOURCE -Iinclude -Iuser -o build/fuzz/fuzz_frag \
 *	selftests/fuzz/fuzz_frag.c user/ike/frag.c user/ike/msg.c \
 *	user/crypto/sk.c user/crypto/prf.c user/crypto/rand.c \
 *	$(pkg-config --cflags --libs libcrypto)
 *   build/fuzz/fuzz_frag -max_total_time=60 -max_len=4096 \
 *	build/fuzz/corpus-frag selftests/fuzz/corpus-frag
 *
 * The seeds in selftests/fuzz/corpus-frag are written by this file built
 * without libFuzzer:
 *
 *   cc -std=gnu11 -D_GNU_SOURCE -DFUZZ_FRAG_WRITE_SEEDS -Iinclude -Iuser \
 *	-o /tmp/frag_seeds selftests/fuzz/fuzz_frag.c user/ike/frag.c \
 *	user/ike/msg.c user/crypto/sk.c user/crypto/prf.c \
 *	user/crypto/rand.c $(pkg-config --cflags --libs libcrypto)
 *   /tmp/frag_seeds selftests/fuzz/corpus-frag
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ike/frag.h"

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz_frag: %s:%d: %s\n", __FILE__, \
			__LINE__, #cond); \
		abort(); \
	} \
} while (0)

#define N_SA		4
#define MAX_AGE_MS	10000
#define PATTERN_LEN	(2 * IKE_MAX_MSG + 256)

/* What one SA's reassembly must hold: by number, the piece's seed and
 * length (have[] says which numbers are kept). */
struct shadow {
	bool have[IKE_FRAG_MAX_FRAGS + 1];
	uint8_t seed[IKE_FRAG_MAX_FRAGS + 1];
	uint32_t len[IKE_FRAG_MAX_FRAGS + 1];
	uint8_t first_inner;
};

struct state {
	struct ike_frag_budget budget;
	struct ike_frag_rx rx[N_SA];
	struct shadow sh[N_SA];
	uint64_t now;
};

static uint8_t pattern[PATTERN_LEN];
static uint8_t out[IKE_MAX_MSG];

static void pattern_init(void)
{
	size_t i;

	if (pattern[1])
		return;
	for (i = 0; i < PATTERN_LEN; i++)
		pattern[i] = (uint8_t)(i * 7 + (i >> 8) + 1);
}

/* The plaintext of a piece: len bytes of the pattern from seed. */
static const uint8_t *piece_bytes(uint8_t seed)
{
	return pattern + seed;
}

/* ---- the invariants ----------------------------------------------------- */

static void check_rx(const struct ike_frag_rx *r, const struct shadow *sh)
{
	size_t bytes = 0;
	uint16_t i, kept = 0;

	CHECK(r->n <= r->cap);
	if (!r->active) {
		CHECK(!r->n && !r->bytes && !r->charged && !r->pieces);
		return;
	}
	CHECK(r->total >= 1 && r->total <= IKE_FRAG_MAX_FRAGS);
	CHECK(r->n <= r->total);
	CHECK(!r->refused || !r->n);
	for (i = 0; i < r->n; i++) {
		const struct ike_frag_piece *p = &r->pieces[i];

		CHECK(p->number >= 1 && p->number <= r->total);
		CHECK(!i || p->number > r->pieces[i - 1].number);
		CHECK(sh->have[p->number] && sh->len[p->number] == p->len);
		CHECK(!p->len || !memcmp(p->data, piece_bytes(sh->seed[p->number]),
					 p->len));
		bytes += p->len;
	}
	for (i = 1; i <= IKE_FRAG_MAX_FRAGS; i++)
		kept += sh->have[i];
	CHECK(kept == r->n);
	CHECK(bytes == r->bytes && bytes <= IKE_FRAG_MAX_BYTES);
	CHECK(r->charged == bytes + (size_t)r->n * IKE_FRAG_PIECE_COST);
}

static void check_all(const struct state *s)
{
	size_t charged = 0;
	int i;

	CHECK(s->budget.used <= s->budget.limit);
	for (i = 0; i < N_SA; i++) {
		CHECK(s->rx[i].budget == &s->budget);
		check_rx(&s->rx[i], &s->sh[i]);
		charged += s->rx[i].charged;
	}
	CHECK(charged == s->budget.used);
}

/* ---- the operations ------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The fragment an add record describes. */
static struct ike_frag_in fragment_of(uint8_t op, const uint8_t *p)
{
	struct ike_frag_in f = {
		.msgid = p[0] & 3,
		.response = p[0] & 4,
		.exchange = p[0] & 8 ? IKE_INFORMATIONAL : IKE_AUTH,
		.number = get16(p + 1),
		.total = get16(p + 3),
		.first_inner = p[5],
		.len = get16(p + 6),
	};

	if (!(op & 0x40)) {
		f.number %= 16;
		f.total %= 16;
	}
	if (op & 0x20)
		f.len += IKE_MAX_MSG;
	f.plain = f.len ? piece_bytes(p[8]) : NULL;
	return f;
}

static void shadow_clear(struct shadow *sh)
{
	memset(sh, 0, sizeof(*sh));
}

static void do_add(struct state *s, int sa, uint8_t op, const uint8_t *p)
{
	struct ike_frag_in f = fragment_of(op, p);
	struct ike_frag_rx *r = &s->rx[sa];
	struct shadow *sh = &s->sh[sa];
	bool was_active = r->active;
	uint16_t n = r->n, total = r->total;
	enum ike_frag_res res = ike_frag_add(r, &f, s->now);

	CHECK((unsigned int)res < IKE_FRAG_RES_COUNT);
	CHECK(ike_frag_res_str(res)[0]);
	if (res == IKE_FRAG_RESTART || res == IKE_FRAG_DROP_TOO_BIG)
		shadow_clear(sh);
	if (ike_frag_res_kept(res)) {
		CHECK(r->active && r->n == (res == IKE_FRAG_RESTART ? 1 : n + 1));
		CHECK(!sh->have[f.number]);
		sh->have[f.number] = true;
		sh->seed[f.number] = p[8];
		sh->len[f.number] = (uint32_t)f.len;
		if (f.number == 1)
			sh->first_inner = f.first_inner;
		CHECK((res == IKE_FRAG_COMPLETE) == (r->n == r->total));
	} else if (res == IKE_FRAG_DROP_TOO_BIG) {
		CHECK(r->active && r->refused && !r->n);
	} else if (was_active && !r->active) {
		/* a greater Total discarded the kept ones, then could not
		 * keep its own */
		CHECK(res == IKE_FRAG_DROP_BUDGET || res == IKE_FRAG_DROP_NOMEM);
		CHECK(f.total > total);
		shadow_clear(sh);
	} else if (was_active) {
		CHECK(r->n == n);
	} else {
		CHECK(!r->active);
	}
	if (res == IKE_FRAG_DROP_NUMBER)
		CHECK(!f.number || !f.total || f.number > f.total);
}

static void do_take(struct state *s, int sa)
{
	struct ike_frag_rx *r = &s->rx[sa];
	struct shadow *sh = &s->sh[sa];
	bool complete = r->active && !r->refused && r->n == r->total;
	uint8_t first = 0xee;
	size_t off = 0;
	uint16_t i;
	int len;

	len = ike_frag_take(r, out, sizeof(out), &first);
	CHECK((len >= 0) == complete);
	if (len < 0)
		return;
	for (i = 1; i <= IKE_FRAG_MAX_FRAGS; i++) {
		if (!sh->have[i])
			continue;
		CHECK(off + sh->len[i] <= (size_t)len);
		CHECK(!memcmp(out + off, piece_bytes(sh->seed[i]), sh->len[i]));
		off += sh->len[i];
	}
	CHECK(off == (size_t)len);
	CHECK(first == sh->first_inner);
	CHECK(!r->active);
	shadow_clear(sh);
}

static void do_time(struct state *s, uint8_t delta)
{
	int i;

	s->now += (uint64_t)delta * 100;
	for (i = 0; i < N_SA; i++) {
		uint64_t at = ike_frag_rx_expires_at(&s->rx[i], MAX_AGE_MS);
		bool expired = ike_frag_rx_expire(&s->rx[i], s->now,
						  MAX_AGE_MS);

		CHECK(expired == (at && s->now >= at));
		if (expired)
			shadow_clear(&s->sh[i]);
	}
}

/* One record at p (left bytes); returns its length, 0 at the end. */
static size_t one_record(struct state *s, const uint8_t *p, size_t left)
{
	uint8_t op = p[0];
	int sa = (op >> 3) & 3;

	switch (op & 7) {
	case 0: case 1: case 2: case 3:
		if (left < 10)
			return 0;
		do_add(s, sa, op, p + 1);
		return 10;
	case 4:
		ike_frag_rx_reset(&s->rx[sa]);
		shadow_clear(&s->sh[sa]);
		return 1;
	case 5:
		if (left < 2)
			return 0;
		do_time(s, p[1]);
		return 2;
	default:
		do_take(s, sa);
		return 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state s;
	size_t at = 1, n;
	int i;

	if (!size)
		return 0;
	pattern_init();
	memset(&s, 0, sizeof(s));
	ike_frag_budget_init(&s.budget, ((size_t)data[0] + 1) * 512);
	for (i = 0; i < N_SA; i++)
		ike_frag_rx_init(&s.rx[i], &s.budget);
	while (at < size && (n = one_record(&s, data + at, size - at))) {
		check_all(&s);
		at += n;
	}
	for (i = 0; i < N_SA; i++)
		ike_frag_rx_reset(&s.rx[i]);
	check_all(&s);
	CHECK(s.budget.used == 0);
	return 0;
}

#ifdef FUZZ_FRAG_WRITE_SEEDS
/* ---- seeds ------------------------------------------------------------- */

/* One record of a seed: an add (op 0), or op 4 (reset), 5 (time: delta
 * in `len`) or 6 (take) on SA sa.  Adds give numbers as they are. */
struct rec {
	uint8_t op, sa, key;
	uint16_t number, total, len;
	uint8_t seed;
};

struct seed_def {
	const char *name;
	uint8_t limit;
	struct rec r[12];
	int n;
};

static const struct seed_def seeds[] = {
	/* three fragments out of order with a duplicate, then taken */
	{ "complete_out_of_order", 255, {
		{ 0, 0, 1, 2, 3, 1200, 7 }, { 0, 0, 1, 3, 3, 500, 9 },
		{ 0, 0, 1, 2, 3, 1200, 7 }, { 0, 0, 1, 1, 3, 1200, 5 },
		{ .op = 6 } }, 5 },
	/* a greater Total restarts, a smaller one is dropped, other
	 * messages (ID, then the response of the same ID) */
	{ "restart_smaller_other", 255, {
		{ 0, 1, 2, 1, 2, 1000, 1 }, { 0, 1, 2, 1, 4, 500, 2 },
		{ 0, 1, 2, 2, 2, 1000, 3 }, { 0, 1, 3, 1, 2, 100, 4 },
		{ 0, 1, 2 | 4, 1, 2, 100, 4 }, { .op = 4, .sa = 1 } }, 6 },
	/* a 2 KiB budget shared by four SAs, then time runs out */
	{ "budget_four_sas_expire", 3, {
		{ 0, 0, 0, 1, 3, 700, 0 }, { 0, 0, 0, 2, 3, 700, 0 },
		{ 0, 1, 0, 1, 3, 700, 1 }, { 0, 1, 0, 2, 3, 700, 1 },
		{ 0, 2, 0, 1, 3, 700, 2 }, { 0, 2, 0, 2, 3, 700, 2 },
		{ 0, 3, 0, 1, 3, 700, 3 }, { 0, 3, 0, 2, 3, 700, 3 },
		{ .op = 5, .len = 200 } }, 9 },
	/* bad numbers, and a message past 65535 bytes */
	{ "bad_numbers_too_big", 255, {
		{ 0, 2, 0, 0, 3, 10, 1 }, { 0, 2, 0, 4, 3, 10, 1 },
		{ 0, 2, 0, 1, IKE_FRAG_MAX_FRAGS + 1, 10, 1 },
		{ 0, 2, 0, 1, 2, 65000, 1 }, { 0, 2, 0, 2, 2, 1000, 1 },
		{ 0, 2, 0, 1, 3, 10, 1 }, { .op = 6, .sa = 2 } }, 7 },
};

/* The bytes of record r at p; returns their length. */
static size_t rec_bytes(const struct rec *r, uint8_t *p)
{
	p[0] = (uint8_t)(r->op | r->sa << 3);
	if (r->op == 5) {
		p[1] = (uint8_t)r->len;
		return 2;
	}
	if (r->op)
		return 1;
	p[0] |= 0x40;
	p[1] = r->key;
	p[2] = r->number >> 8;
	p[3] = (uint8_t)r->number;
	p[4] = r->total >> 8;
	p[5] = (uint8_t)r->total;
	p[6] = r->number == 1 ? IKE_PL_IDI : 0;
	p[7] = r->len >> 8;
	p[8] = (uint8_t)r->len;
	p[9] = r->seed;
	return 10;
}

static void write_seed(const char *dir, const struct seed_def *d)
{
	uint8_t b[1 + 12 * 10];
	size_t len = 1;
	char path[512];
	FILE *f;
	int i;

	b[0] = d->limit;
	for (i = 0; i < d->n; i++)
		len += rec_bytes(&d->r[i], b + len);
	snprintf(path, sizeof(path), "%s/%s", dir, d->name);
	f = fopen(path, "wb");
	CHECK(f && fwrite(b, 1, len, f) == len && !fclose(f));
	/* and every seed must pass the target */
	CHECK(LLVMFuzzerTestOneInput(b, len) == 0);
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++)
		write_seed(argv[1], &seeds[i]);
	return 0;
}
#endif
