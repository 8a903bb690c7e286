/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The capabilities iketcpd keeps once it runs.  Start-up needs one more
 * than the running daemon: CAP_NET_RAW opens the raw ESP sockets of the
 * ESP path probe (net/probe.h), which stay open and need no capability to
 * be used.  Everything after start-up (XFRM and generic netlink, the IKE
 * sockets' policy bypass, TCP_ULP) needs only CAP_NET_ADMIN.
 * CAP_NET_BIND_SERVICE binds ports 500 and 4500 at start; a reload binds
 * nothing (ports change only on restart), so it is kept only because the
 * unit grants it (iketcpd.service).
 */
#ifndef IKETCPD_SYS_CAPS_H
#define IKETCPD_SYS_CAPS_H

#include <stddef.h>

/*
 * Lower the permitted and effective sets to CAP_NET_ADMIN and
 * CAP_NET_BIND_SERVICE, or to those of the two the process has; clear the
 * inheritable set (the kernel clears the ambient set with it).  Nothing is
 * ever raised.  0, or -errno with the reason in err.  On success, what is
 * kept as text ("cap_net_admin,cap_net_bind_service=ep", or "=" for none)
 * goes to kept when kept is not NULL.
 */
int ik_caps_limit(char *kept, size_t keptlen, char *err, size_t errlen);

#endif
