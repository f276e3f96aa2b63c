// methods: what ClrMD (through the DAC) says each delegate calls and each
// reflection method object stands for, to check clrheap's method names.
//
//   clrmd-oracle methods DUMP
//
// One tab-separated line per object, sorted by kind then address:
//   delegate <addr> <method or -> <methodDesc or ->
//   handle   <addr> <method or -> <methodDesc>  <m_name or ->
// addr is the object's (16 hex digits). A delegate's method is
// ClrDelegate.GetDelegateTarget (GetMethodByInstructionPointer of
// _methodPtr, else _methodPtrAux); a handle line is a RuntimeMethodInfo or
// RuntimeConstructorInfo whose m_handle GetMethodByHandle names. A method
// is written "<declaring type>.<name>", the type as Names.Of gives it.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Methods
{
	static string Hex(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);

	static string Name(ClrMethod? m) =>
		m == null ? "-" : Names.Of(m.Type) + "." + MethodName(m.Name ?? "?");

	// A generic method's instantiation, "Empty[[Zoo.Animal, zoo]]", in
	// ClrMD's type style: "Empty<Zoo.Animal>".
	static string MethodName(string n)
	{
		int b = n.IndexOf("[[", StringComparison.Ordinal);
		if (b <= 0)
			return n;
		for (int arity = 1; arity <= 16; arity++)
		{
			string t = "M`" + arity.ToString(CultureInfo.InvariantCulture) + n.Substring(b);
			string u = Names.Normalize(t);
			if (u != t)
				return n.Substring(0, b) + u.Substring(1);
		}
		return n;
	}

	// What clrheap's "$method" of a delegate or a RuntimeMethodInfo /
	// RuntimeConstructorInfo should be (null where it leaves it out).
	public static string? Of(ClrRuntime rt, ClrObject o)
	{
		ClrMethod? m = null;
		if (o.IsDelegate)
		{
			try { m = o.AsDelegate().GetDelegateTarget()?.Method; } catch (InvalidOperationException) { }
		}
		else if (o.Type?.Name is "System.Reflection.RuntimeMethodInfo" or "System.Reflection.RuntimeConstructorInfo" &&
			 o.TryReadField("m_handle", out nuint h) && h != 0)
		{
			m = rt.GetMethodByHandle((ulong)h);
		}
		return m == null ? null : Name(m);
	}

	public static int Run(ClrRuntime rt, TextWriter w)
	{
		var lines = new List<(int, ulong, string)>();
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			ClrType? t = o.Type;
			if (t == null || o.IsFree)
				continue;
			if (o.IsDelegate)
			{
				ClrDelegateTarget? d = null;
				try { d = o.AsDelegate().GetDelegateTarget(); } catch (InvalidOperationException) { }
				ClrMethod? m = d?.Method;
				lines.Add((0, o.Address, $"delegate\t{Hex(o.Address)}\t{Name(m)}\t{(m == null ? "-" : Hex(m.MethodDesc))}"));
			}
			else if (t.Name == "System.Reflection.RuntimeMethodInfo" ||
				 t.Name == "System.Reflection.RuntimeConstructorInfo")
			{
				if (!o.TryReadField("m_handle", out nuint h) || h == 0)
					continue;
				ClrMethod? m = rt.GetMethodByHandle((ulong)h);
				string? mn = null;
				if (o.TryReadStringField("m_name", null, out string? s))
					mn = s;
				lines.Add((1, o.Address, $"handle\t{Hex(o.Address)}\t{Name(m)}\t{Hex((ulong)h)}\t{mn ?? "-"}"));
			}
		}
		lines.Sort((a, b) => a.Item1 != b.Item1 ? a.Item1.CompareTo(b.Item1) : a.Item2.CompareTo(b.Item2));
		foreach (var l in lines)
			w.WriteLine(l.Item3);
		return 0;
	}
}
