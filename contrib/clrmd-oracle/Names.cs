// Type names in ClrMD's own style (DESIGN.md §3), for the few types whose
// name ClrMD hands over in the runtime's reflection form instead:
//   System.Lazy`1[[System.Collections.Generic.KeyValuePair`2[[System.Int32, System.Private.CoreLib],
//     [NuGet.Frameworks.NuGetFramework[], NuGet.Frameworks]][], System.Private.CoreLib]]
// is written
//   System.Lazy<System.Collections.Generic.KeyValuePair<System.Int32, NuGet.Frameworks.NuGetFramework[]>[]>
// as ClrMD names every other instantiation. Seen on an MSBuild node's heap,
// for generic instantiations over types of an assembly loaded twice.
using System;
using System.Collections.Generic;
using System.Text;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Names
{
	static readonly Dictionary<ClrType, string> Cache = new();

	// The ClrMD-style name of t ("" when it has none).
	public static string Of(ClrType? t)
	{
		if (t == null)
			return "";
		if (Cache.TryGetValue(t, out var n))
			return n;
		n = Normalize(t.Name ?? "");
		Cache[t] = n;
		return n;
	}

	public static string Normalize(string name)
	{
		if (name.IndexOf('`') < 0 || name.IndexOf("[[", StringComparison.Ordinal) < 0)
			return name;
		try
		{
			int i = 0;
			string s = Parse(name, ref i);
			return i == name.Length ? s : name;
		}
		catch (FormatException)
		{
			return name;
		}
	}

	// One type at name[i]: Outer`1+Inner`1[[A, asm],[B, asm]][] and so on.
	static string Parse(string s, ref int i)
	{
		int start = i;
		while (i < s.Length && s[i] != '[' && s[i] != ']' && s[i] != ',')
			i++;
		string head = s.Substring(start, i - start);
		var args = new List<string>();
		if (i + 1 < s.Length && s[i] == '[' && s[i + 1] == '[')
		{
			i++; // the list's '['
			while (true)
			{
				if (i >= s.Length || s[i] != '[')
					throw new FormatException();
				i++;
				args.Add(Parse(s, ref i));
				SkipAssembly(s, ref i);
				if (i >= s.Length || s[i] != ']')
					throw new FormatException();
				i++;
				if (i < s.Length && s[i] == ',')
				{
					i++;
					continue;
				}
				if (i < s.Length && s[i] == ']')
				{
					i++;
					break;
				}
				throw new FormatException();
			}
		}
		var sb = new StringBuilder();
		int used = 0;
		foreach (string part in head.Split('+'))
		{
			if (sb.Length > 0)
				sb.Append('+');
			int tick = part.IndexOf('`');
			if (tick < 0)
			{
				sb.Append(part);
				continue;
			}
			int arity = int.Parse(part.AsSpan(tick + 1));
			sb.Append(part, 0, tick);
			if (used + arity > args.Count)
				throw new FormatException();
			sb.Append('<').Append(string.Join(", ", args.GetRange(used, arity))).Append('>');
			used += arity;
		}
		if (used != args.Count)
			throw new FormatException();
		// array suffixes: [] [,] [*]
		while (i < s.Length && s[i] == '[' && (i + 1 >= s.Length || s[i + 1] != '['))
		{
			int close = s.IndexOf(']', i);
			if (close < 0)
				throw new FormatException();
			sb.Append(s, i, close - i + 1);
			i = close + 1;
		}
		return sb.ToString();
	}

	// ", Assembly, Version=…, Culture=…, PublicKeyToken=…" up to the ']'.
	static void SkipAssembly(string s, ref int i)
	{
		if (i < s.Length && s[i] == ',')
			while (i < s.Length && s[i] != ']')
				i++;
	}

	// "A.B<X, Y<Z>>+C<W>" -> "A.B+C": the name without generic arguments.
	public static string Definition(string name)
	{
		var sb = new StringBuilder(name.Length);
		int depth = 0;
		foreach (char c in name)
		{
			if (c == '<')
				depth++;
			else if (c == '>')
				depth--;
			else if (depth == 0)
				sb.Append(c);
		}
		return sb.ToString();
	}

	// The generic arguments of the outermost '<…>' of a name: "D<K, V<W>>" -> [K, V<W>].
	public static List<string> Arguments(string name)
	{
		var args = new List<string>();
		int open = name.IndexOf('<');
		if (open < 0)
			return args;
		int depth = 0, start = open + 1;
		for (int i = open; i < name.Length; i++)
		{
			char c = name[i];
			if (c == '<')
				depth++;
			else if (c == '>')
			{
				if (--depth == 0)
				{
					args.Add(name.Substring(start, i - start).Trim());
					break;
				}
			}
			else if (c == ',' && depth == 1)
			{
				args.Add(name.Substring(start, i - start).Trim());
				start = i + 1;
			}
		}
		return args;
	}
}
