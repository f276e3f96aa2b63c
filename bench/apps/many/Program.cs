// A large heap for the benchmark: N objects of mixed types (default 10
// million), all kept alive, then "READY <pid>" and a wait to be dumped.
using System;
using System.Collections.Generic;

namespace Bench;

public sealed class Order
{
	public long Id;
	public string Customer;
	public decimal Amount;
	public DateTime When;
	public Line[] Lines;
}

public readonly record struct Line(int Sku, int Qty);

public sealed class Node<T>
{
	public T Value;
	public Node<T> Next;
}

public static class Program
{
	static readonly List<object> Roots = new List<object>();

	public static void Main(string[] args)
	{
		long n = args.Length > 0 ? long.Parse(args[0]) : 10_000_000;
		// Per 10 objects: 3 Orders, 3 strings, 2 Line[] arrays, 1 Node<int>, 1 boxed int.
		var orders = new Order[n * 3 / 10];
		var names = new string[] { "alpha", "beta", "gamma", "delta" };
		Node<int> list = null;
		var boxes = new object[n / 10];
		for (long i = 0; i < orders.Length; i++) {
			var o = new Order { Id = i, Amount = i * 1.25m, When = new DateTime(2026, 1, 1).AddSeconds(i) };
			o.Customer = names[i % 4] + "-" + (i % 100000).ToString();
			if (i % 3 != 0)
				o.Lines = new[] { new Line((int)i, 1), new Line((int)i + 1, 2) };
			orders[i] = o;
			if (i % 3 == 0)
				list = new Node<int> { Value = (int)i, Next = list };
		}
		for (long i = 0; i < boxes.Length; i++)
			boxes[i] = (object)(int)i;
		Roots.Add(orders);
		Roots.Add(list);
		Roots.Add(boxes);
		GC.Collect(2, GCCollectionMode.Forced, true, true);
		GC.WaitForPendingFinalizers();
		GC.Collect(2, GCCollectionMode.Forced, true, true);
		Console.WriteLine("READY " + Environment.ProcessId);
		Console.Out.Flush();
		Console.In.ReadLine();
		GC.KeepAlive(Roots);
	}
}
