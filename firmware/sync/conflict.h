/*
 * conflict.h (sync): applies the conflict rules of core/conflict.h to the
 * documents of a pulled batch, writing tombstones on closed branches and
 * one resolution record per conflict ("conflict:<hash>", type
 * conflict_resolution) that keeps every closed version readable.
 */
#ifndef SYNC_CONFLICT_H
#define SYNC_CONFLICT_H

#include "sync/proto.h"

struct sync_ctx;

#define CONFLICT_RECORD_MAX	(900 * 1024)	/* bytes of a record */

int conflict_apply(struct sync_ctx *c, const struct proto_changes *ch);

#endif
