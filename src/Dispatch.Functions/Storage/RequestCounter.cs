using Azure.Core;
using Azure.Core.Pipeline;

namespace Dispatch.Functions.Storage;

/// <summary>
/// Counts the storage requests made within one flow of work (a sweep, an intake), whatever else the process is doing
/// at the same time: the figure the sweep's log line and the benchmarks report. A scope begun with
/// <c>record: true</c> also keeps what was sent and answered, in order, so that a test can say which requests came
/// before a commit and which were under way together. Scopes nest: a request counts in the scope it was made in and in
/// every scope around it (a benchmark counts a sweep's requests and, inside it, each step's).
/// </summary>
public sealed class RequestCounter : HttpPipelineSynchronousPolicy
{
    private static readonly AsyncLocal<Scope?> Current = new();

    /// <summary>Counts the requests made until the returned scope is disposed.</summary>
    public static Scope Begin(bool record = false) => Current.Value = new Scope(record, Current.Value);

    public override void OnSendingRequest(HttpMessage message) => Current.Value?.Sent(message);

    public override void OnReceivedResponse(HttpMessage message) => Current.Value?.Answered(message);

    public sealed class Scope : IDisposable
    {
        private readonly List<StorageStep>? steps;
        private readonly Scope? outer;
        private int requests;

        internal Scope(bool record, Scope? outer)
        {
            steps = record ? [] : null;
            this.outer = outer;
        }

        public int Requests => Volatile.Read(ref requests);

        /// <summary>Each request sent and each answer received, in the order they happened (only when recording).</summary>
        public IReadOnlyList<StorageStep> Steps
        {
            get
            {
                if (steps is null)
                {
                    return [];
                }

                lock (steps)
                {
                    return [.. steps];
                }
            }
        }

        public void Dispose() => Current.Value = outer;

        internal void Sent(HttpMessage message)
        {
            Interlocked.Increment(ref requests);
            Record(message, answered: false);
            outer?.Sent(message);
        }

        internal void Answered(HttpMessage message)
        {
            Record(message, answered: true);
            outer?.Answered(message);
        }

        private void Record(HttpMessage message, bool answered)
        {
            if (steps is null)
            {
                return;
            }

            var step = new StorageStep(message.Request.Method.Method, Uri.UnescapeDataString(message.Request.Uri.Path), answered);
            lock (steps)
            {
                steps.Add(step);
            }
        }
    }
}

/// <summary>A storage request sent, or its answer received: its method and its path (table, and keys for one entity), unescaped.</summary>
public sealed record StorageStep(string Method, string Path, bool Answered)
{
    public override string ToString() => $"{(Answered ? "answered" : "sent")} {Method} {Path}";
}
