// SPDX-License-Identifier: GPL-2.0
/*
 * The counter name table.  Indexed by enum iketcp_counter with designated
 * initializers, so a reordered enum cannot shift names onto the wrong
 * counters; the array has no fixed size, so an extra name shows up as a
 * count mismatch in test_counters instead of compiling silently.
 */
#include <linux/types.h>

#include "uapi/linux/iketcp.h"
#include "counters.h"

const char *const iketcp_counter_names[] = {
	[IKETCP_CNT_RX_IKE_MSGS] = "rx_ike_msgs",
	[IKETCP_CNT_RX_IKE_BYTES] = "rx_ike_bytes",
	[IKETCP_CNT_RX_ESP_PKTS] = "rx_esp_pkts",
	[IKETCP_CNT_RX_ESP_BYTES] = "rx_esp_bytes",
	[IKETCP_CNT_RX_KEEPALIVES] = "rx_keepalives",
	[IKETCP_CNT_RX_EMPTY_RECORDS] = "rx_empty_records",
	[IKETCP_CNT_RX_DROP_IKE_LENGTH] = "rx_drop_ike_length",
	[IKETCP_CNT_RX_DROP_RUNT] = "rx_drop_runt",
	[IKETCP_CNT_RX_DROP_ESP_UNBOUND] = "rx_drop_esp_unbound",
	[IKETCP_CNT_RX_DROP_PARTIAL_EOF] = "rx_drop_partial_eof",
	[IKETCP_CNT_RX_TRUNCATED] = "rx_truncated",
	[IKETCP_CNT_RX_BACKPRESSURE] = "rx_backpressure",
	[IKETCP_CNT_TX_IKE_MSGS] = "tx_ike_msgs",
	[IKETCP_CNT_TX_IKE_BYTES] = "tx_ike_bytes",
	[IKETCP_CNT_TX_ESP_PKTS] = "tx_esp_pkts",
	[IKETCP_CNT_TX_ESP_BYTES] = "tx_esp_bytes",
	[IKETCP_CNT_TX_DROP_ESP_QUEUE_FULL] = "tx_drop_esp_queue_full",
	[IKETCP_CNT_TX_DROP_ESP_NO_SOCKET] = "tx_drop_esp_no_socket",
	[IKETCP_CNT_TX_DROP_CLOSE] = "tx_drop_close",
	[IKETCP_CNT_TX_BACKPRESSURE] = "tx_backpressure",
	[IKETCP_CNT_RESET_BAD_PREFIX] = "reset_bad_prefix",
	[IKETCP_CNT_RESET_BAD_LENGTH] = "reset_bad_length",
	[IKETCP_CNT_RESET_LEGACY_LENGTH] = "reset_legacy_length",
	[IKETCP_CNT_TX_DROP_ESP_TOO_BIG] = "tx_drop_esp_too_big",
	[IKETCP_CNT_RESET_URGENT] = "reset_urgent",
	[IKETCP_CNT_TX_DROP_ESP_OFFLOAD] = "tx_drop_esp_offload",
	[IKETCP_CNT_RX_DROP_ESP_TOO_BIG] = "rx_drop_esp_too_big",
};

const size_t iketcp_nr_counter_names =
	sizeof(iketcp_counter_names) / sizeof(iketcp_counter_names[0]);

const char *iketcp_counter_name(unsigned int i)
{
	return i < iketcp_nr_counter_names ? iketcp_counter_names[i] : NULL;
}
