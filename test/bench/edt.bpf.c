/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * For bench-edt.sh: a rate by earliest departure time, as an alternative to
 * lxcnet's tbf. Each frame leaving the device gets the time it may leave
 * (bpf_skb_set_tstamp(), monotonic) at EDT_RATE bytes per second; the fq
 * qdisc at the device's root holds it until then. Frames more than 2 s
 * ahead are dropped (fq's horizon would drop them too). One device, one
 * clock: the next departure time is kept in a one-entry array.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#ifndef EDT_RATE
#define EDT_RATE (10 * 1024 * 1024) /* bytes per second */
#endif
#define HORIZON_NS 2000000000ULL

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} edt_next SEC(".maps");

SEC("tc")
int edt(struct __sk_buff *skb)
{
	__u32 zero = 0;
	__u64 *next = bpf_map_lookup_elem(&edt_next, &zero), now, t;

	if (!next)
		return TC_ACT_OK;
	now = bpf_ktime_get_ns();
	t = *next > now ? *next : now;
	if (t - now > HORIZON_NS)
		return TC_ACT_SHOT;
	*next = t + (__u64)skb->len * 1000000000ULL / EDT_RATE;
	bpf_skb_set_tstamp(skb, t, BPF_SKB_TSTAMP_DELIVERY_MONO);
	return TC_ACT_OK;
}
