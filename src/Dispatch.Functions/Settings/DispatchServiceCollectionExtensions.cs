using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Dispatch.Contracts;
using Dispatch.Functions.Messaging;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Timers;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Http;
using Dispatch.Functions.Identity;
using Dispatch.Functions.Storage;
using Dispatch.Core.Identity;
using Dispatch.Core.Audit;
using Dispatch.Core.Reports;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using NodaTime;

namespace Dispatch.Functions.Settings;

public static class DispatchServiceCollectionExtensions
{
    /// <summary>
    /// Everything the functions need, shared by the Functions host's Program.cs and the local host, so
    /// both run the same graph.
    /// </summary>
    public static IServiceCollection AddDispatch(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DispatchSettings>()
            .Bind(configuration)
            .Validate(settings => System.Text.RegularExpressions.Regex.IsMatch(settings.TableName, "^[A-Za-z][A-Za-z0-9]{2,59}$"),
                "DISPATCH_TABLE must be a table name: 3-60 letters and digits, starting with a letter (the due index is the same name with due after it).")
            .Validate(settings => LanguageNames.TryParse(settings.Language, out _),
                $"DISPATCH_LANGUAGE must be one of the languages the API speaks: {string.Join(", ", LanguageNames.All)}.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DispatchSettings>, PolicyValidation>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DispatchSettings>>().Value.LoadPolicy());

        services.AddSingleton<IValidateOptions<DispatchSettings>, AuthValidation>();
        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton(_ => CreateTableService(configuration));
        services.TryAddSingleton<DependencyMonitor>();
        services.AddMetrics();
        services.TryAddSingleton<DispatchMetrics>();
        services.TryAddSingleton<TableOperationsStore>();
        services.TryAddSingleton<OperationsService>();
        services.TryAddSingleton<DispatchTable>();
        services.TryAddSingleton<DueIndexTable>();
        services.TryAddSingleton<TableIncidentStore>();
        services.TryAddSingleton<IIncidentStore>(sp => sp.GetRequiredService<TableIncidentStore>());
        services.TryAddSingleton<INoticeOutbox>(sp => sp.GetRequiredService<TableIncidentStore>());
        services.TryAddSingleton<IIncidentQueries, TableIncidentQueries>();
        services.TryAddSingleton<IDayDigests, TableDayDigests>();
        services.TryAddSingleton<IDueIndex, TableDueIndex>();
        services.TryAddSingleton<TableRosterStore>();
        services.TryAddSingleton<IRosterStore>(sp => new RememberedRoster(sp.GetRequiredService<TableRosterStore>(), sp.GetRequiredService<IClock>()));
        services.TryAddSingleton<IAuditTrail, TableAuditTrail>();
        services.TryAddSingleton<Core.Units.IUnitStore, TableUnitStore>();
        services.AddSingleton<Core.Units.UnitService>();
        services.TryAddSingleton<Core.Units.IPositionStore, TablePositionStore>();
        services.AddSingleton<Core.Units.PositionService>();
        services.AddSingleton<Core.Units.CandidateService>();
        services.TryAddSingleton(_ => CreateServiceBus(configuration));
        services.TryAddSingleton(sp => sp.GetRequiredService<ServiceBusClient>().CreateSender(EscalationTopic.Name));
        services.TryAddSingleton<INoticePublisher, ServiceBusNoticePublisher>();
        services.AddSingleton<NoticeRelay>();
        services.AddSingleton<Sweeper>();
        services.AddSingleton<IncidentService>();
        services.AddSingleton<RosterService>();
        services.AddSingleton<AuditService>();
        services.AddSingleton<ReportService>();
        services.TryAddSingleton<IShiftReportLedger, TableShiftReportLedger>();
        services.TryAddSingleton<IShiftReportPublisher, ServiceBusShiftReportPublisher>();
        services.AddSingleton<ShiftReporter>();
        services.AddSingleton<TokenValidator>();
        services.TryAddSingleton<RefusalLedger>();
        services.TryAddSingleton<PollLedger>();
        services.AddHostedService(sp => sp.GetRequiredService<PollLedger>());
        services.AddScoped<RequestPipeline>();
        services.AddScoped<CallContext>();
        services.AddScoped<Endpoint>();
        // No function class is registered: both hosts make them with FunctionActivator, which a registration would not reach.
        return services;
    }

    /// <summary>
    /// The app's table service, from the first of: <c>DISPATCH_TABLE_SERVICE_URI</c> (identity, the app's own
    /// setting, what Bicep sets); the identity-based <c>AzureWebJobsStorage__tableServiceUri</c> or
    /// <c>AzureWebJobsStorage__accountName</c>; a connection string in <c>AzureWebJobsStorage</c> (Azurite).
    /// </summary>
    /// <remarks>
    /// Identity wins whenever it is configured: <c>AzureWebJobsStorage</c> is the Functions host's own setting,
    /// and a connection string some tooling puts there must not silently switch the app to shared keys, which
    /// the account refuses (every call would be a 403).
    /// </remarks>
    public static TableServiceClient CreateTableService(IConfiguration configuration)
    {
        var options = new TableClientOptions();
        // Fail fast to a 503 rather than hold a dispatcher's request through long retries.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(5);
        options.AddPolicy(new RequestCounter(), HttpPipelinePosition.PerRetry);

        var section = configuration.GetSection("AzureWebJobsStorage");
        var identityUri = configuration["DISPATCH_TABLE_SERVICE_URI"] is { Length: > 0 } own ? own
            : section["tableServiceUri"] is { Length: > 0 } hostUri ? hostUri
            : section["accountName"] is { Length: > 0 } account ? $"https://{account}.table.core.windows.net"
            : null;
        if (identityUri is not null)
        {
            return Uri.TryCreate(identityUri, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? new TableServiceClient(uri, new DefaultAzureCredential(), options)
                : throw new OptionsValidationException("DISPATCH_TABLE_SERVICE_URI", typeof(DispatchSettings),
                    [$"DISPATCH_TABLE_SERVICE_URI must be the https:// table endpoint of the storage account, not '{identityUri}'."]);
        }

        return !string.IsNullOrWhiteSpace(section.Value)
            ? new TableServiceClient(section.Value, options)
            : throw new OptionsValidationException("AzureWebJobsStorage", typeof(DispatchSettings),
                ["Set DISPATCH_TABLE_SERVICE_URI to the storage account's table endpoint (identity), or AzureWebJobsStorage to a connection string (Azurite)."]);
    }

    /// <summary>
    /// A connection string in <c>ServiceBus</c> (the local broker or the emulator), or in Azure the
    /// identity-based <c>ServiceBus__fullyQualifiedNamespace</c>.
    /// </summary>
    public static ServiceBusClient CreateServiceBus(IConfiguration configuration)
    {
        var options = new ServiceBusClientOptions
        {
            // A sweep must not stall on an outage: the outbox keeps what could not be sent.
            RetryOptions = new ServiceBusRetryOptions { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(200), TryTimeout = TimeSpan.FromSeconds(5) },
        };
        var section = configuration.GetSection("ServiceBus");
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new ServiceBusClient(section.Value, options);
        }

        return section["fullyQualifiedNamespace"] is { Length: > 0 } ns
            ? new ServiceBusClient(ns, new DefaultAzureCredential(), options)
            : throw new OptionsValidationException("ServiceBus", typeof(DispatchSettings),
                ["Set ServiceBus to a connection string, or ServiceBus__fullyQualifiedNamespace for a managed identity."]);
    }

    private static string? TryLoadPolicy(DispatchSettings settings)
    {
        try
        {
            settings.LoadPolicy();
            return null;
        }
        catch (PolicyException e)
        {
            return e.Message;
        }
    }

    /// <summary>
    /// Stops the app at start unless it can tell who is calling: Entra settings, or in development the local
    /// issuer; a production start never accepts the local issuer.
    /// </summary>
    private sealed class AuthValidation : IValidateOptions<DispatchSettings>
    {
        public ValidateOptionsResult Validate(string? name, DispatchSettings settings)
        {
            var failures = new List<string>();
            var entra = !string.IsNullOrWhiteSpace(settings.AuthAuthority);
            if (entra && string.IsNullOrWhiteSpace(settings.AuthAudience))
            {
                failures.Add("DISPATCH_AUTH_AUDIENCE must be set with DISPATCH_AUTH_AUTHORITY: the API's application ID URI or client id.");
            }

            if (!entra && !string.IsNullOrWhiteSpace(settings.AuthAudience))
            {
                failures.Add("DISPATCH_AUTH_AUTHORITY must be set with DISPATCH_AUTH_AUDIENCE, e.g. https://login.microsoftonline.com/<tenant>/v2.0.");
            }

            if (entra && (!Uri.TryCreate(settings.AuthAuthority, UriKind.Absolute, out var authority) || (authority.Scheme != Uri.UriSchemeHttps && !(settings.IsDevelopment && authority.IsLoopback))))
            {
                failures.Add($"DISPATCH_AUTH_AUTHORITY must be an https:// URL (e.g. https://login.microsoftonline.com/<tenant>/v2.0), not '{settings.AuthAuthority}'.");
            }

            if (settings.IsDevelopment)
            {
                if (!entra && string.IsNullOrWhiteSpace(settings.LocalKeyFile))
                {
                    failures.Add("No token issuer is configured: set DISPATCH_AUTH_LOCAL_KEY_FILE (./dispatch up does) or DISPATCH_AUTH_AUTHORITY and DISPATCH_AUTH_AUDIENCE.");
                }
                else if (!string.IsNullOrWhiteSpace(settings.LocalKeyFile) && !File.Exists(settings.LocalKeyFile))
                {
                    failures.Add($"DISPATCH_AUTH_LOCAL_KEY_FILE names '{settings.LocalKeyFile}', which does not exist.");
                }
            }
            else
            {
                if (!entra)
                {
                    failures.Add("DISPATCH_AUTH_AUTHORITY and DISPATCH_AUTH_AUDIENCE must be set: outside development only Entra ID tokens are accepted.");
                }

                if (!string.IsNullOrWhiteSpace(settings.LocalKeyFile))
                {
                    failures.Add("DISPATCH_AUTH_LOCAL_KEY_FILE is set, but the local issuer is accepted only in development (AZURE_FUNCTIONS_ENVIRONMENT=Development); remove it.");
                }

                if (string.Equals(settings.AuthAuthority?.TrimEnd('/'), LocalTokens.Issuer, StringComparison.Ordinal))
                {
                    failures.Add("DISPATCH_AUTH_AUTHORITY names the local issuer, which is accepted only in development.");
                }
            }

            if (settings.UnauthenticatedLimit < 1)
            {
                failures.Add($"DISPATCH_UNAUTHENTICATED_LIMIT must be a whole number of at least 1, not {settings.UnauthenticatedLimit}.");
            }

            if (settings.IndexShards is < 1 or > 8)
            {
                failures.Add($"DISPATCH_INDEX_SHARDS must be from 1 to 8, not {settings.IndexShards}.");
            }

            Budget("DISPATCH_REQUEST_BUDGET", settings.RequestBudget, TimeSpan.FromMinutes(3), "PT5S", failures);
            Budget("DISPATCH_SWEEP_BUDGET", settings.SweepBudget, TimeSpan.FromMinutes(10), "PT1M", failures);
            Budget("DISPATCH_HEALTH_OUTBOX_MAX_AGE", settings.OutboxMaxAge, TimeSpan.FromDays(1), "PT1M", failures);
            Budget("DISPATCH_HEALTH_UNREAD_MAX_AGE", settings.UnreadMaxAge, TimeSpan.FromDays(1), "PT10M", failures);

            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    private static void Budget(string setting, string value, TimeSpan most, string example, List<string> failures)
    {
        try
        {
            var budget = System.Xml.XmlConvert.ToTimeSpan(value);
            if (budget <= TimeSpan.Zero || budget > most)
            {
                failures.Add($"{setting} must be more than PT0S and at most {System.Xml.XmlConvert.ToString(most)}, not '{value}'.");
            }
        }
        catch (FormatException)
        {
            failures.Add($"{setting} must be an ISO-8601 duration such as {example}, not '{value}'.");
        }
    }

    /// <summary>Stops the app at start with a message naming the bad policy field.</summary>
    private sealed class PolicyValidation : IValidateOptions<DispatchSettings>
    {
        public ValidateOptionsResult Validate(string? name, DispatchSettings options) =>
            TryLoadPolicy(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
    }
}
