// SPDX-License-Identifier: GPL-2.0
/*
 * Receive side: records in from the TCP stream, IKE messages out to recvmsg.
 *
 * The reader pulls bytes with tcp_read_sock() and parses them with the pure
 * state machine of include/iketcp_framing.h.  A record body is normally
 * copied once into an skb of its own (pages from alloc_skb_with_frags()), so
 * nothing downstream shares memory with the TCP receive queue: IKE messages
 * do not pin TCP's buffers while they wait for the daemon, and ESP bodies are
 * private before XFRM decrypts them in place (the "shared fragment" CVE
 * class).
 *
 * One exception saves that copy on the request/response path: when the
 * parser is at a record boundary, rxq is empty, and the rest of TCP's
 * receive queue is exactly one whole IKE message, the record stays there,
 * header and all ("direct"): recvmsg() copies the message straight to the
 * caller and then consumes the record from TCP.  If more bytes arrive behind
 * it first, the parser takes it out after all ("materialized"), so a daemon
 * that is slow to read never holds up the ESP records behind it.  An IKE
 * message that has only partly arrived, as large ones come, waits in TCP
 * for the rest and then goes direct, unless TCP needs its buffer back
 * (iketcp_rx_wait_record()).
 *
 * iketcp does not use strparser: its message timer follows
 * SO_RCVTIMEO and its size limit follows SO_RCVBUF, both the daemon's knobs,
 * and its pause only takes effect at the end of the current TCP skb.
 *
 * Context: iketcp_rx_read() runs with the socket owned, either in softirq
 * under bh_lock_sock() (data_ready, socket not owned by a process) or in
 * process context under lock_sock() (recvmsg, the work item, attach, and
 * data_ready from the owner's backlog processing).  See socket.h for which
 * fields that protects.
 */
#include <linux/skbuff.h>
#include <net/tcp.h>

#include "esp.h"
#include "netns.h"
#include "rx.h"
#include "socket.h"

/* Room in front of an ESP body for the IP and UDP headers XFRM expects. */
#define IKETCP_RX_HEADROOM	(NET_SKB_PAD + 64)
/* Bodies up to this size are one kmalloc'ed buffer, larger ones pages. */
#define IKETCP_RX_LINEAR_MAX	2048

static struct sk_buff *iketcp_rx_alloc(u32 len, gfp_t gfp)
{
	u32 linear = len <= IKETCP_RX_LINEAR_MAX ? len : 0;
	struct sk_buff *skb;
	int err;

	skb = alloc_skb_with_frags(IKETCP_RX_HEADROOM + linear, len - linear,
				   PAGE_ALLOC_COSTLY_ORDER, &err,
				   gfp | __GFP_NOWARN);
	if (!skb)
		return NULL;
	skb_reserve(skb, IKETCP_RX_HEADROOM);
	skb_put(skb, linear);
	skb->data_len = len - linear;
	skb->len = len;
	return skb;
}

/* Copy n bytes at src_off of a TCP skb to offset pos of a body skb. */
static void iketcp_rx_store(struct sk_buff *body, u32 pos,
			    const struct sk_buff *src, u32 src_off, u32 n)
{
	u32 head = skb_headlen(body);
	int i;

	if (pos < head) {
		u32 c = min(n, head - pos);

		skb_copy_bits(src, src_off, body->data + pos, c);
		pos += c;
		src_off += c;
		n -= c;
	}
	pos -= head;
	for (i = 0; n && i < skb_shinfo(body)->nr_frags; i++) {
		skb_frag_t *frag = &skb_shinfo(body)->frags[i];
		u32 size = skb_frag_size(frag);
		u32 c;

		if (pos >= size) {
			pos -= size;
			continue;
		}
		c = min(n, size - pos);
		skb_copy_bits(src, src_off, skb_frag_address(frag) + pos, c);
		src_off += c;
		n -= c;
		pos = 0;
	}
}

/* TCP calls data_ready for every byte again. */
static void iketcp_rx_stop_waiting(struct iketcp_sock *ctx)
{
	if (ctx->rx_waiting) {
		ctx->rx_waiting = false;
		WRITE_ONCE(ctx->sk->sk_rcvlowat, 1);
	}
}

static void iketcp_rx_next_record(struct iketcp_sock *ctx)
{
	ctx->rx_body = NULL;
	ctx->rx_body_got = 0;
	ctx->rx_in_record = false;
	WRITE_ONCE(ctx->rx_direct, false);
	ctx->rx_accepted = false;
	iketcp_hdr_reset(&ctx->hdr);
}

/* Length of the direct message (its record without the framing). */
static u32 iketcp_rx_direct_len(const struct iketcp_sock *ctx)
{
	return ctx->rx_direct_rec - ctx->rx_ike_off;
}

/* The sequence number of the first data byte of a received skb. */
static u32 iketcp_skb_data_seq(const struct sk_buff *skb)
{
	/* As tcp_recv_skb(): a SYN takes a sequence number, not a byte. */
	return TCP_SKB_CB(skb)->seq +
	       !!(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN);
}

/* Bytes TCP has received in order from sequence number seq on. */
static u32 iketcp_tcp_bytes_from(const struct sock *sk, u32 seq)
{
	u32 n = READ_ONCE(tcp_sk(sk)->rcv_nxt) - seq;

	/* As tcp_inq(): a FIN takes a sequence number, not a byte. */
	if (n && sock_flag(sk, SOCK_DONE))
		n--;
	return n;
}

/*
 * Copy n bytes at offset off of a received skb to an iterator, like
 * skb_copy_datagram_iter(), but page fragments that continue each other in
 * one folio go in one copy.  A large record sent with MSG_SPLICE_PAGES
 * arrives as one fragment per page of its (compound) pages, and per-fragment
 * overhead would then cost more than the copy.  Highmem pages, frag lists
 * and fragments without a page go the general way.
 */
static int iketcp_skb_copy_iter(const struct sk_buff *skb, u32 off,
				struct iov_iter *to, u32 n)
{
	const struct skb_shared_info *shi = skb_shinfo(skb);
	u32 pos = off, run_len = 0;	/* pos: where the copy is in skb */
	struct folio *run_folio = NULL;
	u8 *run = NULL;
	int i;

	if (IS_ENABLED(CONFIG_HIGHMEM) || skb_has_frag_list(skb))
		return skb_copy_datagram_iter(skb, off, to, n);
	if (off < skb_headlen(skb)) {
		u32 c = min(n, skb_headlen(skb) - off);

		if (copy_to_iter(skb->data + off, c, to) != c)
			return -EFAULT;
		n -= c;
		pos += c;
		off = 0;
	} else {
		off -= skb_headlen(skb);
	}
	for (i = 0; n && i < shi->nr_frags; i++) {
		const skb_frag_t *frag = &shi->frags[i];
		struct page *page = skb_frag_page(frag);
		u32 size = skb_frag_size(frag), c;
		u8 *addr;

		if (off >= size) {
			off -= size;
			continue;
		}
		if (!page)
			break;		/* no page to copy from: the general way */
		addr = (u8 *)page_address(page) + skb_frag_off(frag) + off;
		c = min(n, size - off);
		if (!run || run + run_len != addr ||
		    page_folio(page) != run_folio) {
			if (run && copy_to_iter(run, run_len, to) != run_len)
				return -EFAULT;
			run = addr;
			run_len = 0;
			run_folio = page_folio(page);
		}
		run_len += c;
		n -= c;
		pos += c;
		off = 0;
	}
	if (run && copy_to_iter(run, run_len, to) != run_len)
		return -EFAULT;
	return n ? skb_copy_datagram_iter(skb, pos, to, n) : 0;
}

/*
 * Copy n bytes of TCP's receive queue, from sequence number seq on, to an
 * iterator, without consuming them.  Socket owned; -EPIPE if TCP no longer
 * holds them all (the queue was purged under us).
 */
static int iketcp_tcp_copy(struct sock *sk, u32 seq, struct iov_iter *to,
			   u32 n)
{
	struct sk_buff *skb;
	int err;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		u32 start = iketcp_skb_data_seq(skb);
		u32 off = seq - start;
		u32 c;

		if (!n)
			break;
		if (before(seq, start))
			return -EPIPE;
		if (off >= skb->len)
			continue;
		c = min(n, skb->len - off);
		err = iketcp_skb_copy_iter(skb, off, to, c);
		if (err)
			return err;
		seq += c;
		n -= c;
	}
	return n ? -EPIPE : 0;
}

/* A message of len bytes, charged charge, left the queue. */
static void iketcp_rx_uncount(struct iketcp_sock *ctx, u32 len, u32 charge)
{
	WRITE_ONCE(ctx->rx_queued, ctx->rx_queued - len);
	WRITE_ONCE(ctx->rx_mem, ctx->rx_mem - charge);
}

static void iketcp_rx_fatal(struct iketcp_sock *ctx, enum iketcp_counter c)
{
	if (ctx->rx_stopped)
		return;
	iketcp_count(ctx, c);
	ctx->rx_stopped = true;
	iketcp_rx_stop_waiting(ctx);
	kfree_skb(ctx->rx_body);
	ctx->rx_body = NULL;
	if (ctx->rx_direct) {
		/* Urgent data may have moved TCP's read position under it. */
		WRITE_ONCE(ctx->rx_direct, false);
		iketcp_rx_uncount(ctx, iketcp_rx_direct_len(ctx),
				  iketcp_rx_direct_len(ctx));
	}
	/*
	 * recv() reports EPROTO before any EOF, even when the peer's FIN came
	 * with the bad bytes and before the work item has reset the socket.
	 */
	WRITE_ONCE(ctx->rx_err, EPROTO);
	ctx->saved_data_ready(ctx->sk);
	iketcp_schedule_work(ctx, IKETCP_WORK_ABORT);
}

/*
 * An IKE message of len bytes is ready for recvmsg(): count it (once, even
 * if a direct message is materialized later), hold what it costs against
 * the queue limit, and wake readers.  The cost of an skb of ours is its
 * truesize: a small message pins many times its length.  A direct message
 * costs its length: its memory is TCP's, already charged to the socket.
 */
static void iketcp_rx_accept(struct iketcp_sock *ctx, u32 len, u32 charge)
{
	WRITE_ONCE(ctx->rx_queued, ctx->rx_queued + len);
	WRITE_ONCE(ctx->rx_mem, ctx->rx_mem + charge);
	if (!ctx->rx_accepted) {
		ctx->rx_accepted = true;
		iketcp_count(ctx, IKETCP_CNT_RX_IKE_MSGS);
		iketcp_count_add(ctx, IKETCP_CNT_RX_IKE_BYTES, len);
	}
	if (ctx->rx_mem >= READ_ONCE(ctx->in->rx_queue_limit)) {
		ctx->rx_paused = true;
		iketcp_count(ctx, IKETCP_CNT_RX_BACKPRESSURE);
	}
	ctx->saved_data_ready(ctx->sk);
}

/*
 * The message is ours now (TCP has consumed its bytes), so it is queued even
 * when the socket's memory accounting refuses it (then uncharged); reading
 * then pauses as at the queue limit, and TCP's own charged queue and window
 * hold the rest until the daemon reads.
 */
static void iketcp_rx_queue_ike(struct iketcp_sock *ctx, struct sk_buff *skb,
				u32 offset)
{
	bool charged = iketcp_skmem_charge(ctx->sk, skb, true);

	IKETCP_SKB_CB(skb)->offset = offset;
	IKETCP_SKB_CB(skb)->kind = IKETCP_K_IKE;
	IKETCP_SKB_CB(skb)->charge = skb->truesize;
	__skb_queue_tail(&ctx->rxq, skb);
	iketcp_rx_accept(ctx, skb->len - offset, skb->truesize);
	if (!charged && !ctx->rx_paused) {
		ctx->rx_paused = true;
		iketcp_count(ctx, IKETCP_CNT_RX_BACKPRESSURE);
	}
}

/*
 * Where n bytes at offset off of skb are, if they lie in one piece of it
 * (its head or one page fragment; not highmem), else NULL.  The record
 * header peeked at for every message nearly always does, and
 * skb_copy_bits() costs several times more than the copy.
 */
static const u8 *iketcp_skb_bytes(const struct sk_buff *skb, u32 off, u32 n)
{
	const struct skb_shared_info *shi = skb_shinfo(skb);
	int i;

	if (off + n <= skb_headlen(skb))
		return skb->data + off;
	if (IS_ENABLED(CONFIG_HIGHMEM) || off < skb_headlen(skb))
		return NULL;
	off -= skb_headlen(skb);
	for (i = 0; i < shi->nr_frags; i++) {
		const skb_frag_t *frag = &shi->frags[i];
		u32 size = skb_frag_size(frag);

		if (off < size) {
			if (off + n > size || !skb_frag_page(frag))
				return NULL;
			return skb_frag_address(frag) + off;
		}
		off -= size;
	}
	return NULL;
}

/* Copy n bytes of TCP's receive queue from offset off of skb on. */
static int iketcp_tcp_peek(struct sock *sk, const struct sk_buff *skb, u32 off,
			   u8 *buf, u32 n)
{
	struct kvec kv = { .iov_base = buf, .iov_len = n };
	const u8 *bytes = iketcp_skb_bytes(skb, off, n);
	struct iov_iter it;

	if (bytes) {
		memcpy(buf, bytes, n);
		return 0;
	}
	if (off + n <= skb->len)
		return skb_copy_bits(skb, off, buf, n);
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, n);
	return iketcp_tcp_copy(sk, iketcp_skb_data_seq(skb) + off, &it, n);
}

/*
 * The IKE record of rec bytes at TCP's read position has only partly
 * arrived: leave it in TCP, and have TCP call data_ready again only once
 * all of it has (sk_rcvlowat; TCP also acknowledges the record's segments
 * promptly while it waits for that many bytes).  A message that comes in
 * several segments, as large ones do, then still goes direct, with no copy
 * of ours.  Not if TCP needs its buffer back first, or the window we
 * offered is nearly used up (tcp_epollin_ready(), which then calls
 * data_ready anyway), or no more bytes will come: then the parser takes the
 * record out as usual.  kTLS waits for its records the same way.
 */
static bool iketcp_rx_wait_record(struct iketcp_sock *ctx, u32 rec)
{
	struct sock *sk = ctx->sk;

	if ((sk->sk_shutdown & RCV_SHUTDOWN) || tcp_epollin_ready(sk, INT_MAX))
		return false;
	ctx->rx_waiting = true;
	WRITE_ONCE(sk->sk_rcvlowat, rec);
	return true;
}

/*
 * At a record boundary, offset off of skb: if the rest of TCP's receive
 * queue is exactly one whole IKE message, and recvmsg() returns it next,
 * leave all of it, header included, in TCP (see the top of this file).
 * Also true, with nothing to read yet, if an IKE message has only partly
 * arrived and waits in TCP for the rest (iketcp_rx_wait_record()).
 */
static bool iketcp_rx_try_direct(struct iketcp_sock *ctx,
				 const struct sk_buff *skb, u32 off)
{
	u8 head[IKETCP_LEN_FIELD + IKETCP_CLASSIFY_LEN];
	u32 avail, rec, ike_off;

	iketcp_rx_stop_waiting(ctx);
	if (ctx->hdr.stage != IKETCP_STAGE_HEADER || ctx->hdr.have ||
	    !skb_queue_empty(&ctx->rxq))
		return false;
	avail = iketcp_tcp_bytes_from(ctx->sk, iketcp_skb_data_seq(skb) + off);
	if (avail < sizeof(head) ||
	    iketcp_tcp_peek(ctx->sk, skb, off, head, sizeof(head)))
		return false;
	if (ctx->framing == IKETCP_FRAMING_LEGACY) {
		/* The 28-byte IKE header is the record header. */
		rec = iketcp_get_be32(head + IKE_HDR_LEN_OFFSET);
		if (rec < IKE_HDR_LEN || rec > IKETCP_LEGACY_MAX_MSG)
			return false;
		ike_off = 0;
	} else {
		rec = iketcp_get_be16(head);
		if (rec < IKETCP_LEN_FIELD ||
		    iketcp_classify(ctx->framing, head + IKETCP_LEN_FIELD,
				    rec - IKETCP_LEN_FIELD, &ike_off) !=
		    IKETCP_K_IKE)
			return false;
		ike_off += IKETCP_LEN_FIELD;
	}
	if (rec != avail)
		return rec > avail && iketcp_rx_wait_record(ctx, rec);
	ctx->rx_direct_rec = rec;
	ctx->rx_ike_off = ike_off;
	WRITE_ONCE(ctx->rx_direct, true);
	iketcp_rx_accept(ctx, iketcp_rx_direct_len(ctx),
			 iketcp_rx_direct_len(ctx));
	return true;
}

/* A whole record body has arrived (body is NULL for an empty record). */
static void iketcp_rx_record(struct iketcp_sock *ctx, struct sk_buff *body,
			     u32 len)
{
	u8 head[IKETCP_CLASSIFY_LEN];
	u32 offset;

	if (body)
		skb_copy_bits(body, 0, head, min_t(u32, len, sizeof(head)));
	switch (iketcp_classify(ctx->framing, head, len, &offset)) {
	case IKETCP_K_IKE:
		iketcp_rx_queue_ike(ctx, body, offset);
		return;
	case IKETCP_K_ESP:
		iketcp_esp_rcv(ctx, body);
		return;
	case IKETCP_K_KEEPALIVE:
		iketcp_count(ctx, IKETCP_CNT_RX_KEEPALIVES);
		break;
	case IKETCP_K_EMPTY:
		iketcp_count(ctx, IKETCP_CNT_RX_EMPTY_RECORDS);
		break;
	case IKETCP_K_RUNT:
		iketcp_count(ctx, IKETCP_CNT_RX_DROP_RUNT);
		break;
	case IKETCP_K_BAD_IKE_LENGTH:
		iketcp_count(ctx, IKETCP_CNT_RX_DROP_IKE_LENGTH);
		break;
	}
	kfree_skb(body);
}

/* The header is complete: set up the body.  False: try again later. */
static bool iketcp_rx_start_body(struct iketcp_sock *ctx, gfp_t gfp)
{
	struct iketcp_hdr_state *hdr = &ctx->hdr;

	if (!hdr->body_len) {
		iketcp_rx_record(ctx, NULL, 0);
		iketcp_rx_next_record(ctx);
		return true;
	}
	ctx->rx_body = iketcp_rx_alloc(hdr->body_len, gfp);
	if (!ctx->rx_body) {
		/* The bytes stay in TCP; the work item retries. */
		iketcp_schedule_work(ctx, IKETCP_WORK_RX);
		return false;
	}
	/* Legacy framing: the IKE header just parsed is the message's start. */
	skb_store_bits(ctx->rx_body, 0, hdr->buf, hdr->hdr_in_body);
	ctx->rx_body_got = hdr->hdr_in_body;
	return true;
}

/* Parse header bytes; returns how many were used, or -1 to stop reading. */
static int iketcp_rx_header(struct iketcp_sock *ctx, const struct sk_buff *skb,
			    u32 off, u32 avail)
{
	u8 buf[IKE_HDR_LEN];
	u32 n = min(avail, iketcp_hdr_need(&ctx->hdr));
	u32 used;

	if (ctx->framing == IKETCP_FRAMING_RFC9329 &&
	    ctx->role == IKETCP_ROLE_UNKNOWN)
		ctx->role = IKETCP_ROLE_ACCEPTOR;	/* bytes came first */
	skb_copy_bits(skb, off, buf, n);
	switch (iketcp_hdr_feed(&ctx->hdr, buf, n, &used)) {
	case IKETCP_V_MORE:
	case IKETCP_V_PREFIX_OK:
		return used;
	case IKETCP_V_RECORD:
		ctx->rx_in_record = true;
		return used;
	case IKETCP_V_BAD_PREFIX:
		iketcp_rx_fatal(ctx, IKETCP_CNT_RESET_BAD_PREFIX);
		return -1;
	case IKETCP_V_BAD_LENGTH:
		iketcp_rx_fatal(ctx, IKETCP_CNT_RESET_BAD_LENGTH);
		return -1;
	case IKETCP_V_LEGACY_LENGTH:
		iketcp_rx_fatal(ctx, IKETCP_CNT_RESET_LEGACY_LENGTH);
		return -1;
	}
	return -1;
}

struct iketcp_rx_desc {
	struct iketcp_sock *ctx;
	gfp_t gfp;
};

/*
 * tcp_read_sock()'s actor: parse len bytes at offset of skb.  Also called
 * with no skb and len 0 (iketcp_rx_read()) to finish a record that needs
 * no more input; the skb is only looked at while input is left.
 */
static int iketcp_rx_actor(read_descriptor_t *desc, struct sk_buff *skb,
			   unsigned int offset, size_t len)
{
	struct iketcp_rx_desc *rd = desc->arg.data;
	struct iketcp_sock *ctx = rd->ctx;
	u32 used = 0;
	int n;

	/* A record may complete with no input left (legacy 28-byte message). */
	while (!ctx->rx_stopped && !ctx->rx_paused && !ctx->rx_direct) {
		if (ctx->rx_in_record && !ctx->rx_body) {
			if (!iketcp_rx_start_body(ctx, rd->gfp))
				break;
			continue;
		}
		if (ctx->rx_in_record &&
		    ctx->rx_body_got == ctx->hdr.body_len) {
			iketcp_rx_record(ctx, ctx->rx_body, ctx->hdr.body_len);
			iketcp_rx_next_record(ctx);
			continue;
		}
		if (used == len)
			break;
		if (!ctx->rx_in_record) {
			if (iketcp_rx_try_direct(ctx, skb, offset + used))
				break;
			/* Where ESP records "arrived", for XFRM input. */
			WRITE_ONCE(ctx->rx_iif, skb->skb_iif);
			n = iketcp_rx_header(ctx, skb, offset + used,
					     len - used);
			if (n < 0)
				break;
			used += n;
			continue;
		}
		n = min_t(u32, len - used,
			  ctx->hdr.body_len - ctx->rx_body_got);
		iketcp_rx_store(ctx->rx_body, ctx->rx_body_got, skb,
				offset + used, n);
		ctx->rx_body_got += n;
		used += n;
	}
	if (used < len)
		desc->count = 0;	/* stop tcp_read_sock() */
	return used;
}

/*
 * The common request/response case without tcp_read_sock(): TCP's queue
 * holds one whole IKE message and the parser is at its start.
 */
static bool iketcp_rx_head_direct(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;
	struct sk_buff *skb;
	u32 off;

	if (ctx->rx_in_record)
		return false;
	skb = skb_peek(&sk->sk_receive_queue);
	if (!skb)
		return false;
	off = tcp_sk(sk)->copied_seq - iketcp_skb_data_seq(skb);
	return off < skb->len && iketcp_rx_try_direct(ctx, skb, off);
}

/* The peer closed (or reset): whatever record was started is lost. */
static void iketcp_rx_check_eof(struct iketcp_sock *ctx)
{
	struct sock *sk = ctx->sk;

	if (!(sk->sk_shutdown & RCV_SHUTDOWN) || ctx->rx_paused ||
	    ctx->rx_stopped || ctx->rx_direct || tcp_inq(sk))
		return;
	if (!ctx->rx_in_record && !ctx->hdr.have)
		return;
	iketcp_count(ctx, IKETCP_CNT_RX_DROP_PARTIAL_EOF);
	kfree_skb(ctx->rx_body);
	iketcp_rx_next_record(ctx);
}

void iketcp_rx_read(struct iketcp_sock *ctx, gfp_t gfp)
{
	struct iketcp_rx_desc rd = { .ctx = ctx, .gfp = gfp };
	read_descriptor_t desc = {
		.arg.data = &rd,
		.count = 1,
	};

	if (ctx->closing || ctx->rx_stopped)
		return;
	if (unlikely(READ_ONCE(tcp_sk(ctx->sk)->urg_data))) {
		/*
		 * tcp_read_sock() stops at the urgent byte for good, and TCP
		 * may skip a byte for it: the framing would be lost.
		 */
		iketcp_rx_fatal(ctx, IKETCP_CNT_RESET_URGENT);
		return;
	}
	if (ctx->rx_direct) {
		if (ctx->rx_paused || tcp_inq(ctx->sk) <= ctx->rx_direct_rec)
			return;
		/*
		 * More bytes follow the direct message: copy it out of their
		 * way.  The actor parses its record as usual; rx_accepted
		 * keeps it from being counted twice.
		 */
		WRITE_ONCE(ctx->rx_direct, false);
		iketcp_rx_uncount(ctx, iketcp_rx_direct_len(ctx),
				  iketcp_rx_direct_len(ctx));
	}
	if (ctx->rx_paused || iketcp_rx_head_direct(ctx))
		return;
	/*
	 * With TCP's queue empty, tcp_read_sock() would not call the actor,
	 * yet a record may still complete without input: a legacy 28-byte
	 * message whose body skb could not be allocated the first time.
	 */
	if (skb_queue_empty(&ctx->sk->sk_receive_queue))
		iketcp_rx_actor(&desc, NULL, 0, 0);
	else
		tcp_read_sock(ctx->sk, &desc, iketcp_rx_actor);
	iketcp_rx_check_eof(ctx);
}

/*
 * TCP calls this with the socket owned by us: in softirq under
 * bh_lock_sock() while no process owns it, or in the owning process when its
 * release_sock() (or sk_flush_backlog() in tcp_sendmsg_locked()) processes
 * the backlog.  Either way no one else is in the RX state, and the owner only
 * gives up the lock between whole steps, so the reader can run right here:
 * deferring to the work item would cost a context switch per message.
 */
void iketcp_data_ready(struct sock *sk)
{
	iketcp_rx_read(iketcp_sk(sk), GFP_ATOMIC);
}

bool iketcp_rx_readable(const struct iketcp_sock *ctx)
{
	const struct sock *sk = ctx->sk;

	return !skb_queue_empty_lockless(&ctx->rxq) ||
	       READ_ONCE(ctx->rx_direct) || READ_ONCE(ctx->rx_err) ||
	       READ_ONCE(sk->sk_err) ||
	       (READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN);
}

/* A message of len bytes left the queue: reading may go on. */
static void iketcp_rx_dequeued(struct iketcp_sock *ctx, u32 len, u32 charge)
{
	iketcp_rx_uncount(ctx, len, charge);
	if (ctx->rx_paused &&
	    ctx->rx_mem < READ_ONCE(ctx->in->rx_queue_limit)) {
		ctx->rx_paused = false;
		iketcp_rx_read(ctx, GFP_KERNEL);
	}
}

/* Dequeue the head message after a successful read. */
static void iketcp_rx_consume(struct iketcp_sock *ctx, struct sk_buff *skb)
{
	u32 len = skb->len - IKETCP_SKB_CB(skb)->offset;
	u32 charge = IKETCP_SKB_CB(skb)->charge;

	__skb_unlink(skb, &ctx->rxq);
	iketcp_skmem_uncharge(ctx->sk, skb);
	consume_skb(skb);
	iketcp_rx_dequeued(ctx, len, charge);
}

/*
 * Consume the direct message's record from TCP after a successful read.
 * tcp_read_done() frees what it covers and acknowledges as recvmsg() does,
 * without tcp_read_sock()'s actor loop.  It does not stop at urgent data,
 * which never is in the queue here: the reader resets the connection first
 * (iketcp_rx_read()), and the socket stays owned from there to here.
 */
static void iketcp_rx_consume_direct(struct iketcp_sock *ctx)
{
	u32 len = iketcp_rx_direct_len(ctx);

	if (unlikely(READ_ONCE(tcp_sk(ctx->sk)->urg_data))) {
		iketcp_rx_fatal(ctx, IKETCP_CNT_RESET_URGENT);
		return;
	}
	tcp_read_done(ctx->sk, ctx->rx_direct_rec);
	iketcp_rx_next_record(ctx);
	iketcp_rx_dequeued(ctx, len, len);
}

/* Copy the first n bytes of the direct message from TCP to the caller. */
static int iketcp_rx_copy_direct(struct iketcp_sock *ctx, struct msghdr *msg,
				 u32 n)
{
	return iketcp_tcp_copy(ctx->sk, tcp_sk(ctx->sk)->copied_seq +
			       ctx->rx_ike_off, &msg->msg_iter, n);
}

/* Wait until a message, an error or EOF is there.  Socket locked. */
static int iketcp_rx_wait(struct iketcp_sock *ctx, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = ctx->sk;

	for (;;) {
		/* A message is there and no urgent data may have moved it. */
		if ((!skb_queue_empty(&ctx->rxq) || ctx->rx_direct) &&
		    !READ_ONCE(tcp_sk(sk)->urg_data))
			return 0;
		iketcp_rx_read(ctx, GFP_KERNEL);
		if (!skb_queue_empty(&ctx->rxq) || ctx->rx_direct)
			return 0;
		if (ctx->rx_err) {
			WRITE_ONCE(ctx->rx_err, 0);
			ctx->rx_err_reported = true;
			return -EPROTO;
		}
		/* Our own reset of the connection, already reported. */
		if (ctx->rx_err_reported && READ_ONCE(sk->sk_err) == EPROTO)
			sock_error(sk);
		if (sk->sk_err)
			return sock_error(sk);
		if (sk->sk_shutdown & RCV_SHUTDOWN)
			return 1;
		if (!*timeo)
			return -EAGAIN;
		if (signal_pending(current))
			return sock_intr_errno(*timeo);
		add_wait_queue(sk_sleep(sk), &wait);
		sk_set_bit(SOCKWQ_ASYNC_WAITDATA, sk);
		sk_wait_event(sk, timeo,
			      !skb_queue_empty(&ctx->rxq) || ctx->rx_direct ||
			      ctx->rx_err ||
			      sk->sk_err ||
			      (sk->sk_shutdown & RCV_SHUTDOWN) ||
			      test_bit(IKETCP_WORK_RX, &ctx->work_bits),
			      &wait);
		sk_clear_bit(SOCKWQ_ASYNC_WAITDATA, sk);
		remove_wait_queue(sk_sleep(sk), &wait);
	}
}

int iketcp_recvmsg(struct sock *sk, struct msghdr *msg, size_t len, int flags,
		   int *addr_len)
{
	struct iketcp_sock *ctx = iketcp_sk(sk);
	struct sk_buff *skb;
	u32 offset, msglen;
	size_t copied;
	long timeo;
	int err;

	if (flags & MSG_ERRQUEUE)
		return ctx->base_prot->recvmsg(sk, msg, len, flags, addr_len);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;

	timeo = sock_rcvtimeo(sk, flags & MSG_DONTWAIT);
	lock_sock(sk);
	err = iketcp_rx_wait(ctx, &timeo);
	if (err) {
		if (err > 0)
			err = 0;	/* EOF */
		goto out;
	}
	if (ctx->rx_direct) {
		skb = NULL;
		msglen = iketcp_rx_direct_len(ctx);
		copied = min_t(size_t, len, msglen);
		err = iketcp_rx_copy_direct(ctx, msg, copied);
	} else {
		skb = skb_peek(&ctx->rxq);
		offset = IKETCP_SKB_CB(skb)->offset;
		msglen = skb->len - offset;
		copied = min_t(size_t, len, msglen);
		err = skb_copy_datagram_msg(skb, offset, msg, copied);
	}
	if (unlikely(err == -EPIPE)) {
		/* TCP freed its queue under a direct message: never while open */
		iketcp_rx_fatal(ctx, IKETCP_CNT_RX_DROP_PARTIAL_EOF);
		goto out;
	}
	if (err)
		goto out;	/* EFAULT: the message stays queued */
	if (copied < msglen) {
		msg->msg_flags |= MSG_TRUNC;
		if (!(flags & MSG_PEEK))
			iketcp_count(ctx, IKETCP_CNT_RX_TRUNCATED);
	}
	if (!(flags & MSG_PEEK)) {
		if (skb)
			iketcp_rx_consume(ctx, skb);
		else
			iketcp_rx_consume_direct(ctx);
	}
	err = (flags & MSG_TRUNC) ? msglen : copied;
out:
	release_sock(sk);
	return err;
}

/* Socket closing: free what is queued or half-parsed.  Socket locked. */
void iketcp_rx_purge(struct iketcp_sock *ctx)
{
	struct sk_buff *skb;

	while ((skb = __skb_dequeue(&ctx->rxq))) {
		iketcp_skmem_uncharge(ctx->sk, skb);
		kfree_skb(skb);
	}
	WRITE_ONCE(ctx->rx_queued, 0);
	WRITE_ONCE(ctx->rx_mem, 0);
	kfree_skb(ctx->rx_body);
	ctx->rx_body = NULL;
	WRITE_ONCE(ctx->rx_direct, false);		/* TCP frees its receive queue */
	iketcp_rx_stop_waiting(ctx);
	ctx->rx_stopped = true;
}
