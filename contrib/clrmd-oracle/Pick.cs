// pick: types of varied shape on a heap, to compare object by object with
// another reader (tests/e2e/t_realprog.sh). One line per type:
// "kind\tcount\tname", kinds in a fixed order.
//
// Each type on the heap with at most --max-count instances (and at most
// 16 MB of them, no object over 1 MB) gets the first kind of this list it
// fits; each kind keeps its --per-kind types with the most instances (then
// by name). Types whose name starts with a --prefer prefix (the program's own
// namespaces) are kinds of their own, "app-" and the kind.
//   array-ref array-struct array-prim array-multidim   arrays by element
//   boxed-leaf boxed-struct                            boxed values
//   delegate exception
//   collection:<Name>                                  the collections DESIGN.md §4 shows by content
//   other:<Name>                                       Hashtable, SortedDictionary, Immutable*, ReadOnly*,
//                                                      Lazy, Task<T>, StringBuilder, ConditionalWeakTable
//   generic-iface                                      generic instantiations over an interface
//   closure                                            compiler-made (<>c, d__, DisplayClass)
//   nested-struct struct-field leaf-struct-field enum-field array-field object-field
//                                                      classes by their fields' types
//   generic string-field plain                         the rest
// Collections prefer instantiations over an interface. A name shared by
// several MethodTables is listed once (its count is theirs together).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Pick
{
	static readonly string[] Order =
	{
		"array-ref", "array-struct", "array-prim", "array-multidim", "boxed-leaf", "boxed-struct",
		"delegate", "exception", "collection:", "other:", "generic-iface", "closure",
		"nested-struct", "struct-field", "leaf-struct-field", "enum-field", "array-field", "object-field",
		"generic", "string-field", "plain",
	};

	static readonly HashSet<string> Decoded = new(StringComparer.Ordinal)
	{
		"System.Collections.Generic.List", "System.Collections.Generic.Queue", "System.Collections.Generic.Stack",
		"System.Collections.Generic.Dictionary", "System.Collections.Generic.HashSet",
		"System.Collections.Concurrent.ConcurrentQueue", "System.Collections.Concurrent.ConcurrentDictionary",
		"Microsoft.FSharp.Collections.FSharpList", "Microsoft.FSharp.Collections.FSharpMap",
		"Microsoft.FSharp.Collections.FSharpSet",
	};

	// Collections and containers real programs lean on that DESIGN.md §4 does
	// not (yet) show by content (issue 14, defect 6).
	static readonly HashSet<string> Others = new(StringComparer.Ordinal)
	{
		"System.Collections.Hashtable", "System.Collections.ArrayList", "System.Collections.SortedList",
		"System.Collections.BitArray", "System.Collections.Specialized.OrderedDictionary",
		"System.Collections.Specialized.ListDictionary", "System.Collections.Specialized.HybridDictionary",
		"System.Collections.Generic.SortedList", "System.Collections.Generic.SortedDictionary",
		"System.Collections.Generic.SortedSet", "System.Collections.Generic.LinkedList",
		"System.Collections.Generic.PriorityQueue", "System.Collections.Generic.OrderedDictionary",
		"System.Collections.Concurrent.ConcurrentBag", "System.Collections.Concurrent.ConcurrentStack",
		"System.Collections.Concurrent.BlockingCollection",
		"System.Collections.Immutable.ImmutableList", "System.Collections.Immutable.ImmutableDictionary",
		"System.Collections.Immutable.ImmutableHashSet", "System.Collections.Immutable.ImmutableSortedDictionary",
		"System.Collections.Immutable.ImmutableSortedSet", "System.Collections.Immutable.ImmutableStack",
		"System.Collections.Immutable.ImmutableQueue",
		"System.Collections.ObjectModel.ReadOnlyCollection", "System.Collections.ObjectModel.ReadOnlyDictionary",
		"System.Collections.ObjectModel.ObservableCollection", "System.Collections.ObjectModel.Collection",
		"System.Runtime.CompilerServices.ConditionalWeakTable", "System.Lazy", "System.Threading.Tasks.Task",
		"System.Text.StringBuilder",
	};

	static readonly HashSet<string> LeafStructs = new(StringComparer.Ordinal)
	{
		"System.Guid", "System.DateTime", "System.DateTimeOffset", "System.TimeSpan", "System.Decimal",
	};

	sealed class Row
	{
		public ClrType T = null!;
		public long Count;
		public ulong Bytes, Max;
	}

	public static int Run(ClrRuntime rt, int perKind, int maxCount, List<string> prefer, TextWriter w)
	{
		var rows = new Dictionary<string, Row>(StringComparer.Ordinal);
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree || o.Type == null || o.Type.Name == null)
				continue;
			string name = Names.Of(o.Type);
			if (!rows.TryGetValue(name, out var r))
				rows[name] = r = new Row { T = o.Type };
			r.Count++;
			r.Bytes += o.Size;
			r.Max = Math.Max(r.Max, o.Size);
		}
		var kinds = new Dictionary<string, List<(string Name, Row Row, bool Iface)>>(StringComparer.Ordinal);
		foreach (var (name, r) in rows)
		{
			if (r.T.IsString || r.Count > maxCount || r.Bytes > 16 << 20 || r.Max > 1 << 20 ||
				name.StartsWith("<unknown", StringComparison.Ordinal) || name.Contains("__Canon"))
				continue;
			bool iface = Names.Arguments(name).Count > 0 && HasInterfaceArgument(name);
			string kind = Kind(r.T, name, iface);
			if (prefer.Any(p => name.StartsWith(p, StringComparison.Ordinal)))
				kind = "app-" + kind;
			if (!kinds.TryGetValue(kind, out var l))
				kinds[kind] = l = new();
			l.Add((name, r, iface));
		}
		int Rank(string kind)
		{
			string k = kind.StartsWith("app-", StringComparison.Ordinal) ? kind.Substring(4) : kind;
			int i = System.Array.FindIndex(Order, o => o.EndsWith(':') ? k.StartsWith(o, StringComparison.Ordinal) : k == o);
			return (kind.StartsWith("app-", StringComparison.Ordinal) ? 0 : 100) + (i < 0 ? 99 : i);
		}
		foreach (var kind in kinds.Keys.OrderBy(Rank).ThenBy(k => k, StringComparer.Ordinal))
		{
			bool coll = kind.Contains(':');
			int n = coll ? Math.Min(perKind, 2) : perKind;
			var picked = kinds[kind]
				.OrderByDescending(x => coll && x.Iface)
				.ThenByDescending(x => x.Row.Count)
				.ThenBy(x => x.Name, StringComparer.Ordinal)
				.Take(n);
			foreach (var x in picked)
				w.Write($"{kind}\t{x.Row.Count}\t{x.Name}\n");
		}
		return 0;
	}

	static string Kind(ClrType t, string name, bool iface)
	{
		if (t.IsArray)
		{
			if (!name.EndsWith("[]", StringComparison.Ordinal))
				return "array-multidim";
			ClrType? e = t.ComponentType;
			if (e == null || e.IsObjectReference || e.IsString)
				return "array-ref";
			return e.IsPrimitive || e.IsEnum ? "array-prim" : "array-struct";
		}
		if (t.IsValueType)
			return t.IsPrimitive || t.IsEnum || LeafStructs.Contains(name) ? "boxed-leaf" : "boxed-struct";
		for (ClrType? b = t.BaseType; b != null; b = b.BaseType)
			if (b.Name == "System.MulticastDelegate")
				return "delegate";
		if (t.IsException)
			return "exception";
		string def = Names.Definition(name);
		string shortName = def.Substring(def.LastIndexOf('.') + 1);
		if (Decoded.Contains(def))
			return "collection:" + shortName;
		if (Others.Contains(def) && (def != "System.Threading.Tasks.Task" || name.Contains('<')))
			return "other:" + shortName;
		if (iface)
			return "generic-iface";
		if (name.Contains("<>c") || name.Contains("d__") || name.Contains("DisplayClass"))
			return "closure";
		bool st = false, nested = false, leaf = false, en = false, arr = false, obj = false, str = false;
		foreach (ClrInstanceField f in t.Fields)
		{
			ClrType? ft = f.Type;
			string fn = ft?.Name ?? "";
			switch (f.ElementType)
			{
				case ClrElementType.String: str = true; break;
				case ClrElementType.SZArray:
				case ClrElementType.Array: arr = true; break;
				case ClrElementType.Object: obj |= fn == "System.Object"; break;
				case ClrElementType.Class: obj |= fn == "System.Object"; str |= fn == "System.String"; break;
				case ClrElementType.Struct:
					if (ft == null)
						break;
					if (ft.IsEnum)
						en = true;
					else if (LeafStructs.Contains(fn) || fn.StartsWith("System.Nullable<", StringComparison.Ordinal))
						leaf = true;
					else
					{
						st = true;
						nested |= ft.Fields.Any(g => g.ElementType == ClrElementType.Struct && g.Type != null &&
							!g.Type.IsEnum && !LeafStructs.Contains(g.Type.Name ?? ""));
					}
					break;
				default:
					en |= ft != null && ft.IsEnum;
					break;
			}
		}
		if (nested)
			return "nested-struct";
		if (st)
			return "struct-field";
		if (leaf)
			return "leaf-struct-field";
		if (en)
			return "enum-field";
		if (arr)
			return "array-field";
		if (obj)
			return "object-field";
		if (name.Contains('<'))
			return "generic";
		return str ? "string-field" : "plain";
	}

	// Whether an argument of the instantiation is an interface, by its name
	// (I and a capital letter): interfaces have no instances whose types
	// could say so, and looking each name up in every module is slow.
	static bool HasInterfaceArgument(string name) =>
		name.Contains('<') && Names.Arguments(name).Any(a =>
		{
			string last = a.Substring(Math.Max(a.LastIndexOf('.'), a.LastIndexOf('+')) + 1);
			return last.Length > 1 && last[0] == 'I' && char.IsUpper(last[1]) && !last.Contains('[') && !last.Contains('<');
		});
}
