// SPDX-License-Identifier: GPL-2.0
/*
 * Module init and exit, nothing else.  Init is a ladder: each step that
 * fails undoes the ones before it in reverse; exit mirrors init.
 * Context: process (insmod, rmmod).
 */
#include <linux/module.h>
#include <net/tcp.h>
#include <net/genetlink.h>

#include "../include/uapi/linux/iketcp.h"
#include "netlink.h"
#include "netns.h"
#include "ulp.h"

static int __init iketcp_init(void)
{
	int err;

	err = iketcp_netns_init();
	if (err)
		goto err_netns;
	err = iketcp_genl_init();
	if (err)
		goto err_genl;
	err = iketcp_ulp_init();	/* last: sockets may attach from here */
	if (err)
		goto err_ulp;
	pr_info("iketcp: IKE and ESP over TCP (RFC 9329), ULPs \"%s\" and \"%s\"\n",
		IKETCP_ULP_NAME, IKETCP_LEGACY_ULP_NAME);
	return 0;

err_ulp:
	iketcp_genl_exit();
err_genl:
	iketcp_netns_exit();
err_netns:
	return err;
}

static void __exit iketcp_exit(void)
{
	iketcp_ulp_exit();
	iketcp_genl_exit();
	iketcp_netns_exit();
}

module_init(iketcp_init);
module_exit(iketcp_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("The iketcp authors");
MODULE_DESCRIPTION("IKE and ESP over TCP (RFC 9329) without espintcp");
MODULE_VERSION("0.1");
MODULE_ALIAS_TCP_ULP(IKETCP_ULP_NAME);
MODULE_ALIAS_TCP_ULP(IKETCP_LEGACY_ULP_NAME);
MODULE_ALIAS_GENL_FAMILY(IKETCP_GENL_NAME);
