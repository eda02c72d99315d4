using Dispatch.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NCrontab;

namespace Dispatch.LocalHost;

/// <summary>
/// Fires timer functions on their NCRONTAB schedules (six fields, with seconds, as the Functions host
/// reads them), one invocation at a time per function, like the host's singleton timer lock.
/// </summary>
public sealed partial class TimerScheduler(IServiceScopeFactory scopes, TimeProvider time, ILogger<TimerScheduler> logger) : BackgroundService
{
    private readonly List<(TimerFunction Function, CrontabSchedule Schedule)> timers = [];

    public void Add(TimerFunction function)
    {
        var schedule = CrontabSchedule.TryParse(function.Schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
            ?? throw new InvalidOperationException($"Function {function.Name}: '{function.Schedule}' is not an NCRONTAB schedule with seconds (e.g. */5 * * * * *).");
        timers.Add((function, schedule));
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(timers.Select(t => RunAsync(t.Function, t.Schedule, stoppingToken)));

    private async Task RunAsync(TimerFunction function, CrontabSchedule schedule, CancellationToken stoppingToken)
    {
        var last = time.GetUtcNow().UtcDateTime;
        while (!stoppingToken.IsCancellationRequested)
        {
            var next = schedule.GetNextOccurrence(last);
            var wait = next - time.GetUtcNow().UtcDateTime;
            try
            {
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }

                var info = new TimerInfo
                {
                    ScheduleStatus = new ScheduleStatus { Last = last, Next = schedule.GetNextOccurrence(next), LastUpdated = time.GetUtcNow().UtcDateTime },
                    IsPastDue = wait < -TimeSpan.FromSeconds(1),
                };
                await InvokeAsync(function, info, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // As under the Functions host: a failed run is logged and the schedule goes on.
                LogTimerFailed(logger, e, function.Name);
            }

            // Skip occurrences missed while the function ran, as the host does.
            last = next > time.GetUtcNow().UtcDateTime ? next : time.GetUtcNow().UtcDateTime;
        }
    }

    private async Task InvokeAsync(TimerFunction function, TimerInfo info, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var method = function.Method;
        var instance = method.IsStatic ? null : FunctionActivator.Create(method.DeclaringType!, scope.ServiceProvider);
        var arguments = method.GetParameters()
            .Select(p => p.ParameterType == typeof(TimerInfo) ? info : (object)cancellationToken)
            .ToArray();
        if (method.Invoke(instance, arguments) is Task task)
        {
            await task;
        }
    }

    [LoggerMessage(3001, LogLevel.Error, "Timer function {Function} failed")]
    private static partial void LogTimerFailed(ILogger logger, Exception exception, string function);
}
