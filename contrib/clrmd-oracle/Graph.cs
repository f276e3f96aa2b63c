// The object graph as ClrMD sees it, for checking clrheap's refs, roots and
// retained sizes (issue 15):
//
//   refs        "src dst" per outgoing reference (EnumerateReferences, dependent
//               handles included), objects in heap order
//   roots       "kind\taddress\tobject" per root of EnumerateRoots, sorted
//   dominators  "object\tidom\tretained\tdepth" per reachable object, in
//               address order, then "total\t<objects>\t<bytes>"
//
// The dominators are computed with Cooper, Harvey and Kennedy's iterative
// algorithm ("A Simple, Fast Dominance Algorithm"), on purpose not the
// SEMI-NCA clrheap uses, so that the two cannot share a mistake. Everything is
// iterative (real heaps hold reference chains of 400,000 objects) and kept in
// arrays indexed by object number.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using Microsoft.Diagnostics.Runtime;

namespace ClrmdOracle;

static class Graph
{
	// 16 lowercase hex digits without a string per value: refs writes millions.
	static void Hex(char[] buf, int at, ulong v)
	{
		for (int i = 15; i >= 0; i--)
		{
			buf[at + i] = "0123456789abcdef"[(int)(v & 0xf)];
			v >>= 4;
		}
	}

	static string Hex(ulong v)
	{
		var b = new char[16];
		Hex(b, 0, v);
		return new string(b);
	}

	public static int Refs(ClrRuntime rt, TextWriter w)
	{
		var line = new char[34];
		line[16] = ' ';
		line[33] = '\n';
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree)
				continue;
			Hex(line, 0, o.Address);
			foreach (ClrObject r in o.EnumerateReferences(carefully: false, considerDependantHandles: true))
			{
				if (r.Address == 0)
					continue;
				Hex(line, 17, r.Address);
				w.Write(line, 0, line.Length);
			}
		}
		return 0;
	}

	public static int Roots(ClrRuntime rt, TextWriter w)
	{
		var lines = new List<string>();
		foreach (ClrRoot r in rt.Heap.EnumerateRoots())
			lines.Add($"{r.RootKind}\t{Hex(r.Address)}\t{Hex(r.Object.Address)}\n");
		lines.Sort(StringComparer.Ordinal);
		foreach (string l in lines)
			w.Write(l);
		return 0;
	}

	// Grows like List<T> but hands out its array, so the graph needs no copy.
	sealed class Buf<T>
	{
		public T[] A = new T[1 << 16];
		public int N;

		public void Add(T v)
		{
			if (N == A.Length)
				Array.Resize(ref A, checked(A.Length * 2));
			A[N++] = v;
		}
	}

	public static int Dominators(ClrRuntime rt, bool noStack, bool check, TextWriter w)
	{
		var clock = Stopwatch.StartNew();
		// Objects are numbered in heap order; the virtual root is number n. The
		// edges go into one array, object i's at start[i]..start[i+1].
		var addrs = new Buf<ulong>();
		var sizes = new Buf<ulong>();
		var start = new Buf<int>();
		var dst = new Buf<ulong>();
		foreach (ClrObject o in rt.Heap.EnumerateObjects())
		{
			if (o.IsFree)
				continue;
			addrs.Add(o.Address);
			sizes.Add(o.Size);
			start.Add(dst.N);
			foreach (ClrObject r in o.EnumerateReferences(carefully: false, considerDependantHandles: true))
				if (r.Address != 0)
					dst.Add(r.Address);
		}
		int n = addrs.N;
		start.Add(dst.N);
		var rootKinds = new Dictionary<string, int>();
		foreach (ClrRoot r in rt.Heap.EnumerateRoots())
		{
			string k = r.RootKind.ToString();
			rootKinds[k] = rootKinds.GetValueOrDefault(k) + 1;
			if (noStack && r.RootKind == ClrRootKind.Stack)
				continue;
			if (r.Object.Address != 0)
				dst.Add(r.Object.Address);
		}
		start.Add(dst.N);
		int nEdges = start.A[n];
		long tCollect = clock.ElapsedMilliseconds;

		// Addresses to numbers: a sorted copy and the number at each place.
		ulong[] sorted = new ulong[n];
		Array.Copy(addrs.A, sorted, n);
		int[] order = new int[n];
		for (int i = 0; i < n; i++)
			order[i] = i;
		Array.Sort(sorted, order);
		int[] tgt = new int[dst.N];
		long dangling = 0;
		int[] st = start.A;
		{
			// A reference that is not an object start (none are expected) is
			// dropped; compacting in place keeps the offsets right.
			int o = 0;
			for (int v = 0; v <= n; v++)
			{
				int from = st[v], to = st[v + 1];
				st[v] = o;
				for (int e = from; e < to; e++)
				{
					int p = Array.BinarySearch(sorted, dst.A[e]);
					if (p < 0)
						dangling++;
					else
						tgt[o++] = order[p];
				}
			}
			st[n + 1] = o;
		}
		dst = null!;
		int root = n;

		// Postorder from an iterative depth-first search from the virtual root.
		int[] post = new int[n + 1];
		Array.Fill(post, -1);
		int[] byPost = new int[n + 1];
		int cnt = 0;
		{
			int[] stackV = new int[n + 1], stackE = new int[n + 1];
			bool[] seen = new bool[n + 1];
			int sp = 0;
			stackV[sp] = root; stackE[sp] = st[root]; sp++;
			seen[root] = true;
			while (sp > 0)
			{
				int v = stackV[sp - 1], e = stackE[sp - 1];
				if (e < st[v + 1])
				{
					stackE[sp - 1] = e + 1;
					int u = tgt[e];
					if (!seen[u])
					{
						seen[u] = true;
						stackV[sp] = u; stackE[sp] = st[u]; sp++;
					}
				}
				else
				{
					post[v] = cnt;
					byPost[cnt++] = v;
					sp--;
				}
			}
		}
		int N = cnt; // reachable, the virtual root (N-1) included

		// Predecessors, in postorder numbers, for the reachable part only.
		int[] pstart = new int[N + 1];
		for (int v = 0; v <= n; v++)
			if (post[v] >= 0)
				for (int e = st[v]; e < st[v + 1]; e++)
					pstart[post[tgt[e]] + 1]++;
		for (int i = 0; i < N; i++)
			pstart[i + 1] += pstart[i];
		int[] pred = new int[pstart[N]];
		{
			int[] fill = new int[N];
			Array.Copy(pstart, fill, N);
			for (int v = 0; v <= n; v++)
				if (post[v] >= 0)
					for (int e = st[v]; e < st[v + 1]; e++)
						pred[fill[post[tgt[e]]]++] = post[v];
		}

		// Cooper-Harvey-Kennedy: nodes in reverse postorder until nothing
		// changes; the intersection walks up by postorder numbers.
		int[] idom = new int[N];
		Array.Fill(idom, -1);
		idom[N - 1] = N - 1;
		int rounds = 0;
		for (bool changed = true; changed;)
		{
			changed = false;
			rounds++;
			for (int b = N - 2; b >= 0; b--)
			{
				int nd = -1;
				for (int i = pstart[b]; i < pstart[b + 1]; i++)
				{
					int p = pred[i];
					if (idom[p] < 0)
						continue;
					if (nd < 0)
					{
						nd = p;
						continue;
					}
					int f1 = p, f2 = nd;
					while (f1 != f2)
					{
						while (f1 < f2)
							f1 = idom[f1];
						while (f2 < f1)
							f2 = idom[f2];
					}
					nd = f1;
				}
				if (idom[b] != nd)
				{
					idom[b] = nd;
					changed = true;
				}
			}
		}

		// A dominator is a depth-first ancestor, so it has the higher
		// postorder number: one pass upwards sums the subtrees.
		ulong[] retained = new ulong[N];
		ulong reachBytes = 0;
		for (int i = 0; i < N - 1; i++)
		{
			retained[i] += sizes.A[byPost[i]];
			reachBytes += sizes.A[byPost[i]];
			retained[idom[i]] += retained[i];
		}

		// Breadth-first depth: root objects 0, the virtual root -1.
		int[] depth = new int[n + 1];
		Array.Fill(depth, int.MinValue);
		{
			int[] q = new int[n + 1];
			int qh = 0, qt = 0;
			depth[root] = -1;
			q[qt++] = root;
			while (qh < qt)
			{
				int v = q[qh++];
				for (int e = st[v]; e < st[v + 1]; e++)
				{
					int u = tgt[e];
					if (depth[u] == int.MinValue)
					{
						depth[u] = depth[v] + 1;
						q[qt++] = u;
					}
				}
			}
		}
		long tSolve = clock.ElapsedMilliseconds;

		var line = new char[16 + 1 + 16 + 1];
		line[16] = '\t';
		line[33] = '\t';
		for (int p = 0; p < n; p++)
		{
			int v = order[p];
			int pv = post[v];
			if (pv < 0)
				continue;
			int d = byPost[idom[pv]];
			Hex(line, 0, addrs.A[v]);
			Hex(line, 17, d == root ? 0 : addrs.A[d]);
			w.Write(line, 0, line.Length);
			w.Write(retained[pv]);
			w.Write('\t');
			w.Write(depth[v]);
			w.Write('\n');
		}
		w.Write($"total\t{N - 1}\t{retained[N - 1]}\n");

		var kinds = new List<string>();
		foreach (var kv in rootKinds)
			kinds.Add($"{kv.Key} {kv.Value}");
		kinds.Sort(StringComparer.Ordinal);
		Console.Error.WriteLine($"clrmd-oracle: {n} objects, {nEdges} references, roots: {string.Join(", ", kinds)}" +
			$"{(noStack ? " (stack left out)" : "")}; {N - 1} reachable, {reachBytes} bytes; {rounds} rounds;" +
			$" {tCollect} ms reading, {tSolve - tCollect} ms solving");
		if (dangling > 0)
			Console.Error.WriteLine($"clrmd-oracle: {dangling} references or roots to no object start, left out");
		if (check)
			return Check(n, st, tgt, post, byPost, idom, retained, reachBytes) ? 0 : 1;
		return 0;
	}

	// Checks the tree against the graph without trusting the algorithm: the
	// root's retained bytes are all reachable bytes; for every edge u->v the
	// idom of v is u or a tree ancestor of u (so every tree ancestor of v lies
	// on each root path to v); and for a sample of objects, taking the idom
	// out of the graph leaves the object unreachable.
	static bool Check(int n, int[] st, int[] tgt, int[] post, int[] byPost, int[] idom, ulong[] retained, ulong reachBytes)
	{
		int N = idom.Length;
		bool ok = true;
		if (retained[N - 1] != reachBytes)
		{
			Console.Error.WriteLine($"check: root retains {retained[N - 1]}, reachable bytes {reachBytes}");
			ok = false;
		}
		// Pre/post intervals of the dominator tree, from its child lists.
		int[] cstart = new int[N + 1];
		for (int i = 0; i < N - 1; i++)
			cstart[idom[i] + 1]++;
		for (int i = 0; i < N; i++)
			cstart[i + 1] += cstart[i];
		int[] child = new int[N - 1];
		{
			int[] fill = new int[N];
			Array.Copy(cstart, fill, N);
			for (int i = 0; i < N - 1; i++)
				child[fill[idom[i]]++] = i;
		}
		int[] pre = new int[N], last = new int[N];
		{
			int[] sv = new int[N], se = new int[N];
			int sp = 0, c = 0;
			sv[0] = N - 1; se[0] = cstart[N - 1]; sp = 1;
			pre[N - 1] = c++;
			while (sp > 0)
			{
				int v = sv[sp - 1], e = se[sp - 1];
				if (e < cstart[v + 1])
				{
					se[sp - 1] = e + 1;
					int u = child[e];
					pre[u] = c++;
					sv[sp] = u; se[sp] = cstart[u]; sp++;
				}
				else
				{
					last[v] = c - 1;
					sp--;
				}
			}
			if (c != N)
			{
				Console.Error.WriteLine($"check: the tree spans {c} of {N} nodes");
				ok = false;
			}
		}
		long bad = 0, edges = 0;
		for (int v = 0; v <= n; v++)
		{
			int pu = post[v];
			if (pu < 0)
				continue;
			for (int e = st[v]; e < st[v + 1]; e++)
			{
				int pw = post[tgt[e]];
				int d = idom[pw];
				edges++;
				if (pw != N - 1 && !(pre[d] <= pre[pu] && pre[pu] <= last[d]))
					bad++;
			}
		}
		if (bad > 0)
		{
			Console.Error.WriteLine($"check: {bad} of {edges} references u->v where idom(v) is not above u");
			ok = false;
		}
		// Sample: objects whose idom is an object, spread over postorder.
		var rnd = new Random(15);
		int tried = 0, failed = 0;
		bool[] seen = new bool[n + 1];
		int[] q = new int[n + 1];
		for (int k = 0; k < 200 && tried < 25; k++)
		{
			int x = rnd.Next(N - 1);
			if (idom[x] == N - 1)
				continue;
			tried++;
			int cut = byPost[idom[x]], target = byPost[x];
			Array.Clear(seen);
			int qh = 0, qt = 0;
			q[qt++] = n;
			seen[n] = true;
			seen[cut] = true;
			bool found = false;
			while (qh < qt && !found)
			{
				int v = q[qh++];
				for (int e = st[v]; e < st[v + 1]; e++)
				{
					int u = tgt[e];
					if (seen[u])
						continue;
					if (u == target)
					{
						found = true;
						break;
					}
					seen[u] = true;
					q[qt++] = u;
				}
			}
			if (found)
				failed++;
		}
		if (failed > 0)
		{
			Console.Error.WriteLine($"check: {failed} of {tried} sampled objects reachable without their idom");
			ok = false;
		}
		Console.Error.WriteLine($"check: {(ok ? "ok" : "FAILED")} ({edges} references, {tried} objects cut off from their idom)");
		return ok;
	}
}
