// strings-dup: the strings on the heap that hold one value more than once,
// as ClrMD reads them, to check clrheap inspect DUMP duplicate-strings.
//
//   clrmd-oracle strings-dup DUMP
//
// A header line, then one tab-separated line per value held by two or more
// strings: value count size wasted, where wasted = (count - 1) * size. The
// value is cut at 200 UTF-16 units (then "..." follows); a value that holds
// anything but printable ASCII (or a quote or backslash) in that part is
// "-", as its escaped form is clrheap's own. Sorted by wasted, count, value.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Strings
{
	const int Cut = 200;

	static string Show(string s)
	{
		string cut = s.Length > Cut ? s.Substring(0, Cut) : s;
		foreach (char c in cut)
			if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
				return "-";
		return s.Length > Cut ? cut + "..." : cut;
	}

	public static int Dup(ClrRuntime rt, TextWriter w)
	{
		var groups = new Dictionary<string, (long Count, ulong Size)>(StringComparer.Ordinal);
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type == null || !o.Type.IsString)
				continue;
			string? s = o.AsString(int.MaxValue);
			if (s == null)
				continue;
			groups[s] = groups.TryGetValue(s, out var g) ? (g.Count + 1, g.Size) : (1, o.Size);
		}
		w.Write("value\tcount\tsize\twasted\n");
		var inv = CultureInfo.InvariantCulture;
		foreach (var kv in groups.Where(kv => kv.Value.Count > 1)
			.OrderByDescending(kv => (ulong)(kv.Value.Count - 1) * kv.Value.Size)
			.ThenByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal))
		{
			ulong wasted = (ulong)(kv.Value.Count - 1) * kv.Value.Size;
			w.Write(Show(kv.Key) + "\t" + kv.Value.Count.ToString(inv) + "\t" +
				kv.Value.Size.ToString(inv) + "\t" + wasted.ToString(inv) + "\n");
		}
		return 0;
	}
}
