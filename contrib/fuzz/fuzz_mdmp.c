/* fuzz_mdmp.c - the minidump reader: header, stream directory, SystemInfo,
 * ModuleList (names, CodeView records, versions), ThreadList, MemoryList,
 * Memory64List, MiscInfo, and the address space over the result. */
#include "fuzz_dump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_dump(data, size, "MDMP");
	return 0;
}
