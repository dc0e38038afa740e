/*
 * The kernel's types and the functions behind the shim's macros, without the macros:
 * C++ code of the bench (the shim's .cc files) includes this one, the driver kernel.h.
 */
#ifndef BBSHIM_TYPES_H
#define BBSHIM_TYPES_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __user
#define __user
#endif

struct list_head {
	struct list_head *next, *prev;
};

/* One per pfn, in mem_map. `reserved` is PageReserved(). */
struct page {
	struct list_head lru;
	int reserved;
};

extern struct page *mem_map;
extern unsigned long max_pfn;
extern unsigned long max_low_pfn;
extern unsigned long totalram_pages;
extern unsigned long totalhigh_pages;
extern unsigned long num_physpages;

struct timer_list {
	unsigned long expires;
	void (*function)(unsigned long);
	unsigned long data;
};

struct work_struct {
	void (*func)(void *);
	void *data;
};

typedef struct {
	unsigned long nr_pages;
} start_info_t;
extern start_info_t *xen_start_info;

typedef struct {
	unsigned long pte;
} pte_t;
typedef struct {
	unsigned long pgprot;
} pgprot_t;

struct mm_struct {
	int unused;
};
extern struct mm_struct init_mm;

typedef unsigned short domid_t;

typedef unsigned long xen_pfn_t;

struct xen_memory_reservation {
	xen_pfn_t *extent_start;
	unsigned long nr_extents;
	unsigned int extent_order;
	unsigned int address_bits;
	domid_t domid;
};
typedef struct xen_memory_reservation xen_memory_reservation_t;

struct xenbus_transaction {
	unsigned int id;
};

struct xenbus_watch {
	const char *node;
	void (*callback)(struct xenbus_watch *watch, const char **vec, unsigned int len);
};

struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long event, void *data);
	struct notifier_block *next;
	int priority;
};

typedef long off_t_bbshim;
struct file;
typedef int(read_proc_t)(char *page, char **start, long off, int count, int *eof, void *data);
typedef int(write_proc_t)(struct file *file, const char __user *buffer, unsigned long count,
			  void *data);
struct proc_dir_entry {
	read_proc_t *read_proc;
	write_proc_t *write_proc;
	void *data;
	unsigned short mode;
};

typedef unsigned int gfp_t;

typedef struct {
	int locked;
} spinlock_t;

struct mutex {
	int held;
};

typedef int (*pte_fn_t)(pte_t *pte, struct page *pmd_page, unsigned long addr, void *data);

void bbshim_bug(const char *file, int line, const char *condition) __attribute__((noreturn));
int printk(const char *format, ...) __attribute__((format(printf, 1, 2)));
int bbshim_page_high_mem(const struct page *page);
int bbshim_page_count(const struct page *page);
struct page *bbshim_alloc_page(gfp_t gfp);
void bbshim_free_page(struct page *page);
int bbshim_put_page_testzero(struct page *page);
void bbshim_scrub_pages(void *vaddr, unsigned int count);
void *bbshim_kmalloc(size_t size);
void bbshim_kfree(const void *pointer);
void bbshim_list_added(struct list_head *entry, struct list_head *head, int at_tail);
void bbshim_list_removed(struct list_head *entry);
unsigned long bbshim_jiffies(void);
void bbshim_init_timer(struct timer_list *timer);
int bbshim_mod_timer(struct timer_list *timer, unsigned long expires);
int bbshim_schedule_work(struct work_struct *work);
int bbshim_capable(int capability);
unsigned long long memparse(const char *text, char **end);
unsigned long long simple_strtoull(const char *text, char **end, unsigned int base);
unsigned long simple_strtoul(const char *text, char **end, unsigned int base);
int bbshim_xen_feature(int feature);
unsigned long bbshim_pfn_to_mfn(unsigned long pfn);
unsigned long bbshim_mfn_to_pfn(unsigned long mfn);
void bbshim_set_phys_to_machine(unsigned long pfn, unsigned long mfn);
int bbshim_phys_to_machine_mapping_valid(unsigned long pfn);
void bbshim_set_kernel_pte(unsigned long addr, pte_t pte);
int apply_to_page_range(struct mm_struct *mm, unsigned long addr, unsigned long size,
			pte_fn_t fn, void *data);
long bbshim_memory_op(unsigned int cmd, void *arg);
int bbshim_update_va_mapping(unsigned long va, pte_t pte, unsigned long flags);
int register_xenbus_watch(struct xenbus_watch *watch);
void unregister_xenbus_watch(struct xenbus_watch *watch);
int xenbus_scanf(struct xenbus_transaction t, const char *dir, const char *node,
		 const char *format, ...);
int register_xenstore_notifier(struct notifier_block *nb);
struct proc_dir_entry *create_xen_proc_entry(const char *name, unsigned short mode);
void remove_xen_proc_entry(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* BBSHIM_TYPES_H */
