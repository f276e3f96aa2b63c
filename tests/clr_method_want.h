/* clr_method_want.h - what ClrMD (through the runtime's DAC) says about
 * the methods of the fixture dumps, for tests/test_clr_method.c: every
 * delegate's method (ClrDelegate.GetDelegateTarget) and every
 * RuntimeMethodInfo's m_handle (ClrRuntime.GetMethodByHandle), by object
 * address. Written from the output of
 *   clrmd-oracle methods DUMP          (contrib/clrmd-oracle/Methods.cs)
 * one line a row: handle (0 delegate, 1 RuntimeMethodInfo), address, name. */
#ifndef CLRHEAP_TEST_CLR_METHOD_WANT_H
#define CLRHEAP_TEST_CLR_METHOD_WANT_H

#include <stdint.h>

struct want {
	int handle;
	uint64_t addr;
	const char *name;
};

static const struct want w_zoo_heap[] = {
	{ 0, 0x7f5e8d000868ull, "System.ConsolePal+<>c.<.cctor>b__119_0" },
	{ 0, 0x7f5e8d000dd8ull, "System.ConsolePal+<>c.<EnsureInitializedCore>b__108_0" },
	{ 0, 0x7f5e8d8002f8ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__288_0" },
	{ 0, 0x7f5e8fc08f00ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f5e8fc09360ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f5e8fc094b8ull, "System.Diagnostics.Tracing.EventSourceInitHelper.GetMetricsEventSource" },
	{ 0, 0x7f5e8fc108c0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f5e8fc10d60ull, "System.Buffers.SharedArrayPool<System.Boolean>+<>c.<InitializeTlsBucketsAndTrimming>b__11_0" },
	{ 0, 0x7f5e8fc115c0ull, "Zoo.Support.Threads.WorkerMain" },
	{ 0, 0x7f5e8fc116f0ull, "System.Threading.ManualResetEventSlim.CancellationTokenCallback" },
	{ 0, 0x7f5e8fc14760ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f5e8fc148f0ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f5e8fc14a68ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 1, 0x7f5e8fc143e0ull, "System.Array.Empty" },
	{ 1, 0x7f5e8fc14530ull, "System.Array.Empty<Zoo.Animal>" },
	{ 1, 0x7f5e8fc147b8ull, "System.Array.Empty<Zoo.Color>" },
	{ 1, 0x7f5e8fc14930ull, "System.Array.Empty<Zoo.Point>" },
};
static const struct want w_zoo_net8_full[] = {
	{ 0, 0x7f3f96800a78ull, "System.ConsolePal+<>c.<.cctor>b__114_0" },
	{ 0, 0x7f3f98c06738ull, "System.Diagnostics.Tracing.XplatEventLogger+<>c.<.cctor>b__15_0" },
	{ 0, 0x7f3f98c067d8ull, "System.Diagnostics.Tracing.XplatEventLogger+<>c.<.cctor>b__15_1" },
	{ 0, 0x7f3f98c0e3d0ull, "Zoo.Support.Threads.WorkerMain" },
	{ 0, 0x7f3f98c0f230ull, "System.Threading.ManualResetEventSlim.CancellationTokenCallback" },
	{ 0, 0x7f3f98c113a0ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f3f98c11530ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f3f98c116a8ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f3f98c11df8ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__281_0" },
	{ 0, 0x7f3f98c127c8ull, "System.Buffers.SharedArrayPool<System.Char>+<>c.<InitializeTlsBucketsAndTrimming>b__11_0" },
	{ 1, 0x7f3f98c11020ull, "System.Array.Empty" },
	{ 1, 0x7f3f98c11170ull, "System.Array.Empty<Zoo.Animal>" },
	{ 1, 0x7f3f98c113f8ull, "System.Array.Empty<Zoo.Color>" },
	{ 1, 0x7f3f98c11570ull, "System.Array.Empty<Zoo.Point>" },
};
static const struct want w_zoo_net9_full[] = {
	{ 0, 0x7f77be000860ull, "System.ConsolePal+<>c.<.cctor>b__119_0" },
	{ 0, 0x7f77be8002f8ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__292_0" },
	{ 0, 0x7f77c0c074c0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f77c0c07920ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f77c0c07a78ull, "System.Diagnostics.Tracing.EventSourceInitHelper.GetMetricsEventSource" },
	{ 0, 0x7f77c0c0f028ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f77c0c0f4c8ull, "System.Buffers.SharedArrayPool<System.Boolean>+<>c.<InitializeTlsBucketsAndTrimming>b__11_0" },
	{ 0, 0x7f77c0c0fdb8ull, "Zoo.Support.Threads.WorkerMain" },
	{ 0, 0x7f77c0c0fee8ull, "System.Threading.ManualResetEventSlim.CancellationTokenCallback" },
	{ 0, 0x7f77c0c12f28ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f77c0c130b8ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f77c0c13230ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 1, 0x7f77c0c12ba8ull, "System.Array.Empty" },
	{ 1, 0x7f77c0c12cf8ull, "System.Array.Empty<Zoo.Animal>" },
	{ 1, 0x7f77c0c12f80ull, "System.Array.Empty<Zoo.Color>" },
	{ 1, 0x7f77c0c130f8ull, "System.Array.Empty<Zoo.Point>" },
};
static const struct want w_zoo_win_x64_full[] = {
	{ 0, 0x7ef8264002f8ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__288_0" },
	{ 0, 0x7ef8288078f0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7ef828807d98ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7ef828807f38ull, "System.Diagnostics.Tracing.EventSourceInitHelper.GetMetricsEventSource" },
	{ 0, 0x7ef82880f400ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7ef82880f8e8ull, "System.Buffers.SharedArrayPool<System.Boolean>+<>c.<InitializeTlsBucketsAndTrimming>b__11_0" },
	{ 0, 0x7ef828810148ull, "Zoo.Support.Threads.WorkerMain" },
	{ 0, 0x7ef828810278ull, "System.Threading.ManualResetEventSlim.CancellationTokenCallback" },
	{ 0, 0x7ef828813288ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7ef828813418ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7ef828813590ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 1, 0x7ef828812f08ull, "System.Array.Empty" },
	{ 1, 0x7ef828813058ull, "System.Array.Empty<Zoo.Animal>" },
	{ 1, 0x7ef8288132e0ull, "System.Array.Empty<Zoo.Color>" },
	{ 1, 0x7ef828813458ull, "System.Array.Empty<Zoo.Point>" },
};
static const struct want w_zoo_net8_win_x64_full[] = {
	{ 0, 0x7f9aa780e5c0ull, "Zoo.Support.Threads.WorkerMain" },
	{ 0, 0x7f9aa780f438ull, "System.Threading.ManualResetEventSlim.CancellationTokenCallback" },
	{ 0, 0x7f9aa78115a8ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f9aa7811738ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f9aa78118b0ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f9aa7812028ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__281_0" },
	{ 0, 0x7f9aa7814270ull, "System.Buffers.SharedArrayPool<System.Char>+<>c.<InitializeTlsBucketsAndTrimming>b__11_0" },
	{ 1, 0x7f9aa7811228ull, "System.Array.Empty" },
	{ 1, 0x7f9aa7811378ull, "System.Array.Empty<Zoo.Animal>" },
	{ 1, 0x7f9aa7811600ull, "System.Array.Empty<Zoo.Color>" },
	{ 1, 0x7f9aa7811778ull, "System.Array.Empty<Zoo.Point>" },
};
static const struct want w_zoo_net9_win_x64_full[] = {
	{ 0, 0x7f614f800158ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__292_0" },
	{ 0, 0x7f6152407738ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7f6152407be0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7f6152407d80ull, "System.Diagnostics.Tracing.EventSourceInitHelper.GetMetricsEventSource" },
	{ 0, 0x7f615240f3f8ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7f615240f8e0ull, "System.Buffers.SharedArrayPool<System.Boolean>+<>c.<InitializeTlsBucketsAndTrimming>b__11_0" },
	{ 0, 0x7f61524101d0ull, "Zoo.Support.Threads.WorkerMain" },
	{ 0, 0x7f6152411198ull, "System.Threading.ManualResetEventSlim.CancellationTokenCallback" },
	{ 0, 0x7f61524131e0ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f6152413370ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f61524134e8ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 1, 0x7f6152412e60ull, "System.Array.Empty" },
	{ 1, 0x7f6152412fb0ull, "System.Array.Empty<Zoo.Animal>" },
	{ 1, 0x7f6152413238ull, "System.Array.Empty<Zoo.Color>" },
	{ 1, 0x7f61524133b0ull, "System.Array.Empty<Zoo.Point>" },
};
static const struct want w_visits_heap[] = {
	{ 0, 0x7f362fc08f90ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f362fc093f0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f362fc09548ull, "System.Diagnostics.Tracing.EventSourceInitHelper.GetMetricsEventSource" },
	{ 0, 0x7f362fcfe010ull, "<StartupCode$FSharp-Core>.$Async+clo@193-1.Invoke" },
	{ 0, 0x7f362fcfea00ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f362fcfeb90ull, "System.Threading.ThreadPool+<>c.<.cctor>b__48_0" },
	{ 0, 0x7f362fcfeeb0ull, "System.Threading.PortableThreadPool+WorkerThread+<>c.<.cctor>b__16_0" },
	{ 0, 0x7f362fcff048ull, "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart" },
	{ 0, 0x7f362fcff0d0ull, "System.Threading.PortableThreadPool+GateThread.GateThreadStart" },
	{ 0, 0x7f362fcff2c0ull, "<StartupCode$FSharp-Core>.$Async+clo@193-1.Invoke" },
	{ 0, 0x7f362fd004a0ull, "Microsoft.FSharp.Control.AsyncPrimitives+AttachContinuationToTask@1251<System.__Canon>.Invoke" },
	{ 0, 0x7f362fd00568ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__288_0" },
	{ 0, 0x7f362fd007a8ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__101_0" },
	{ 0, 0x7f362fd01ed0ull, "Microsoft.FSharp.Control.AsyncPrimitives+AttachContinuationToTask@1251<System.__Canon>.Invoke" },
	{ 0, 0x7f362fd02010ull, "System.Threading.PortableThreadPool.OnGen2GCCallback" },
	{ 0, 0x7f362fd11d58ull, "System.Threading.CancellationTokenSource.TimerCallback" },
	{ 0, 0x7f362fd12948ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f362fd12ac0ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7f362fd131a0ull, "System.ConsolePal+<>c.<.cctor>b__119_0" },
	{ 0, 0x7f362fd136d8ull, "System.ConsolePal+<>c.<EnsureInitializedCore>b__108_0" },
	{ 1, 0x7f362fd11468ull, "System.Array.Empty" },
	{ 1, 0x7f362fd12700ull, "System.Array.Empty<Bugfree.Spo.Analytics.Cli.Agents+LoggerMessage>" },
	{ 1, 0x7f362fd12988ull, "System.Array.Empty<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>" },
};
static const struct want w_visits_win_x64_full[] = {
	{ 0, 0x7effc0c07ef8ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7effc0c083a0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7effc0c08540ull, "System.Diagnostics.Tracing.EventSourceInitHelper.GetMetricsEventSource" },
	{ 0, 0x7effc0cfd0d0ull, "<StartupCode$FSharp-Core>.$Async+clo@193-1.Invoke" },
	{ 0, 0x7effc0cfdac0ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7effc0cfdd20ull, "System.Threading.ThreadPool+<>c.<.cctor>b__57_0" },
	{ 0, 0x7effc0cfe078ull, "System.Threading.PortableThreadPool+WorkerThread+<>c.<.cctor>b__16_0" },
	{ 0, 0x7effc0cfe180ull, "System.Threading.PortableThreadPool+WorkerThread.WorkerThreadStart" },
	{ 0, 0x7effc0cfe208ull, "System.Threading.PortableThreadPool+GateThread.GateThreadStart" },
	{ 0, 0x7effc0cfe3f8ull, "<StartupCode$FSharp-Core>.$Async+clo@193-1.Invoke" },
	{ 0, 0x7effc0cfea08ull, "System.Threading.PortableThreadPool.OnGen2GCCallback" },
	{ 0, 0x7effc0cff130ull, "Microsoft.FSharp.Control.AsyncPrimitives+AttachContinuationToTask@1251<System.__Canon>.Invoke" },
	{ 0, 0x7effc0cff358ull, "System.Diagnostics.Tracing.EventSource.<Initialize>b__100_0" },
	{ 0, 0x7effc0d0f4c8ull, "Microsoft.FSharp.Control.AsyncPrimitives+AttachContinuationToTask@1251<System.__Canon>.Invoke" },
	{ 0, 0x7effc0d0f590ull, "System.Threading.Tasks.Task+<>c.<.cctor>b__288_0" },
	{ 0, 0x7effc0d10ed0ull, "System.Threading.CancellationTokenSource.TimerCallback" },
	{ 0, 0x7effc0d11ac0ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 0, 0x7effc0d11c38ull, "System.Reflection.MethodBaseInvoker.InterpretedInvoke_Method" },
	{ 1, 0x7effc0d0ed78ull, "System.Array.Empty" },
	{ 1, 0x7effc0d11878ull, "System.Array.Empty<Bugfree.Spo.Analytics.Cli.Agents+LoggerMessage>" },
	{ 1, 0x7effc0d11b00ull, "System.Array.Empty<Bugfree.Spo.Analytics.Cli.Agents+VisitorMessage>" },
};

#endif
