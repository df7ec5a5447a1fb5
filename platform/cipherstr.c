/*
 * cipherstr.c - OpenSSL-style cipher strings over a backend's suite universe.
 *
 * The string is read as OpenSSL reads it: elements split by ':', ',' or ' ',
 * '+' joining words that must all hold, '!' removing for good, '-' removing
 * for now, a leading '+' moving to the end, @STRENGTH sorting.  The universe
 * holds only what the backend may offer, so no string can make pinfold offer
 * anything weaker.  One deliberate difference: "!ECDH" and "!DH" remove static
 * and anonymous (EC)DH only, never ECDHE/DHE, because that is what people mean
 * by them (the Home Assistant docs' "ALL:!RC4:!ECDH:!DH" among them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cipherstr.h"

int cipherstr_acceptable(uint64_t at)
{
	return (at & (CS_KECDHE | CS_KDHE)) && (at & (CS_AECDSA | CS_ARSA)) &&
	       (at & (CS_GCM | CS_CCM | CS_POLY1305));
}

#define W_KX    1 /* a key exchange word: next to it, "RSA" means RSA authentication */
#define W_RSA   2 /* "RSA": kRSA alone (OpenSSL), aRSA in "ECDHE+RSA" (what is meant) */
#define W_TLS13 4 /* a TLS 1.3 suite name: accepted, selects nothing (as in OpenSSL) */

/*
 * OpenSSL's words.  A suite is selected when, for each non-zero need[i], it has one of
 * the bits in need[i].  When the word stands after '!' or '-' and neg is non-zero, neg
 * is used instead: that is how "!ECDH" / "!DH" leave ECDHE and DHE alone.
 */
static const struct cipher_word {
	const char *word;
	uint64_t need[3];
	uint64_t neg;
	int flags;
} cipher_words[] = {
    {"ALL", {0}, 0, 0},
    {"DEFAULT", {0}, 0, 0},
    {"HIGH", {0}, 0, 0},
    {"TLSv1.2", {0}, 0, 0},
    {"AEAD", {0}, 0, 0},
    {"FIPS", {CS_AES}, 0, 0},
    {"COMPLEMENTOFDEFAULT", {CS_NEVER}, 0, 0},
    {"COMPLEMENTOFALL", {CS_NEVER}, 0, 0},
    {"MEDIUM", {CS_NEVER}, 0, 0},
    {"LOW", {CS_NEVER}, 0, 0},
    {"EXPORT", {CS_NEVER}, 0, 0},
    {"EXPORT40", {CS_NEVER}, 0, 0},
    {"EXPORT56", {CS_NEVER}, 0, 0},
    {"EXP", {CS_NEVER}, 0, 0},
    {"SSLv3", {CS_NEVER}, 0, 0},
    {"TLSv1", {CS_NEVER}, 0, 0},
    {"TLSv1.0", {CS_NEVER}, 0, 0},
    {"eNULL", {CS_ENULL}, 0, 0},
    {"NULL", {CS_ENULL}, 0, 0},
    {"aNULL", {CS_NEVER}, 0, 0},
    {"ADH", {CS_NEVER}, 0, 0},
    {"AECDH", {CS_NEVER}, 0, 0},
    /* key exchange */
    {"kECDHE", {CS_KECDHE}, 0, W_KX},
    {"kEECDH", {CS_KECDHE}, 0, W_KX},
    {"ECDHE", {CS_KECDHE}, 0, W_KX},
    {"EECDH", {CS_KECDHE}, 0, W_KX},
    {"kDHE", {CS_KDHE}, 0, W_KX},
    {"kEDH", {CS_KDHE}, 0, W_KX},
    {"DHE", {CS_KDHE}, 0, W_KX},
    {"EDH", {CS_KDHE}, 0, W_KX},
    {"ECDH", {CS_KECDHE | CS_KECDH}, CS_KECDH, W_KX},
    {"DH", {CS_KDHE}, CS_NEVER, W_KX},
    {"kECDH", {CS_KECDH}, 0, 0},
    {"kECDHr", {CS_KECDH | CS_ARSA}, 0, 0},
    {"kECDHe", {CS_KECDH | CS_AECDSA}, 0, 0},
    {"aECDH", {CS_KECDH}, 0, 0},
    {"kDH", {CS_NEVER}, 0, 0},
    {"kDHr", {CS_NEVER}, 0, 0},
    {"kDHd", {CS_NEVER}, 0, 0},
    {"aDH", {CS_NEVER}, 0, 0},
    {"kRSA", {CS_KRSA}, 0, 0},
    {"RSA", {CS_KRSA}, 0, W_RSA},
    {"PSK", {CS_KPSK}, 0, 0},
    {"kPSK", {CS_KPSK}, 0, 0},
    {"aPSK", {CS_APSK}, 0, 0},
    {"kECDHEPSK", {CS_KPSK}, 0, 0},
    {"kDHEPSK", {CS_KPSK}, 0, 0},
    {"kRSAPSK", {CS_KPSK}, 0, 0},
    {"SRP", {CS_NEVER}, 0, 0},
    {"kSRP", {CS_NEVER}, 0, 0},
    {"aSRP", {CS_NEVER}, 0, 0},
    {"kGOST", {CS_NEVER}, 0, 0},
    {"aGOST", {CS_NEVER}, 0, 0},
    {"aGOST01", {CS_NEVER}, 0, 0},
    {"GOST94", {CS_NEVER}, 0, 0},
    {"GOST89MAC", {CS_NEVER}, 0, 0},
    /* authentication */
    {"aRSA", {CS_ARSA}, 0, 0},
    {"aECDSA", {CS_AECDSA}, 0, 0},
    {"ECDSA", {CS_AECDSA}, 0, 0},
    {"aDSS", {CS_NEVER}, 0, 0},
    {"DSS", {CS_NEVER}, 0, 0},
    /* encryption */
    {"AES", {CS_AES}, 0, 0},
    {"AES128", {CS_AES, CS_B128}, 0, 0},
    {"AES256", {CS_AES, CS_B256}, 0, 0},
    {"AESGCM", {CS_AES, CS_GCM}, 0, 0},
    {"AESCCM", {CS_AES, CS_CCM | CS_CCM8}, 0, 0},
    {"AESCCM8", {CS_AES, CS_CCM8}, 0, 0},
    {"CHACHA20", {CS_CHACHA20}, 0, 0},
    {"CAMELLIA", {CS_CAMELLIA}, 0, 0},
    {"CAMELLIA128", {CS_CAMELLIA, CS_B128}, 0, 0},
    {"CAMELLIA256", {CS_CAMELLIA, CS_B256}, 0, 0},
    {"ARIA", {CS_ARIA}, 0, 0},
    {"ARIA128", {CS_ARIA, CS_B128}, 0, 0},
    {"ARIA256", {CS_ARIA, CS_B256}, 0, 0},
    {"ARIAGCM", {CS_ARIA, CS_GCM}, 0, 0},
    {"3DES", {CS_3DES}, 0, 0},
    {"DES", {CS_NEVER}, 0, 0},
    {"RC4", {CS_RC4}, 0, 0},
    {"RC2", {CS_NEVER}, 0, 0},
    {"IDEA", {CS_NEVER}, 0, 0},
    {"SEED", {CS_NEVER}, 0, 0},
    {"CBC", {CS_CBC}, 0, 0},
    /* MAC (of an AEAD suite: the PRF hash) */
    {"MD5", {CS_MD5}, 0, 0},
    {"SHA1", {CS_SHA1}, 0, 0},
    {"SHA", {CS_SHA1}, 0, 0},
    {"SHA256", {CS_SHA256}, 0, 0},
    {"SHA384", {CS_SHA384}, 0, 0},
    /* Suite B */
    {"SUITEB128", {CS_KECDHE, CS_AECDSA, CS_GCM}, 0, 0},
    {"SUITEB128ONLY", {CS_KECDHE, CS_AECDSA, CS_GCM}, 0, 0},
    {"SUITEB128C2", {CS_KECDHE, CS_AECDSA, CS_GCM}, 0, 0},
    {"SUITEB192", {CS_KECDHE, CS_AECDSA, CS_B256}, 0, 0},
    /* TLS 1.3 suites are not set by this string */
    {"TLS_AES_128_GCM_SHA256", {CS_NEVER}, 0, W_TLS13},
    {"TLS_AES_256_GCM_SHA384", {CS_NEVER}, 0, W_TLS13},
    {"TLS_CHACHA20_POLY1305_SHA256", {CS_NEVER}, 0, W_TLS13},
    {"TLS_AES_128_CCM_SHA256", {CS_NEVER}, 0, W_TLS13},
    {"TLS_AES_128_CCM_8_SHA256", {CS_NEVER}, 0, W_TLS13},
};

/* OpenSSL's names of the suites we may offer (their IANA numbers). */
static const struct {
	const char *name;
	int id;
} openssl_names[] = {
    {"ECDHE-ECDSA-AES128-GCM-SHA256", 0xC02B},
    {"ECDHE-ECDSA-AES256-GCM-SHA384", 0xC02C},
    {"ECDHE-RSA-AES128-GCM-SHA256", 0xC02F},
    {"ECDHE-RSA-AES256-GCM-SHA384", 0xC030},
    {"ECDHE-ECDSA-CHACHA20-POLY1305", 0xCCA9},
    {"ECDHE-RSA-CHACHA20-POLY1305", 0xCCA8},
    {"DHE-RSA-CHACHA20-POLY1305", 0xCCAA},
    {"DHE-RSA-AES128-GCM-SHA256", 0x009E},
    {"DHE-RSA-AES256-GCM-SHA384", 0x009F},
    {"ECDHE-ECDSA-AES128-CCM", 0xC0AC},
    {"ECDHE-ECDSA-AES256-CCM", 0xC0AD},
    {"DHE-RSA-AES128-CCM", 0xC09E},
    {"DHE-RSA-AES256-CCM", 0xC09F},
    {"ECDHE-ECDSA-ARIA128-GCM-SHA256", 0xC05C},
    {"ECDHE-ECDSA-ARIA256-GCM-SHA384", 0xC05D},
    {"ECDHE-ARIA128-GCM-SHA256", 0xC060},
    {"ECDHE-ARIA256-GCM-SHA384", 0xC061},
    {"DHE-RSA-ARIA128-GCM-SHA256", 0xC052},
    {"DHE-RSA-ARIA256-GCM-SHA384", 0xC053},
};

/*
 * The parts OpenSSL builds its other suite names from ("EDH-RSA-DES-CBC3-SHA").  A name
 * made only of them is a real suite we never offer: accepted, selects nothing.  Anything
 * else is a typo and an error.
 */
static const char *const openssl_name_parts[] = {
    "ECDHE",   "ECDH",     "DHE",      "EDH",         "DH",          "ADH",    "AECDH",
    "RSA",     "DSS",      "ECDSA",    "PSK",         "SRP",         "KRB5",   "EXP",
    "EXP1024", "NULL",     "AES",      "AES128",      "AES256",      "GCM",    "CCM",
    "CCM8",    "CBC",      "CBC3",     "DES",         "3DES",        "RC4",    "RC2",
    "IDEA",    "SEED",     "CAMELLIA", "CAMELLIA128", "CAMELLIA256", "ARIA",   "ARIA128",
    "ARIA256", "CHACHA20", "POLY1305", "SHA",         "SHA256",      "SHA384", "MD5",
    "GOST94",  "GOST89",   "GOST2001", "GOST2012",    "GOST89MAC",   "IMIT",   "CNT",
    "40",      "56",       "1024",     "anon",
};

/* One '+'-separated part of an element: either a set of needs or one suite id. */
struct cipher_atom {
	uint64_t need[3];
	int id; /* > 0: exactly this suite */
	int flags;
};

static int name_is_openssl_suite(const char *s, size_t len)
{
	size_t parts = 0, i;

	while (len > 0) {
		const char *dash = memchr(s, '-', len);
		size_t plen = dash ? (size_t)(dash - s) : len;
		int known = 0;

		for (i = 0; i < sizeof(openssl_name_parts) / sizeof(openssl_name_parts[0]); i++)
			if (strlen(openssl_name_parts[i]) == plen &&
			    strncasecmp(openssl_name_parts[i], s, plen) == 0)
				known = 1;
		if (!known)
			return 0;
		parts++;
		if (dash == NULL)
			break;
		len -= plen + 1;
		s = dash + 1;
	}
	return parts >= 2;
}

const char *cipherstr_word(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof(cipher_words) / sizeof(cipher_words[0]); i++)
		if (strlen(cipher_words[i].word) == len &&
		    strncasecmp(cipher_words[i].word, s, len) == 0)
			return cipher_words[i].word;
	return NULL;
}

static int atom_parse(const char *s, size_t len, int negated, cipherstr_lookup_fn *lookup,
                      struct cipher_atom *a)
{
	size_t i;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < sizeof(cipher_words) / sizeof(cipher_words[0]); i++) {
		const struct cipher_word *w = &cipher_words[i];

		if (strlen(w->word) != len || strncasecmp(w->word, s, len) != 0)
			continue;
		memcpy(a->need, w->need, sizeof(a->need));
		if (negated && w->neg != 0) {
			memset(a->need, 0, sizeof(a->need));
			a->need[0] = w->neg;
		}
		a->flags = w->flags;
		return 0;
	}
	for (i = 0; i < sizeof(openssl_names) / sizeof(openssl_names[0]); i++) {
		if (strlen(openssl_names[i].name) == len &&
		    strncasecmp(openssl_names[i].name, s, len) == 0) {
			a->id = openssl_names[i].id;
			return 0;
		}
	}
	a->id = lookup != NULL ? lookup(s, len) : 0;
	if (a->id != 0)
		return 0;
	if (name_is_openssl_suite(s, len)) {
		a->need[0] = CS_NEVER;
		return 0;
	}
	return -1;
}

static int atom_match(const struct cipher_atom *a, const struct cipherstr_suite *su,
                      int rsa_is_auth)
{
	size_t i;

	if (a->id != 0)
		return a->id == su->id;
	if ((a->flags & W_RSA) && rsa_is_auth)
		return (su->at & CS_ARSA) != 0;
	for (i = 0; i < 3; i++)
		if (a->need[i] != 0 && (su->at & a->need[i]) == 0)
			return 0;
	return 1;
}

/* Move the suites in list[] that are marked in sel[] to its end, keeping their order. */
static void list_move_to_end(int *list, size_t n, const unsigned char *sel)
{
	size_t i, j = 0, k = 0;
	int *tmp = list + n; /* the caller gave us room for a second copy */

	for (i = 0; i < n; i++)
		if (!sel[list[i]])
			list[j++] = list[i];
		else
			tmp[k++] = list[i];
	memcpy(list + j, tmp, k * sizeof(*list));
}

/* The working state of one cipherstr_select(): the chosen list and what each element did. */
struct cipher_sel {
	const struct cipherstr_suite *u;
	size_t nu;
	unsigned char *killed; /* removed by '!': never added back */
	unsigned char *in;     /* in the list now */
	unsigned char *sel;    /* matched by the element being applied */
	int *list;             /* the chosen indices into u, in order; room for 2 * nu */
	size_t n;
};

/*
 * An '@' element.  @STRENGTH sorts by key bits, stably, so equal strengths keep the
 * order the string gave them; security levels are OpenSSL's knob, and our floor is
 * above all of them.  0 when handled, -1 with a message.
 */
static int sel_at(struct cipher_sel *cs, const char *e, size_t elen, char *err, size_t errlen)
{
	size_t i;

	if (elen == 9 && strncasecmp(e, "@STRENGTH", 9) == 0) {
		for (i = 1; i < cs->n; i++) {
			int v = cs->list[i];
			size_t j = i;

			while (j > 0 && cs->u[cs->list[j - 1]].bits < cs->u[v].bits) {
				cs->list[j] = cs->list[j - 1];
				j--;
			}
			cs->list[j] = v;
		}
		return 0;
	}
	if (elen == 11 && strncasecmp(e, "@SECLEVEL=", 10) == 0 && e[10] >= '0' && e[10] <= '5')
		return 0;
	snprintf(err, errlen, "unknown cipher token \"%.*s\"", (int)elen, e);
	return -1;
}

/* Mark in cs->sel the suites that every '+'-joined word of element e[0..elen) matches. */
static int sel_match(struct cipher_sel *cs, const char *e, size_t elen, char op,
                     cipherstr_lookup_fn *lookup, char *err, size_t errlen)
{
	struct cipher_atom atoms[8];
	size_t natoms = 0, i, k;
	int has_kx = 0;

	while (elen > 0) {
		size_t alen = strcspn(e, "+:, ");

		if (alen > elen)
			alen = elen;
		if (alen == 0 || natoms == sizeof(atoms) / sizeof(atoms[0]) ||
		    atom_parse(e, alen, op == '!' || op == '-', lookup, &atoms[natoms]) != 0) {
			snprintf(err, errlen, "unknown cipher token \"%.*s\"",
			         (int)(alen ? alen : elen), e);
			return -1;
		}
		has_kx |= (atoms[natoms].flags & W_KX) != 0;
		natoms++;
		e += alen;
		elen -= alen;
		if (elen > 0) { /* the '+' */
			e++;
			elen--;
		}
	}
	if (natoms == 0) {
		snprintf(err, errlen, "empty cipher token after '%c'", op);
		return -1;
	}
	for (i = 0; i < cs->nu; i++) {
		cs->sel[i] = 1;
		for (k = 0; k < natoms && cs->sel[i]; k++)
			cs->sel[i] = (unsigned char)atom_match(&atoms[k], &cs->u[i], has_kx);
	}
	return 0;
}

/* Apply what sel_match() marked, as the element's operator says. */
static void sel_apply(struct cipher_sel *cs, char op)
{
	size_t i;

	switch (op) {
	case '!': /* gone for good */
	case '-': /* gone, but a later element may add it back */
		for (i = 0; i < cs->nu; i++) {
			if (!cs->sel[i])
				continue;
			cs->in[i] = 0;
			if (op == '!')
				cs->killed[i] = 1;
		}
		for (i = 0; i < cs->n;) {
			if (cs->sel[cs->list[i]]) {
				memmove(cs->list + i, cs->list + i + 1,
				        (cs->n - i - 1) * sizeof(int));
				cs->n--;
			} else {
				i++;
			}
		}
		break;
	case '+': /* move to the end */
		list_move_to_end(cs->list, cs->n, cs->sel);
		break;
	default: /* add what is not there yet, in the library's order */
		for (i = 0; i < cs->nu; i++) {
			if (cs->sel[i] && !cs->in[i] && !cs->killed[i]) {
				cs->in[i] = 1;
				cs->list[cs->n++] = (int)i;
			}
		}
		break;
	}
}

/*
 * Apply an OpenSSL-style string to the universe u[0..nu).  On success, *out holds the
 * chosen indices into u (in order) and the count is returned; -1 with a message on an
 * unknown word.
 */
int cipherstr_select(const char *str, const struct cipherstr_suite *u, size_t nu,
                     cipherstr_lookup_fn *lookup, int **out, char *err, size_t errlen)
{
	struct cipher_sel cs = {.u = u, .nu = nu};
	const char *p;
	int ret = -1;

	if (str == NULL || str[strspn(str, ":, ")] == '\0')
		str = "DEFAULT";
	cs.killed = calloc(nu + 1, 1);
	cs.in = calloc(nu + 1, 1);
	cs.sel = calloc(nu + 1, 1);
	cs.list = calloc(2 * nu + 1, sizeof(*cs.list));
	if (cs.killed == NULL || cs.in == NULL || cs.sel == NULL || cs.list == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}

	p = str;
	while (*p != '\0') {
		size_t elen = strcspn(p, ":, ");
		const char *e = p;
		char op = 0;

		p += elen;
		if (*p != '\0')
			p++;
		if (elen == 0)
			continue;
		if (*e == '!' || *e == '-' || *e == '+') {
			op = *e++;
			elen--;
		}
		if (elen > 0 && *e == '@') {
			if (sel_at(&cs, e, elen, err, errlen) != 0)
				goto fail;
			continue;
		}
		if (sel_match(&cs, e, elen, op, lookup, err, errlen) != 0)
			goto fail;
		sel_apply(&cs, op);
	}
	*out = cs.list;
	cs.list = NULL;
	ret = (int)cs.n;
fail:
	free(cs.list);
	free(cs.sel);
	free(cs.in);
	free(cs.killed);
	return ret;
}
