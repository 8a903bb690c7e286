// SPDX-License-Identifier: GPL-2.0
/*
 * The counter name table has one name per enum iketcp_counter value, and
 * each name is the one in the UAPI header's comment for that value (the
 * header is read at run time, so a renamed counter cannot slip through).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "uapi/linux/iketcp.h"
#include "counters.h"
#include "ktap.h"

static void table_has_exactly_one_name_per_counter(void)
{
	size_t i;

	CHECK(iketcp_nr_counter_names == __IKETCP_CNT_MAX);
	for (i = 0; i < iketcp_nr_counter_names; i++)
		CHECK(iketcp_counter_names[i] != NULL);
}

static void names_are_unique_lowercase_identifiers(void)
{
	size_t i, j;

	for (i = 0; i < iketcp_nr_counter_names; i++) {
		const char *n = iketcp_counter_names[i];

		for (j = 0; n && n[j]; j++)
			CHECK(islower((unsigned char)n[j]) || n[j] == '_');
		for (j = 0; j < i; j++)
			CHECK(strcmp(n, iketcp_counter_names[j]) != 0);
	}
}

static void name_lookup_beyond_the_table_is_null(void)
{
	CHECK(iketcp_counter_name(0) != NULL);
	CHECK(!strcmp(iketcp_counter_name(IKETCP_CNT_RESET_BAD_PREFIX),
		      "reset_bad_prefix"));
	CHECK(iketcp_counter_name(__IKETCP_CNT_MAX) == NULL);
}

/* The first word of an enumerator line's comment: "rx_ike_msgs" etc. */
static int comment_name(const char *line, char *out, size_t size)
{
	const char *p = strstr(line, "/*");
	size_t n = 0;

	if (!p)
		return -1;
	for (p += 2; *p == ' ' || *p == '\t'; p++)
		;
	while ((islower((unsigned char)*p) || *p == '_') && n + 1 < size)
		out[n++] = *p++;
	out[n] = '\0';
	return n ? 0 : -1;
}

static void names_match_the_uapi_header_comments(void)
{
	FILE *f = fopen(IKETCP_UAPI_HEADER, "r");
	char line[256], name[64];
	bool in_enum = false;
	size_t i = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "enum iketcp_counter {"))
			in_enum = true;
		else if (in_enum && strstr(line, "__IKETCP_CNT_MAX"))
			break;
		else if (in_enum && strstr(line, "IKETCP_CNT_")) {
			CHECK(comment_name(line, name, sizeof(name)) == 0);
			CHECK(i < iketcp_nr_counter_names);
			if (i < iketcp_nr_counter_names &&
			    strcmp(name, iketcp_counter_names[i])) {
				printf("# header says %s, table %s\n", name,
				       iketcp_counter_names[i]);
				CHECK(0);
			}
			i++;
		}
	}
	fclose(f);
	CHECK(i == __IKETCP_CNT_MAX);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(table_has_exactly_one_name_per_counter),
	KTAP_CASE(names_are_unique_lowercase_identifiers),
	KTAP_CASE(name_lookup_beyond_the_table_is_null),
	KTAP_CASE(names_match_the_uapi_header_comments),
};

KTAP_MAIN(cases)
