using System.Diagnostics;
using System.Text.Json;
using Azure.Messaging.ServiceBus;
using Dispatch.Chief;
using Dispatch.Contracts;
using OpenTelemetry.Trace;

DeskOptions options;
try
{
    options = DeskOptions.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException e)
{
    await Console.Error.WriteLineAsync($"{e.Message}\n{DeskOptions.Usage}");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

await using var client = options.CreateClient();
await using var processor = client.CreateProcessor(EscalationTopic.Name, options.Subscription, new ServiceBusProcessorOptions
{
    ReceiveMode = ServiceBusReceiveMode.PeekLock,
    AutoCompleteMessages = false,
    MaxConcurrentCalls = 1,
});

using var api = new HttpClient { BaseAddress = new Uri(options.Api) };
var token = options.TokenSource(Directory.GetCurrentDirectory(), NodaTime.SystemClock.Instance);
var desk = options.Json
    ? (IDesk)new JsonDesk(Console.Out)
    : new BoardDesk(options, board => new AcknowledgeClient(api, token, () => board.Words), new ClockEnds(api, token), TimeProvider.System,
        StationZone.WaitAsync(api, TimeSpan.FromSeconds(3), stop.Token));
// The desk continues the trace the message carries (W3C traceparent), exported when OTEL_EXPORTER_OTLP_ENDPOINT is set.
using var desksSource = new ActivitySource("Dispatch.Chief");
using var tracing = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 }
    ? OpenTelemetry.Sdk.CreateTracerProviderBuilder().AddSource("Dispatch.Chief").AddOtlpExporter().Build()
    : null;
processor.ProcessMessageAsync += async args =>
{
    var parent = args.Message.ApplicationProperties.TryGetValue(MessageProperties.TraceParent, out var traceparent) && traceparent is string text
        && ActivityContext.TryParse(text, null, out var context) ? context : default;
    using var activity = desksSource.StartActivity("Dispatch.Chief receive", ActivityKind.Consumer, parent);
    activity?.SetTag("messaging.message.id", args.Message.MessageId);
    var isReport = args.Message.ApplicationProperties.TryGetValue(MessageProperties.Kind, out var kind) && kind as string == EscalationTopic.ReportKind;
    Task shown;
    try
    {
        // Completed only after it has been shown: a desk that dies before then gets it again after the lock.
        shown = isReport
            ? desk.ShowReportAsync(ShiftReportMessage.Parse(args.Message.Body.ToMemory().Span), args.CancellationToken)
            : desk.ShowAsync(EscalationMessage.Parse(args.Message.Body.ToMemory().Span), args.Message, args.CancellationToken);
    }
    catch (JsonException e)
    {
        await args.DeadLetterMessageAsync(args.Message, isReport ? "UnreadableReport" : "UnreadableEscalation", e.Message, args.CancellationToken);
        return;
    }

    await shown;
    await args.CompleteMessageAsync(args.Message, args.CancellationToken);
};
processor.ProcessErrorAsync += args =>
{
    desk.Error($"{args.ErrorSource}: {args.Exception.Message}");
    return Task.CompletedTask;
};

await processor.StartProcessingAsync(stop.Token);
try
{
    await desk.RunAsync(stop.Token);
}
catch (OperationCanceledException)
{
    // Ctrl+C.
}

await processor.StopProcessingAsync();
return 0;
