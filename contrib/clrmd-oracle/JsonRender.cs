// JSON of heap objects in the form of DESIGN.md §4, read through ClrMD.
// Best effort: leaf values, objects, embedded structs and arrays follow the
// fixture rules (fixtures/README.md); collections are shown by their plain
// fields, or with Logical by their logical content, decoded here from
// ClrMD's reading of their fields (JsonRender.Collections.cs).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

sealed partial class JsonRender
{
	static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
	readonly ClrRuntime _rt;
	readonly ClrHeap _heap;
	readonly IDataReader _mem;
	readonly int _depth;
	readonly int _ptr;
	readonly HashSet<ulong> _path = new();
	// A document writes each object out once, where it is met nearest the top
	// (the first such place), else {"$ref"}; found by a first pass into nothing
	// (see Document).
	readonly Dictionary<ulong, int> _level = new();
	readonly HashSet<ulong> _done = new();
	int _pass;
	bool _again;
	readonly Dictionary<ClrType, string[]> _names = new();
	readonly Dictionary<ClrType, bool> _flags = new();

	public JsonRender(ClrRuntime rt, int depth)
	{
		_rt = rt;
		_heap = rt.Heap;
		_mem = rt.DataTarget.DataReader;
		_depth = depth;
		_ptr = _mem.PointerSize;
	}

	public void TopLevel(ClrObject o, TextWriter w) => Document(w, x =>
	{
		if (Logical)
			LogicalTop(o, x);
		else
			Object(o, 0, x);
	});

	// Writes a document twice: into nothing, each object written out again
	// where it is met nearer the top than before (noting that it was); then
	// for real, by the levels found when that happened, else the same way.
	void Document(TextWriter w, Action<TextWriter> body)
	{
		_level.Clear();
		_done.Clear();
		_pass = 1;
		_again = false;
		body(TextWriter.Null);
		if (_again)
			_pass = 2;
		else
			_level.Clear();
		_done.Clear();
		body(w);
	}

	// Whether the object at addr, met at `level`, is written out here.
	bool Enter(ulong addr, int level)
	{
		bool met = _level.TryGetValue(addr, out int lvl);
		if (_pass == 2)
		{
			if (_done.Contains(addr) || (met && level > lvl))
				return false;
			_done.Add(addr);
		}
		else
		{
			if (met && lvl <= level)
				return false;
			if (met)
				_again = true;
		}
		_level[addr] = level;
		return true;
	}

	// ---- memory -------------------------------------------------------------

	byte[] Bytes(ulong addr, int n)
	{
		var b = new byte[n];
		if (_mem.Read(addr, b) != n)
			throw new InvalidDataException($"cannot read {n} bytes at 0x{addr:x}");
		return b;
	}

	ulong Ptr(ulong addr) => _ptr == 8 ? BitConverter.ToUInt64(Bytes(addr, 8)) : BitConverter.ToUInt32(Bytes(addr, 4));
	long I64(ulong addr) => BitConverter.ToInt64(Bytes(addr, 8));
	int I32(ulong addr) => BitConverter.ToInt32(Bytes(addr, 4));

	// ---- text ----------------------------------------------------------------

	public static void Str(TextWriter w, string? s)
	{
		if (s == null)
		{
			w.Write("null");
			return;
		}
		w.Write('"');
		for (int i = 0; i < s.Length; i++)
		{
			char c = s[i];
			switch (c)
			{
				case '"': w.Write("\\\""); break;
				case '\\': w.Write("\\\\"); break;
				case '\n': w.Write("\\n"); break;
				case '\r': w.Write("\\r"); break;
				case '\t': w.Write("\\t"); break;
				case '\b': w.Write("\\b"); break;
				case '\f': w.Write("\\f"); break;
				default:
					if (c < ' ')
						w.Write("\\u" + ((int)c).ToString("x4", Inv));
					else if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
					{
						w.Write(c);
						w.Write(s[++i]);
					}
					else if (char.IsSurrogate(c))
						w.Write("\\ufffd");
					else
						w.Write(c);
					break;
			}
		}
		w.Write('"');
	}

	static string Hex(ulong a) => "0x" + a.ToString("x", Inv);

	static string Dbl(double d) =>
		double.IsNaN(d) ? "\"NaN\"" : double.IsPositiveInfinity(d) ? "\"Infinity\"" :
		double.IsNegativeInfinity(d) ? "\"-Infinity\"" : d.ToString("R", Inv);

	static string Flt(float d) =>
		float.IsNaN(d) ? "\"NaN\"" : float.IsPositiveInfinity(d) ? "\"Infinity\"" :
		float.IsNegativeInfinity(d) ? "\"-Infinity\"" : d.ToString("R", Inv);

	public static string DateTimeText(DateTime d)
	{
		if (d.Kind == DateTimeKind.Local)
			d = DateTime.SpecifyKind(d, DateTimeKind.Unspecified);
		return d.ToString("o", Inv);
	}

	// Clean field names (DESIGN.md §3); a clash keeps the raw names.
	string[] FieldNames(ClrType t)
	{
		if (_names.TryGetValue(t, out var n))
			return n;
		var raw = t.Fields.Select(f => f.Name ?? "").ToArray();
		var clean = raw.Select(Clean).ToArray();
		var dup = clean.GroupBy(x => x).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
		n = new string[raw.Length];
		for (int i = 0; i < raw.Length; i++)
			n[i] = dup.Contains(clean[i]) ? raw[i] : clean[i];
		_names[t] = n;
		return n;
	}

	static string Clean(string raw)
	{
		if (raw.StartsWith('<') && raw.EndsWith(">k__BackingField", StringComparison.Ordinal))
			return raw.Substring(1, raw.Length - 1 - ">k__BackingField".Length);
		if (raw.Length > 1 && raw.EndsWith('@'))
			return raw.Substring(0, raw.Length - 1);
		return raw;
	}

	// ---- values ----------------------------------------------------------------

	static bool IsLeafClass(string name) =>
		name == "System.String" || name == "System.Net.IPAddress" || name == "System.Uri" ||
		name == "System.Version" || name.StartsWith("Microsoft.FSharp.Core.FSharpOption<", StringComparison.Ordinal);

	// IPAddress.Any and friends are a subclass (IPAddress+ReadOnlyIPAddress).
	static bool IsIPAddress(ClrType t)
	{
		for (ClrType? c = t; c != null; c = c.BaseType)
			if (c.Name == "System.Net.IPAddress")
				return true;
		return false;
	}

	// A heap object (reference) seen at the given level.
	void Reference(ulong addr, int level, TextWriter w)
	{
		if (addr == 0)
		{
			w.Write("null");
			return;
		}
		ClrObject o = _heap.GetObject(addr);
		ClrType? t = o.Type;
		if (t == null)
		{
			w.Write("{\"$ref\":");
			Str(w, Hex(addr));
			w.Write('}');
			return;
		}
		string name = t.Name ?? "";
		if (t.IsString)
		{
			Str(w, ReadString(addr));
			return;
		}
		if (IsLeafClass(name) || IsIPAddress(t))
		{
			LeafClass(o, IsIPAddress(t) ? "System.Net.IPAddress" : name, level, w);
			return;
		}
		if (t.IsValueType || t.IsPrimitive || t.IsEnum)
		{
			// A boxed value: leaves print as their value, other structs as objects.
			if (IsLeafStruct(t))
			{
				Inline(t, addr + (ulong)_ptr, level, w);
				return;
			}
		}
		if (level > _depth || _path.Contains(addr) || !Enter(addr, level))
		{
			w.Write("{\"$ref\":");
			Str(w, Hex(addr));
			w.Write('}');
			return;
		}
		Object(o, level, w);
	}

	void Object(ClrObject o, int level, TextWriter w)
	{
		ClrType t = o.Type!;
		_path.Add(o.Address);
		try
		{
			if (t.IsArray)
			{
				Array(o, level, w);
				return;
			}
			if (Logical && Collection(o, level, w))
				return;
			w.Write("{\"$addr\":");
			Str(w, Hex(o.Address));
			w.Write(",\"$type\":");
			Str(w, Names.Of(t));
			Fields(t, o.Address + (ulong)_ptr, level, w);
			w.Write('}');
		}
		finally
		{
			_path.Remove(o.Address);
		}
	}

	// A type's static fields (not thread statics) as the fields of a level-0
	// object, comma-separated, clean names.
	public void StaticFields(ClrType t, ClrAppDomain dom, TextWriter w) => Document(w, x => StaticFieldList(t, dom, x));

	void StaticFieldList(ClrType t, ClrAppDomain dom, TextWriter w)
	{
		var fields = t.StaticFields.Where(f => f.IsInitialized(dom)).ToList();
		var clean = fields.Select(f => Clean(f.Name ?? "")).ToList();
		for (int i = 0; i < fields.Count; i++)
		{
			ClrStaticField f = fields[i];
			if (i > 0)
				w.Write(',');
			Str(w, clean.Count(c => c == clean[i]) > 1 ? f.Name : clean[i]);
			w.Write(':');
			ulong at = f.GetAddress(dom);
			if (at != 0 && f.Type != null && f.Type.IsValueType && !f.Type.IsPrimitive && !f.Type.IsEnum)
				at = Ptr(at) + (ulong)_ptr; // a struct static lives in a box of its own
			Slot(f.Type, f.ElementType, at, 0, w);
		}
	}

	// Fields of an object or struct whose data starts at dataAddr.
	void Fields(ClrType t, ulong dataAddr, int level, TextWriter w)
	{
		var names = FieldNames(t);
		for (int i = 0; i < t.Fields.Length; i++)
		{
			ClrInstanceField f = t.Fields[i];
			w.Write(',');
			Str(w, names[i]);
			w.Write(':');
			ulong at = dataAddr + (ulong)f.Offset;
			Slot(f.Type, f.ElementType, at, level, w);
		}
	}

	// A value stored at `at` (a field or an array element) of the given type.
	void Slot(ClrType? t, ClrElementType et, ulong at, int level, TextWriter w)
	{
		if (t != null && t.IsEnum)
		{
			Enum(t, at, w);
			return;
		}
		switch (et)
		{
			case ClrElementType.Boolean: w.Write(Bytes(at, 1)[0] != 0 ? "true" : "false"); return;
			case ClrElementType.Char: Str(w, ((char)BitConverter.ToUInt16(Bytes(at, 2))).ToString()); return;
			case ClrElementType.Int8: w.Write(((sbyte)Bytes(at, 1)[0]).ToString(Inv)); return;
			case ClrElementType.UInt8: w.Write(Bytes(at, 1)[0].ToString(Inv)); return;
			case ClrElementType.Int16: w.Write(BitConverter.ToInt16(Bytes(at, 2)).ToString(Inv)); return;
			case ClrElementType.UInt16: w.Write(BitConverter.ToUInt16(Bytes(at, 2)).ToString(Inv)); return;
			case ClrElementType.Int32: w.Write(I32(at).ToString(Inv)); return;
			case ClrElementType.UInt32: w.Write(BitConverter.ToUInt32(Bytes(at, 4)).ToString(Inv)); return;
			case ClrElementType.Int64: w.Write(I64(at).ToString(Inv)); return;
			case ClrElementType.UInt64: w.Write(BitConverter.ToUInt64(Bytes(at, 8)).ToString(Inv)); return;
			case ClrElementType.NativeInt:
				w.Write(_ptr == 8 ? I64(at).ToString(Inv) : I32(at).ToString(Inv)); return;
			case ClrElementType.NativeUInt:
			case ClrElementType.Pointer:
			case ClrElementType.FunctionPointer:
				w.Write(Ptr(at).ToString(Inv)); return;
			case ClrElementType.Float: w.Write(Flt(BitConverter.ToSingle(Bytes(at, 4)))); return;
			case ClrElementType.Double: w.Write(Dbl(BitConverter.ToDouble(Bytes(at, 8)))); return;
			case ClrElementType.Struct:
				if (t == null)
				{
					w.Write("{\"$error\":\"unknown struct type\"}");
					return;
				}
				Inline(t, at, level, w);
				return;
			default:
				// Object references: class, string, array, object, generic instance.
				Reference(Ptr(at), level + 1, w);
				return;
		}
	}

	static bool IsLeafStruct(ClrType t)
	{
		string n = t.Name ?? "";
		return t.IsPrimitive || t.IsEnum || n is "System.Guid" or "System.DateTime" or "System.DateTimeOffset"
			or "System.TimeSpan" or "System.Decimal" || n.StartsWith("System.Nullable<", StringComparison.Ordinal)
			|| n.StartsWith("Microsoft.FSharp.Core.FSharpValueOption<", StringComparison.Ordinal);
	}

	// A struct value (embedded in an object or array, or the data of a box).
	internal void Inline(ClrType t, ulong at, int level, TextWriter w)
	{
		string n = t.Name ?? "";
		if (t.IsEnum)
		{
			Enum(t, at, w);
			return;
		}
		if (t.IsPrimitive)
		{
			Slot(t, t.ElementType, at, level, w);
			return;
		}
		switch (n)
		{
			case "System.Guid": Str(w, new Guid(Bytes(at, 16)).ToString()); return;
			case "System.DateTime": Str(w, DateTimeText(ReadDateTime(at))); return;
			case "System.TimeSpan": Str(w, new TimeSpan(I64(at)).ToString("c", Inv)); return;
			case "System.DateTimeOffset":
				{
					ulong dtAt = at + (ulong)t.GetFieldByName("_dateTime")!.Offset;
					ulong offAt = at + (ulong)t.GetFieldByName("_offsetMinutes")!.Offset;
					DateTime utc = ReadDateTime(dtAt);
					short off = BitConverter.ToInt16(Bytes(offAt, 2));
					var dto = new DateTimeOffset(DateTime.SpecifyKind(utc.AddMinutes(off), DateTimeKind.Unspecified),
						TimeSpan.FromMinutes(off));
					Str(w, dto.ToString("o", Inv));
					return;
				}
			case "System.Decimal":
				{
					int flags = I32(at + (ulong)t.GetFieldByName("_flags")!.Offset);
					uint hi = (uint)I32(at + (ulong)t.GetFieldByName("_hi32")!.Offset);
					ulong lo = (ulong)I64(at + (ulong)t.GetFieldByName("_lo64")!.Offset);
					var d = new decimal(new[] { (int)(uint)lo, (int)(uint)(lo >> 32), (int)hi, flags });
					w.Write(d.ToString(Inv));
					return;
				}
		}
		if (n.StartsWith("System.Nullable<", StringComparison.Ordinal))
		{
			var has = t.GetFieldByName("hasValue")!;
			var val = t.GetFieldByName("value")!;
			if (Bytes(at + (ulong)has.Offset, 1)[0] == 0)
				w.Write("null");
			else
				Slot(val.Type, val.ElementType, at + (ulong)val.Offset, level, w);
			return;
		}
		if (n.StartsWith("Microsoft.FSharp.Core.FSharpValueOption<", StringComparison.Ordinal))
		{
			var tag = t.Fields.FirstOrDefault(f => f.Name == "_tag" || f.Name == "Tag");
			var item = t.Fields.FirstOrDefault(f => f.Name == "item");
			if (tag == null || item == null || I32(at + (ulong)tag.Offset) == 0)
				w.Write("null");
			else
				Slot(item.Type, item.ElementType, at + (ulong)item.Offset, level, w);
			return;
		}
		w.Write("{\"$type\":");
		Str(w, Names.Of(t));
		Fields(t, at, level, w);
		w.Write('}');
	}

	DateTime ReadDateTime(ulong at)
	{
		ulong data = BitConverter.ToUInt64(Bytes(at, 8));
		return Unsafe.As<ulong, DateTime>(ref data);
	}

	string ReadString(ulong addr)
	{
		int len = I32(addr + (ulong)_ptr);
		if (len < 0 || len > 64 << 20)
			throw new InvalidDataException($"string at 0x{addr:x}: length {len}");
		byte[] b = Bytes(addr + (ulong)_ptr + 4, len * 2);
		var c = new char[len];
		Buffer.BlockCopy(b, 0, c, 0, b.Length);
		return new string(c);
	}

	void LeafClass(ClrObject o, string name, int level, TextWriter w)
	{
		ClrType t = o.Type!;
		ulong data = o.Address + (ulong)_ptr;
		if (name == "System.Net.IPAddress")
		{
			var numF = t.GetFieldByName("_numbers");
			var adrF = t.GetFieldByName("_addressOrScopeId");
			ulong nums = numF != null ? Ptr(data + (ulong)numF.Offset) : 0;
			uint aos = (uint)I32(data + (ulong)adrF!.Offset);
			System.Net.IPAddress ip;
			if (nums == 0)
				ip = new System.Net.IPAddress(aos);
			else
			{
				var bytes = new byte[16];
				for (int i = 0; i < 8; i++)
				{
					ushort v = BitConverter.ToUInt16(Bytes(nums + (ulong)(2 * _ptr) + (ulong)(2 * i), 2));
					bytes[2 * i] = (byte)(v >> 8);
					bytes[2 * i + 1] = (byte)v;
				}
				ip = new System.Net.IPAddress(bytes, aos);
			}
			Str(w, ip.ToString());
			return;
		}
		if (name == "System.Uri")
		{
			ulong s = Ptr(data + (ulong)t.GetFieldByName("_string")!.Offset);
			string text = ReadString(s);
			Str(w, new Uri(text, UriKind.RelativeOrAbsolute).ToString());
			return;
		}
		if (name == "System.Version")
		{
			int F(string f) => I32(data + (ulong)t.GetFieldByName(f)!.Offset);
			int ma = F("_Major"), mi = F("_Minor"), b = F("_Build"), r = F("_Revision");
			var v = b < 0 ? new Version(ma, mi) : r < 0 ? new Version(ma, mi, b) : new Version(ma, mi, b, r);
			Str(w, v.ToString());
			return;
		}
		// F# option: Some x is x (a null reference is None, handled by the caller).
		var val = t.GetFieldByName("value")!;
		Slot(val.Type, val.ElementType, data + (ulong)val.Offset, level - 1, w);
	}

	readonly Dictionary<ClrType, (ClrElementType Under, List<(string Name, ulong Value)> Members)> _enums = new();

	// An enum's underlying type and members, from its metadata (ClrMD's own
	// view needs module pages a heap dump may lack).
	(ClrElementType Under, List<(string Name, ulong Value)> Members) EnumInfo(ClrType t)
	{
		if (_enums.TryGetValue(t, out var info))
			return info;
		var members = new List<(string, ulong)>();
		ClrElementType under = ClrElementType.Int32;
		MetadataReader? md = t.Module != null ? Metadata(t.Module) : null;
		if (md != null && t.MetadataToken != 0)
		{
			var td = md.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(t.MetadataToken & 0xffffff));
			foreach (var fh in td.GetFields())
			{
				var f = md.GetFieldDefinition(fh);
				if ((f.Attributes & System.Reflection.FieldAttributes.Static) == 0)
				{
					var sig = md.GetBlobReader(f.Signature);
					sig.ReadByte(); // FIELD
					under = (ClrElementType)sig.ReadByte();
					continue;
				}
				var ch = f.GetDefaultValue();
				if (ch.IsNil)
					continue;
				var c = md.GetConstant(ch);
				var b = md.GetBlobReader(c.Value);
				ulong v = c.TypeCode switch
				{
					ConstantTypeCode.SByte => (ulong)(long)b.ReadSByte(),
					ConstantTypeCode.Byte => b.ReadByte(),
					ConstantTypeCode.Boolean => b.ReadByte(),
					ConstantTypeCode.Int16 => (ulong)(long)b.ReadInt16(),
					ConstantTypeCode.UInt16 or ConstantTypeCode.Char => b.ReadUInt16(),
					ConstantTypeCode.Int32 => (ulong)(long)b.ReadInt32(),
					ConstantTypeCode.UInt32 => b.ReadUInt32(),
					ConstantTypeCode.Int64 => (ulong)b.ReadInt64(),
					_ => b.ReadUInt64(),
				};
				members.Add((md.GetString(f.Name), v));
			}
		}
		else
		{
			var e = t.AsEnum();
			under = e.ElementType;
			foreach (var (name, value) in e.EnumerateValues())
				members.Add((name, value is ulong u ? u : (ulong)Convert.ToInt64(value, Inv)));
		}
		info = (under, members);
		_enums[t] = info;
		return info;
	}

	static int EnumBits(ClrElementType et) => et switch
	{
		ClrElementType.Int8 or ClrElementType.UInt8 or ClrElementType.Boolean => 8,
		ClrElementType.Int16 or ClrElementType.UInt16 or ClrElementType.Char => 16,
		ClrElementType.Int32 or ClrElementType.UInt32 => 32,
		_ => 64,
	};

	// Like Enum.ToString: the member's name, "A, B" for [Flags], else the number.
	// The members as .NET orders them: their values as the unsigned storage
	// type, sorted with the names by this runtime's own Array.Sort (unstable:
	// it decides which of equal values comes first); a plain value found as
	// Enum finds it (IndexOf up to 32 members, else BinarySearch), a [Flags]
	// value by the last member not above it.
	void Enum(ClrType t, ulong at, TextWriter w)
	{
		var (et, all) = EnumInfo(t);
		int bits = EnumBits(et);
		ulong mask = bits == 64 ? ulong.MaxValue : (1UL << bits) - 1;
		byte[] raw = Bytes(at, bits / 8);
		ulong uv = 0;
		for (int i = raw.Length - 1; i >= 0; i--)
			uv = uv << 8 | raw[i];
		ulong[] vals = all.Select(m => m.Value & mask).ToArray();
		string[] names = all.Select(m => m.Name).ToArray();
		bool sorted = true;
		for (int i = 1; i < vals.Length; i++)
			sorted &= vals[i - 1] <= vals[i];
		if (!sorted)
			System.Array.Sort(vals, names);
		bool flags = IsFlags(t) && uv != 0;
		int exact = -1;
		if (flags)
		{
			for (int i = vals.Length - 1; i >= 0; i--)
				if (vals[i] <= uv)
				{
					exact = vals[i] == uv ? i : -1;
					break;
				}
		}
		else
			exact = vals.Length <= 32 ? System.Array.IndexOf(vals, uv) : Math.Max(-1, System.Array.BinarySearch(vals, uv));
		if (exact >= 0)
		{
			Str(w, names[exact]);
			return;
		}
		if (flags)
		{
			var used = new bool[vals.Length];
			ulong rest = uv;
			for (int i = vals.Length - 1; i >= 0; i--)
				if (vals[i] != 0 && (rest & vals[i]) == vals[i])
				{
					used[i] = true;
					rest &= ~vals[i];
				}
			if (rest == 0)
			{
				Str(w, string.Join(", ", Enumerable.Range(0, vals.Length).Where(i => used[i]).Select(i => names[i])));
				return;
			}
		}
		bool signed = et is ClrElementType.Int8 or ClrElementType.Int16 or ClrElementType.Int32 or ClrElementType.Int64;
		if (signed && bits < 64 && (uv >> (bits - 1) & 1) != 0)
			uv |= ~mask; // sign-extend
		w.Write(signed ? ((long)uv).ToString(Inv) : uv.ToString(Inv));
	}

	bool IsFlags(ClrType t)
	{
		if (_flags.TryGetValue(t, out bool f))
			return f;
		f = false;
		MetadataReader? md = t.Module != null ? Metadata(t.Module) : null;
		if (md != null && t.MetadataToken != 0)
		{
			var td = md.GetTypeDefinition(MetadataTokens.TypeDefinitionHandle(t.MetadataToken & 0xffffff));
			foreach (var ch in td.GetCustomAttributes())
			{
				var ca = md.GetCustomAttribute(ch);
				string name = "";
				if (ca.Constructor.Kind == HandleKind.MemberReference)
				{
					var mr = md.GetMemberReference((MemberReferenceHandle)ca.Constructor);
					if (mr.Parent.Kind == HandleKind.TypeReference)
						name = md.GetString(md.GetTypeReference((TypeReferenceHandle)mr.Parent).Name);
				}
				else if (ca.Constructor.Kind == HandleKind.MethodDefinition)
				{
					var m = md.GetMethodDefinition((MethodDefinitionHandle)ca.Constructor);
					name = md.GetString(md.GetTypeDefinition(m.GetDeclaringType()).Name);
				}
				if (name == "FlagsAttribute")
					f = true;
			}
		}
		_flags[t] = f;
		return f;
	}

	readonly Dictionary<ulong, MetadataReader?> _md = new();
	readonly List<object> _keep = new();

	// A module's metadata: from the dump, else from the file it was loaded from.
	unsafe MetadataReader? Metadata(ClrModule m)
	{
		if (_md.TryGetValue(m.Address, out var r))
			return r;
		r = null;
		byte[]? bytes = null;
		if (m.MetadataAddress != 0 && m.MetadataLength > 0 && m.MetadataLength < 256 << 20)
		{
			var b = new byte[m.MetadataLength];
			if (_mem.Read(m.MetadataAddress, b) == b.Length && b.Length >= 4 && BitConverter.ToUInt32(b) == 0x424A5342)
				bytes = b;
		}
		if (bytes == null && m.Name != null && File.Exists(m.Name))
		{
			using var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(m.Name));
			if (pe.HasMetadata)
				bytes = pe.GetMetadata().GetContent().ToArray();
		}
		if (bytes != null)
		{
			var h = System.Runtime.InteropServices.GCHandle.Alloc(bytes, System.Runtime.InteropServices.GCHandleType.Pinned);
			_keep.Add(h);
			r = new MetadataReader((byte*)h.AddrOfPinnedObject(), bytes.Length);
		}
		_md[m.Address] = r;
		return r;
	}

	// Arrays: JSON arrays, nested by dimension for multi-dimensional ones.
	void Array(ClrObject o, int level, TextWriter w)
	{
		ClrType t = o.Type!;
		ClrType? et = t.ComponentType;
		string name = t.Name ?? "";
		int rank = name.EndsWith("[]", StringComparison.Ordinal) ? 1 : name.Length - name.LastIndexOf('[') - 1;
		uint total = (uint)I32(o.Address + (ulong)_ptr);
		var dims = new int[rank];
		if (rank == 1)
			dims[0] = (int)total;
		else
			for (int d = 0; d < rank; d++)
				dims[d] = I32(o.Address + (ulong)(2 * _ptr) + (ulong)(4 * d));
		ulong first = total == 0 ? 0 : t.GetArrayElementAddress(o.Address, 0);
		int esize = t.ComponentSize;
		ClrElementType cet = et == null ? ClrElementType.Object : et.IsEnum ? ClrElementType.Struct : et.ElementType;
		long index = 0;
		void Dim(int d)
		{
			w.Write('[');
			for (int i = 0; i < dims[d]; i++)
			{
				if (i > 0)
					w.Write(',');
				if (d + 1 < rank)
					Dim(d + 1);
				else
					Slot(et, cet, first + (ulong)(index++ * esize), level, w);
			}
			w.Write(']');
		}
		Dim(0);
	}
}
