/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `iketcpd run`: the daemon.  One thread, one epoll loop: the UDP sockets,
 * a signalfd (SIGTERM/SIGINT: delete every SA and leave nothing in the
 * kernel; SIGHUP: reload), the control socket, and a periodic tick for the
 * timers (retransmission, half-open expiry, liveness).
 */
#ifndef IKETCPD_DAEMON_H
#define IKETCPD_DAEMON_H

/* Runs until a signal ends it: 0 after a clean exit, 1 if it could not
 * start (the cause is logged). */
int ik_daemon_run(const char *config_path);

#endif
