/*
 * windump - writes a full-memory minidump of a running Windows process.
 *
 *     windump.exe PID FILE
 *
 * Used by fixtures/make-dumps.sh to dump the fixture apps running under Wine
 * (Wine's dbghelp implements MiniDumpWriteDump; `winedbg --minidump` writes no
 * heap memory, which is why this exists). The flags are those a user's full
 * dump of a .NET process has: all memory, handles, thread information.
 *
 * Built by fixtures/make-dumps.sh into its work folder, as:
 *     x86_64-w64-mingw32-gcc -O2 -Wall -o windump64.exe windump.c -ldbghelp
 *     i686-w64-mingw32-gcc   -O2 -Wall -o windump32.exe windump.c -ldbghelp
 * A 32-bit target needs the 32-bit dumper.
 *
 * Wine 8's MiniDumpWriteDump, when it has to set up the symbol handler itself,
 * crashes in SymCleanup after the dump is written (freeing a module's PDB
 * data). So the dumper calls SymInitialize first, which makes
 * MiniDumpWriteDump use that session and leave the cleanup to us, and never
 * calls SymCleanup: the session ends with this process.
 *
 * Exit status: 0 written, 2 usage, 3 cannot open the process, 4 cannot create
 * the file, 5 MiniDumpWriteDump failed (the partial file is removed),
 * 6 SymInitialize failed.
 */
#include <windows.h>
#include <dbghelp.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(int code, const char *what, const char *arg)
{
	DWORD err = GetLastError();
	fprintf(stderr, "windump: %s %s: Windows error %lu (0x%08lx)\n", what, arg,
		(unsigned long)err, (unsigned long)err);
	return code;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: windump PID FILE\n");
		return 2;
	}
	char *end = NULL;
	unsigned long pid = strtoul(argv[1], &end, 0);
	if (end == argv[1] || *end != '\0' || pid == 0 || pid > 0xffffffffUL) {
		fprintf(stderr, "windump: not a process id: %s\n", argv[1]);
		return 2;
	}

	HANDLE proc = OpenProcess(PROCESS_QUERY_INFORMATION | PROCESS_VM_READ |
				  PROCESS_DUP_HANDLE, FALSE, (DWORD)pid);
	if (proc == NULL)
		return fail(3, "cannot open process", argv[1]);

	if (!SymInitialize(proc, NULL, TRUE)) {
		int rc = fail(6, "SymInitialize failed for process", argv[1]);
		CloseHandle(proc);
		return rc;
	}

	HANDLE file = CreateFileA(argv[2], GENERIC_READ | GENERIC_WRITE, 0, NULL,
				  CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (file == INVALID_HANDLE_VALUE) {
		int rc = fail(4, "cannot create", argv[2]);
		CloseHandle(proc);
		return rc;
	}

	MINIDUMP_TYPE type = (MINIDUMP_TYPE)(MiniDumpWithFullMemory |
		MiniDumpWithHandleData | MiniDumpWithThreadInfo);
	BOOL ok = MiniDumpWriteDump(proc, (DWORD)pid, file, type, NULL, NULL, NULL);
	int rc = 0;
	if (!ok)
		rc = fail(5, "MiniDumpWriteDump failed for process", argv[1]);
	CloseHandle(file);
	CloseHandle(proc);
	if (!ok)
		DeleteFileA(argv[2]);
	return rc;
}
