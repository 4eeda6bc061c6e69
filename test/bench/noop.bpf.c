/* SPDX-License-Identifier: GPL-2.0-only */
/* The baseline for bench-datapath.sh: a tc program that does nothing, attached the same way. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tc")
int noop(struct __sk_buff *skb)
{
	return TC_ACT_OK;
}
