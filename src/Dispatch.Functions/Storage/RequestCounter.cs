using Azure.Core;
using Azure.Core.Pipeline;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Counts the storage requests made within one flow of work (a sweep), whatever else the process is doing
/// at the same time: the figure the sweep's log line and the benchmarks report.
/// </summary>
public sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private static readonly AsyncLocal<Scope?> Current = new();

    /// <summary>Counts the requests made until the returned scope is disposed.</summary>
    public static Scope Begin() => Current.Value = new Scope();

    public override void OnSendingRequest(HttpMessage message) => Current.Value?.Add();

    public sealed class Scope : IDisposable
    {
        private int requests;

        public int Requests => Volatile.Read(ref requests);

        public void Dispose() => Current.Value = null;

        internal void Add() => Interlocked.Increment(ref requests);
    }
}
