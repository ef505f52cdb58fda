// The physical reference for the full scan: sum the u64 words of a file through its own mmap.
// cc -O2 -o scan scan.c; ./scan FILE BYTES RUNS [populate] -> one line per run: "ns sum", where a
// run is mmap + scan + munmap, as the Wasm side's map + scan + close; "populate" adds MAP_POPULATE.
// The benchmark runs it once per round (RUNS 1), in turn with the Wasm variants.
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

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  size_t bytes = strtoull(argv[2], NULL, 10);
  int runs = atoi(argv[3]);
  int populate = argc > 4 ? MAP_POPULATE : 0;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 1;
  for (int r = 0; r < runs; r++) {
    uint64_t start = now_ns();
    const uint64_t* p = mmap(NULL, bytes, PROT_READ, MAP_SHARED | populate, fd, 0);
    if (p == MAP_FAILED) return 1;
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes / 8; i++) sum += p[i];
    munmap((void*)p, bytes);
    printf("%llu %llu\n", (unsigned long long)(now_ns() - start), (unsigned long long)sum);
  }
  return 0;
}
