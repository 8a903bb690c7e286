// SPDX-License-Identifier: GPL-2.0
/*
 * The control socket: see ctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

#define CTL_CLIENT_TIMEOUT_MS	1000

static int ctl_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	strcpy(sun->sun_path, path);
	return 0;
}

int ik_ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	char dir[sizeof(sun.sun_path)];
	int fd, rc = ctl_addr(path, &sun);

	if (rc) {
		snprintf(err, errlen, "control socket %s: path too long", path);
		return rc;
	}
	strcpy(dir, path);
	if (mkdir(dirname(dir), 0700) && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "control socket directory of %s: %s",
			 path, strerror(errno));
		return rc;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	unlink(path);	/* a stale socket of a dead run */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    chmod(path, 0600) || listen(fd, 8))
		goto fail;
	return fd;
fail:
	rc = -errno;
	snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

/* One line from a fresh client, waiting at most CTL_CLIENT_TIMEOUT_MS. */
static int read_cmd(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	while (len < cap - 1) {
		if (poll(&p, 1, CTL_CLIENT_TIMEOUT_MS) <= 0)
			return -1;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += n;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return len ? 0 : -1;
}

void ik_ctl_accept(int lfd, void (*answer)(void *ctx, const char *cmd,
					    FILE *f), void *ctx)
{
	char cmd[IK_CTL_MAX_LINE];
	int fd;
	FILE *f;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (read_cmd(fd, cmd, sizeof(cmd))) {
		close(fd);
		return;
	}
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return;
	}
	answer(ctx, cmd, f);
	fclose(f);
}

/* The whole answer, up to 16 MB, NUL-terminated; NULL if none. */
static char *read_answer(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nb;
	ssize_t n;

	while (buf) {
		if (cap - len < 2) {
			if (cap >= (16u << 20))
				break;
			nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += n;
	}
	if (buf && !len) {
		free(buf);
		return NULL;
	}
	if (buf)
		buf[len] = '\0';
	return buf;
}

int ik_ctl_request(const char *path, const char *cmd, FILE *out, char *err,
		   size_t errlen)
{
	struct sockaddr_un sun;
	char *ans, *body;
	int fd, rc;

	if (ctl_addr(path, &sun)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		snprintf(err, errlen, "cannot reach iketcpd at %s: %s (is "
			 "`iketcpd run` running?)", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (dprintf(fd, "%s\n", cmd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	ans = read_answer(fd);
	close(fd);
	if (!ans) {
		snprintf(err, errlen, "iketcpd at %s closed without answer",
			 path);
		return -1;
	}
	/* the first line is the verdict; the rest goes to the caller */
	body = strchr(ans, '\n');
	body = body ? body + 1 : ans + strlen(ans);
	rc = strncmp(ans, "ok\n", 3) ? 1 : 0;
	if (rc) {
		snprintf(err, errlen, "%.*s", (int)strcspn(ans, "\n"), ans);
		fprintf(stderr, "iketcpd: %s\n", err);
	}
	fputs(body, out);
	free(ans);
	return rc;
}
