using System.Diagnostics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Dispatch.Functions.Operations;

/// <summary>
/// Traces, metrics and logs through OpenTelemetry (README, "Operations"): to Application Insights when
/// <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set (signed in with the app's identity when the
/// authentication string says AAD), to an OTLP endpoint when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is, and
/// nowhere otherwise. The same under the Functions host and the local host.
/// </summary>
public static class Telemetry
{
    public const string SourceName = "Dispatch";

    /// <summary>The app's own spans: one per API call (with the function's name), one per sweep run.</summary>
    public static readonly ActivitySource Source = new(SourceName);

    public static IOpenTelemetryBuilder AddDispatchTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // The Azure SDKs' spans (table calls, Service Bus sends) are behind this switch.
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        var telemetry = services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource(SourceName, "Azure.Data.Tables.*", "Azure.Messaging.ServiceBus.*"))
            .WithMetrics(metrics => metrics.AddMeter(DispatchMetrics.MeterName));
        if (configuration["APPLICATIONINSIGHTS_CONNECTION_STRING"] is { Length: > 0 } connection)
        {
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = connection;
                if (configuration["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] is { } authentication && authentication.Contains("Authorization=AAD", StringComparison.OrdinalIgnoreCase))
                {
                    // Local authentication is off on the component (Bicep): ingestion is signed in with the app's identity.
                    options.Credential = new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = configuration["AZURE_CLIENT_ID"] });
                }
            });
        }

        if (configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] is { Length: > 0 })
        {
            telemetry.UseOtlpExporter();
        }

        return telemetry;
    }
}
