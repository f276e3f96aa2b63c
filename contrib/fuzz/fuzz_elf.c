/* fuzz_elf.c - the ELF core reader: headers, program headers, notes
 * (NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE), module images and build-ids
 * in the dumped memory, and the address space over the result. */
#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_dump(data, size, "\x7f" "ELF");
	return 0;
}
