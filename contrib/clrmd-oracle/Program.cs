// clrmd-oracle: an independent reader of the fixture dumps, built on ClrMD and
// the runtime's own DAC. Tests and the bench compare clrheap's answers with it.
//
//   clrmd-oracle stat DUMP [--dac PATH] [--with-free]
//   clrmd-oracle objects DUMP TYPENAME... [--dac PATH] [--depth N] [--limit N] [--logical]
//   clrmd-oracle pick DUMP [--dac PATH] [--per-kind N] [--max-count N] [--prefer PREFIX]
//   clrmd-oracle statics DUMP TYPENAME... [--dac PATH] [--depth N]
//   clrmd-oracle segments DUMP [--dac PATH]
//   clrmd-oracle info DUMP [--dac PATH]
//   clrmd-oracle methods DUMP [--dac PATH]
//   clrmd-oracle refs DUMP [--dac PATH]
//   clrmd-oracle roots DUMP [--dac PATH]
//   clrmd-oracle dominators DUMP [--dac PATH] [--no-stack] [--check]
//
// stat prints "mt\tcount\ttotal_size\ttype" rows (mt as 16 hex digits), sorted
// by total size then name, after a header line, and a last line
// "total\t<objects>\t<bytes>\t<types> types". Free objects are left out unless
// --with-free. objects prints one JSON document per instance (DESIGN.md §4,
// best effort: see README.md); with --logical, collections by their content
// (JsonRender.Collections.cs). pick lists types of varied shape to compare
// object by object (Pick.cs). Type names are ClrMD's, in its own style
// throughout (Names.cs). refs, roots and dominators give the object graph
// (Graph.cs).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Program
{
	static int Usage()
	{
		Console.Error.WriteLine(
			"usage: clrmd-oracle stat DUMP [--dac PATH] [--with-free]\n" +
			"       clrmd-oracle objects DUMP TYPENAME... [--dac PATH] [--depth N] [--limit N] [--logical]\n" +
			"       clrmd-oracle pick DUMP [--dac PATH] [--per-kind N] [--max-count N] [--prefer PREFIX]\n" +
			"       clrmd-oracle statics DUMP TYPENAME... [--dac PATH] [--depth N]\n" +
			"       clrmd-oracle segments DUMP [--dac PATH]\n" +
			"       clrmd-oracle info DUMP [--dac PATH]\n" +
			"       clrmd-oracle refs DUMP [--dac PATH]\n" +
			"       clrmd-oracle roots DUMP [--dac PATH]\n" +
			"       clrmd-oracle dominators DUMP [--dac PATH] [--no-stack] [--check]");
		return 2;
	}

	static int Main(string[] args)
	{
		var pos = new List<string>();
		string? dac = null;
		bool withFree = false, logical = false, noStack = false, check = false;
		int depth = 3, perKind = 3, maxCount = 300;
		long limit = long.MaxValue;
		var prefer = new List<string>();
		for (int i = 0; i < args.Length; i++)
		{
			switch (args[i])
			{
				case "--dac": dac = args[++i]; break;
				case "--with-free": withFree = true; break;
				case "--depth": depth = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
				case "--limit": limit = long.Parse(args[++i], CultureInfo.InvariantCulture); break;
				case "--logical": logical = true; break;
				case "--no-stack": noStack = true; break;
				case "--check": check = true; break;
				case "--per-kind": perKind = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
				case "--max-count": maxCount = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
				case "--prefer": prefer.Add(args[++i]); break;
				default: pos.Add(args[i]); break;
			}
		}
		if (pos.Count < 2)
			return Usage();
		string cmd = pos[0], dump = pos[1];
		if (!File.Exists(dump))
		{
			Console.Error.WriteLine($"clrmd-oracle: {dump}: no such file");
			return 1;
		}
		using DataTarget dt = DataTarget.LoadDump(dump);
		if (dt.ClrVersions.Length == 0)
		{
			Console.Error.WriteLine($"clrmd-oracle: {dump}: no .NET runtime in the dump");
			return 1;
		}
		ClrInfo clr = dt.ClrVersions[0];
		dac ??= FindDac(clr);
		// A heap dump often lacks the pages ClrMD reads the runtime's version
		// from (it then expects 0.0), so the DAC found next to libcoreclr.so is
		// taken without that check.
		using ClrRuntime rt = dac != null ? clr.CreateRuntime(dac, ignoreMismatch: true) : clr.CreateRuntime();
		var stdout = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false), 1 << 16);
		try
		{
			switch (cmd)
			{
				case "stat": return Stat(rt, withFree, stdout);
				case "objects":
					if (pos.Count < 3)
						return Usage();
					return Objects(rt, new HashSet<string>(pos.Skip(2), StringComparer.Ordinal), depth, limit, logical, stdout);
				case "pick": return Pick.Run(rt, perKind, maxCount, prefer, stdout);
				case "statics":
					if (pos.Count < 3)
						return Usage();
					return Statics(rt, pos.Skip(2).ToList(), depth, stdout);
				case "segments": return Segments(rt, stdout);
				case "info": return Info(dt, clr, rt, dac, stdout);
				case "methods": return Methods.Run(rt, stdout);
				case "refs": return Graph.Refs(rt, stdout);
				case "roots": return Graph.Roots(rt, stdout);
				case "dominators": return Graph.Dominators(rt, noStack, check, stdout);
				case "threads": return Threads.Run(rt, stdout);
				case "exceptions": return Exceptions.Run(rt, stdout);
				case "frame-offsets": return Exceptions.FrameOffsets(rt, stdout);
				case "strings-dup": return Strings.Dup(rt, stdout);
				case "async": return Async.Run(rt, stdout);
				default: return Usage();
			}
		}
		finally
		{
			stdout.Flush();
		}
	}

	// The DAC ships next to libcoreclr.so; a heap dump names that path. Use it
	// when it exists, else let ClrMD look for one itself.
	static string? FindDac(ClrInfo clr)
	{
		string? dir = Path.GetDirectoryName(clr.ModuleInfo.FileName);
		if (dir == null)
			return null;
		foreach (string name in new[] { "libmscordaccore.so", "mscordaccore.dll" })
		{
			string p = Path.Combine(dir, name);
			if (File.Exists(p))
				return p;
		}
		return null;
	}

	static string Hex(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);

	static int Stat(ClrRuntime rt, bool withFree, TextWriter w)
	{
		var rows = new Dictionary<ulong, (string name, long count, ulong size)>();
		long objects = 0;
		ulong bytes = 0;
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree && !withFree)
				continue;
			ulong mt = o.Type?.MethodTable ?? 0;
			ulong size = o.Size;
			if (rows.TryGetValue(mt, out var r))
				rows[mt] = (r.name, r.count + 1, r.size + size);
			else
				rows[mt] = (o.Type != null ? Names.Of(o.Type) : "<unknown>", 1, size);
			objects++;
			bytes += size;
		}
		w.Write("mt\tcount\ttotal_size\ttype\n");
		foreach (var kv in rows.OrderBy(kv => kv.Value.size).ThenBy(kv => kv.Value.name, StringComparer.Ordinal))
			w.Write($"{Hex(kv.Key)}\t{kv.Value.count}\t{kv.Value.size}\t{kv.Value.name}\n");
		w.Write($"total\t{objects}\t{bytes}\t{rows.Count} types\n");
		return 0;
	}

	static int Segments(ClrRuntime rt, TextWriter w)
	{
		w.Write("kind\theap\tstart\tend\tcommitted_end\treserved_end\tobjects\n");
		foreach (ClrSegment s in rt.Heap.Segments)
		{
			long n = s.EnumerateObjects().LongCount();
			w.Write($"{s.Kind}\t{s.SubHeap.Index}\t{Hex(s.ObjectRange.Start)}\t{Hex(s.ObjectRange.End)}\t" +
				$"{Hex(s.CommittedMemory.End)}\t{Hex(s.ReservedMemory.End)}\t{n}\n");
		}
		return 0;
	}

	static int Info(DataTarget dt, ClrInfo clr, ClrRuntime rt, string? dac, TextWriter w)
	{
		w.Write($"runtime\t{clr.Flavor} {clr.Version}\n");
		w.Write($"coreclr\t{clr.ModuleInfo.FileName}\t{Hex(clr.ModuleInfo.ImageBase)}\n");
		w.Write($"dac\t{dac ?? "(found by ClrMD)"}\n");
		w.Write($"arch\t{dt.DataReader.Architecture}\n");
		w.Write($"pointer_size\t{dt.DataReader.PointerSize}\n");
		w.Write($"gc\t{(rt.Heap.IsServer ? "server" : "workstation")}\t{rt.Heap.SubHeaps.Length} heaps\n");
		w.Write($"can_walk_heap\t{rt.Heap.CanWalkHeap}\n");
		w.Write($"threads\t{rt.Threads.Length}\n");
		foreach (ClrModule m in rt.EnumerateModules())
			w.Write($"module\t{Hex(m.ImageBase)}\t{m.Name}\n");
		return 0;
	}

	// One JSON line per type: {"type":NAME,"fields":{...}} with the values of
	// its (not thread-) static fields in the first app domain. Types are found
	// by name in the modules' TypeDef maps, so generic instantiations are not.
	static int Statics(ClrRuntime rt, List<string> typeNames, int depth, TextWriter w)
	{
		var json = new JsonRender(rt, depth);
		ClrAppDomain dom = rt.AppDomains[0];
		int missing = 0;
		foreach (string name in typeNames)
		{
			ClrType? t = null;
			foreach (ClrModule m in rt.EnumerateModules())
			{
				t = m.GetTypeByName(name);
				if (t != null)
					break;
			}
			if (t == null)
			{
				Console.Error.WriteLine($"clrmd-oracle: no type {name}");
				missing++;
				continue;
			}
			w.Write("{\"type\":");
			JsonRender.Str(w, name);
			w.Write(",\"fields\":{");
			json.StaticFields(t, dom, w);
			w.Write("}}\n");
		}
		return missing == 0 ? 0 : 1;
	}

	static int Objects(ClrRuntime rt, HashSet<string> typeNames, int depth, long limit, bool logical, TextWriter w)
	{
		var json = new JsonRender(rt, depth) { Logical = logical };
		long n = 0;
		// --limit is per type: the first N of each in heap order
		var seen = new Dictionary<string, long>(StringComparer.Ordinal);
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type?.Name == null)
				continue;
			string name = Names.Of(o.Type);
			if (!typeNames.Contains(name))
				continue;
			n++;
			seen.TryGetValue(name, out long k);
			if (k >= limit)
				continue;
			seen[name] = k + 1;
			json.TopLevel(o, w);
			w.Write('\n');
		}
		if (n == 0)
		{
			Console.Error.WriteLine($"clrmd-oracle: no instances of {string.Join(", ", typeNames)}");
			return 1;
		}
		return 0;
	}
}
