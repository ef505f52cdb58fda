// SIGBUS guard. A file shrunk under a live mapping makes the next touch of a page past its new
// end raise SIGBUS, which would kill the process. The handler below looks the faulting address
// up among the live mappings; inside one, it maps a zero page over the faulting page (so the
// access completes, reading zeros), marks the mapping truncated and bumps the epoch word of its
// Wasm memory, so the region logic reports ETRUNCATED from then on. Any other SIGBUS goes to
// the handler that was there before, or to the default action.
//
// The table is read inside a signal handler: fixed-size, lock-free for readers (atomics), and
// changed under a mutex by normal code. Slots are reused, so the high-water mark stays low.
#define _GNU_SOURCE
#include "truncation_guard.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAX_SLOTS (1 << 20)

struct slot {
  _Atomic uintptr_t start;  // 0 = free
  _Atomic uintptr_t end;
  _Atomic(int32_t*) epoch;
  atomic_int truncated;
};

static struct slot slots[MAX_SLOTS];
static atomic_size_t high_water;
static int32_t free_stack[MAX_SLOTS];
static size_t free_count;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sigaction previous;
static atomic_int installed;
static uintptr_t page_mask;

static void on_sigbus(int sig, siginfo_t* info, void* context) {
  uintptr_t at = (uintptr_t)info->si_addr;
  // Only faults the kernel raised (si_code > 0) carry an address; kill(2) and the like do not.
  size_t hw = info->si_code > 0 ? atomic_load_explicit(&high_water, memory_order_acquire) : 0;
  for (size_t i = 0; i < hw; i++) {
    uintptr_t start = atomic_load_explicit(&slots[i].start, memory_order_acquire);
    if (start == 0 || at < start || at >= atomic_load_explicit(&slots[i].end, memory_order_relaxed)) continue;
    int saved = errno;
    void* page = (void*)(at & page_mask);
    void* r = mmap(page, ~page_mask + 1, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved;
    if (r == MAP_FAILED) break;
    atomic_store(&slots[i].truncated, 1);
    int32_t* epoch = atomic_load(&slots[i].epoch);
    if (epoch) __atomic_add_fetch(epoch, 1, __ATOMIC_SEQ_CST);
    return;
  }
  // Not one of ours: what would have happened without us.
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction) {
      previous.sa_sigaction(sig, info, context);
      return;
    }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(sig);
    return;
  } else if (previous.sa_handler == SIG_IGN && info->si_code <= 0) {
    return;  // a sent SIGBUS that was ignored stays ignored (a fault cannot be ignored)
  }
  // The default action: end the process as it would have ended.
  signal(SIGBUS, SIG_DFL);
  raise(SIGBUS);
}

int guard_install(void) {
  if (atomic_load(&installed)) return 0;
  pthread_mutex_lock(&table_lock);
  int rc = 0;
  if (!atomic_load(&installed)) {
    page_mask = ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGBUS, &action, &previous) != 0) rc = -errno;
    else atomic_store(&installed, 1);
  }
  pthread_mutex_unlock(&table_lock);
  return rc;
}

int guard_add(uintptr_t start, size_t len, int32_t* epoch) {
  pthread_mutex_lock(&table_lock);
  // A slot that overlaps the new mapping is stale: MAP_FIXED just replaced whatever was there (a
  // worker's memory freed with live mappings, say). Its epoch pointer may point into freed memory.
  size_t hw = atomic_load(&high_water);
  for (size_t i = 0; i < hw; i++) {
    uintptr_t s = atomic_load(&slots[i].start);
    if (s != 0 && s < start + len && start < atomic_load(&slots[i].end)) {
      atomic_store(&slots[i].start, 0);
      free_stack[free_count++] = (int32_t)i;
    }
  }
  size_t index;
  if (free_count > 0) {
    index = (size_t)free_stack[--free_count];
  } else {
    index = atomic_load(&high_water);
    if (index >= MAX_SLOTS) {
      pthread_mutex_unlock(&table_lock);
      return -ENOMEM;
    }
  }
  atomic_store(&slots[index].end, start + len);
  atomic_store(&slots[index].epoch, epoch);
  atomic_store(&slots[index].truncated, 0);
  atomic_store_explicit(&slots[index].start, start, memory_order_release);
  if (index >= atomic_load(&high_water)) atomic_store_explicit(&high_water, index + 1, memory_order_release);
  pthread_mutex_unlock(&table_lock);
  return 0;
}

static long find(uintptr_t start) {
  size_t hw = atomic_load(&high_water);
  for (size_t i = 0; i < hw; i++)
    if (atomic_load(&slots[i].start) == start) return (long)i;
  return -1;
}

void guard_remove(uintptr_t start) {
  pthread_mutex_lock(&table_lock);
  long i = find(start);
  if (i >= 0) {
    atomic_store(&slots[i].start, 0);
    free_stack[free_count++] = (int32_t)i;
  }
  pthread_mutex_unlock(&table_lock);
}

int guard_truncated(uintptr_t start) {
  pthread_mutex_lock(&table_lock);
  long i = find(start);
  int rc = i < 0 ? -EINVAL : atomic_load(&slots[i].truncated);
  pthread_mutex_unlock(&table_lock);
  return rc;
}
