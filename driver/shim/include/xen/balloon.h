/* Part of the kernel shim: what other drivers call in the balloon driver. */
#include <bbshim/kernel.h>

#ifndef BBSHIM_XEN_BALLOON_H
#define BBSHIM_XEN_BALLOON_H

void balloon_update_driver_allowance(long delta);
struct page **alloc_empty_pages_and_pagevec(int nr_pages);
void free_empty_pages_and_pagevec(struct page **pagevec, int nr_pages);
void balloon_release_driver_page(struct page *page);

#define balloon_lock(__flags) spin_lock_irqsave(&balloon_lock, __flags)
#define balloon_unlock(__flags) spin_unlock_irqrestore(&balloon_lock, __flags)
extern spinlock_t balloon_lock;

#endif
