/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The far end of a storage VLAN for test-storage.sh, on the storage
 * server's veth (this kernel has no 8021q): frames tagged VID arrive
 * untagged, other tagged frames are dropped; frames sent get VID pushed,
 * except those marked UNTAGGED_MARK (SO_MARK), which leave untagged.
 * Built twice: vlan-end-in.bpf.o (tc ingress) and, with VLAN_END_OUT,
 * vlan-end-out.bpf.o (tc egress), one program each for tc(8) to load.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define VID 3000
#define UNTAGGED_MARK 0x77

char LICENSE[] SEC("license") = "GPL";

#ifndef VLAN_END_OUT
SEC("tc")
int vlan_in(struct __sk_buff *skb)
{
	if (!skb->vlan_present)
		return TC_ACT_OK;
	if ((skb->vlan_tci & 0x0fff) != VID)
		return TC_ACT_SHOT;
	return bpf_skb_vlan_pop(skb) < 0 ? TC_ACT_SHOT : TC_ACT_OK;
}

#else
SEC("tc")
int vlan_out(struct __sk_buff *skb)
{
	if (skb->mark == UNTAGGED_MARK || skb->vlan_present)
		return TC_ACT_OK;
	return bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), VID) < 0 ? TC_ACT_SHOT : TC_ACT_OK;
}
#endif
