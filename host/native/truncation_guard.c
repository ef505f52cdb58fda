// SIGBUS guard. A page of a file mapping faults with SIGBUS, which would kill the process, when
// the file was truncated under it (the page lies past the new end), when the file system has no
// room for a page written into a hole (ENOSPC), or when the device fails to read it (EIO). The
// handler below looks the faulting address up among the live mappings; inside one it
//   - tells the cause apart: the fault's file offset against the file's size now (fstat), and for
//     a page inside the file, the file system's free blocks (fstatfs): none left is ENOSPC, else EIO;
//   - maps zeroed anonymous memory over the rest of the mapping in one mmap: from the first page
//     past the new end of the file (truncation) or from the faulting page, to the end. The access
//     completes (a load reads zero) and no later access of that mapping can fault again, so any
//     access pattern leaves at most two areas per mapping (scattered faults would otherwise split
//     it into thousands, until the kernel's vm.max_map_count makes the handler's mmap fail);
//   - records the cause in the mapping's slot and bumps the epoch word of its Wasm memory, so the
//     region logic reports ETRUNCATED, ENOSPC or EIO from then on.
// Any other SIGBUS goes to the handler that was there before, or to the default action.
//
// Races. A fault is handled on the faulting thread, after the kernel raised it: another thread may
// have removed the mapping in between (and even mapped something new at that address). So:
//   - the handler acts only on a fault it has seen twice with no removal in between: the first
//     time it notes (page, table_gen) and returns, and the access is retried against whatever is
//     mapped there now. A stale fault then simply completes; a real one faults again. Removals
//     bump table_gen, so a slot found at the second sight is the mapping that faulted.
//   - a remover puts anonymous memory back first (no new fault can come from it), bumps table_gen
//     and waits until no handler is acting (in_flight), so that a fault raised before the zero fill
//     and handled after it counts as a first sight; then it unpublishes the slot, bumps table_gen
//     and waits again before the slot, its file descriptor and the address range can be reused. A
//     handler counts itself in_flight before it reads the table (a Dekker pair with the remover's
//     unpublish, both seq_cst).
//
// The table is read inside a signal handler: fixed-size, lock-free for readers (atomics), changed
// under a mutex by normal code. Slots and file entries are reused, so the high-water marks stay low.
#define _GNU_SOURCE
#include "truncation_guard.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_SLOTS (1 << 20)
#define MAX_FILES (1 << 16)
#define BUCKETS (1 << 16)
// Most descriptors of files no mapping uses that are kept for the next map of the same file (see
// guard_set_idle_files), and how long one is kept unused.
#define MAX_IDLE_FILES 64
#define IDLE_NS (2 * 1000000000ull)
// guard_install_lazily checks that the handler is on top at one call in this many.
#define RECHECK_EVERY 64
// Copies of the displaced handler: a re-install writes the next one, never the one a handler in
// flight may be reading (unless 16 re-installs happen during one handler run).
#define PREVIOUS_COPIES 16

struct slot {
  _Atomic uintptr_t start;  // 0 = not watched; published last, cleared first
  _Atomic uintptr_t end;
  _Atomic uint64_t file_offset;
  _Atomic(int32_t*) epoch;
  atomic_int file;   // index into files
  atomic_int cause;  // enum fault_cause, set once
  // Under table_lock only:
  uintptr_t key;      // start, kept after unpublishing, for the bucket chain
  const void* owner;  // the N-API environment that mapped it
  uint32_t next;      // 1-based: next slot in its bucket, or in the free list
  bool dropping;
};

struct file_ref {
  atomic_int fd;  // an O_PATH descriptor of our own (see file_acquire)
  dev_t dev;
  ino_t ino;
  int refs;       // 0: idle (in idle_list), kept for the next map of the file
  uint32_t next;  // 1-based: next file in its bucket, or in the free list
  uint64_t idle_since;
  bool forgotten;  // a descriptor of the file was closed (guard_forget_file): never kept idle
};

static struct slot slots[MAX_SLOTS];
static atomic_size_t high_water;  // slots [0, high_water) may be in use
static uint32_t slot_free;        // 1-based free list
static uint32_t slot_buckets[BUCKETS];
static size_t live;
static size_t limit;
static size_t max_map_count;

static struct file_ref files[MAX_FILES];
static size_t files_high;
static uint32_t file_free_list;
static uint32_t file_buckets[BUCKETS];
static size_t files_open;
// Files no mapping uses whose descriptor is kept (refs 0), oldest first; at most idle_limit.
static uint32_t idle_list[MAX_IDLE_FILES];
static size_t idle_count;
static size_t idle_limit;

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t table_gen = 1;  // bumped by every removal (never 0: see pending)
static atomic_int in_flight;            // handlers that may be acting on a slot
static _Atomic uint64_t faults, retried, reinstalled;
static atomic_int installed;
static atomic_uint lazy_calls;
static struct sigaction previous[PREVIOUS_COPIES];
static atomic_uint previous_index;
static uintptr_t page_mask;

// The fault this thread saw last and sent back to retry; and, while we call the handler we
// displaced, where our frame is and which signal it is (see chained_back).
struct pending {
  uintptr_t page;
  uint64_t gen;
  uintptr_t chain_frame;
  void* chain_addr;
  int chain_code;
};
// initial-exec: a dlopen'd module's TLS otherwise goes through __tls_get_addr, which may allocate
// on a thread's first access: not safe in a signal handler. The few bytes fit glibc's static surplus.
static __thread struct pending pending __attribute__((tls_model("initial-exec")));

static size_t page_bytes(void) {
  return (size_t)(~page_mask + 1);
}

static void init(void) {
  page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
  max_map_count = 0;
  FILE* f = fopen("/proc/sys/vm/max_map_count", "re");
  if (f) {
    unsigned long v = 0;
    if (fscanf(f, "%lu", &v) == 1) max_map_count = v;
    fclose(f);
  }
  // Each mapping is up to three areas (the mapping, the anonymous memory its start splits off, and
  // after a fault its zeroed tail): a quarter of the kernel's limit leaves the rest to V8 and others.
  if (limit == 0) limit = (max_map_count ? max_map_count : 65530) / 4;
  if (limit > MAX_SLOTS) limit = MAX_SLOTS;
}

static void ensure_init(void) {
  pthread_once(&init_once, init);
}

// ---- The signal handler and what it calls: async-signal-safe only. ----
//
// The handler's atomics must be lock-free: a lock taken by the code it interrupted would never be
// released (a deadlock), and C11 makes only lock-free atomics safe in a handler.
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "atomic_int (in_flight, cause, file, fd) must be lock-free");
_Static_assert(ATOMIC_LONG_LOCK_FREE == 2, "atomic_size_t (high_water) must be lock-free");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "_Atomic uint64_t (table_gen, file_offset, counters) must be lock-free");
_Static_assert(ATOMIC_POINTER_LOCK_FREE == 2, "_Atomic uintptr_t and pointers (start, end, epoch) must be lock-free");
_Static_assert(sizeof(size_t) == sizeof(long) && sizeof(uint64_t) == sizeof(long long), "the sizes the asserts above assume");
_Static_assert(__atomic_always_lock_free(sizeof(int32_t), 0), "the epoch word's increment must be lock-free");

static long lookup(uintptr_t at) {
  size_t hw = atomic_load_explicit(&high_water, memory_order_acquire);
  for (size_t i = 0; i < hw; i++) {
    uintptr_t start = atomic_load(&slots[i].start);  // seq_cst: pairs with the remover's unpublish
    if (start != 0 && at >= start && at < atomic_load_explicit(&slots[i].end, memory_order_relaxed)) return (long)i;
  }
  return -1;
}

// Zeroed read-write pages over [from, to), without swap reservation (as V8 maps a Wasm memory's).
// Called in the signal handler too. mmap is not on POSIX's list of async-signal-safe functions,
// but on Linux it is one system call: glibc's wrapper takes no lock and allocates nothing, and
// the kernel takes the process's mmap lock itself (the faulting access holds none of it by the
// time the signal is delivered). The only state it touches is errno, which the handler saves and
// restores.
static bool zero_fill_unmerged(uintptr_t from, uintptr_t to) {
  return mmap((void*)from, to - from, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) != MAP_FAILED;
}

int guard_merge(uintptr_t from, uintptr_t to) {
  return madvise((void*)from, to - from, MADV_DONTFORK) == 0 ? 0 : -errno;
}

bool guard_zero_fill(uintptr_t from, uintptr_t to) {
  // With the flags V8 gives a Wasm memory's pages (no swap reservation, not inherited by a fork):
  // then the kernel merges the range back into its neighbours, and mapping and unmapping at
  // scattered addresses does not leave an area behind for every mapping there ever was.
  if (!zero_fill_unmerged(from, to)) return false;
  // Not merged (a kernel refusing the advice): the range stays an area of its own, zeroed all the same.
  (void)guard_merge(from, to);
  return true;
}

// Why the page at `fault_offset` of the file faulted; for a truncation, *eof is the end of the
// file's last page.
static int classify(int fd, uint64_t fault_offset, uint64_t* eof) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return FAULT_IO;
  uint64_t page = page_bytes();
  uint64_t end = ((uint64_t)st.st_size + page - 1) / page * page;  // the end of its last page
  if (fault_offset >= end) {
    *eof = end;
    return FAULT_TRUNCATED;
  }
  struct statfs fs;
  // Less than a page free for us: the write (or tmpfs's page allocation) failed for want of room.
  if (syscall(SYS_fstatfs, fd, &fs) == 0 && (uint64_t)fs.f_bavail * (uint64_t)fs.f_bsize < page) return FAULT_NOSPACE;
  return FAULT_IO;
}

static bool absorb(struct slot* s, uintptr_t page) {
  uintptr_t start = atomic_load(&s->start);
  uintptr_t end = atomic_load_explicit(&s->end, memory_order_relaxed);
  uint64_t file_offset = atomic_load_explicit(&s->file_offset, memory_order_relaxed);
  int fd = atomic_load_explicit(&files[atomic_load_explicit(&s->file, memory_order_relaxed)].fd, memory_order_relaxed);
  uint64_t eof = 0;
  int cause = classify(fd, file_offset + (page - start), &eof);
  uintptr_t from = page;
  if (cause == FAULT_TRUNCATED) from = start + (eof > file_offset ? (uintptr_t)(eof - file_offset) : 0);
  // Splitting the mapping needs one more area; at vm.max_map_count only replacing all of it works.
  if (!guard_zero_fill(from, end) && !guard_zero_fill(start, end)) return false;
  int none = FAULT_NONE;
  atomic_compare_exchange_strong(&s->cause, &none, cause);
  atomic_fetch_add_explicit(&faults, 1, memory_order_relaxed);
  int32_t* epoch = atomic_load(&s->epoch);
  if (epoch) __atomic_add_fetch(epoch, 1, __ATOMIC_SEQ_CST);
  return true;
}

static bool is_ours(const struct sigaction* a);

// Whether the handler we displaced called us back with the signal we passed it (it chains to the
// handler it displaced, which was us): we are then inside our own chain() frame, a little deeper
// on the same stack, with the same signal. A handler that left by longjmp leaves its mark, which a
// later signal does not match (another address, or a frame that is not deeper).
static bool chained_back(const siginfo_t* info, uintptr_t frame) {
  return pending.chain_frame != 0 && frame < pending.chain_frame && pending.chain_frame - frame < 65536 &&
         pending.chain_addr == info->si_addr && pending.chain_code == info->si_code;
}

// Calls the handler we displaced, marked so that a call back to us is recognised.
static void call_previous(const struct sigaction* prev, int sig, siginfo_t* info, void* context) {
  volatile char frame = 0;
  uintptr_t outer = pending.chain_frame;
  pending.chain_frame = (uintptr_t)&frame;
  pending.chain_addr = info->si_addr;
  pending.chain_code = info->si_code;
  if (prev->sa_flags & SA_SIGINFO) prev->sa_sigaction(sig, info, context);
  else prev->sa_handler(sig);
  pending.chain_frame = outer;
}

// What would have happened without us.
static void chain(int sig, siginfo_t* info, void* context) {
  const struct sigaction* prev = &previous[atomic_load(&previous_index) % PREVIOUS_COPIES];
  if (!is_ours(prev)) {
    if ((prev->sa_flags & SA_SIGINFO) ? prev->sa_sigaction != NULL : (prev->sa_handler != SIG_DFL && prev->sa_handler != SIG_IGN)) {
      call_previous(prev, sig, info, context);
      return;
    }
    if (!(prev->sa_flags & SA_SIGINFO) && prev->sa_handler == SIG_IGN && info->si_code <= 0) {
      return;  // a sent SIGBUS that was ignored stays ignored (a fault cannot be ignored)
    }
  }
  // The default action: end the process as it would have ended.
  signal(SIGBUS, SIG_DFL);
  raise(SIGBUS);
}

static void on_sigbus(int sig, siginfo_t* info, void* context) {
  int saved = errno;
  volatile char frame = 0;
  if (chained_back(info, (uintptr_t)&frame)) {
    // The end of the chain: nobody handled it.
    if (info->si_code > 0) {
      signal(SIGBUS, SIG_DFL);
      raise(SIGBUS);
    }
    errno = saved;
    return;
  }
  // Only faults the kernel raised (si_code > 0) carry an address; kill(2) and the like do not.
  if (info->si_code > 0) {
    uintptr_t at = (uintptr_t)info->si_addr;
    uintptr_t page = at & page_mask;
    atomic_fetch_add(&in_flight, 1);
    uint64_t gen = atomic_load(&table_gen);
    if (pending.gen != gen || pending.page != page) {
      // First sight: the mapping may have changed since the access faulted. Retry it.
      pending.gen = gen;
      pending.page = page;
      atomic_fetch_sub(&in_flight, 1);
      atomic_fetch_add_explicit(&retried, 1, memory_order_relaxed);
      errno = saved;
      return;
    }
    pending.gen = 0;
    long i = lookup(at);
    bool absorbed = i >= 0 && absorb(&slots[i], page);
    atomic_fetch_sub(&in_flight, 1);
    if (absorbed) {
      errno = saved;
      return;
    }
  }
  errno = saved;
  chain(sig, info, context);
}

static bool is_ours(const struct sigaction* a) {
  return (a->sa_flags & SA_SIGINFO) && a->sa_sigaction == on_sigbus;
}

// ---- Normal code, under table_lock. ----

int guard_install(void) {
  ensure_init();
  struct sigaction current;
  if (atomic_load(&installed) && sigaction(SIGBUS, NULL, &current) == 0 && is_ours(&current)) return 0;
  pthread_mutex_lock(&table_lock);
  int rc = 0;
  if (sigaction(SIGBUS, NULL, &current) != 0) {
    rc = -errno;
  } else if (!is_ours(&current)) {
    // Whatever replaced us (or was there first) is what a SIGBUS not ours goes to.
    unsigned next = (atomic_load(&previous_index) + 1) % PREVIOUS_COPIES;
    previous[next] = current;
    atomic_store(&previous_index, next);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, NULL) != 0) {
      rc = -errno;
    } else {
      if (atomic_load(&installed)) atomic_fetch_add(&reinstalled, 1);
      atomic_store(&installed, 1);
    }
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}

int guard_install_lazily(void) {
  if (atomic_load(&installed) && (atomic_fetch_add(&lazy_calls, 1) % RECHECK_EVERY) != 0) return 0;
  return guard_install();
}

static uint32_t bucket_of(uint64_t a, uint64_t b) {
  uint64_t h = (a * 0x9E3779B97F4A7C15ull) ^ (b + 0x632BE59BD9B4E019ull + (a << 6));
  h ^= h >> 29;
  return (uint32_t)(h & (BUCKETS - 1));
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &t);  // the vDSO's: no system call
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

// Closes a file entry's descriptor and frees the entry (refs 0, not in idle_list).
static void file_free(uint32_t index) {
  struct file_ref* f = &files[index];
  uint32_t b = bucket_of((uint64_t)f->dev, (uint64_t)f->ino);
  for (uint32_t* link = &file_buckets[b]; *link != 0; link = &files[*link - 1].next) {
    if (*link == index + 1) {
      *link = f->next;
      break;
    }
  }
  int fd = atomic_exchange(&f->fd, -1);
  if (fd >= 0) close(fd);
  f->next = file_free_list;
  file_free_list = index + 1;
  files_open--;
}

// Takes file `index` out of idle_list, if it is there.
static void idle_take(uint32_t index) {
  for (size_t i = 0; i < idle_count; i++) {
    if (idle_list[i] == index) {
      memmove(&idle_list[i], &idle_list[i + 1], (idle_count - i - 1) * sizeof idle_list[0]);
      idle_count--;
      return;
    }
  }
}

// Frees the idle entry unused longest.
static void free_oldest_idle(void) {
  uint32_t index = idle_list[0];
  idle_take(index);
  file_free(index);
}

// Frees the idle entries that have been unused since `before` (every one for UINT64_MAX), oldest
// first; the number still idle.
static size_t trim_idle(uint64_t before) {
  size_t kept = 0;
  for (size_t i = 0; i < idle_count; i++) {
    uint32_t index = idle_list[i];
    if (files[index].idle_since < before) file_free(index);
    else idle_list[kept++] = index;
  }
  idle_count = kept;
  return kept;
}

// A file entry for the file open as `fd`, shared by all its mappings. The descriptor is an O_PATH
// one opened anew through /proc: closing it later cannot drop the process's POSIX record locks
// on the file (closing any other descriptor of it would: SQLite-style locking would break).
// Entries are found by device and inode: a file replaced under its name (a new inode) gets an entry
// of its own; one renamed keeps its own, which still names it. An entry no mapping uses stays,
// idle, for the next map of the file (opening through /proc is the dearest step of a map), for
// IDLE_NS at most (a deleted file's blocks are not freed while a descriptor of it is open).
static int file_acquire(int fd, const struct stat* st) {
  uint32_t b = bucket_of((uint64_t)st->st_dev, (uint64_t)st->st_ino);
  for (uint32_t f = file_buckets[b]; f != 0; f = files[f - 1].next) {
    if (files[f - 1].dev == st->st_dev && files[f - 1].ino == st->st_ino) {
      if (files[f - 1].refs++ == 0) idle_take(f - 1);
      files[f - 1].forgotten = false;  // open and mapped again
      return (int)(f - 1);
    }
  }
  char path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  int own = open(path, O_PATH | O_CLOEXEC);
  if (own < 0 && (errno == EMFILE || errno == ENFILE) && idle_count > 0) {
    trim_idle(UINT64_MAX);  // our idle descriptors are the first to give back
    own = open(path, O_PATH | O_CLOEXEC);
  }
  if (own < 0 && errno != EMFILE && errno != ENFILE) own = fcntl(fd, F_DUPFD_CLOEXEC, 0);  // no /proc
  if (own < 0) return -errno;
  uint32_t index;
  if (file_free_list != 0) {
    index = file_free_list - 1;
    file_free_list = files[index].next;
  } else if (files_high < MAX_FILES) {
    index = (uint32_t)files_high++;
  } else {
    close(own);
    return -EMFILE;
  }
  files[index].dev = st->st_dev;
  files[index].ino = st->st_ino;
  files[index].refs = 1;
  files[index].forgotten = false;
  atomic_store(&files[index].fd, own);
  files[index].next = file_buckets[b];
  file_buckets[b] = index + 1;
  files_open++;
  return (int)index;
}

static void file_release(int index) {
  struct file_ref* f = &files[index];
  if (--f->refs > 0) return;
  if (idle_limit == 0 || f->forgotten) {
    file_free((uint32_t)index);
    return;
  }
  if (idle_count == idle_limit) free_oldest_idle();
  f->idle_since = now_ns();
  idle_list[idle_count++] = (uint32_t)index;
}

static long find(uintptr_t start) {
  for (uint32_t s = slot_buckets[bucket_of(start, 0)]; s != 0; s = slots[s - 1].next)
    if (slots[s - 1].key == start && !slots[s - 1].dropping) return (long)(s - 1);
  return -1;
}

// Waits until no handler can still act on a slot unpublished before this call.
static void retire(void) {
  atomic_fetch_add(&table_gen, 1);
  while (atomic_load(&in_flight) != 0) sched_yield();
}

static void unpublish(size_t i) {
  atomic_store(&slots[i].start, 0);
  slots[i].dropping = true;
}

// Frees a slot unpublished and retired before.
static void free_slot(size_t i) {
  struct slot* s = &slots[i];
  for (uint32_t* link = &slot_buckets[bucket_of(s->key, 0)]; *link != 0; link = &slots[*link - 1].next) {
    if (*link == (uint32_t)i + 1) {
      *link = s->next;
      break;
    }
  }
  file_release(atomic_load(&s->file));
  s->key = 0;
  s->owner = NULL;
  s->dropping = false;
  s->next = slot_free;
  slot_free = (uint32_t)i + 1;
  live--;
}

// Unpublishes every slot `match` accepts, waits for handlers, frees them.
static void drop_where(bool (*match)(const struct slot*, const void*), const void* arg) {
  size_t hw = atomic_load(&high_water);
  size_t dropped = 0;
  for (size_t i = 0; i < hw; i++) {
    if (slots[i].key != 0 && !slots[i].dropping && match(&slots[i], arg)) {
      unpublish(i);
      dropped++;
    }
  }
  if (dropped == 0) return;
  retire();
  for (size_t i = 0; i < hw; i++)
    if (slots[i].dropping) free_slot(i);
}

struct range {
  uintptr_t start, end;
};

static bool overlaps(const struct slot* s, const void* arg) {
  const struct range* r = arg;
  return s->key < r->end && r->start < atomic_load(&s->end);
}

static bool owned_by(const struct slot* s, const void* owner) {
  return s->owner == owner;
}

// Takes a free slot and publishes [start, start+len) of file entry `file` (whose reference the
// caller holds for it) in it; under table_lock, with room below MAX_SLOTS (live < limit, or the one
// slot a move holds for a moment).
static void publish_slot(uintptr_t start, size_t len, int file, uint64_t file_offset, int32_t* epoch, const void* owner) {
  uint32_t index;
  if (slot_free != 0) {
    index = slot_free - 1;
    slot_free = slots[index].next;
  } else {
    index = (uint32_t)atomic_load(&high_water);
  }
  struct slot* s = &slots[index];
  atomic_store(&s->end, start + len);
  atomic_store(&s->file_offset, file_offset);
  atomic_store(&s->epoch, epoch);
  atomic_store(&s->file, file);
  atomic_store(&s->cause, FAULT_NONE);
  s->key = start;
  s->owner = owner;
  s->dropping = false;
  uint32_t b = bucket_of(start, 0);
  s->next = slot_buckets[b];
  slot_buckets[b] = index + 1;
  if (index >= atomic_load(&high_water)) atomic_store_explicit(&high_water, index + 1, memory_order_release);
  atomic_store(&s->start, start);
  live++;
}

int guard_add(uintptr_t start, size_t len, int fd, uint64_t file_offset, int32_t* epoch, const void* owner) {
  struct stat st;
  if (fstat(fd, &st) != 0) return -errno;
  return guard_add_stat(start, len, fd, &st, file_offset, epoch, owner);
}

int guard_add_stat(uintptr_t start, size_t len, int fd, const struct stat* st, uint64_t file_offset, int32_t* epoch, const void* owner) {
  ensure_init();
  pthread_mutex_lock(&table_lock);
  if (idle_count > 0) trim_idle(now_ns() - IDLE_NS);
  // A slot that overlaps the new mapping is stale: its memory was freed and the range reused (a
  // worker's memory dropped with live mappings, say). Its epoch pointer may point into freed memory.
  struct range r = {start, start + len};
  drop_where(overlaps, &r);
  int rc = 0;
  if (live >= limit) {
    rc = -EDQUOT;
  } else {
    int file = file_acquire(fd, st);
    if (file < 0) rc = file;
    else publish_slot(start, len, file, file_offset, epoch, owner);
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}

static int remove_slot(uintptr_t start, bool merge);

int guard_remove(uintptr_t start) {
  return remove_slot(start, true);
}

int guard_remove_unmerged(uintptr_t start) {
  return remove_slot(start, false);
}

static int remove_slot(uintptr_t start, bool merge) {
  pthread_mutex_lock(&table_lock);
  long i = find(start);
  int rc = 0;
  if (i < 0) {
    rc = -EINVAL;
  } else {
    // Anonymous memory first: from then on no new fault can come from this range.
    uintptr_t end = atomic_load(&slots[i].end);
    if (!(merge ? guard_zero_fill(start, end) : zero_fill_unmerged(start, end))) {
      rc = -errno;
    } else {
      // A fault the kernel raised before the zero fill may still be on its way to a handler. New
      // generation first, and the handlers that saw the old one gone: a later sight of that fault
      // is then a first one (retried: it completes against the zeroed pages), never a second sight
      // that finds the slot unpublished and takes the fault for someone else's.
      retire();
      unpublish((size_t)i);
      retire();
      free_slot((size_t)i);
    }
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}

void guard_drop_owner(const void* owner) {
  pthread_mutex_lock(&table_lock);
  drop_where(owned_by, owner);
  trim_idle(UINT64_MAX);  // an environment ends: its files' descriptors go with it, idle or not
  pthread_mutex_unlock(&table_lock);
}

void guard_set_idle_files(size_t count) {
  pthread_mutex_lock(&table_lock);
  idle_limit = count > MAX_IDLE_FILES ? MAX_IDLE_FILES : count;
  while (idle_count > idle_limit) free_oldest_idle();
  pthread_mutex_unlock(&table_lock);
}

void guard_forget_file(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return;
  pthread_mutex_lock(&table_lock);
  uint32_t b = bucket_of((uint64_t)st.st_dev, (uint64_t)st.st_ino);
  for (uint32_t f = file_buckets[b]; f != 0; f = files[f - 1].next) {
    if (files[f - 1].dev == st.st_dev && files[f - 1].ino == st.st_ino) {
      if (files[f - 1].refs == 0) {
        idle_take(f - 1);
        file_free(f - 1);
      } else {
        files[f - 1].forgotten = true;  // closed when its last mapping goes
      }
      break;
    }
  }
  pthread_mutex_unlock(&table_lock);
}

size_t guard_trim_idle_files(bool all) {
  pthread_mutex_lock(&table_lock);
  size_t kept = trim_idle(all ? UINT64_MAX : now_ns() - IDLE_NS);
  pthread_mutex_unlock(&table_lock);
  return kept;
}

int guard_fault_cause(uintptr_t start) {
  pthread_mutex_lock(&table_lock);
  long i = find(start);
  int rc = i < 0 ? -EINVAL : atomic_load(&slots[i].cause);
  pthread_mutex_unlock(&table_lock);
  return rc;
}

void guard_set_limit(size_t value) {
  ensure_init();
  pthread_mutex_lock(&table_lock);
  limit = value == 0 ? 1 : value > MAX_SLOTS ? MAX_SLOTS : value;
  pthread_mutex_unlock(&table_lock);
}

void guard_get_stats(struct guard_stats* out) {
  ensure_init();
  pthread_mutex_lock(&table_lock);
  out->live = live;
  out->limit = limit;
  out->max_map_count = max_map_count;
  out->files = files_open;
  out->idle_files = idle_count;
  out->faults = atomic_load(&faults);
  out->retried = atomic_load(&retried);
  out->reinstalled = atomic_load(&reinstalled);
  pthread_mutex_unlock(&table_lock);
}

// Makes the mapping [start, start+len) the mapping [dest, dest+new_len) of the same file (more of
// its pages when new_len > len), never leaving a hole in the address space (another thread's
// access there would be a SIGSEGV): with MREMAP_DONTUNMAP it moves to a scratch reservation of our
// own, leaving the old range mapped (it reads the file meanwhile: a private mapping's changes are
// with the moved pages), grows there, and replaces the destination in one mremap (MREMAP_FIXED).
// The old range, where the destination does not cover it, stays mapped for the caller to zero
// fill. 0 or -errno, with the mapping back where it was; -ENOSYS: no MREMAP_DONTUNMAP for file
// mappings (Linux before 5.13).
static int relocate(uintptr_t start, size_t len, uintptr_t dest, size_t new_len) {
  size_t keep = len < new_len ? len : new_len;
  void* scratch = mmap(NULL, new_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (scratch == MAP_FAILED) return -errno;
  if (mremap((void*)start, keep, keep, MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP, scratch) == MAP_FAILED) {
    int err = errno;
    munmap(scratch, new_len);
    return err == EINVAL ? -ENOSYS : -err;
  }
  int err = 0;
  uintptr_t tail = (uintptr_t)scratch + keep;
  if (new_len > keep && (munmap((void*)tail, new_len - keep) != 0 || mremap(scratch, keep, new_len, 0) == MAP_FAILED)) err = errno;
  if (err == 0 && mremap(scratch, new_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)dest) == MAP_FAILED) err = errno;
  if (err != 0) {
    // Back over the old range, which DONTUNMAP left mapped, in one step; then the rest of the scratch goes.
    mremap(scratch, keep, keep, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)start);
    munmap(scratch, new_len);
    return -err;
  }
  return 0;
}

// Shrinks or grows slot i's mapping where it is (see guard_remap); under table_lock.
static int resize_in_place(size_t i, uintptr_t start, uintptr_t end, uintptr_t new_end) {
  struct slot* s = &slots[i];
  if (new_end < end) {
    // The pages shrunk off become zeroed memory before the slot stops covering them: a fault on
    // them until then is still absorbed, and one raised before the fill is retried (retire).
    if (!guard_zero_fill(new_end, end)) return -errno;
    retire();
    atomic_store(&s->end, new_end);
    return 0;
  }
  // Covered first, so that a fault of the grown pages the moment they are mapped is absorbed.
  atomic_store(&s->end, new_end);
  int rc = relocate(start, end - start, start, new_end - start);
  // Without MREMAP_DONTUNMAP: mremap grows a mapping in place only into unmapped address space, so
  // the pages it grows into (the caller's, zeroed memory) are unmapped just before: a hole for the
  // moment between the two calls.
  if (rc == -ENOSYS) {
    rc = munmap((void*)end, new_end - end) != 0 || mremap((void*)start, end - start, new_end - start, 0) == MAP_FAILED ? -errno : 0;
    if (rc != 0) guard_zero_fill(end, new_end);  // never leave a hole in the memory
  }
  if (rc != 0) {
    retire();
    atomic_store(&s->end, end);
  }
  return rc;
}

// Moves slot i's mapping to [new_start, new_end) (see guard_remap); under table_lock.
static int move_mapping(size_t i, uintptr_t start, uintptr_t end, uintptr_t new_start, uintptr_t new_end) {
  struct slot* s = &slots[i];
  if (slot_free == 0 && atomic_load(&high_water) >= MAX_SLOTS) return -EDQUOT;
  struct range r = {new_start, new_end};
  drop_where(overlaps, &r);  // stale slots of a freed memory, as guard_add_stat drops them
  // The new range is watched before the move, the old one until its zero fill: a fault on either
  // side is absorbed throughout. The file entry gets one more reference for the new slot.
  int file = atomic_load(&s->file);
  files[file].refs++;
  publish_slot(new_start, new_end - new_start, file, atomic_load(&s->file_offset), atomic_load(&s->epoch), s->owner);
  long moved = find(new_start);
  // The pages themselves move: a private mapping's changes go with them.
  int rc = relocate(start, end - start, new_start, new_end - new_start);
  if (rc == -ENOSYS) {
    // Without MREMAP_DONTUNMAP the old range is a hole from this mremap to the zero fill below.
    rc = mremap((void*)start, end - start, new_end - new_start, MREMAP_MAYMOVE | MREMAP_FIXED, (void*)new_start) == MAP_FAILED ? -errno : 0;
    if (rc != 0) guard_zero_fill(new_start, new_end);  // MREMAP_FIXED may have dropped what was there
  }
  if (rc != 0) {
    unpublish((size_t)moved);
    retire();
    free_slot((size_t)moved);
    return rc;
  }
  // Zeroed memory over the old range. Were that to fail, the range would keep reading the file, so
  // its slot stays and watches it (a later map there drops it as stale, as guard_add_stat does).
  if (guard_zero_fill(start, end)) {
    retire();
    unpublish(i);
    retire();
    free_slot(i);
  }
  return 0;
}

int guard_remap(uintptr_t start, size_t len, uintptr_t new_start, size_t new_len) {
  ensure_init();
  uintptr_t new_end = new_start + new_len;
  if (len == 0 || new_len == 0 || (new_start & ~page_mask) != 0 || (new_len & ~page_mask) != 0 || new_end < new_start) return -EINVAL;
  pthread_mutex_lock(&table_lock);
  long i = find(start);
  int rc = 0;
  if (i < 0 || atomic_load(&slots[i].end) != start + len || atomic_load(&slots[i].cause) != FAULT_NONE ||
      (new_start != start && new_start < start + len && start < new_end)) {
    rc = -EINVAL;
  } else {
    // The file's size now, through our own descriptor: the grown range must not reach a whole page
    // past its end (such pages fault on first touch).
    struct stat st;
    uint64_t page = page_bytes();
    uint64_t offset = atomic_load(&slots[i].file_offset);
    int fd = atomic_load(&files[atomic_load(&slots[i].file)].fd);
    if (fstat(fd, &st) != 0) {
      rc = -errno;
    } else {
      uint64_t file_end = ((uint64_t)st.st_size + page - 1) & ~(page - 1);
      if (offset > file_end || new_len > file_end - offset) rc = -ERANGE;
      else if (new_start == start) rc = new_len == len ? 0 : resize_in_place((size_t)i, start, start + len, new_end);
      else rc = move_mapping((size_t)i, start, start + len, new_start, new_end);
    }
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}
