#ifndef CNETFILTER_SHIM_H
#define CNETFILTER_SHIM_H

// System headers for Chaperone's netfilter layer: libmnl (netlink), libnetfilter_queue (NFQUEUE,
// the libmnl-based nfq_nlmsg_* API) and the kernel's ipset netlink protocol. Macros and
// variadic functions that Swift cannot import get `static inline CNetfilter_*` helpers here;
// there is deliberately no .c file in this module.

#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include <netinet/in.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netfilter/ipset/ip_set.h>
#include <linux/sock_diag.h>
#include <linux/inet_diag.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

// MARK: - NFQUEUE

/// MNL_SOCKET_BUFFER_SIZE is a macro over sysconf; a queue needs room for a whole packet too.
static inline size_t CNetfilter_nfq_buffer_size(void) {
    return 0xffff + (MNL_SOCKET_BUFFER_SIZE / 2);
}

/// The `nlattr` pointer array `nfq_nlmsg_parse` fills (NFQA_MAX + 1 entries).
static inline int CNetfilter_nfq_attr_count(void) { return NFQA_MAX + 1; }

/// Network-order packet id from an NFQA_PACKET_HDR attribute, in host order (0 when absent).
static inline uint32_t CNetfilter_nfq_packet_id(const struct nlattr *packet_header) {
    if (packet_header == NULL) return 0;
    const struct nfqnl_msg_packet_hdr *ph = (const struct nfqnl_msg_packet_hdr *)mnl_attr_get_payload(packet_header);
    return ntohl(ph->packet_id);
}

/// The hardware protocol (ETH_P_IP, ETH_P_IPV6) from an NFQA_PACKET_HDR attribute, host order.
static inline uint16_t CNetfilter_nfq_hw_protocol(const struct nlattr *packet_header) {
    if (packet_header == NULL) return 0;
    const struct nfqnl_msg_packet_hdr *ph = (const struct nfqnl_msg_packet_hdr *)mnl_attr_get_payload(packet_header);
    return ntohs(ph->hw_protocol);
}

/// Builds a NFQNL_MSG_CONFIG message binding queue `queue_num` (copy whole packets, `flags`
/// among NFQA_CFG_F_FAIL_OPEN / NFQA_CFG_F_GSO) into `buf`; returns its length.
static inline uint32_t CNetfilter_nfq_put_config(char *buf, uint16_t queue_num, uint32_t flags, uint32_t queue_maxlen) {
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
    nlh->nlmsg_flags |= NLM_F_ACK;
    nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
    nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
    nfq_nlmsg_cfg_put_qmaxlen(nlh, queue_maxlen);
    mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
    mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
    return nlh->nlmsg_len;
}

/// Builds a NFQNL_MSG_CONFIG UNBIND message for `queue_num` into `buf`; returns its length.
static inline uint32_t CNetfilter_nfq_put_unbind(char *buf, uint16_t queue_num) {
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
    nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_UNBIND);
    return nlh->nlmsg_len;
}

/// Builds a verdict for packet `id` into `buf`, replacing the payload when `packet` is not NULL;
/// returns its length.
static inline uint32_t CNetfilter_nfq_put_verdict(char *buf, uint16_t queue_num, uint32_t id, int verdict,
                                                  const void *packet, uint32_t packet_length) {
    struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_num);
    nfq_nlmsg_verdict_put(nlh, (int)id, verdict);
    if (packet != NULL) nfq_nlmsg_verdict_put_pkt(nlh, packet, packet_length);
    return nlh->nlmsg_len;
}

/// Whether a received netlink message is a queued packet (and not an ack or error).
static inline int CNetfilter_nfq_is_packet(const struct nlmsghdr *nlh) {
    return (nlh->nlmsg_type & 0xff) == NFQNL_MSG_PACKET && (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_QUEUE;
}

/// The error carried by an NLMSG_ERROR message (0 for an ack), or 1 when it is not one.
static inline int CNetfilter_nfq_error_code(const struct nlmsghdr *nlh) {
    if (nlh->nlmsg_type != NLMSG_ERROR) return 1;
    const struct nlmsgerr *err = (const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh);
    return -err->error;
}

// MARK: - ipset over nfnetlink

/// Builds an IPSET_CMD_ADD (or DEL) request for one address with a per-entry timeout; with no
/// NLM_F_EXCL the kernel treats an existing entry as `-exist` does and refreshes its timeout.
/// `address` is 4 or 16 bytes in network order. Returns the message length.
static inline uint32_t CNetfilter_ipset_put_entry(char *buf, uint8_t command, const char *set_name,
                                                  const uint8_t *address, int address_length,
                                                  uint32_t timeout, uint32_t sequence) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | command;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    nlh->nlmsg_seq = sequence;
    struct nfgenmsg *nfg = (struct nfgenmsg *)mnl_nlmsg_put_extra_header(nlh, sizeof(struct nfgenmsg));
    nfg->nfgen_family = address_length == 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
    nfg->version = NFNETLINK_V0;
    nfg->res_id = htons(0);
    mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
    mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, set_name);
    struct nlattr *data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
    struct nlattr *ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
    mnl_attr_put(nlh, (address_length == 4 ? IPSET_ATTR_IPADDR_IPV4 : IPSET_ATTR_IPADDR_IPV6) | NLA_F_NET_BYTEORDER,
                 (size_t)address_length, address);
    mnl_attr_nest_end(nlh, ip);
    if (command == IPSET_CMD_ADD) mnl_attr_put_u32(nlh, IPSET_ATTR_TIMEOUT | NLA_F_NET_BYTEORDER, htonl(timeout));
    mnl_attr_nest_end(nlh, data);
    return nlh->nlmsg_len;
}

/// The errno of an nfnetlink ack in `buf` (0 for success), or -1 when `buf` holds no ack.
static inline int CNetfilter_netlink_ack_error(const void *buf, size_t length) {
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
    if (!mnl_nlmsg_ok(nlh, (int)length) || nlh->nlmsg_type != NLMSG_ERROR) return -1;
    const struct nlmsgerr *err = (const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh);
    return -err->error;
}

// MARK: - sock_diag

/// `MNL_SOCKET_BUFFER_SIZE`: a sysconf() expression, not importable as a constant.
static inline size_t CNetfilter_diag_socket_buffer_size(void) {
    return (size_t)MNL_SOCKET_BUFFER_SIZE;
}

/// `INET_DIAG_NOCOOKIE` (`~0U`): the cookie of a request that does not pin a socket.
static inline uint32_t CNetfilter_diag_nocookie(void) {
    return (uint32_t)INET_DIAG_NOCOOKIE;
}

/// `MNL_SOCKET_AUTOPID`: let the kernel choose the netlink port id on bind.
static inline pid_t CNetfilter_diag_autopid(void) {
    return (pid_t)MNL_SOCKET_AUTOPID;
}

#endif
