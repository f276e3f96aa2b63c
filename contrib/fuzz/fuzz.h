/* fuzz.h - what every fuzz target in this folder shares. A target is one
 * .c file defining LLVMFuzzerTestOneInput (and, when it needs set-up,
 * LLVMFuzzerInitialize); it links either with libFuzzer (make fuzz) or with
 * replay.c, a plain main that runs it over a corpus (make check). */
#ifndef CLRHEAP_FUZZ_H
#define CLRHEAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; always returns 0. Must not leak, crash or hang. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional one-time set-up (argc/argv as main got them); returns 0. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Results are summed here so the compiler cannot drop the reads behind
 * them. */
static volatile size_t fuzz_sink __attribute__((unused));

#endif
