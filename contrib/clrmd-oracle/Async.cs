// async: the async state-machine boxes on the heap as ClrMD reads them, to
// check clrheap async.
//
//   clrmd-oracle async DUMP
//
// A header line, then one tab-separated line per box in address order:
//   address flags state continuation
// A box is an object whose type derives from System.Threading.Tasks.Task and
// has an instance field StateMachine. flags is Task.m_stateFlags in hex,
// state the state machine's <>1__state ("-" when unreadable), continuation
// the address in m_continuationObject ("-" when null). Addresses are 16 hex
// digits.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Async
{
	static string Hex(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);

	static bool IsTask(ClrType? t)
	{
		for (int k = 0; t != null && k < 64; k++, t = t.BaseType)
			if (t.Name == "System.Threading.Tasks.Task")
				return true;
		return false;
	}

	static string State(ClrObject o)
	{
		try
		{
			ClrInstanceField? f = o.Type!.GetFieldByName("StateMachine");
			if (f == null)
				return "-";
			if (f.IsObjectReference)
			{
				ClrObject sm = o.ReadObjectField("StateMachine");
				return sm.IsNull ? "-" : sm.ReadField<int>("<>1__state").ToString(CultureInfo.InvariantCulture);
			}
			ClrValueType v = o.ReadValueTypeField("StateMachine");
			return v.ReadField<int>("<>1__state").ToString(CultureInfo.InvariantCulture);
		}
		catch (Exception)
		{
			return "-";
		}
	}

	public static int Run(ClrRuntime rt, TextWriter w)
	{
		var rows = new List<(ulong, string)>();
		var isBox = new Dictionary<ulong, bool>();
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type == null)
				continue;
			if (!isBox.TryGetValue(o.Type.MethodTable, out bool box))
			{
				// a type whose metadata the dump lacks (ClrMD then asks a
				// symbol server, unreachable here) is not a box it can read
				try { box = IsTask(o.Type) && o.Type.GetFieldByName("StateMachine") != null; }
				catch (Exception) { box = false; }
				isBox[o.Type.MethodTable] = box;
			}
			if (!box)
				continue;
			int flags = o.ReadField<int>("m_stateFlags");
			ClrObject c = o.ReadObjectField("m_continuationObject");
			rows.Add((o.Address, Hex(o.Address) + "\t" + flags.ToString("x", CultureInfo.InvariantCulture) +
				"\t" + State(o) + "\t" + (c.IsNull ? "-" : Hex(c.Address))));
		}
		rows.Sort((a, b) => a.Item1.CompareTo(b.Item1));
		w.Write("address\tflags\tstate\tcontinuation\n");
		foreach ((ulong _, string line) in rows)
			w.Write(line + "\n");
		return 0;
	}
}
