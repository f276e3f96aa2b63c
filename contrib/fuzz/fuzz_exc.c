/* fuzz_exc.c - the stack trace decoder (exc_decode_frames): the first
 * byte picks the pointer size (bit 0: 4, else 8) and the header shape
 * (bit 1: .NET 9+), the rest is the byte[] payload. */
#include "exc.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct exc_raw_frame f[64];
	size_t n = 0;
	if (!size)
		return 0;
	unsigned ps = data[0] & 1 ? 4 : 8;
	exc_decode_frames(data + 1, size - 1, ps, data[0] & 2, f, 64, &n);
	for (size_t i = 0; i < n; i++)
		fuzz_sink += f[i].ip + f[i].sp + f[i].md + f[i].flags;
	return 0;
}
