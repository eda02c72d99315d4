using Dispatch.LocalHost;
using Microsoft.Extensions.Configuration;

// Settings as the Functions host reads them: local.settings.json "Values", then the environment.
var configuration = new ConfigurationBuilder()
    .AddLocalSettings(Directory.GetCurrentDirectory())
    .AddEnvironmentVariables()
    .AddCommandLine(args)
    .Build();

var port = int.TryParse(configuration["port"], out var p) ? p : 7071;
var app = LocalFunctionsHost.Build(new LocalHostOptions { Port = port, Configuration = configuration });
await app.StartAsync();
Console.WriteLine($"Functions listening on {string.Join(", ", app.Urls)}/{LocalFunctionsHost.RoutePrefix}");
await app.WaitForShutdownAsync();
