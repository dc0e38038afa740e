/*
 * What driver/shim/source_unit.c offers the bench: the driver's init function and
 * its counters. Everything else the bench reaches through the kernel API the driver
 * exports (xen/balloon.h, balloon_set_new_target) or registers (timer, work, watch,
 * /proc entry), which the shim records.
 */
#ifndef BBSHIM_SOURCE_UNIT_H
#define BBSHIM_SOURCE_UNIT_H

#ifdef __cplusplus
extern "C" {
#endif

struct bbsrc_stats {
	unsigned long current_pages;
	unsigned long target_pages;
	unsigned long balloon_low;
	unsigned long balloon_high;
	unsigned long driver_pages;
	unsigned long hard_limit; /* ~0UL when none, and for a driver without one */
};

int bbsrc_call_init(void);
void bbsrc_read_stats(struct bbsrc_stats *out);

/* Exported by the driver itself. */
void balloon_set_new_target(unsigned long target);
void balloon_update_driver_allowance(long delta);
struct page **alloc_empty_pages_and_pagevec(int nr_pages);
void free_empty_pages_and_pagevec(struct page **pagevec, int nr_pages);
void balloon_release_driver_page(struct page *page);

/* The unit's writable data, renamed by the build (see source_unit.c). */
extern char __start_bbsrc_data[], __stop_bbsrc_data[];
extern char __start_bbsrc_bss[], __stop_bbsrc_bss[];

#ifdef __cplusplus
}
#endif

#endif
