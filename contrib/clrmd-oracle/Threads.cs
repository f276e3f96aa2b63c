// threads: the runtime's managed threads as ClrMD (through the DAC) lists
// them in ClrRuntime.Threads, to check clrheap threads.
//
//   clrmd-oracle threads DUMP
//
// A header line, then one tab-separated line per thread in the runtime's
// order:
//   thread osid managed_id object gc_mode state exception lock_count
//   alloc_ptr alloc_limit stack_base stack_limit
// thread is the runtime's Thread*, object the System.Threading.Thread on the
// heap whose _DONT_USE_InternalThread is that Thread* ("-" when none is),
// gc_mode "cooperative" or "preemptive", state the Thread::m_State bits in
// hex, exception the address of CurrentException ("-" when none).
// Addresses are 16 hex digits.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Threads
{
	static string Hex(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);

	// Thread* -> its System.Threading.Thread object, from the objects'
	// pointer to their runtime thread.
	static Dictionary<ulong, ulong> ThreadObjects(ClrRuntime rt)
	{
		var map = new Dictionary<ulong, ulong>();
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type?.Name != "System.Threading.Thread")
				continue;
			ClrInstanceField? f = o.Type.GetFieldByName("_DONT_USE_InternalThread");
			if (f == null)
				continue;
			ulong th = f.Read<ulong>(o.Address, interior: false);
			if (o.Type.Heap.Runtime.DataTarget.DataReader.PointerSize == 4)
				th &= 0xffffffff;
			if (th != 0)
				map[th] = o.Address;
		}
		return map;
	}

	public static int Run(ClrRuntime rt, TextWriter w)
	{
		Dictionary<ulong, ulong> objs = ThreadObjects(rt);
		w.Write("thread\tosid\tmanaged_id\tobject\tgc_mode\tstate\texception\tlock_count\t" +
			"alloc_ptr\talloc_limit\tstack_base\tstack_limit\n");
		foreach (ClrThread t in rt.Threads)
		{
			string obj = objs.TryGetValue(t.Address, out ulong a) ? Hex(a) : "-";
			string gc = t.GCMode == GCMode.Cooperative ? "cooperative" : "preemptive";
			ulong state = Convert.ToUInt64(t.State, CultureInfo.InvariantCulture);
			ClrException? ex = t.CurrentException;
			string exc = ex != null && ex.Address != 0 ? Hex(ex.Address) : "-";
			MemoryRange ac = t.AllocationContext;
			w.Write($"{Hex(t.Address)}\t{t.OSThreadId}\t{t.ManagedThreadId}\t{obj}\t{gc}\t" +
				$"{state.ToString("x", CultureInfo.InvariantCulture)}\t{exc}\t{t.LockCount}\t" +
				$"{Hex(ac.Start)}\t{Hex(ac.End)}\t{Hex(t.StackBase)}\t{Hex(t.StackLimit)}\n");
		}
		return 0;
	}
}
