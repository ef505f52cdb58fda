// The floor of a map cycle: what C pays to map a file's pages into a reserved range, touch one
// byte and put anonymous memory back, as a region's map + touch + close does inside a Wasm memory
// (a range V8 reserved). npm run bench compiles it with cc and runs it in turn with the
// JavaScript and Wasm cycles, so that their ratios compare figures of one machine at one time.
//   cc -O2 -o map-cycle-floor map-cycle-floor.c
//   ./map-cycle-floor FILE BYTES CYCLES -> "ns-per-cycle sum": BYTES of FILE from offset 0, private
// (what a MEM_READ_ONLY region maps), CYCLES timed after CYCLES / 4 untimed ones.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

// One cycle; the byte read, or -1.
static int cycle(volatile uint8_t* at, size_t bytes, int fd) {
  if (mmap((void*)at, bytes, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE, fd, 0) == MAP_FAILED) return -1;
  int byte = at[0];
  // The reserved range's own kind of pages back (a Wasm memory's: no swap reservation).
  if (mmap((void*)at, bytes, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) == MAP_FAILED)
    return -1;
  return byte;
}

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s FILE BYTES CYCLES\n", argv[0]);
    return 2;
  }
  size_t bytes = strtoull(argv[2], NULL, 10);
  long cycles = atol(argv[3]);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0 || bytes == 0 || cycles <= 0) return 1;
  // The reserved range, with a page of other data just before the region, in use (as a Wasm
  // memory has its own data next to a region): a small region shares its page table with it, so
  // that the kernel keeps the table from one cycle to the next, as it does in the Wasm memory. A
  // region of 2 MiB or more starts at a 2 MiB boundary, as the Wasm side places it.
  size_t align = 2u << 20;
  long page = sysconf(_SC_PAGESIZE);
  uint8_t* space = mmap(NULL, bytes + 2 * align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (space == MAP_FAILED) return 1;
  volatile uint8_t* at = (uint8_t*)(((uintptr_t)space + page + align - 1) & ~(uintptr_t)(align - 1));
  if (bytes < align) at += page;
  at[-1] = 1;
  unsigned long sum = 0;
  for (long i = 0; i < cycles / 4; i++)
    if (cycle(at, bytes, fd) < 0) return 1;
  uint64_t start = now_ns();
  for (long i = 0; i < cycles; i++) {
    int byte = cycle(at, bytes, fd);
    if (byte < 0) return 1;
    sum += (unsigned long)byte;
  }
  uint64_t elapsed = now_ns() - start;
  printf("%.1f %lu\n", (double)elapsed / (double)cycles, sum);
  return 0;
}
