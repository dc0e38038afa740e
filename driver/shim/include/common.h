/*
 * Part of the kernel shim: the balloon driver's private header, for a balloon.c
 * that has none beside it (a common.h next to the driver's file wins). The stats the
 * bench reads, the macros the driver uses, and its sysfs hook.
 */
#ifndef BBSHIM_BALLOON_COMMON_H
#define BBSHIM_BALLOON_COMMON_H

#include <bbshim/kernel.h>

#define PAGES2KB(_p) ((_p) << (PAGE_SHIFT - 10))

struct balloon_stats {
	/* We aim for 'current allocation' == 'target allocation'. */
	unsigned long current_pages;
	unsigned long target_pages;
	/* The latched limit of a driver from before the patch; unused after it. */
	unsigned long hard_limit;
	/* Number of pages in high- and low-memory balloons. */
	unsigned long balloon_low;
	unsigned long balloon_high;
	unsigned long driver_pages;
};

extern struct balloon_stats balloon_stats;
#define bs balloon_stats

int balloon_sysfs_init(void);
void balloon_sysfs_exit(void);

void balloon_set_new_target(unsigned long target);

#endif
