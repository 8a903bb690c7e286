// SPDX-License-Identifier: GPL-2.0
/*
 * sys/caps.h: what the running daemon keeps.  Each case runs in its own
 * child (ktap.h), so lowering the capabilities there leaves the next case
 * its own.  Needs root, as make check does.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ktap.h"
#include "sys/caps.h"

#define BIT(c) (UINT64_C(1) << (c))

/* A set of /proc/self/status ("CapEff" ...) as a mask; ~0 if not found. */
static uint64_t proc_caps(const char *set)
{
	unsigned long long v = ~0ULL;
	char line[128];
	size_t n = strlen(set);
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, set, n) && line[n] == ':')
			sscanf(line + n + 1, "%llx", &v);
	fclose(f);
	return v;
}

static bool have(cap_value_t c)
{
	return proc_caps("CapEff") & BIT(c);
}

static int limit(char *kept, size_t len)
{
	char err[256] = "";
	int rc = ik_caps_limit(kept, len, err, sizeof(err));

	if (rc)
		printf("# %s\n", err);
	return rc;
}

static void keeps_net_admin_and_bind_service_only(void)
{
	cap_value_t admin = CAP_NET_ADMIN;
	char kept[128] = "";
	cap_t c;

	CHECK(have(CAP_NET_RAW) && have(CAP_SYS_ADMIN)); /* run as root */
	/* an ambient capability, which the kernel must clear with us */
	c = cap_get_proc();
	CHECK(c && !cap_set_flag(c, CAP_INHERITABLE, 1, &admin, CAP_SET) &&
	      !cap_set_proc(c));
	cap_free(c);
	CHECK(!prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_ADMIN, 0,
		     0));
	CHECK(proc_caps("CapAmb") == BIT(CAP_NET_ADMIN));

	CHECK(limit(kept, sizeof(kept)) == 0);
	CHECK(proc_caps("CapEff") == (BIT(CAP_NET_ADMIN) |
				      BIT(CAP_NET_BIND_SERVICE)));
	CHECK(proc_caps("CapPrm") == proc_caps("CapEff"));
	CHECK(proc_caps("CapInh") == 0);
	CHECK(proc_caps("CapAmb") == 0);
	CHECK(!strcmp(kept, "cap_net_bind_service,cap_net_admin=ep"));
	printf("# kept: %s\n", kept);
}

/* What the process no longer has is not given back. */
static void never_raises_a_capability(void)
{
	cap_value_t bind = CAP_NET_BIND_SERVICE;
	char kept[128] = "";
	cap_t c = cap_get_proc();

	CHECK(c && !cap_set_flag(c, CAP_PERMITTED, 1, &bind, CAP_CLEAR) &&
	      !cap_set_flag(c, CAP_EFFECTIVE, 1, &bind, CAP_CLEAR) &&
	      !cap_set_proc(c));
	cap_free(c);
	CHECK(limit(kept, sizeof(kept)) == 0);
	CHECK(proc_caps("CapEff") == BIT(CAP_NET_ADMIN));
	CHECK(!strcmp(kept, "cap_net_admin=ep"));
	/* and again, with nothing left to lower */
	CHECK(limit(kept, sizeof(kept)) == 0);
	CHECK(proc_caps("CapPrm") == BIT(CAP_NET_ADMIN));
}

/*
 * The design rests on this: the raw ESP socket opened before still sends
 * once CAP_NET_RAW is gone, and a new one can no longer be opened.
 */
static void a_raw_socket_opened_before_still_sends(void)
{
	struct sockaddr_in lo = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	uint8_t esp[16] = { 0 };
	int fd, fd2;

	fd = socket(AF_INET, SOCK_RAW, IPPROTO_ESP);
	CHECK(fd >= 0);	/* run as root */
	CHECK(limit(NULL, 0) == 0);
	CHECK(!have(CAP_NET_RAW));
	CHECK(sendto(fd, esp, sizeof(esp), 0, (struct sockaddr *)&lo,
		     sizeof(lo)) == (ssize_t)sizeof(esp));
	fd2 = socket(AF_INET, SOCK_RAW, IPPROTO_ESP);
	CHECK(fd2 < 0 && errno == EPERM);
	close(fd);
}

static const struct ktap_case cases[] = {
	KTAP_CASE(keeps_net_admin_and_bind_service_only),
	KTAP_CASE(never_raises_a_capability),
	KTAP_CASE(a_raw_socket_opened_before_still_sends),
};

KTAP_MAIN(cases)
