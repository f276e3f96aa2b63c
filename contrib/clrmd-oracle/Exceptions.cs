// exceptions: every exception object on the heap as ClrMD (through the DAC)
// reads it with ClrObject.IsException and ClrException, to check clrheap
// exceptions.
//
//   clrmd-oracle exceptions DUMP
//
// A header line, then one tab-separated line per exception in address
// order: address, type, hresult (8 hex digits), inner (address or "-"),
// frames (the ClrException.StackTrace methods as Type.Method, joined by
// " | "; "?" for a frame without a method), message (tabs, newlines and
// backslashes escaped as \t \n \\; "-" when null). Addresses are 16 hex
// digits.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Exceptions
{
	static string Hex(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);

	static string Escape(string? s) =>
		s == null ? "-" : s.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n").Replace("\r", "\\r");

	public static int Run(ClrRuntime rt, TextWriter w)
	{
		var rows = new List<(ulong, string)>();
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type == null || !o.IsException)
				continue;
			ClrException e = o.AsException();
			ClrException inner = e.Inner;
			string frames = string.Join(" | ", e.StackTrace.Select(f =>
				f.Method == null ? "?" : (f.Method.Type?.Name ?? "?") + "." + f.Method.Name));
			rows.Add((o.Address, Hex(o.Address) + "\t" + o.Type.Name + "\t" +
				((uint)e.HResult).ToString("x8", CultureInfo.InvariantCulture) + "\t" +
				(inner != null ? Hex(inner.Address) : "-") + "\t" + frames + "\t" + Escape(e.Message)));
		}
		rows.Sort((a, b) => a.Item1.CompareTo(b.Item1));
		w.Write("address\ttype\thresult\tinner\tframes\tmessage\n");
		foreach (var r in rows)
			w.Write(r.Item2 + "\n");
		return 0;
	}

	// frame-offsets: per stack-trace frame whose method's code ClrMD knows
	// (ClrMethod.HotColdInfo holding the frame's IP), "address index ip
	// offset": the exception, the frame's index, its IP and IP - HotStart
	// (the offset SOS prints as Method+0x..) in hex; frames outside it are
	// left out (another code version of the method, or no code known).
	public static int FrameOffsets(ClrRuntime rt, TextWriter w)
	{
		var rows = new List<(ulong, string)>();
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type == null || !o.IsException)
				continue;
			var frames = o.AsException().StackTrace;
			for (int i = 0; i < frames.Length; i++)
			{
				ClrStackFrame f = frames[i];
				HotColdRegions r = f.Method?.HotColdInfo ?? default;
				ulong ip = f.InstructionPointer;
				if (r.HotStart == 0 || ip < r.HotStart || ip - r.HotStart >= r.HotSize)
					continue;
				rows.Add((o.Address, Hex(o.Address) + "\t" + i.ToString(CultureInfo.InvariantCulture) + "\t" +
					Hex(ip) + "\t" + (ip - r.HotStart).ToString("x", CultureInfo.InvariantCulture)));
			}
		}
		rows.Sort((a, b) => a.Item1.CompareTo(b.Item1));
		w.Write("address\tindex\tip\toffset\n");
		foreach (var r in rows)
			w.Write(r.Item2 + "\n");
		return 0;
	}
}
