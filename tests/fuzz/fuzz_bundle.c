/*
 * fuzz_bundle.c: arbitrary bytes as an update bundle's head (header,
 * manifest, signature), through the same calls the installer makes before
 * it touches a slot, and as a GRUB environment block (the ESP is outside
 * input too). The seeds (tests/fuzz/corpus/bundle) are real bundle heads
 * signed by the root key below (and a release key it certified), so the
 * fuzzer also walks the policy checks behind a valid signature.
 * Invariants: an accepted manifest is within the BUNDLE_* bounds; a valid
 * env block formats back to itself when it is in our own layout.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cb.h"
#include "base/utf8.h"
#include "update/bootenv.h"
#include "update/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char root_hex[] =
    "044cfd94a46ed8486f271ba8d30c49308b6acbd6a69b38752e7bea0c3ce8956dea"
    "a75f326cb3450977cb2b2c77eaec4c27e45778f5f4cb7f28e7552b38a3b6b898";

static void
fuzz_env(const uint8_t *data, size_t size)
{
	char again[BOOTENV_SIZE];
	struct bootenv e;

	bootenv_parse((const char *)data, size, &e);
	if (!e.be_valid)
		return;
	assert(size == BOOTENV_SIZE);
	assert(e.be_slot == 'A' || e.be_slot == 'B');
	assert(e.be_tries >= BOOTENV_NO_TRIES && e.be_tries <= BOOTENV_TRIES);
	bootenv_format(&e, again);
	{
		struct bootenv e2;

		bootenv_parse(again, sizeof(again), &e2);
		assert(e2.be_valid && e2.be_seq == e.be_seq &&
		    e2.be_slot == e.be_slot && e2.be_tries == e.be_tries);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bundle_manifest m;
	struct bundle_layout l;
	struct bundle_policy p;
	uint8_t root[BUNDLE_PUB_LEN];
	char why[BUNDLE_WHY_MAX];
	const char *text;

	fuzz_env(data, size);
	if (bundle_header_parse(data, size, &l, why, sizeof(why)) != 0)
		return 0;
	assert(l.bl_manifest_len <= BUNDLE_MANIFEST_MAX);
	assert(l.bl_sig_len <= BUNDLE_SIG_MAX);
	if (l.bl_payload_off > size)
		return 0;
	text = (const char *)data + BUNDLE_HEADER_LEN;
	if (bundle_manifest_parse(text, l.bl_manifest_len, &m, why,
	    sizeof(why)) != 0)
		return 0;
	assert(m.bm_nchunks >= 1 && m.bm_nchunks <= BUNDLE_CHUNKS_MAX);
	assert(m.bm_image_size > (uint64_t)(m.bm_nchunks - 1) *
	    BUNDLE_CHUNK_SIZE);
	assert(m.bm_image_size <= (uint64_t)m.bm_nchunks * BUNDLE_CHUNK_SIZE);
	assert(memchr(m.bm_board, '\0', sizeof(m.bm_board)) != NULL);
	/* board and version are printable ASCII: what logs and the UI show */
	assert(cb_utf8_valid(m.bm_board, strlen(m.bm_board), CB_UTF8_LINE));
	assert(cb_utf8_valid(m.bm_version, strlen(m.bm_version),
	    CB_UTF8_LINE));
	assert(m.bm_signer == BUNDLE_SIGNER_ROOT ||
	    m.bm_signer == BUNDLE_SIGNER_RELEASE);
	if (bundle_unhex(root_hex, strlen(root_hex), root, sizeof(root)) != 0)
		abort();
	memset(&p, 0, sizeof(p));
	p.bp_root_pub = root;
	p.bp_board = "qemu-x86_64";
	p.bp_epoch = 2;
	p.bp_key_floor = 1;
	(void)bundle_manifest_verify(text, l.bl_manifest_len,
	    data + BUNDLE_HEADER_LEN + l.bl_manifest_len, l.bl_sig_len, &m, &p,
	    why, sizeof(why));
	return 0;
}
