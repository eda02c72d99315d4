using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Dispatch.Core.Incidents;
using Dispatch.Core.Policy;
using Dispatch.Functions.Http;
using Dispatch.Functions.Storage;
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
            .Validate(settings => TryLoadPolicy(settings) is null, "unused")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<DispatchSettings>, PolicyValidation>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<DispatchSettings>>().Value.LoadPolicy());

        services.TryAddSingleton<IClock>(SystemClock.Instance);
        services.TryAddSingleton(_ => CreateTableService(configuration));
        services.TryAddSingleton<IIncidentStore, TableIncidentStore>();
        services.AddSingleton<IncidentService>();
        services.AddScoped<IncidentFunctions>();
        services.AddScoped<HealthFunction>();
        return services;
    }

    /// <summary>
    /// A connection string in <c>AzureWebJobsStorage</c> (Azurite locally), or in Azure the identity-based
    /// <c>AzureWebJobsStorage__tableServiceUri</c> / <c>AzureWebJobsStorage__accountName</c>.
    /// </summary>
    public static TableServiceClient CreateTableService(IConfiguration configuration)
    {
        var options = new TableClientOptions();
        // Fail fast to a 503 rather than hold a dispatcher's request through long retries.
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);

        var section = configuration.GetSection("AzureWebJobsStorage");
        if (!string.IsNullOrWhiteSpace(section.Value))
        {
            return new TableServiceClient(section.Value, options);
        }

        var uri = section["tableServiceUri"]
            ?? (section["accountName"] is { Length: > 0 } account ? $"https://{account}.table.core.windows.net" : null);
        return uri is null
            ? throw new OptionsValidationException("AzureWebJobsStorage", typeof(DispatchSettings),
                ["Set AzureWebJobsStorage to a connection string, or AzureWebJobsStorage__accountName for a managed identity."])
            : new TableServiceClient(new Uri(uri), new DefaultAzureCredential(), options);
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

    /// <summary>Stops the app at start with a message naming the bad policy field.</summary>
    private sealed class PolicyValidation : IValidateOptions<DispatchSettings>
    {
        public ValidateOptionsResult Validate(string? name, DispatchSettings options) =>
            TryLoadPolicy(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
    }
}
