/*
 * The kernel a 2.6.18-xen balloon driver is written against, as far as such a
 * driver uses it. Every primitive that touches the world (hypercalls, the page
 * allocator, the P2M table, the timer, the work queue, xenstore, capabilities)
 * forwards to the bench's environment through the bbshim_* functions, which
 * driver/shim/kernel.cc implements over Env (driver/env.h). Everything else (lists,
 * locks, printk) is local and does what one thread needs.
 *
 * The per-header files under linux/, asm/ and xen/ include this one.
 */
#ifndef BBSHIM_KERNEL_H
#define BBSHIM_KERNEL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bbshim/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- compiler and module glue ---------------------------------------------- */
#define __init
#define __exit
#define __user
#define __iomem
#define __read_mostly
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define MODULE_LICENSE(text)
#define MODULE_AUTHOR(text)
#define MODULE_DESCRIPTION(text)
/* The bench calls the driver's init function itself (bbshim_initcall). */
#define BBSHIM_INITCALL(fn) \
	static int (*const bbshim_initcall)(void) __attribute__((used)) = fn
#define subsys_initcall(fn) BBSHIM_INITCALL(fn)
#define module_init(fn) BBSHIM_INITCALL(fn)
#define late_initcall(fn) BBSHIM_INITCALL(fn)
#define module_exit(fn) \
	static void (*const bbshim_exitcall)(void) __attribute__((used)) = fn

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define offsetof_bbshim(type, member) __builtin_offsetof(type, member)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - __builtin_offsetof(type, member)))
#define min(x, y) ((x) < (y) ? (x) : (y))
#define max(x, y) ((x) > (y) ? (x) : (y))
#define min_t(type, x, y) ((type)(x) < (type)(y) ? (type)(x) : (type)(y))
#define max_t(type, x, y) ((type)(x) > (type)(y) ? (type)(x) : (type)(y))

/* ---- BUG, printk -------------------------------------------------------------- */
#define BUG() bbshim_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(condition)                                          \
	do {                                                       \
		if (unlikely(condition))                           \
			bbshim_bug(__FILE__, __LINE__, #condition); \
	} while (0)
#define WARN_ON(condition) (!!(condition))
#define KERN_EMERG "<0>"
#define KERN_ALERT "<1>"
#define KERN_CRIT "<2>"
#define KERN_ERR "<3>"
#define KERN_WARNING "<4>"
#define KERN_NOTICE "<5>"
#define KERN_INFO "<6>"
#define KERN_DEBUG "<7>"

/* ---- errno ----------------------------------------------------------------------- */
#define EPERM 1
#define ENOENT 2
#define EIO 5
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EINVAL 22
#define EFBIG 27
#define ENOSPC 28
#define ENODEV 19
#define ENOSYS 38
#define EBADMSG 74

/* ---- pages ------------------------------------------------------------------------ */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define HZ 100


#define page_to_pfn(page) ((unsigned long)((page) - mem_map))
#define pfn_to_page(pfn) (mem_map + (pfn))
#define pfn_valid(pfn) ((pfn) < max_pfn)
#define PageHighMem(page) bbshim_page_high_mem(page)
#define PageReserved(page) ((page)->reserved)
#define SetPageReserved(page) ((page)->reserved = 1)
#define ClearPageReserved(page) ((page)->reserved = 0)
/* The allocator keeps the counts: one for a page it handed out, none for a free one. */
#define page_count(page) bbshim_page_count(page)
#define init_page_count(page) ((void)(page))
#define set_page_count(page, v) ((void)(page), (void)(v))

/* The kernel's direct map: a fake virtual address per pfn, never dereferenced. */
#define BBSHIM_DIRECT_MAP 0xffff880000000000UL
#define __va(paddr) ((void *)((unsigned long)(paddr) + BBSHIM_DIRECT_MAP))
#define __pa(vaddr) ((unsigned long)(vaddr) - BBSHIM_DIRECT_MAP)
#define phys_to_virt(paddr) __va(paddr)
#define virt_to_phys(vaddr) __pa(vaddr)
#define page_address(page) __va(page_to_pfn(page) << PAGE_SHIFT)
#define virt_to_page(vaddr) pfn_to_page(__pa(vaddr) >> PAGE_SHIFT)
#define kmap(page) page_address(page)
#define kunmap(page) ((void)(page))
#define kmap_flush_unused() ((void)0)
#define flush_tlb_all() ((void)0)

/* Allocation flags: only "may it give highmem" matters to the allocator here. */
#define __GFP_HIGHMEM 0x02u
#define __GFP_WAIT 0x10u
#define __GFP_IO 0x40u
#define __GFP_FS 0x80u
#define __GFP_COLD 0x100u
#define __GFP_NOWARN 0x200u
#define __GFP_REPEAT 0x400u
#define __GFP_NOFAIL 0x800u
#define __GFP_NORETRY 0x1000u
#define __GFP_NOMEMALLOC 0x10000u
#define __GFP_HARDWALL 0x20000u
#define GFP_ATOMIC 0x20u
#define GFP_KERNEL (__GFP_WAIT | __GFP_IO | __GFP_FS)
#define GFP_USER (__GFP_WAIT | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)

#define alloc_page(gfp) bbshim_alloc_page(gfp)
#define __free_page(page) bbshim_free_page(page)
/* Dropping the one reference a page holds, then a cold free: the allocator keeps no
 * hot and cold lists, so a cold free is a free. */
#define put_page_testzero(page) bbshim_put_page_testzero(page)
#define free_cold_page(page) bbshim_free_page(page)
#define free_page(vaddr) bbshim_free_page(virt_to_page(vaddr))
#define scrub_pages(vaddr, count) bbshim_scrub_pages((void *)(vaddr), (count))

#define kmalloc(size, gfp) bbshim_kmalloc(size)
#define kzalloc(size, gfp) memset(bbshim_kmalloc(size), 0, (size))
#define kfree(pointer) bbshim_kfree(pointer)
#define vmalloc(size) bbshim_kmalloc(size)
#define vfree(pointer) bbshim_kfree(pointer)

/* ---- lists ------------------------------------------------------------------------ */
/* Operations on the driver's balloon list are reported to the bench (its journal). */

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)
static inline void INIT_LIST_HEAD(struct list_head *list)
{
	list->next = list;
	list->prev = list;
}
static inline void __list_add(struct list_head *entry, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = entry;
	entry->next = next;
	entry->prev = prev;
	prev->next = entry;
}
static inline void list_add(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head, head->next);
	bbshim_list_added(entry, head, 0);
}
static inline void list_add_tail(struct list_head *entry, struct list_head *head)
{
	__list_add(entry, head->prev, head);
	bbshim_list_added(entry, head, 1);
}
static inline void list_del(struct list_head *entry)
{
	bbshim_list_removed(entry);
	entry->next->prev = entry->prev;
	entry->prev->next = entry->next;
	entry->next = (struct list_head *)0x00100100;
	entry->prev = (struct list_head *)0x00200200;
}
static inline int list_empty(const struct list_head *head)
{
	return head->next == head;
}
#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/* ---- locks (one thread: a spinlock is a flag, a mutex re-entered is a BUG) -------- */
#define SPIN_LOCK_UNLOCKED { 0 }
#define DEFINE_SPINLOCK(name) spinlock_t name = SPIN_LOCK_UNLOCKED
#define spin_lock_init(lock) ((lock)->locked = 0)
#define spin_lock(lock) ((lock)->locked = 1)
#define spin_unlock(lock) ((lock)->locked = 0)
#define spin_lock_irqsave(lock, flags) ((flags) = 0, (lock)->locked = 1)
#define spin_unlock_irqrestore(lock, flags) ((void)(flags), (lock)->locked = 0)
#define spin_lock_irq(lock) spin_lock(lock)
#define spin_unlock_irq(lock) spin_unlock(lock)

#define DEFINE_MUTEX(name) struct mutex name = { 0 }
#define mutex_init(m) ((m)->held = 0)
#define mutex_lock(m)                                                              \
	do {                                                                       \
		BUG_ON((m)->held && "the bench re-entered a function under a mutex"); \
		(m)->held = 1;                                                     \
	} while (0)
#define mutex_unlock(m) ((m)->held = 0)
#define down(m) mutex_lock(m)
#define up(m) mutex_unlock(m)

#define need_resched() 0
#define schedule() ((void)0)
#define cond_resched() ((void)0)
#define might_sleep() ((void)0)
#define preempt_disable() ((void)0)
#define preempt_enable() ((void)0)

/* ---- time, timers and work --------------------------------------------------------- */
#define jiffies bbshim_jiffies()
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)

#define init_timer(timer) bbshim_init_timer(timer)
#define setup_timer(timer, fn, arg) \
	(bbshim_init_timer(timer), (timer)->function = (fn), (timer)->data = (arg))
#define mod_timer(timer, expires) bbshim_mod_timer((timer), (expires))

#define DECLARE_WORK(name, fn, arg) struct work_struct name = { (fn), (arg) }
#define INIT_WORK(work, fn, arg) ((work)->func = (fn), (work)->data = (arg))
#define schedule_work(work) bbshim_schedule_work(work)

/* ---- capabilities and user copies --------------------------------------------------- */
#define CAP_SYS_ADMIN 21
#define capable(capability) bbshim_capable(capability)
#define copy_from_user(to, from, n) (memcpy((to), (from), (n)), 0UL)
#define copy_to_user(to, from, n) (memcpy((to), (from), (n)), 0UL)

/* ---- kernel library: number parsing (the bench's own parsers, driver/parse.h) ------ */

/* ---- Xen: features, start info, P2M ------------------------------------------------- */
#define XENFEAT_auto_translated_physmap 2
#define xen_feature(feature) bbshim_xen_feature(feature)
#define is_running_on_xen() 1
#define is_initial_xendomain() 0


#define INVALID_P2M_ENTRY (~0UL)
#define pfn_to_mfn(pfn) bbshim_pfn_to_mfn(pfn)
#define mfn_to_pfn(mfn) bbshim_mfn_to_pfn(mfn)
#define set_phys_to_machine(pfn, mfn) bbshim_set_phys_to_machine((pfn), (mfn))
#define phys_to_machine_mapping_valid(pfn) bbshim_phys_to_machine_mapping_valid(pfn)
#define pfn_to_gmfn(pfn) (xen_feature(XENFEAT_auto_translated_physmap) ? (pfn) : pfn_to_mfn(pfn))

/* ---- page-table entries and the kernel's mappings ------------------------------------- */
#define _PAGE_PRESENT 0x001UL
#define PAGE_KERNEL ((pgprot_t){ 0x063UL })
#define __pte_ma(x) ((pte_t){ (x) })
#define pfn_pte_ma(pfn, prot) ((pte_t){ ((unsigned long)(pfn) << PAGE_SHIFT) | (prot).pgprot })
#define pte_mfn(entry) (((entry).pte & 0x000ffffffffff000UL) >> PAGE_SHIFT)
#define pte_val_ma(entry) ((entry).pte)

/* Writes the kernel's PTE of `addr`: under Xen, an update_va_mapping. */
#define set_pte_at(mm, addr, ptep, entry) (*(ptep) = (entry), bbshim_set_kernel_pte((addr), (entry)))

/* ---- hypercalls -------------------------------------------------------------------------- */
#define DOMID_SELF ((domid_t)0x7FF0U)
#define XENMEM_increase_reservation 0
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap 6
#define XEN_GUEST_HANDLE(type) type *
#define set_xen_guest_handle(handle, value) ((handle) = (value))
#define HYPERVISOR_memory_op(cmd, arg) bbshim_memory_op((cmd), (arg))
#define UVMF_INVLPG 2
#define UVMF_TLB_FLUSH 0
#define HYPERVISOR_update_va_mapping(va, pte, flags) \
	bbshim_update_va_mapping((va), (pte), (flags))

/* ---- xenstore --------------------------------------------------------------------------- */
#define XBT_NIL ((struct xenbus_transaction){ 0 })
#define NOTIFY_DONE 0
#define NOTIFY_OK 1

/* ---- /proc/xen ---------------------------------------------------------------------------- */

#ifdef __cplusplus
}
#endif

#endif /* BBSHIM_KERNEL_H */
