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

#include <stdbool.h>
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
	struct lxcnet_fw_test *tests[_LXCNET_DIR_MAX]; /* likewise: the rule as one test, where it is that simple */
	char **origins[_LXCNET_DIR_MAX];    /* where each rule comes from ("100.fw:12"), likewise; not in the hash */
	uint16_t n_rules[_LXCNET_DIR_MAX];
	uint8_t fields[_LXCNET_DIR_MAX]; /* the fields (1 << enum lxcnet_fw_field) some rule of the direction restricts */
	uint8_t exact[_LXCNET_DIR_MAX];	 /* and those with entries of whole values */
	uint8_t whole_only[_LXCNET_DIR_MAX];   /* lxcnet_fw's: of those, the fields without other prefixes than the whole range */
	uint8_t nothing_else[_LXCNET_DIR_MAX]; /* and of these, those whose whole range matches no rule */
	uint64_t hash;			 /* of all of it */
} FwClassifier;

/* Whether an entry's prefix is a whole value, an entry of lxcnet_fw_exact rather than of the trie. */
static inline bool fw_value_whole(uint8_t field, uint16_t family, uint8_t len)
{
	return len == (field == LXCNET_FW_PROTO ? 8 : field >= LXCNET_FW_SPORT ? 16 : family == 6 ? 128 : 32);
}

void fw_classifier_free(FwClassifier *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(FwClassifier, fw_classifier_free);

/* Into fw (lxcnet_fw), what it says of rules c: their numbers, fields and hash. */
void fw_classifier_describe(const FwClassifier *c, struct lxcnet_fw *fw);

/* -E2BIG when a direction has more than LXCNET_FW_RULES_MAX rules; -ENOMEM. */
int fw_classify(const FwRuleSet *rs, FwClassifier **ret);

/*
 * The first rule of dir the packet matches, as the datapath finds it
 * (index within the direction), or -1: for testing the classifier against
 * fw_rule_matches() without a kernel.
 */
int fw_classifier_lookup(const FwClassifier *c, uint8_t dir, int family, const uint8_t src[16], const uint8_t dst[16],
			 int proto, uint16_t sport, uint16_t dport);
