/*
 * test_disk.c: the named fill levels of the data partition (api/disk.h).
 */
#include "t.h"
#include "api/disk.h"

#define GIB	(1ULL << 30)

T_TEST(levels_by_share_and_by_free_bytes)
{
	unsigned pct;

	T_EQ_INT(disk_level_of(100 * GIB, 100 * GIB, &pct), DISK_OK);
	T_EQ_INT(pct, 0);
	T_EQ_INT(disk_level_of(100 * GIB, 21 * GIB, &pct), DISK_OK);
	T_EQ_INT(disk_level_of(100 * GIB, 20 * GIB, &pct), DISK_WARN);
	T_EQ_INT(pct, 80);
	T_EQ_INT(disk_level_of(100 * GIB, 10 * GIB, &pct), DISK_CRITICAL);
	T_EQ_INT(disk_level_of(100 * GIB, 5 * GIB, &pct), DISK_FULL);
	T_EQ_INT(pct, 95);
	/* Rounded up: 79.5 % used is 80 %, a warning. */
	T_EQ_INT(disk_level_of(1000 * GIB, 205 * GIB, &pct), DISK_WARN);
	/* A small disk is full when less than DISK_FULL_FREE is left,
	 * whatever the share. */
	T_EQ_INT(disk_level_of(100ULL << 20, 30ULL << 20, &pct), DISK_FULL);
	T_EQ_INT(pct, 70);
	/* Nonsense from statvfs: nothing is assumed free. */
	T_EQ_INT(disk_level_of(0, 0, &pct), DISK_FULL);
	T_EQ_INT(disk_level_of(10 * GIB, 20 * GIB, &pct), DISK_OK);
	T_EQ_STR(disk_level_name(DISK_CRITICAL), "critical");
}

T_MAIN()
