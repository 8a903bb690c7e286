// SPDX-License-Identifier: GPL-2.0
/*
 * Proposal strings (proposal.c): the exact transform lists of valid ones,
 * the rules of proposal.c's top comment one by one, and the wording of
 * each refusal (operators read them in iketcpd.conf errors).
 */
#include <string.h>

#include "ktap.h"
#include "proposal.h"

static char err[512];

/* One expected transform: type, id, keylen. */
struct tx {
	uint8_t type;
	uint16_t id, keylen;
};

#define TX(...) ((const struct tx[]){ __VA_ARGS__ })
#define NTX(...) (sizeof(TX(__VA_ARGS__)) / sizeof(struct tx))

/* p holds exactly the n transforms of want, in order. */
static bool same(const struct ik_proposal *p, const struct tx *want, size_t n)
{
	size_t i;

	if (p->n != n) {
		printf("# %u transforms, want %zu\n", p->n, n);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (p->t[i].type != want[i].type || p->t[i].id != want[i].id ||
		    p->t[i].keylen != want[i].keylen) {
			printf("# transform %zu: %u/%u/%u, want %u/%u/%u\n", i,
			       p->t[i].type, p->t[i].id, p->t[i].keylen,
			       want[i].type, want[i].id, want[i].keylen);
			return false;
		}
	}
	return true;
}

#define SAME(p, ...) same(p, TX(__VA_ARGS__), NTX(__VA_ARGS__))

static int parse(struct ik_proposals *ps, uint8_t proto, const char *s)
{
	memset(ps, 0, sizeof(*ps));
	err[0] = '\0';
	return ik_proposals_parse(ps, proto, s, err, sizeof(err));
}

/* s is refused for proto with exactly the message want. */
static bool refused(uint8_t proto, const char *s, const char *want)
{
	struct ik_proposals ps;

	if (parse(&ps, proto, s) != -1) {
		printf("# '%s' was accepted\n", s);
		return false;
	}
	if (strcmp(err, want) != 0) {
		printf("# '%s':\n#  got  %s\n#  want %s\n", s, err, want);
		return false;
	}
	return ps.n == 0;
}

#define ENCR(id, bits)	{ IKE_TT_ENCR, id, bits }
#define PRF(id)		{ IKE_TT_PRF, id, 0 }
#define INTEG(id)	{ IKE_TT_INTEG, id, 0 }
#define KE(id)		{ IKE_TT_KE, id, 0 }
#define ESN(id)		{ IKE_TT_ESN, id, 0 }

static void ike_aead_with_prf(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256gcm16-prfsha256-x25519") == 0);
	CHECK(ps.n == 1 && ps.p[0].protocol == IKE_PROTO_IKE);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_X25519)));
}

static void ike_cbc_integrity_gives_the_prf(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes128-sha256-ecp256") == 0);
	CHECK(ps.n == 1);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_CBC, 128),
		   PRF(IKE_PRF_HMAC_SHA2_256),
		   INTEG(IKE_INTEG_HMAC_SHA2_256_128), KE(IKE_KE_ECP256)));

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256-sha512-modp3072") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_CBC, 256),
		   PRF(IKE_PRF_HMAC_SHA2_512),
		   INTEG(IKE_INTEG_HMAC_SHA2_512_256), KE(IKE_KE_MODP3072)));
}

static void ike_cbc_explicit_prf_wins(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes192-sha256-prfsha384-ecp384") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_CBC, 192),
		   PRF(IKE_PRF_HMAC_SHA2_384),
		   INTEG(IKE_INTEG_HMAC_SHA2_256_128), KE(IKE_KE_ECP384)));
}

static void ike_aead_integrity_name_means_its_prf(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256gcm16-sha384-x25519") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_384), KE(IKE_KE_X25519)));
}

static void ike_aead_without_prf_gets_prfsha256(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes128gcm16-modp2048") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 128),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_MODP2048)));
}

static void alternatives_of_one_type_keep_their_order(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256-aes128-sha512-sha256-ecp256") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_CBC, 256),
		   ENCR(IKE_ENCR_AES_CBC, 128), PRF(IKE_PRF_HMAC_SHA2_512),
		   PRF(IKE_PRF_HMAC_SHA2_256),
		   INTEG(IKE_INTEG_HMAC_SHA2_512_256),
		   INTEG(IKE_INTEG_HMAC_SHA2_256_128), KE(IKE_KE_ECP256)));
}

static void curve25519_is_x25519(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256gcm16-curve25519") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_X25519)));
}

static void esp_aead_with_pfs_and_esn(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_ESP, "aes256gcm16-x25519-esn") == 0);
	CHECK(ps.n == 1 && ps.p[0].protocol == IKE_PROTO_ESP);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   KE(IKE_KE_X25519), ESN(IKE_ESN_YES)));
}

static void esp_without_esn_says_noesn(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_ESP, "aes128-sha256") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_CBC, 128),
		   INTEG(IKE_INTEG_HMAC_SHA2_256_128), ESN(IKE_ESN_NO)));
	CHECK(parse(&ps, IKE_PROTO_ESP, "aes128gcm16-esn-noesn") == 0);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 128),
		   ESN(IKE_ESN_YES), ESN(IKE_ESN_NO)));
}

static void a_list_is_several_proposals_in_order(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE,
		    "  aes256gcm16-prfsha256-x25519 ,aes128-sha256-ecp256,\t"
		    "aes256-sha384-modp3072  ") == 0);
	CHECK(ps.n == 3);
	CHECK(SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_X25519)));
	CHECK(SAME(&ps.p[1], ENCR(IKE_ENCR_AES_CBC, 128),
		   PRF(IKE_PRF_HMAC_SHA2_256),
		   INTEG(IKE_INTEG_HMAC_SHA2_256_128), KE(IKE_KE_ECP256)));
	CHECK(SAME(&ps.p[2], ENCR(IKE_ENCR_AES_CBC, 256),
		   PRF(IKE_PRF_HMAC_SHA2_384),
		   INTEG(IKE_INTEG_HMAC_SHA2_384_192), KE(IKE_KE_MODP3072)));
}

static void parsing_appends_and_a_refusal_changes_nothing(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_ESP, "aes256gcm16") == 0);
	CHECK(ik_proposals_parse(&ps, IKE_PROTO_ESP, "aes128-sha256", err,
				 sizeof(err)) == 0);
	CHECK(ps.n == 2);
	CHECK(ik_proposal_find(&ps.p[1], IKE_TT_INTEG) != NULL);
	/* the second is fine, the third is not: nothing is added */
	CHECK(ik_proposals_parse(&ps, IKE_PROTO_ESP, "aes192gcm16, aes128",
				 err, sizeof(err)) == -1);
	CHECK(ps.n == 2);
	/* repeating an earlier line's proposal is refused too */
	CHECK(ik_proposals_parse(&ps, IKE_PROTO_ESP, "aes256gcm16-noesn",
				 err, sizeof(err)) == -1);
	CHECK(strcmp(err, "'aes256gcm16-noesn' repeats proposal 1") == 0);
}

static void unknown_and_empty_names(void)
{
	CHECK(refused(IKE_PROTO_IKE, "aes265-sha256-x25519",
		      "unknown algorithm 'aes265' in 'aes265-sha256-x25519'"));
	CHECK(refused(IKE_PROTO_IKE, "AES256-sha256-x25519",
		      "unknown algorithm 'AES256' in 'AES256-sha256-x25519'"));
	CHECK(refused(IKE_PROTO_IKE, "aes256--sha256-x25519",
		      "empty algorithm name in 'aes256--sha256-x25519'"));
	CHECK(refused(IKE_PROTO_IKE, "aes256-sha256-x25519-",
		      "empty algorithm name in 'aes256-sha256-x25519-'"));
	CHECK(refused(IKE_PROTO_IKE, "   ", "empty proposal list"));
	CHECK(refused(IKE_PROTO_IKE, "aes256gcm16-x25519,,aes128gcm16-x25519",
		      "empty proposal in 'aes256gcm16-x25519,,aes128gcm16-x25519'"));
}

static void duplicate_names(void)
{
	CHECK(refused(IKE_PROTO_IKE, "aes256-aes256-sha256-x25519",
		      "'aes256' appears twice in 'aes256-aes256-sha256-x25519'"));
	CHECK(refused(IKE_PROTO_ESP, "aes128gcm16-esn-esn",
		      "'esn' appears twice in 'aes128gcm16-esn-esn'"));
	CHECK(refused(IKE_PROTO_IKE, "aes256gcm16-x25519-curve25519",
		      "'curve25519' repeats 'x25519' in 'aes256gcm16-x25519-curve25519'"));
	CHECK(refused(IKE_PROTO_IKE,
		      "aes256gcm16-x25519, aes256gcm16-prfsha256-x25519",
		      "'aes256gcm16-prfsha256-x25519' repeats proposal 1"));
}

static void cipher_rules(void)
{
	CHECK(refused(IKE_PROTO_IKE, "sha256-x25519",
		      "'sha256-x25519' has no encryption algorithm"));
	CHECK(refused(IKE_PROTO_IKE, "aes256gcm16-aes128-sha256-x25519",
		      "'aes256gcm16-aes128-sha256-x25519' mixes AEAD ('aes256gcm16') and non-AEAD ('aes128') ciphers"));
	CHECK(refused(IKE_PROTO_IKE, "aes256-x25519",
		      "'aes256-x25519' has no integrity algorithm (e.g. sha256)"));
	CHECK(refused(IKE_PROTO_ESP, "aes256",
		      "'aes256' has no integrity algorithm (e.g. sha256)"));
	CHECK(refused(IKE_PROTO_ESP, "aes256gcm16-sha256",
		      "'aes256gcm16-sha256': 'sha256' is an integrity algorithm, which AEAD ciphers do not take"));
	CHECK(refused(IKE_PROTO_IKE, "aes256gcm16-sha256-prfsha384-x25519",
		      "'aes256gcm16-sha256-prfsha384-x25519': 'sha256' is an integrity algorithm, which AEAD ciphers do not take"));
}

static void ike_and_esp_rules(void)
{
	CHECK(refused(IKE_PROTO_IKE, "aes256gcm16-prfsha256",
		      "'aes256gcm16-prfsha256' has no key exchange (e.g. x25519)"));
	CHECK(refused(IKE_PROTO_ESP, "aes256gcm16-prfsha256",
		      "'prfsha256' in 'aes256gcm16-prfsha256': ESP proposals take no PRF"));
	CHECK(refused(IKE_PROTO_IKE, "aes256gcm16-x25519-esn",
		      "'esn' in 'aes256gcm16-x25519-esn': extended sequence numbers are for ESP proposals"));
}

#define ADDKE(n, id)	{ IKE_TT_ADDKE1 + (n) - 1, id, 0 }

static void more_key_exchanges_are_additional_ones(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256gcm16-x25519-mlkem768") == 0);
	CHECK(ps.n == 1 &&
	      SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_X25519),
		   ADDKE(1, IKE_KE_MLKEM768)));
	CHECK(parse(&ps, IKE_PROTO_IKE,
		    "aes256gcm16-x25519-mlkem768-mlkem1024") == 0);
	CHECK(ps.n == 1 &&
	      SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_X25519),
		   ADDKE(1, IKE_KE_MLKEM768), ADDKE(2, IKE_KE_MLKEM1024)));
}

static void esp_takes_additional_key_exchanges_with_pfs(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_ESP, "aes256gcm16-ecp384-modp3072") == 0);
	CHECK(ps.n == 1 &&
	      SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256), KE(IKE_KE_ECP384),
		   ESN(IKE_ESN_NO), ADDKE(1, IKE_KE_MODP3072)));
}

static void at_most_seven_additional_key_exchanges(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE,
		    "aes256gcm16-x25519-ecp256-ecp384-modp2048-modp3072-mlkem512-mlkem768-mlkem1024") == 0);
	CHECK(ps.n == 1 && ps.p[0].n == 10);
}

static void pure_mlkem_parses(void)
{
	struct ik_proposals ps;

	CHECK(parse(&ps, IKE_PROTO_IKE, "aes256gcm16-mlkem1024") == 0);
	CHECK(ps.n == 1 &&
	      SAME(&ps.p[0], ENCR(IKE_ENCR_AES_GCM_16, 256),
		   PRF(IKE_PRF_HMAC_SHA2_256), KE(IKE_KE_MLKEM1024)));
}

static void at_most_16_proposals(void)
{
	static const char *ciphers[] = { "aes128", "aes192", "aes256" };
	static const char *integ[] = { "sha256", "sha384", "sha512" };
	static const char *ke[] = { "x25519", "ecp256" };
	struct ik_proposals ps;
	char list[1024] = "";
	size_t i, j, k, n = 0;

	for (i = 0; i < 3; i++)
		for (j = 0; j < 3; j++)
			for (k = 0; k < 2; k++, n++)
				snprintf(list + strlen(list),
					 sizeof(list) - strlen(list),
					 "%s%s-%s-%s", n ? "," : "",
					 ciphers[i], integ[j], ke[k]);
	CHECK(n == 18);
	CHECK(refused(IKE_PROTO_IKE, list, "more than 16 proposals"));
	*strrchr(list, ',') = '\0';
	*strrchr(list, ',') = '\0';
	CHECK(parse(&ps, IKE_PROTO_IKE, list) == 0 && ps.n == 16);
}

static void format_spells_everything_and_parses_back(void)
{
	static const struct {
		uint8_t proto;
		const char *in, *out;
	} cases[] = {
		{ IKE_PROTO_IKE, "aes256gcm16-x25519",
		  "aes256gcm16-prfsha256-x25519" },
		{ IKE_PROTO_IKE, "aes128-sha256-ecp256",
		  "aes128-sha256-prfsha256-ecp256" },
		{ IKE_PROTO_IKE, "aes256gcm16-curve25519",
		  "aes256gcm16-prfsha256-x25519" },
		{ IKE_PROTO_ESP, "aes256gcm16-x25519-esn",
		  "aes256gcm16-x25519-esn" },
		{ IKE_PROTO_ESP, "aes128-sha256", "aes128-sha256-noesn" },
	};
	struct ik_proposals a, b;
	char buf[128], small[8];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(parse(&a, cases[i].proto, cases[i].in) == 0);
		CHECK(ik_proposal_format(&a.p[0], buf, sizeof(buf)) ==
		      (int)strlen(cases[i].out));
		if (strcmp(buf, cases[i].out))
			printf("# got %s, want %s\n", buf, cases[i].out);
		CHECK(strcmp(buf, cases[i].out) == 0);
		CHECK(parse(&b, cases[i].proto, buf) == 0);
		CHECK(ik_proposals_equal(&a, &b));
	}
	/* truncation as snprintf() does it */
	CHECK(ik_proposal_format(&a.p[0], small, sizeof(small)) == 19);
	CHECK(strcmp(small, "aes128-") == 0);
}

static void find_and_equal(void)
{
	struct ik_proposals a, b;

	CHECK(parse(&a, IKE_PROTO_ESP, "aes256gcm16-ecp256") == 0);
	CHECK(ik_proposal_find(&a.p[0], IKE_TT_KE)->id == IKE_KE_ECP256);
	CHECK(ik_proposal_find(&a.p[0], IKE_TT_INTEG) == NULL);
	CHECK(parse(&b, IKE_PROTO_ESP, "aes256gcm16-ecp384") == 0);
	CHECK(!ik_proposals_equal(&a, &b));
	CHECK(parse(&b, IKE_PROTO_ESP, "aes256gcm16-ecp256, aes128gcm16") == 0);
	CHECK(!ik_proposals_equal(&a, &b));
}

static const struct ktap_case cases[] = {
	KTAP_CASE(ike_aead_with_prf),
	KTAP_CASE(ike_cbc_integrity_gives_the_prf),
	KTAP_CASE(ike_cbc_explicit_prf_wins),
	KTAP_CASE(ike_aead_integrity_name_means_its_prf),
	KTAP_CASE(ike_aead_without_prf_gets_prfsha256),
	KTAP_CASE(alternatives_of_one_type_keep_their_order),
	KTAP_CASE(curve25519_is_x25519),
	KTAP_CASE(esp_aead_with_pfs_and_esn),
	KTAP_CASE(esp_without_esn_says_noesn),
	KTAP_CASE(a_list_is_several_proposals_in_order),
	KTAP_CASE(parsing_appends_and_a_refusal_changes_nothing),
	KTAP_CASE(unknown_and_empty_names),
	KTAP_CASE(duplicate_names),
	KTAP_CASE(cipher_rules),
	KTAP_CASE(ike_and_esp_rules),
	KTAP_CASE(more_key_exchanges_are_additional_ones),
	KTAP_CASE(pure_mlkem_parses),
	KTAP_CASE(esp_takes_additional_key_exchanges_with_pfs),
	KTAP_CASE(at_most_seven_additional_key_exchanges),
	KTAP_CASE(at_most_16_proposals),
	KTAP_CASE(format_spells_everything_and_parses_back),
	KTAP_CASE(find_and_equal),
};

KTAP_MAIN(cases)
