/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath.h"
#include "fw-classify.h"
#include "strutil.h"

/* Here, not in datapath.c: the parsers and the fuzz targets use them without libbpf. */
void datapath_fw_done(DatapathFw *f)
{
	if (!f)
		return;
	fw_classifier_free(f->rules);
	f->rules = NULL;
	strv_free(f->warnings);
	f->warnings = NULL;
}

void datapath_fw_free(DatapathFw *f)
{
	datapath_fw_done(f);
	free(f);
}

void fw_classifier_free(FwClassifier *c)
{
	if (!c)
		return;
	free(c->match);
	free(c->chunks);
	for (int d = 0; d < _LXCNET_DIR_MAX; d++) {
		free(c->verdicts[d]);
		free(c->tests[d]);
	}
	for (int d = 0; d < _LXCNET_DIR_MAX; d++)
		for (size_t i = 0; c->origins[d] && i < c->n_rules[d]; i++)
			free(c->origins[d][i]);
	for (int d = 0; d < _LXCNET_DIR_MAX; d++)
		free(c->origins[d]);
	free(c);
}

/* A prefix some rule names in a field, and which rule ((-1: none) and how. */
typedef struct Item {
	uint8_t value[16];
	uint8_t len;
	int rule;
	bool nomatch;
} Item;

static int item_cmp(const void *a, const void *b)
{
	const Item *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->value, y->value, sizeof(x->value));
}

static void mask(uint8_t *v, unsigned len)
{
	for (unsigned i = 0; i < 16; i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		v[i] = bits >= 8 ? v[i] : (uint8_t)(v[i] & (0xff00 >> bits));
	}
}

typedef struct Builder {
	FwClassifier *c;
	uint32_t next_id;
	size_t n;			   /* rules of the direction being built */
	const struct lxcnet_fw_test *tests; /* and their tests */
	uint8_t partial, catching;	   /* the fields with a prefix that is not whole; whose whole range has a rule */
} Builder;

typedef struct Range {
	uint16_t lo, hi;
} Range;

static int range_cmp(const void *a, const void *b)
{
	const Range *x = a, *y = b;

	return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : 0;
}

/* A port set as at most LXCNET_FW_TEST_RANGES ranges (out, the last repeated); false when it takes more. */
static bool port_ranges(const FwPrefix *p, size_t n, uint16_t out[LXCNET_FW_TEST_RANGES][2])
{
	_cleanup_free_ Range *r = NULL;
	size_t m = 0;

	if (!n) {
		for (size_t i = 0; i < LXCNET_FW_TEST_RANGES; i++)
			out[i][0] = 0, out[i][1] = UINT16_MAX;
		return true;
	}
	r = calloc(n, sizeof(*r));
	if (!r)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint16_t v = (uint16_t)(p[i].addr[0] << 8 | p[i].addr[1]), span;

		if (p[i].nomatch || p[i].len > 16)
			return false;
		span = (uint16_t)((UINT32_C(1) << (16 - p[i].len)) - 1);
		r[i] = (Range){ .lo = (uint16_t)(v & ~span), .hi = (uint16_t)(v | span) };
	}
	qsort(r, n, sizeof(*r), range_cmp);
	for (size_t i = 1; i < n; i++)
		if ((uint32_t)r[i].lo <= (uint32_t)r[m].hi + 1) {
			if (r[i].hi > r[m].hi)
				r[m].hi = r[i].hi;
		} else
			r[++m] = r[i];
	if (m >= LXCNET_FW_TEST_RANGES)
		return false;
	for (size_t i = 0; i < LXCNET_FW_TEST_RANGES; i++) {
		const Range *x = &r[i <= m ? i : m];

		out[i][0] = x->lo, out[i][1] = x->hi;
	}
	return true;
}

/*
 * Rule r as one test in the fields where it is that simple; the others
 * (address lists, sets with '!', more than four port ranges) are left out,
 * as any, and said in t->complex.
 */
static void rule_test(const FwRule *r, struct lxcnet_fw_test *t)
{
	*t = (struct lxcnet_fw_test){ .family = r->family, .proto = (__s16)r->proto };
	for (int i = 0; i < 2; i++) {
		const FwPrefix *a = i ? r->dst : r->src;
		size_t n = i ? r->n_dst : r->n_src;

		if (!n)
			continue;
		if (n > 1 || a->nomatch) {
			t->complex |= (uint8_t)(1 << (i ? LXCNET_FW_DST : LXCNET_FW_SRC));
			continue;
		}
		if (t->family && t->family != a->family) {
			t->complex = 0xff; /* matches nothing: left to the bitmaps */
			return;
		}
		t->family = a->family;
		memcpy(i ? t->dst : t->src, a->addr, 16);
		*(i ? &t->dst_len : &t->src_len) = a->len;
	}
	if (!port_ranges(r->sport, r->n_sport, t->sport)) {
		t->complex |= 1 << LXCNET_FW_SPORT;
		(void)port_ranges(NULL, 0, t->sport); /* any */
	}
	if (!port_ranges(r->dport, r->n_dport, t->dport)) {
		t->complex |= 1 << LXCNET_FW_DPORT;
		(void)port_ranges(NULL, 0, t->dport);
	}
}

static bool prefix_under(const uint8_t *p, unsigned len, const uint8_t *a)
{
	for (unsigned i = 0; i < len; i++)
		if (((p[i / 8] ^ a[i / 8]) >> (7 - i % 8)) & 1)
			return false;
	return true;
}

static bool in_ranges(const uint16_t r[LXCNET_FW_TEST_RANGES][2], uint16_t v)
{
	for (size_t i = 0; i < LXCNET_FW_TEST_RANGES; i++)
		if (v >= r[i][0] && v <= r[i][1])
			return true;
	return false;
}

/* fw_test() of bpf/guest-fw.h. */
static bool test_passes(const struct lxcnet_fw_test *t, int family, const uint8_t src[16], const uint8_t dst[16], int proto,
			uint16_t sport, uint16_t dport)
{
	if ((t->family && t->family != family) || (t->proto >= 0 && t->proto != proto))
		return false;
	if (!in_ranges(t->sport, sport) || !in_ranges(t->dport, dport))
		return false;
	return prefix_under(t->src, t->src_len, src) && prefix_under(t->dst, t->dst_len, dst);
}

/* The rules chunk w holds, as its bits. */
static uint64_t chunk_rules(size_t n, size_t w)
{
	return n >= (w + 1) * 64 ? ~UINT64_C(0) : n > w * 64 ? (UINT64_C(1) << (n % 64)) - 1 : 0;
}

static int push_entry(Builder *b, uint8_t dir, uint8_t field, uint16_t family, const Item *u, const uint64_t *bitmap,
		      size_t words)
{
	FwMatchEntry *e = array_grow(&b->c->match, b->c->n_match, sizeof(*b->c->match));

	if (!e)
		return -ENOMEM;
	*e = (FwMatchEntry){ .dir = dir, .field = field, .family = family, .len = u->len };
	memcpy(e->value, u->value, sizeof(e->value));
	e->val.id = ++b->next_id;
	if (fw_value_whole(field, family, u->len))
		b->c->exact[dir] |= (uint8_t)(1 << field);
	/* The candidates: at most LXCNET_FW_CANDIDATES rules; tested when each is one test in the other fields. */
	e->val.tested = 1;
	for (size_t w = 0; w < words && e->val.n_cand != LXCNET_FW_MANY; w++)
		for (uint64_t m = bitmap[w]; m; m &= m - 1) {
			size_t rule = w * 64 + (size_t)__builtin_ctzll(m);

			if (e->val.n_cand == LXCNET_FW_CANDIDATES) {
				e->val.n_cand = LXCNET_FW_MANY;
				e->val.tested = 0;
				break;
			}
			if (b->tests[rule].complex & ~(1 << field))
				e->val.tested = 0;
			e->val.need |= b->tests[rule].complex;
			e->val.cand[e->val.n_cand++] = (uint16_t)rule;
		}
	if (e->val.tested || e->val.n_cand == LXCNET_FW_MANY)
		e->val.need = 0;
	for (size_t w = 0; w < words; w++) {
		if (!bitmap[w])
			continue;
		if (w < LXCNET_FW_INLINE_WORDS) {
			e->val.bits[w] = bitmap[w];
			continue;
		}
		e->val.summary[w / 64] |= UINT64_C(1) << (w % 64);
		if (bitmap[w] == chunk_rules(b->n, w)) {
			e->val.full[w / 64] |= UINT64_C(1) << (w % 64);
			continue;
		}
		{
			FwChunkEntry *ch = array_grow(&b->c->chunks, b->c->n_chunks, sizeof(*b->c->chunks));

			if (!ch)
				return -ENOMEM;
			*ch = (FwChunkEntry){ .id = e->val.id, .chunk = (uint32_t)w, .word = bitmap[w] };
			b->c->n_chunks++;
		}
	}
	b->c->n_match++;
	return 0;
}

/* The field's set of rule r as prefixes (for the protocol: one, made here in *tmp); NULL and 0: any. */
static const FwPrefix *field_set(const FwRule *r, int field, FwPrefix *tmp, size_t *n)
{
	switch (field) {
	case LXCNET_FW_SRC:
		*n = r->n_src;
		return r->src;
	case LXCNET_FW_DST:
		*n = r->n_dst;
		return r->dst;
	case LXCNET_FW_PROTO:
		*n = r->proto >= 0;
		*tmp = (FwPrefix){ .len = 8, .addr = { (uint8_t)r->proto } };
		return r->proto >= 0 ? tmp : NULL;
	case LXCNET_FW_SPORT:
		*n = r->n_sport;
		return r->sport;
	default:
		*n = r->n_dport;
		return r->dport;
	}
}

/* One direction, field and family: its prefixes with their bitmaps. */
static int build_field(Builder *b, const FwRule *const *rules, size_t n, uint8_t dir, int field, int family)
{
	size_t words = n ? (n + 63) / 64 : 1, n_items = 0, n_u = 0;
	_cleanup_free_ Item *items = NULL, *u = NULL;
	_cleanup_free_ uint64_t *maps = NULL;
	_cleanup_free_ size_t *first = NULL;
	int r;

	/* The whole range first: every rule that does not restrict this field. */
	items = calloc(1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	items[n_items++] = (Item){ .rule = -1 };
	for (size_t j = 0; j < n; j++) {
		const FwRule *rule = rules[j];
		FwPrefix tmp;
		size_t m;
		const FwPrefix *set;

		if ((field == LXCNET_FW_SRC || field == LXCNET_FW_DST) && rule->family && rule->family != family)
			continue; /* not in this family's entries at all: it matches none of its packets */
		set = field_set(rule, field, &tmp, &m);
		if (!m) {
			Item *at = array_grow(&items, n_items, sizeof(*items));

			if (!at)
				return -ENOMEM;
			*at = (Item){ .rule = (int)j };
			n_items++;
			continue;
		}
		for (size_t i = 0; i < m; i++) {
			Item *at;

			if ((field == LXCNET_FW_SRC || field == LXCNET_FW_DST) && set[i].family != family)
				continue;
			at = array_grow(&items, n_items, sizeof(*items));
			if (!at)
				return -ENOMEM;
			*at = (Item){ .len = set[i].len, .rule = (int)j, .nomatch = set[i].nomatch };
			memcpy(at->value, set[i].addr, sizeof(at->value));
			mask(at->value, at->len);
			n_items++;
		}
	}
	qsort(items, n_items, sizeof(*items), item_cmp);
	/* The distinct prefixes, each with where its items start. */
	u = calloc(n_items, sizeof(*u));
	first = calloc(n_items + 1, sizeof(*first));
	if (!u || !first)
		return -ENOMEM;
	for (size_t i = 0; i < n_items; i++)
		if (i == 0 || item_cmp(&items[i - 1], &items[i]) != 0) {
			first[n_u] = i;
			u[n_u] = items[i];
			u[n_u++].rule = -1;
		}
	first[n_u] = n_items;
	maps = calloc(n_u * words, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (size_t i = 0; i < n_u; i++) {
		uint64_t *bm = &maps[i * words];

		/* The parent: the longest shorter prefix containing this one (the whole range at least). */
		if (u[i].len > 0) {
			for (int len = u[i].len - 1; len >= 0; len--) {
				Item key = { .len = (uint8_t)len };
				Item *p;

				memcpy(key.value, u[i].value, sizeof(key.value));
				mask(key.value, (unsigned)len);
				p = bsearch(&key, u, i, sizeof(*u), item_cmp);
				if (p) {
					memcpy(bm, &maps[(size_t)(p - u) * words], words * sizeof(*bm));
					break;
				}
			}
		}
		for (size_t k = first[i]; k < first[i + 1]; k++) {
			int rule = items[k].rule;

			if (rule < 0)
				continue;
			if (items[k].nomatch)
				bm[rule / 64] &= ~(UINT64_C(1) << (rule % 64));
			else
				bm[rule / 64] |= UINT64_C(1) << (rule % 64);
		}
		r = push_entry(b, dir, (uint8_t)field, (uint16_t)(field <= LXCNET_FW_DST ? family : 0), &u[i], bm, words);
		if (r < 0)
			return r;
	}
	/* Restricted, unless the whole range is the only entry and has every rule. */
	for (size_t w = 0; w < words; w++) {
		if (n_u > 1 || maps[w] != chunk_rules(n, w))
			b->c->fields[dir] |= (uint8_t)(1 << field);
		if (maps[w])
			b->catching |= (uint8_t)(1 << field); /* u[0], sorted first, is the whole range */
	}
	for (size_t i = 1; i < n_u; i++)
		if (!fw_value_whole((uint8_t)field, (uint16_t)family, u[i].len))
			b->partial |= (uint8_t)(1 << field);
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= UINT64_C(1099511628211);
	}
	return h;
}

int fw_classify(const FwRuleSet *rs, FwClassifier **ret)
{
	_cleanup_(fw_classifier_freep) FwClassifier *c = calloc(1, sizeof(*c));
	_cleanup_free_ const FwRule **rules = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*rules));
	Builder b = { .c = c };
	uint64_t h = UINT64_C(14695981039346656037);
	int r;

	if (!c || !rules)
		return -ENOMEM;
	for (uint8_t dir = 0; dir < _LXCNET_DIR_MAX; dir++) {
		size_t n = 0;

		for (size_t i = 0; i < rs->n_rules; i++)
			if (rs->rules[i].dir == dir)
				rules[n++] = &rs->rules[i];
		if (n > LXCNET_FW_RULES_MAX)
			return -E2BIG;
		c->n_rules[dir] = (uint16_t)n;
		b.n = n;
		if (!n)
			continue;
		c->verdicts[dir] = calloc(n, 1);
		c->tests[dir] = calloc(n, sizeof(*c->tests[dir]));
		c->origins[dir] = calloc(n, sizeof(char *));
		if (!c->verdicts[dir] || !c->tests[dir] || !c->origins[dir])
			return -ENOMEM;
		for (size_t j = 0; j < n; j++)
			rule_test(rules[j], &c->tests[dir][j]);
		b.tests = c->tests[dir];
		b.partial = b.catching = 0;
		for (size_t j = 0; j < n; j++) {
			c->origins[dir][j] = strdup(rules[j]->origin ? rules[j]->origin : "");
			if (!c->origins[dir][j])
				return -ENOMEM;
		}
		for (size_t j = 0; j < n; j++)
			c->verdicts[dir][j] = rules[j]->verdict == FW_ACCEPT ? LXCNET_FW_ACCEPT :
					      rules[j]->verdict == FW_REJECT ? LXCNET_FW_REJECT :
									      LXCNET_FW_DROP;
		for (int field = 0; field < _LXCNET_FW_FIELDS; field++) {
			if (field <= LXCNET_FW_DST) {
				r = build_field(&b, rules, n, dir, field, 4);
				if (r >= 0)
					r = build_field(&b, rules, n, dir, field, 6);
			} else
				r = build_field(&b, rules, n, dir, field, 0);
			if (r < 0)
				return r;
		}
		c->whole_only[dir] = c->fields[dir] & (uint8_t)~b.partial;
		c->nothing_else[dir] = c->whole_only[dir] & (uint8_t)~b.catching;
		h = fnv(h, &c->n_rules[dir], sizeof(c->n_rules[dir]));
		h = fnv(h, &c->fields[dir], sizeof(c->fields[dir]));
		h = fnv(h, &c->exact[dir], sizeof(c->exact[dir]));
		h = fnv(h, &c->whole_only[dir], sizeof(c->whole_only[dir]));
		h = fnv(h, &c->nothing_else[dir], sizeof(c->nothing_else[dir]));
		h = fnv(h, c->tests[dir], n * sizeof(*c->tests[dir]));
		h = fnv(h, c->verdicts[dir], n);
	}
	for (size_t i = 0; i < c->n_match; i++) {
		const FwMatchEntry *e = &c->match[i];

		h = fnv(h, &e->dir, 1);
		h = fnv(h, &e->field, 1);
		h = fnv(h, &e->family, sizeof(e->family));
		h = fnv(h, e->value, sizeof(e->value));
		h = fnv(h, &e->len, 1);
		h = fnv(h, &e->val, sizeof(e->val));
	}
	for (size_t i = 0; i < c->n_chunks; i++)
		h = fnv(h, &c->chunks[i], sizeof(c->chunks[i]));
	c->hash = h ? h : 1;
	*ret = TAKE_PTR(c);
	return 0;
}

void fw_classifier_describe(const FwClassifier *c, struct lxcnet_fw *fw)
{
	memcpy(fw->n_rules, c->n_rules, sizeof(fw->n_rules));
	memcpy(fw->fields, c->fields, sizeof(fw->fields));
	memcpy(fw->exact, c->exact, sizeof(fw->exact));
	memcpy(fw->whole_only, c->whole_only, sizeof(fw->whole_only));
	memcpy(fw->nothing_else, c->nothing_else, sizeof(fw->nothing_else));
	fw->rules_hash = c->n_rules[0] || c->n_rules[1] ? c->hash : 0;
}

/* The longest entry of (dir, field, family) containing value, as the trie finds it. */
static const FwMatchEntry *longest(const FwClassifier *c, uint8_t dir, int field, int family, const uint8_t *value)
{
	const FwMatchEntry *best = NULL;

	for (size_t i = 0; i < c->n_match; i++) {
		const FwMatchEntry *e = &c->match[i];
		uint8_t v[16];

		if (e->dir != dir || e->field != field || e->family != family || (best && best->len >= e->len))
			continue;
		memcpy(v, value, sizeof(v));
		mask(v, e->len);
		if (memcmp(v, e->value, sizeof(v)) == 0)
			best = e;
	}
	return best;
}

static uint64_t chunk_word(const FwClassifier *c, uint32_t id, uint32_t chunk)
{
	for (size_t i = 0; i < c->n_chunks; i++)
		if (c->chunks[i].id == id && c->chunks[i].chunk == chunk)
			return c->chunks[i].word;
	return 0;
}

/* Whether the rules of m (the entry of a field) include rule, found as the datapath finds it. */
static bool entry_has(const FwClassifier *c, const struct lxcnet_fw_matchval *m, uint32_t rule)
{
	uint32_t w = rule / 64;

	if (m->n_cand <= LXCNET_FW_CANDIDATES) {
		for (unsigned i = 0; i < m->n_cand; i++)
			if (m->cand[i] == rule)
				return true;
		return false;
	}
	if (w < LXCNET_FW_INLINE_WORDS)
		return (m->bits[w] >> (rule % 64)) & 1;
	if (!((m->summary[w / 64] >> (w % 64)) & 1))
		return false;
	return ((m->full[w / 64] >> (w % 64)) & 1) || ((chunk_word(c, m->id, w) >> (rule % 64)) & 1);
}

int fw_classifier_lookup(const FwClassifier *c, uint8_t dir, int family, const uint8_t src[16], const uint8_t dst[16],
			 int proto, uint16_t sport, uint16_t dport)
{
	const FwMatchEntry *e[_LXCNET_FW_FIELDS];
	uint8_t v[_LXCNET_FW_FIELDS][16] = {};
	int listed = -1; /* the field whose value lists the fewest rules */
	uint8_t skip = 0; /* fields a list not tested needs not: its candidates' tests judge them */
	bool skipped = false;

	if (!c->n_rules[dir])
		return -1;
	memcpy(v[LXCNET_FW_SRC], src, 16);
	memcpy(v[LXCNET_FW_DST], dst, 16);
	v[LXCNET_FW_PROTO][0] = (uint8_t)proto;
	v[LXCNET_FW_SPORT][0] = (uint8_t)(sport >> 8), v[LXCNET_FW_SPORT][1] = (uint8_t)sport;
	v[LXCNET_FW_DPORT][0] = (uint8_t)(dport >> 8), v[LXCNET_FW_DPORT][1] = (uint8_t)dport;
	for (int f = 0; f < _LXCNET_FW_FIELDS; f++) {
		e[f] = NULL;
		if (!(c->fields[dir] & (1 << f)))
			continue; /* every rule */
		if (skip & (1 << f)) {
			skipped = true;
			continue;
		}
		e[f] = longest(c, dir, f, f <= LXCNET_FW_DST ? family : 0, v[f]);
		if (!e[f])
			return -1;
		if (e[f]->val.n_cand > LXCNET_FW_CANDIDATES)
			continue;
		if (e[f]->val.tested) {
			for (unsigned i = 0; i < e[f]->val.n_cand; i++)
				if (test_passes(&c->tests[dir][e[f]->val.cand[i]], family, src, dst, proto, sport, dport))
					return e[f]->val.cand[i];
			return -1;
		}
		if (!skip && e[f]->val.need) /* any list holds every rule the packet can match */
			skip = (uint8_t)~e[f]->val.need;
		if (listed < 0 || e[f]->val.n_cand < e[listed]->val.n_cand)
			listed = f;
	}
	if (listed >= 0) {
		/* The first listed rule every field looked up has, and whose test judges the others. */
		for (unsigned i = 0; i < e[listed]->val.n_cand; i++) {
			uint32_t rule = e[listed]->val.cand[i];
			bool all = true;

			for (int f = 0; f < _LXCNET_FW_FIELDS && all; f++)
				all = !e[f] || entry_has(c, &e[f]->val, rule);
			if (all && (!skipped || test_passes(&c->tests[dir][rule], family, src, dst, proto, sport, dport)))
				return (int)rule;
		}
		return -1;
	}
	for (uint32_t w = 0; w < LXCNET_FW_CHUNKS; w++) {
		uint64_t word = chunk_rules(c->n_rules[dir], w);

		for (int f = 0; f < _LXCNET_FW_FIELDS; f++) {
			const struct lxcnet_fw_matchval *m = e[f] ? &e[f]->val : NULL;

			if (!m)
				continue;
			if (w < LXCNET_FW_INLINE_WORDS)
				word &= m->bits[w];
			else if (!((m->summary[w / 64] >> (w % 64)) & 1))
				word = 0;
			else if (!((m->full[w / 64] >> (w % 64)) & 1))
				word &= chunk_word(c, m->id, w);
		}
		if (word)
			return (int)(w * 64 + (uint32_t)__builtin_ctzll(word));
	}
	return -1;
}
