using Dispatch.Functions.Identity;
using Dispatch.Functions.Settings;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<AuthenticationMiddleware>();
builder.Services.AddDispatch(builder.Configuration);
builder.Build().Run();
