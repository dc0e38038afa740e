/*
 * The translation unit of a `source` driver: the user's balloon.c, unmodified, then
 * the few functions through which the bench reaches what the file keeps to itself.
 * The build renames this unit's .data and .bss (bbsrc_data, bbsrc_bss) so that
 * every static of the driver, whatever its name, is put back to its boot value
 * before each run (driver/shim/source_driver.cc).
 */
#include BALLOONBENCH_DRIVER_SOURCE_INCLUDE

#include <bbshim/source_unit.h>

int bbsrc_call_init(void)
{
	return bbshim_initcall();
}

void bbsrc_read_stats(struct bbsrc_stats *out)
{
	out->current_pages = balloon_stats.current_pages;
	out->target_pages = balloon_stats.target_pages;
	out->balloon_low = balloon_stats.balloon_low;
	out->balloon_high = balloon_stats.balloon_high;
	out->driver_pages = balloon_stats.driver_pages;
#if BALLOONBENCH_DRIVER_SOURCE_PRE_PATCH
	out->hard_limit = balloon_stats.hard_limit;
#else
	out->hard_limit = ~0UL;
#endif
}
