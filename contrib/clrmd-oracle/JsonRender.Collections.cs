// The logical views (objects --logical): collections by their content in
// the order their enumerators give it, and top-level documents in the form
// clrheap writes them (fixtures/README.md, "JSON rules"). The collections
// are those DESIGN.md §4 names, decoded from their fields as ClrMD reads
// them (names, offsets and field types from ClrMD, not from clrheap):
//   List<T>, Queue<T>, Stack<T>              _items/_array, _size, _head
//   Dictionary<K,V>, HashSet<T>              _entries, _count; an entry with next < -1 is free
//   ConcurrentQueue<T>                       segments from _head: _slots, _headAndTail, _nextSegment
//   ConcurrentDictionary<K,V>                _tables._buckets (a VolatileNode's _node), chains by _next
//   F# list, Map, Set                        head/tail; an in-order walk of the tree's left/right
// A dictionary (and F# Map) whose first type argument is System.String is a
// JSON object keyed by the strings, else [[k,v],…]; a collection is one
// reference level, as an array is. One whose fields are not what the
// decoder expects is shown by its plain fields. Each decoder first reads
// the collection's structure (every slot to show) and only then writes, so
// a malformed one is left to the plain fields with nothing written.
using System;
using System.Collections.Generic;
using System.IO;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

sealed partial class JsonRender
{
	const int MaxItems = 1 << 28;

	// Collections by their logical content, and top-level documents in the
	// form clrheap writes them (README.md, "--logical").
	public bool Logical { get; init; }

	// A value to write: the slot at At of type T (element type Et).
	readonly record struct SlotAt(ClrType? T, ClrElementType Et, ulong At);

	// What a collection shows: single values, or key/value pairs.
	sealed class View
	{
		public bool Pairs, ByName;
		public readonly List<SlotAt> Keys = new();
		public readonly List<SlotAt> Values = new();
	}

	// ---- top level ------------------------------------------------------------

	// {"$addr","$type", then "$value" (a string or leaf), "$items" (an array
	// or collection) or the fields}.
	void LogicalTop(ClrObject o, TextWriter w)
	{
		ClrType t = o.Type!;
		w.Write("{\"$addr\":");
		Str(w, Hex(o.Address));
		w.Write(",\"$type\":");
		Str(w, Names.Of(t));
		_path.Add(o.Address);
		try
		{
			string name = t.Name ?? "";
			View? v;
			if (t.IsString)
			{
				w.Write(",\"$value\":");
				Str(w, ReadString(o.Address));
			}
			else if (t.IsArray)
			{
				w.Write(",\"$items\":");
				Array(o, 0, w);
			}
			else if (t.IsValueType && IsLeafStruct(t) && !IsWrapper(t))
			{
				w.Write(",\"$value\":");
				Inline(t, o.Address + (ulong)_ptr, 0, w);
			}
			else if (!t.IsValueType && (IsIPAddress(t) || name is "System.Uri" or "System.Version"))
			{
				w.Write(",\"$value\":");
				LeafClass(o, IsIPAddress(t) ? "System.Net.IPAddress" : name, 0, w);
			}
			else if ((v = Decode(o)) != null)
			{
				w.Write(",\"$items\":");
				Write(v, 0, w);
			}
			else
			{
				Fields(t, o.Address + (ulong)_ptr, 0, w);
			}
		}
		finally
		{
			_path.Remove(o.Address);
		}
		w.Write('}');
	}

	// Nullable<T> and F# voption show their value, but a box of one is not a leaf.
	static bool IsWrapper(ClrType t)
	{
		string n = t.Name ?? "";
		return n.StartsWith("System.Nullable<", StringComparison.Ordinal) ||
			n.StartsWith("Microsoft.FSharp.Core.FSharpValueOption<", StringComparison.Ordinal);
	}

	// A collection met as a referenced object at `level` (already past the
	// depth and cycle checks): writes its content and returns true, or
	// returns false having written nothing.
	bool Collection(ClrObject o, int level, TextWriter w)
	{
		View? v = Decode(o);
		if (v == null)
			return false;
		Write(v, level, w);
		return true;
	}

	void Write(View v, int level, TextWriter w)
	{
		w.Write(v.ByName ? '{' : '[');
		for (int i = 0; i < v.Keys.Count; i++)
		{
			if (i > 0)
				w.Write(',');
			SlotAt k = v.Keys[i];
			if (!v.Pairs)
			{
				Slot(k.T, k.Et, k.At, level, w);
				continue;
			}
			SlotAt val = v.Values[i];
			if (v.ByName)
			{
				ulong s = Ptr(k.At);
				ClrType? st = s != 0 ? _heap.GetObjectType(s) : null;
				if (st != null && st.IsString && I32(s + (ulong)_ptr) <= 1 << 20)
					Str(w, ReadString(s));
				else
					Str(w, Hex(s));
				w.Write(':');
				Slot(val.T, val.Et, val.At, level, w);
			}
			else
			{
				w.Write('[');
				Slot(k.T, k.Et, k.At, level, w);
				w.Write(',');
				Slot(val.T, val.Et, val.At, level, w);
				w.Write(']');
			}
		}
		w.Write(v.ByName ? '}' : ']');
	}

	// ---- decoders -------------------------------------------------------------

	// The view of a collection object, or null when it is none (or is damaged).
	View? Decode(ClrObject o)
	{
		ClrType? t = o.Type;
		if (t == null || t.IsValueType || t.IsArray || t.IsString)
			return null;
		string name = Names.Of(t);
		string def = Names.Definition(name);
		try
		{
			switch (def)
			{
				case "System.Collections.Generic.List": return ListLike(o, "_items", "_size", null, false);
				case "System.Collections.Generic.Queue": return ListLike(o, "_array", "_size", "_head", false);
				case "System.Collections.Generic.Stack": return ListLike(o, "_array", "_size", null, true);
				case "System.Collections.Generic.Dictionary": return Hashed(o, name, true);
				case "System.Collections.Generic.HashSet": return Hashed(o, name, false);
				case "System.Collections.Concurrent.ConcurrentQueue": return CQueue(o);
				case "System.Collections.Concurrent.ConcurrentDictionary": return CDict(o, name);
				case "Microsoft.FSharp.Collections.FSharpList": return FsList(o);
				case "Microsoft.FSharp.Collections.FSharpMap": return FsTree(o, name, true);
				case "Microsoft.FSharp.Collections.FSharpSet": return FsTree(o, name, false);
			}
		}
		catch (InvalidDataException)
		{
		}
		return null;
	}

	ClrInstanceField? Field(ClrType? t, string name)
	{
		if (t == null)
			return null;
		foreach (ClrInstanceField f in t.Fields)
			if (f.Name == name)
				return f;
		return null;
	}

	// The field named name, or (F#) name@line.
	ClrInstanceField? FsField(ClrType? t, string name)
	{
		if (t == null)
			return null;
		foreach (ClrInstanceField f in t.Fields)
			if (f.Name == name || (f.Name != null && f.Name.StartsWith(name + "@", StringComparison.Ordinal)))
				return f;
		return null;
	}

	ulong FieldAddr(ulong obj, ClrInstanceField f) => obj + (ulong)_ptr + (ulong)f.Offset;

	bool ReadI32(ulong obj, ClrInstanceField? f, out int v)
	{
		v = 0;
		if (f == null || f.ElementType is not (ClrElementType.Int32 or ClrElementType.UInt32))
			return false;
		v = I32(FieldAddr(obj, f));
		return true;
	}

	ulong ReadRef(ulong obj, ClrInstanceField f) => Ptr(FieldAddr(obj, f));

	// An array object: its type, length and the address of element i.
	sealed class Arr
	{
		public ClrType T = null!;
		public ClrType? Elem;
		public ClrElementType Et;
		public int Length;
		public ulong First;
		public int Size;
		public SlotAt At(long i) => new(Elem, Et, First + (ulong)(i * Size));
	}

	Arr? OpenArray(ulong addr)
	{
		if (addr == 0)
			return null;
		ClrType? t = _heap.GetObjectType(addr);
		string n = t?.Name ?? "";
		if (t == null || !t.IsArray || !n.EndsWith("[]", StringComparison.Ordinal) || t.ComponentSize <= 0)
			return null;
		int len = I32(addr + (ulong)_ptr);
		if (len < 0)
			return null;
		ClrType? et = t.ComponentType;
		var a = new Arr
		{
			T = t, Elem = et, Length = len, Size = t.ComponentSize,
			Et = et == null ? ClrElementType.Object : et.IsEnum ? ClrElementType.Struct : et.ElementType,
			First = len == 0 ? 0 : t.GetArrayElementAddress(addr, 0),
		};
		if (a.Et == ClrElementType.Struct && et == null)
			return null;
		return a;
	}

	View? ListLike(ClrObject o, string itemsName, string sizeName, string? headName, bool stack)
	{
		ClrType t = o.Type!;
		var itemsF = Field(t, itemsName);
		if (itemsF == null || !ReadI32(o.Address, Field(t, sizeName), out int size) || size < 0)
			return null;
		int head = 0;
		if (headName != null && !ReadI32(o.Address, Field(t, headName), out head))
			return null;
		var v = new View();
		ulong items = ReadRef(o.Address, itemsF);
		if (items == 0)
			return size == 0 ? v : null;
		Arr? a = OpenArray(items);
		if (a == null || size > a.Length || (headName != null && (head < 0 || (a.Length > 0 && head >= a.Length))))
			return null;
		for (int i = 0; i < size; i++)
		{
			long k = stack ? size - 1 - i : headName != null ? ((long)head + i) % a.Length : i;
			v.Keys.Add(a.At(k));
		}
		return v;
	}

	bool KeysAreStrings(string name)
	{
		var args = Names.Arguments(name);
		return args.Count >= 1 && args[0] == "System.String";
	}

	View? Hashed(ClrObject o, string name, bool dict)
	{
		ClrType t = o.Type!;
		var entriesF = Field(t, "_entries");
		if (entriesF == null || !ReadI32(o.Address, Field(t, "_count"), out int count) || count < 0)
			return null;
		var v = new View { Pairs = dict, ByName = dict && KeysAreStrings(name) };
		ulong entries = ReadRef(o.Address, entriesF);
		if (entries == 0)
			return count == 0 ? v : null;
		Arr? a = OpenArray(entries);
		if (a == null || a.Elem == null || !a.Elem.IsValueType || count > a.Length)
			return null;
		var nextF = Field(a.Elem, dict ? "next" : "_next") ?? Field(a.Elem, "Next");
		var keyF = Field(a.Elem, dict ? "key" : "Value");
		var valF = dict ? Field(a.Elem, "value") : null;
		if (nextF == null || keyF == null || (dict && valF == null))
			return null;
		for (int i = 0; i < count; i++)
		{
			ulong e = a.First + (ulong)((long)i * a.Size);
			if (I32(e + (ulong)nextF.Offset) < -1)
				continue; // a freed entry
			v.Keys.Add(new SlotAt(keyF.Type, keyF.ElementType, e + (ulong)keyF.Offset));
			if (dict)
				v.Values.Add(new SlotAt(valF!.Type, valF.ElementType, e + (ulong)valF.Offset));
		}
		return v;
	}

	View? CQueue(ClrObject o)
	{
		var headF = Field(o.Type, "_head");
		if (headF == null)
			return null;
		var v = new View();
		ulong seg = ReadRef(o.Address, headF);
		var seen = new HashSet<ulong>();
		while (seg != 0)
		{
			if (!seen.Add(seg) || v.Keys.Count > MaxItems)
				return null; // a loop of segments is damage
			ClrType? st = _heap.GetObjectType(seg);
			var slotsF = Field(st, "_slots");
			var htF = Field(st, "_headAndTail");
			var nextF = Field(st, "_nextSegment");
			if (slotsF == null || htF == null || nextF == null || htF.Type == null)
				return null;
			var hF = Field(htF.Type, "Head");
			var tF = Field(htF.Type, "Tail");
			if (hF == null || tF == null)
				return null;
			ulong ht = FieldAddr(seg, htF);
			long h = I32(ht + (ulong)hF.Offset), tl = I32(ht + (ulong)tF.Offset);
			Arr? a = OpenArray(ReadRef(seg, slotsF));
			if (a == null || a.Elem == null || !a.Elem.IsValueType || a.Length == 0)
				return null;
			var itemF = Field(a.Elem, "Item");
			if (itemF == null)
				return null;
			// a segment frozen for enqueues has its tail moved on by twice its length
			if (tl - h > a.Length)
				tl -= 2L * a.Length;
			for (long i = h; i < tl; i++)
			{
				long k = i & (a.Length - 1);
				ulong e = a.First + (ulong)(k * a.Size);
				v.Keys.Add(new SlotAt(itemF.Type, itemF.ElementType, e + (ulong)itemF.Offset));
			}
			seg = ReadRef(seg, nextF);
		}
		return v;
	}

	View? CDict(ClrObject o, string name)
	{
		var tablesF = Field(o.Type, "_tables");
		if (tablesF == null)
			return null;
		ulong tables = ReadRef(o.Address, tablesF);
		var bucketsF = Field(tables != 0 ? _heap.GetObjectType(tables) : null, "_buckets");
		if (bucketsF == null)
			return null;
		Arr? a = OpenArray(ReadRef(tables, bucketsF));
		if (a == null)
			return null;
		// buckets hold nodes directly, or (.NET 8+) in a VolatileNode struct
		ClrInstanceField? inner = null;
		if (a.Elem != null && a.Elem.IsValueType)
		{
			inner = Field(a.Elem, "_node");
			if (inner == null)
				return null;
		}
		var v = new View { Pairs = true, ByName = KeysAreStrings(name) };
		for (int i = 0; i < a.Length; i++)
		{
			ulong node = Ptr(a.First + (ulong)((long)i * a.Size) + (ulong)(inner?.Offset ?? 0));
			var seen = new HashSet<ulong>();
			while (node != 0)
			{
				if (!seen.Add(node) || v.Keys.Count > MaxItems)
					return null; // a loop in a chain is damage
				ClrType? nt = _heap.GetObjectType(node);
				var kF = Field(nt, "_key");
				var vF = Field(nt, "_value");
				var nF = Field(nt, "_next");
				if (kF == null || vF == null || nF == null)
					return null;
				v.Keys.Add(new SlotAt(kF.Type, kF.ElementType, FieldAddr(node, kF)));
				v.Values.Add(new SlotAt(vF.Type, vF.ElementType, FieldAddr(node, vF)));
				node = ReadRef(node, nF);
			}
		}
		return v;
	}

	View? FsList(ClrObject o)
	{
		var v = new View();
		var seen = new HashSet<ulong>();
		for (ulong node = o.Address; ;)
		{
			if (!seen.Add(node) || v.Keys.Count > MaxItems)
				return null;
			ClrType? nt = _heap.GetObjectType(node);
			var hF = Field(nt, "head");
			var tF = Field(nt, "tail");
			if (hF == null || tF == null)
				return null;
			ulong tail = ReadRef(node, tF);
			if (tail == 0) // the empty list ends every list
				break;
			v.Keys.Add(new SlotAt(hF.Type, hF.ElementType, FieldAddr(node, hF)));
			node = tail;
		}
		return v;
	}

	// In-order walk of an F# MapTree/SetTree: a MapTreeNode has left and
	// right; a leaf MapTree only k (and v).
	View? FsTree(ClrObject o, string name, bool map)
	{
		var treeF = FsField(o.Type, "tree");
		if (treeF == null)
			return null;
		var v = new View { Pairs = map, ByName = map && KeysAreStrings(name) };
		var stack = new Stack<ulong>();
		ulong node = ReadRef(o.Address, treeF);
		while (node != 0 || stack.Count > 0)
		{
			if (stack.Count > 128 || v.Keys.Count > MaxItems)
				return null;
			if (node != 0)
			{
				stack.Push(node);
				var lF = Field(_heap.GetObjectType(node), "left");
				node = lF != null ? ReadRef(node, lF) : 0;
				continue;
			}
			node = stack.Pop();
			ClrType? nt = _heap.GetObjectType(node);
			var kF = Field(nt, "k");
			var vF = map ? Field(nt, "v") : null;
			var rF = Field(nt, "right");
			if (kF == null || (map && vF == null))
				return null;
			v.Keys.Add(new SlotAt(kF.Type, kF.ElementType, FieldAddr(node, kF)));
			if (map)
				v.Values.Add(new SlotAt(vF!.Type, vF.ElementType, FieldAddr(node, vF)));
			node = rF != null ? ReadRef(node, rF) : 0;
		}
		return v;
	}
}
