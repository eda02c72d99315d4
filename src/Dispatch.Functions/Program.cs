using Dispatch.Functions.Identity;
using Dispatch.Functions.Operations;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Dispatch.Functions.Settings;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<AuthenticationMiddleware>();
builder.Services.AddDispatch(builder.Configuration);
builder.Services.AddDispatchTelemetry(builder.Configuration).UseFunctionsWorkerDefaults();
builder.Build().Run();
