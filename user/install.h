/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A negotiated Child SA in the kernel: its two ESP states and its
 * policies (out, in, and fwd in tunnel mode), through sys/xfrm.c, and
 * their removal.  The addresses, ports and UDP encapsulation come from the
 * IKE SA as it stands (after a NAT-T float).
 */
#ifndef IKETCPD_INSTALL_H
#define IKETCPD_INSTALL_H

#include "config.h"
#include "ike/sa.h"
#include "sys/xfrm.h"

/*
 * 0, or a negative errno with the cause in e (nothing left installed).
 * A rekeyed Child SA's successor (same reqid) adds its states only: the
 * policies are already there and pass to it (c->owns_policies).
 */
int ik_child_install(struct ik_xfrm *h, const struct ike_sa *sa,
		     const struct child_sa *c, const struct ik_conn *conn,
		     const struct ik_global *g, bool with_policies,
		     struct ik_xfrm_err *e);
/* The UDP encapsulation ports of c's two states, as c has them now
 * (XFRM_MSG_UPDSA: keys and replay state stay).  0 or a negative errno
 * with the cause in e. */
int ik_child_update_encap(struct ik_xfrm *h, const struct ike_sa *sa,
			  const struct child_sa *c, const struct ik_conn *conn,
			  const struct ik_global *g, struct ik_xfrm_err *e);

/* Removes what ik_child_install() added (the policies only if c owns
 * them); 0 or the first error. */
int ik_child_remove(struct ik_xfrm *h, const struct ike_sa *sa,
		    const struct child_sa *c, struct ik_xfrm_err *e);

#endif
