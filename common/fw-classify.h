/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A guest's rules (fw-rules.h) as the datapath's classifier
 * (bpf/port-abi.h, lxcnet_fw_match): for each direction and field, every
 * prefix a rule names (and the field's whole range) with the bitmap of the
 * rules whose field matches the addresses or ports under it and under no
 * longer such prefix. A rule's set decides by its longest prefix that
 * contains the value, so the bitmap of a prefix is its parent's with the
 * rules that name the prefix itself set or, for '!', cleared: built in one
 * pass over the prefixes sorted by length, at a cost of the number of
 * prefixes times the rules' bitmap size.
 */

#include <stdint.h>

#include "fw-rules.h"
#include "../bpf/port-abi.h"

typedef struct FwMatchEntry {
	uint8_t dir, field;
	uint16_t family;
	uint8_t value[16];
	uint8_t len; /* of the value's prefix */
	struct lxcnet_fw_matchval val;
} FwMatchEntry;

typedef struct FwChunkEntry {
	uint32_t id, chunk;
	uint64_t word;
} FwChunkEntry;

typedef struct FwClassifier {
	FwMatchEntry *match;
	size_t n_match;
	FwChunkEntry *chunks;
	size_t n_chunks;
	uint8_t *verdicts[_LXCNET_DIR_MAX]; /* enum lxcnet_fw_verdict, by rule index within the direction */
	char **origins[_LXCNET_DIR_MAX];    /* where each rule comes from ("100.fw:12"), likewise; not in the hash */
	uint16_t n_rules[_LXCNET_DIR_MAX];
	uint64_t hash; /* of all of it */
} FwClassifier;

void fw_classifier_free(FwClassifier *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(FwClassifier, fw_classifier_free);

/* -E2BIG when a direction has more than LXCNET_FW_RULES_MAX rules; -ENOMEM. */
int fw_classify(const FwRuleSet *rs, FwClassifier **ret);

/*
 * The first rule of dir the packet matches, as the datapath finds it
 * (index within the direction), or -1: for testing the classifier against
 * fw_rule_matches() without a kernel.
 */
int fw_classifier_lookup(const FwClassifier *c, uint8_t dir, int family, const uint8_t src[16], const uint8_t dst[16],
			 int proto, uint16_t sport, uint16_t dport);
