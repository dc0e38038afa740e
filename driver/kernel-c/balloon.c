/*
 * A Xen balloon driver in the style of the 2.6.18-xen kernel, written for the bench
 * from its specification (SPEC §1; the behaviour of the driver after "balloon: try
 * harder to balloon up under memory pressure"). It uses the kernel API the original
 * uses, so it builds through the kernel shim exactly as a user's own balloon.c does
 * (variant `source`), and CI runs it as such: it must pass the suites `fixed`
 * passes and agree with the port call for call under balloon_diff.
 *
 * It is not the original: the original is not part of this repository.
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/errno.h>
#include <linux/mm.h>
#include <linux/highmem.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <xen/xen_proc.h>
#include <xen/balloon.h>
#include <xen/xenbus.h>
#include <xen/interface/memory.h>
#include <asm/hypervisor.h>
#include <asm/page.h>
#include <asm/pgtable.h>
#include <asm/uaccess.h>
#include "common.h"

/* Counters the toolstack and /proc read. */
struct balloon_stats balloon_stats;

/* Guards the counters and the list against the interrupt-time callers. */
DEFINE_SPINLOCK(balloon_lock);

/* One worker at a time. */
static DEFINE_MUTEX(balloon_mutex);

/* One page of frame numbers: the largest batch a hypercall carries here. */
static unsigned long frame_list[PAGE_SIZE / sizeof(unsigned long)];

/* Pages with no frame behind them: lowmem at the head, highmem at the tail. */
static LIST_HEAD(ballooned_pages);

static struct proc_dir_entry *balloon_pde;

static void balloon_process(void *unused);
static DECLARE_WORK(balloon_worker, balloon_process, NULL);
static struct timer_list balloon_timer;

/* Balloon down gently: failing is better than waking the OOM killer. */
#define GFP_BALLOON \
	(GFP_HIGHUSER | __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC)

#define page_lru(page) (&(page)->lru)
#define lru_page(entry) list_entry((entry), struct page, lru)

/* A highmem page in the balloon is not in use: it leaves totalhigh_pages. */
static void balloon_append(struct page *page)
{
	if (PageHighMem(page)) {
		list_add_tail(page_lru(page), &ballooned_pages);
		bs.balloon_high++;
		totalhigh_pages--;
	} else {
		list_add(page_lru(page), &ballooned_pages);
		bs.balloon_low++;
	}
}

static struct page *balloon_retrieve(void)
{
	struct page *page;

	if (list_empty(&ballooned_pages))
		return NULL;
	page = lru_page(ballooned_pages.next);
	list_del(page_lru(page));
	if (PageHighMem(page)) {
		bs.balloon_high--;
		totalhigh_pages++;
	} else {
		bs.balloon_low--;
	}
	return page;
}

/* The n-th page from the head, still on the list; NULL past its end. */
static struct page *balloon_nth_page(unsigned long n)
{
	struct list_head *entry = ballooned_pages.next;

	while (n-- > 0 && entry != &ballooned_pages)
		entry = entry->next;
	return entry == &ballooned_pages ? NULL : lru_page(entry);
}

static void balloon_alarm(unsigned long unused)
{
	schedule_work(&balloon_worker);
}

/* Never aim above what the balloon can give back. */
static unsigned long current_target(void)
{
	unsigned long reachable = bs.current_pages + bs.balloon_low + bs.balloon_high;

	return min(bs.target_pages, reachable);
}

/*
 * The least a guest of max_pfn pages may be ballooned down to: 8 MiB and half of
 * the memory below 128 MiB, then gentler slopes (a quarter up to 512 MiB, an eighth
 * up to 2 GiB, a thirty-second beyond), joined so the floor is continuous. It never
 * lies above the current target: the floor stops shrinking, it does not grow.
 */
static unsigned long minimum_target(void)
{
	unsigned long floor, now = current_target();
	unsigned long mib = 1UL << (20 - PAGE_SHIFT);

	if (max_pfn < 128 * mib)
		floor = 8 * mib + (max_pfn >> 1);
	else if (max_pfn < 512 * mib)
		floor = 40 * mib + (max_pfn >> 2);
	else if (max_pfn < 2048 * mib)
		floor = 104 * mib + (max_pfn >> 3);
	else
		floor = 296 * mib + (max_pfn >> 5);
	return min(floor, now);
}

/* Drop the page's one reference and hand it back to the allocator. */
static void balloon_free_page(struct page *page)
{
	__free_page(page);
}

/*
 * Ask Xen for nr_pages frames. Keeps whatever prefix Xen populated; returns
 * non-zero when the worker should wait for the timer (a short answer, or an error).
 */
static int increase_reservation(unsigned long nr_pages)
{
	unsigned long pfn, i, flags;
	struct page *page;
	long rc;
	struct xen_memory_reservation reservation = {
		.address_bits = 0,
		.extent_order = 0,
		.domid = DOMID_SELF
	};

	if (nr_pages > ARRAY_SIZE(frame_list))
		nr_pages = ARRAY_SIZE(frame_list);

	balloon_lock(flags);

	page = lru_page(ballooned_pages.next);
	for (i = 0; i < nr_pages; i++) {
		page = balloon_nth_page(i);
		BUG_ON(page == NULL);
		frame_list[i] = page_to_pfn(page);
	}

	set_xen_guest_handle(reservation.extent_start, frame_list);
	reservation.nr_extents = nr_pages;
	rc = HYPERVISOR_memory_op(XENMEM_populate_physmap, &reservation);
	if (rc < 0)
		goto out;

	for (i = 0; i < (unsigned long)rc; i++) {
		page = balloon_retrieve();
		BUG_ON(page == NULL);

		pfn = page_to_pfn(page);
		BUG_ON(!xen_feature(XENFEAT_auto_translated_physmap) &&
		       phys_to_machine_mapping_valid(pfn));
		set_phys_to_machine(pfn, frame_list[i]);

		/*
		 * Lowmem goes back into the kernel's direct map. The PTE carries what
		 * frame_list holds: a machine frame, or for a translated guest its own
		 * frame number, which Xen translates.
		 */
		if (!PageHighMem(page)) {
			int ret = HYPERVISOR_update_va_mapping(
				(unsigned long)__va(pfn << PAGE_SHIFT),
				pfn_pte_ma(frame_list[i], PAGE_KERNEL), 0);
			BUG_ON(ret);
		}

		ClearPageReserved(page);
		init_page_count(page);
		balloon_free_page(page);
	}

	bs.current_pages += rc;
	totalram_pages = bs.current_pages;

 out:
	balloon_unlock(flags);

	return rc < 0 ? rc : rc != nr_pages;
}

/* Give nr_pages frames back; non-zero when the allocator ran dry first. */
static int decrease_reservation(unsigned long nr_pages)
{
	unsigned long pfn, i, flags;
	struct page *page;
	void *v;
	int need_sleep = 0;
	int ret;
	struct xen_memory_reservation reservation = {
		.address_bits = 0,
		.extent_order = 0,
		.domid = DOMID_SELF
	};

	if (nr_pages > ARRAY_SIZE(frame_list))
		nr_pages = ARRAY_SIZE(frame_list);

	for (i = 0; i < nr_pages; i++) {
		page = alloc_page(GFP_BALLOON);
		if (page == NULL) {
			nr_pages = i;
			need_sleep = 1;
			break;
		}
		pfn = page_to_pfn(page);
		frame_list[i] = pfn_to_mfn(pfn);

		v = page_address(page);
		scrub_pages(v, 1);
		if (!PageHighMem(page)) {
			ret = HYPERVISOR_update_va_mapping((unsigned long)v, __pte_ma(0), 0);
			BUG_ON(ret);
		}
	}

	flush_tlb_all();

	balloon_lock(flags);

	/* Unmapped everywhere now: forget the frames and balloon the pages. */
	for (i = 0; i < nr_pages; i++) {
		pfn = mfn_to_pfn(frame_list[i]);
		set_phys_to_machine(pfn, INVALID_P2M_ENTRY);
		balloon_append(pfn_to_page(pfn));
	}

	set_xen_guest_handle(reservation.extent_start, frame_list);
	reservation.nr_extents = nr_pages;
	ret = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &reservation);
	BUG_ON(ret != nr_pages);

	bs.current_pages -= nr_pages;
	totalram_pages = bs.current_pages;

	balloon_unlock(flags);

	return need_sleep;
}

/*
 * Move towards the target until there or until a step asks to wait; while short of
 * it, come back in a second whatever happened.
 */
static void balloon_process(void *unused)
{
	int need_sleep = 0;
	long credit;

	mutex_lock(&balloon_mutex);

	do {
		credit = current_target() - bs.current_pages;
		if (credit > 0)
			need_sleep = (increase_reservation(credit) != 0);
		if (credit < 0)
			need_sleep = (decrease_reservation(-credit) != 0);
	} while (credit != 0 && !need_sleep);

	if (current_target() != bs.current_pages)
		mod_timer(&balloon_timer, jiffies + HZ);

	mutex_unlock(&balloon_mutex);
}

void balloon_set_new_target(unsigned long target)
{
	bs.target_pages = max(target, minimum_target());
	schedule_work(&balloon_worker);
}

static struct xenbus_watch target_watch = {
	.node = "memory/target"
};

/* memory/target holds KiB. A value that does not parse is left alone. */
static void watch_target(struct xenbus_watch *watch, const char **vec, unsigned int len)
{
	unsigned long long kib;

	if (xenbus_scanf(XBT_NIL, "memory", "target", "%llu", &kib) != 1)
		return;
	balloon_set_new_target(kib >> (PAGE_SHIFT - 10));
}

static int balloon_init_watcher(struct notifier_block *notifier, unsigned long event, void *data)
{
	if (register_xenbus_watch(&target_watch))
		printk(KERN_ERR "xen_mem: cannot watch memory/target\n");
	return NOTIFY_DONE;
}

static struct notifier_block xenstore_notifier;

/* Parses exactly the bytes written: the terminator goes right after them. */
static int balloon_write(struct file *file, const char __user *buffer,
			 unsigned long count, void *data)
{
	char text[64], *end;
	unsigned long long bytes;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (count <= 1)
		return -EBADMSG;
	if (count > sizeof(text))
		return -EFBIG;
	if (copy_from_user(text, buffer, count))
		return -EFAULT;
	text[min(count, sizeof(text) - 1)] = '\0';

	bytes = memparse(text, &end);
	balloon_set_new_target(bytes >> PAGE_SHIFT);
	return count;
}

static int balloon_read(char *page, char **start, long off, int count, int *eof, void *data)
{
	int len = sprintf(page,
			  "Current allocation: %8lu kB\n"
			  "Requested target:   %8lu kB\n"
			  "Low-mem balloon:    %8lu kB\n"
			  "High-mem balloon:   %8lu kB\n"
			  "Driver pages:       %8lu kB\n",
			  PAGES2KB(bs.current_pages), PAGES2KB(bs.target_pages),
			  PAGES2KB(bs.balloon_low), PAGES2KB(bs.balloon_high),
			  PAGES2KB(bs.driver_pages));
	*eof = 1;
	return len;
}

static int __init balloon_init(void)
{
	unsigned long pfn;

	bs.current_pages = min(xen_start_info->nr_pages, max_pfn);
	totalram_pages = bs.current_pages;
	bs.target_pages = bs.current_pages;
	bs.balloon_low = 0;
	bs.balloon_high = 0;
	bs.driver_pages = 0;

	init_timer(&balloon_timer);
	balloon_timer.data = 0;
	balloon_timer.function = balloon_alarm;

	balloon_pde = create_xen_proc_entry("balloon", 0644);
	if (balloon_pde == NULL)
		return -ENOMEM;
	balloon_pde->read_proc = balloon_read;
	balloon_pde->write_proc = balloon_write;
	balloon_sysfs_init();

	/* The pfns Xen did not populate at boot start out in the balloon. */
	for (pfn = xen_start_info->nr_pages; pfn < max_pfn; pfn++)
		balloon_append(pfn_to_page(pfn));

	target_watch.callback = watch_target;
	xenstore_notifier.notifier_call = balloon_init_watcher;
	register_xenstore_notifier(&xenstore_notifier);
	return 0;
}
subsys_initcall(balloon_init);

void balloon_update_driver_allowance(long delta)
{
	unsigned long flags;

	balloon_lock(flags);
	bs.driver_pages += delta;
	balloon_unlock(flags);
}

/* A PV guest hands the frame back by hand: unmap, forget, return it. */
static int release_frame_pte(pte_t *pte, struct page *pmd_page, unsigned long addr, void *data)
{
	unsigned long mfn = pte_mfn(*pte);
	int ret;
	struct xen_memory_reservation reservation = {
		.nr_extents = 1,
		.extent_order = 0,
		.domid = DOMID_SELF
	};

	set_xen_guest_handle(reservation.extent_start, &mfn);
	set_pte_at(&init_mm, addr, pte, __pte_ma(0));
	set_phys_to_machine(__pa(addr) >> PAGE_SHIFT, INVALID_P2M_ENTRY);
	ret = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &reservation);
	BUG_ON(ret != 1);
	return 0;
}

/*
 * Lend nr_pages pages with no memory behind them to a backend driver. On failure
 * the pages already emptied join the balloon and the caller gets NULL.
 */
struct page **alloc_empty_pages_and_pagevec(int nr_pages)
{
	unsigned long vaddr, flags;
	struct page *page, **pagevec;
	int i, ret;

	pagevec = kmalloc(sizeof(page) * nr_pages, GFP_KERNEL);
	if (pagevec == NULL)
		return NULL;

	for (i = 0; i < nr_pages; i++) {
		page = pagevec[i] = alloc_page(GFP_KERNEL);
		if (page == NULL)
			goto err;

		vaddr = (unsigned long)page_address(page);
		scrub_pages(vaddr, 1);

		balloon_lock(flags);
		if (xen_feature(XENFEAT_auto_translated_physmap)) {
			unsigned long gmfn = page_to_pfn(page);
			struct xen_memory_reservation reservation = {
				.nr_extents = 1,
				.extent_order = 0,
				.domid = DOMID_SELF
			};
			set_xen_guest_handle(reservation.extent_start, &gmfn);
			ret = HYPERVISOR_memory_op(XENMEM_decrease_reservation, &reservation);
			/*
			 * One extent back means done. An answer of 0 passes too: the page
			 * counts as given away though Xen kept its frame (SPEC §1.7 keeps
			 * this quirk of the 2.6.18-xen driver, so the bench can show it).
			 */
			if (ret == 1)
				ret = 0;
		} else {
			ret = apply_to_page_range(&init_mm, vaddr, PAGE_SIZE, release_frame_pte, NULL);
		}
		if (ret != 0) {
			balloon_unlock(flags);
			balloon_free_page(page);
			goto err;
		}
		totalram_pages = --bs.current_pages;
		balloon_unlock(flags);
	}

 out:
	schedule_work(&balloon_worker);
	return pagevec;

 err:
	balloon_lock(flags);
	while (--i >= 0)
		balloon_append(pagevec[i]);
	balloon_unlock(flags);
	kfree(pagevec);
	pagevec = NULL;
	goto out;
}

void free_empty_pages_and_pagevec(struct page **pagevec, int nr_pages)
{
	unsigned long flags;
	int i;

	if (pagevec == NULL)
		return;

	balloon_lock(flags);
	for (i = 0; i < nr_pages; i++) {
		/* Lent pages come back as they left: allocated once, never freed. */
		BUG_ON(page_count(pagevec[i]) != 1);
		balloon_append(pagevec[i]);
	}
	balloon_unlock(flags);

	kfree(pagevec);
	schedule_work(&balloon_worker);
}

void balloon_release_driver_page(struct page *page)
{
	unsigned long flags;

	balloon_lock(flags);
	balloon_append(page);
	bs.driver_pages--;
	balloon_unlock(flags);

	schedule_work(&balloon_worker);
}

MODULE_LICENSE("Dual BSD/GPL");
